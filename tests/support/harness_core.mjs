// Shared by runner.mjs (Node) and harness.html (Chromium): boot Pyodide from a local
// distribution, load the requested packages (normally micropip2; possibly none) from
// its lockfile, and run request code.
//
// Nothing here may use Node-only or browser-only APIs: the caller passes `loadPyodide`,
// the lockfile's parsed JSON, and the loadPyodide options for its environment.

// Private Python helpers, kept in their own module namespace so that request code only
// ever sees a fresh globals dict.
const PY_HELPERS = String.raw`
import json as _json
import sys as _sys
import traceback as _traceback
from pyodide.code import eval_code_async as _eval_code_async

REQUEST_FILENAME = "<request>"
# this module, the wrapper code pyodide_runtime.py puts around test code, and Pyodide's
# own eval machinery: frames from these are left out of tracebacks
_INTERNAL_FILENAMES = {"<mp2-harness>", "<mp2-wrapper>"}


def _internal(filename):
    return filename in _INTERNAL_FILENAMES or "/_pyodide/" in filename


def _clean(te, seen):
    if te is None or id(te) in seen:
        return
    seen.add(id(te))
    te.stack = _traceback.StackSummary.from_list(
        [f for f in te.stack if not _internal(f.filename)]
    )
    _clean(te.__cause__, seen)
    _clean(te.__context__, seen)
    for sub in getattr(te, "exceptions", None) or ():
        _clean(sub, seen)


def _error_info(exc):
    te = _traceback.TracebackException.from_exception(exc)
    _clean(te, set())
    try:
        message = str(exc)
    except BaseException as e:  # a broken __str__ must not hide the error
        message = f"<str() failed: {type(e).__name__}>"
    return {
        "type": type(exc).__name__,
        "module": type(exc).__module__,
        "message": message,
        "traceback": "".join(te.format()),
    }


async def run_request(code, filename=None):
    globals_ = {"__name__": "__main__"}
    try:
        value = await _eval_code_async(code, globals_, filename=filename or REQUEST_FILENAME)
        reply = {"ok": True, "result": None if value is None else str(value)}
    except BaseException as exc:
        reply = {"ok": False, "error": _error_info(exc)}
    finally:
        globals_.clear()
        for stream in (_sys.stdout, _sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
    return _json.dumps(reply)


def check_loaded(expected):
    """expected: {name: version}; returns a list of problems (empty when all is well)."""
    import importlib.metadata as md

    problems = []
    for name, version in expected.items():
        try:
            found = md.version(name)
        except md.PackageNotFoundError:
            problems.append(f"{name}: not installed")
            continue
        if found != version:
            problems.append(f"{name}: installed {found}, lockfile says {version}")
    return problems
`;

function normalize(name) {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

// All lockfile packages that loading `names` must bring in.
export function lockClosure(lock, names) {
  const out = new Map();
  const todo = names.map(normalize);
  while (todo.length) {
    const key = todo.pop();
    if (out.has(key)) continue;
    const pkg = lock.packages[key];
    if (!pkg) throw new Error(`package ${key} is not in the lockfile`);
    out.set(key, pkg);
    for (const dep of pkg.depends || []) todo.push(normalize(dep));
  }
  return out;
}

class Capture {
  constructor() {
    this.decoder = new TextDecoder();
    this.chunks = [];
  }
  write(buf) {
    this.chunks.push(this.decoder.decode(buf, { stream: true }));
    return buf.length;
  }
  take() {
    const s = this.chunks.join("") + this.decoder.decode();
    this.chunks = [];
    return s;
  }
}

/**
 * Boot Pyodide and load `packages` from the lockfile, failing loudly if any did not load.
 *
 * opts: { loadPyodide, loadOptions, lock, packages, log }
 * returns a harness object with run(code) -> {ok, result|error, stdout, stderr}.
 */
export async function bootHarness({ loadPyodide, loadOptions, lock, packages, log }) {
  const stdout = new Capture();
  const stderr = new Capture();
  const pyodide = await loadPyodide({
    ...loadOptions,
    stdout: (s) => log(`[boot stdout] ${s}`),
    stderr: (s) => log(`[boot stderr] ${s}`),
  });
  pyodide.setStdout({ write: (buf) => stdout.write(buf) });
  pyodide.setStderr({ write: (buf) => stderr.write(buf) });

  const expected = lockClosure(lock, packages);
  const loadErrors = [];
  if (packages.length) {
    await pyodide.loadPackage(packages, {
      messageCallback: (m) => log(`[loadPackage] ${m}`),
      errorCallback: (m) => loadErrors.push(m),
    });
  }
  const problems = [...loadErrors];
  for (const [key, pkg] of expected) {
    if (!(pkg.name in pyodide.loadedPackages) && !(key in pyodide.loadedPackages)) {
      problems.push(`${pkg.name}: not in pyodide.loadedPackages after loadPackage`);
    }
  }
  const helpers = pyodide.pyimport("types").ModuleType("_mp2_harness");
  pyodide.runPython(PY_HELPERS, { globals: helpers.__dict__, filename: "<mp2-harness>" });
  const versions = Object.fromEntries([...expected.values()].map((p) => [p.name, p.version]));
  const check = helpers.check_loaded;
  const checkProblems = check(pyodide.toPy(versions));
  problems.push(...checkProblems.toJs());
  checkProblems.destroy();
  check.destroy();
  const boot = { stdout: stdout.take(), stderr: stderr.take() };
  if (problems.length) {
    throw new Error(
      `loading ${packages.join(", ")} from the lockfile failed:\n  ${problems.join("\n  ")}` +
        (boot.stderr ? `\nPython stderr:\n${boot.stderr}` : ""),
    );
  }
  if (boot.stdout) log(`[boot stdout] ${boot.stdout}`);
  if (boot.stderr) log(`[boot stderr] ${boot.stderr}`);

  const runRequest = helpers.run_request;
  let queue = Promise.resolve();
  async function runOne(code, filename) {
    stdout.take();
    stderr.take();
    let reply;
    try {
      reply = JSON.parse(await runRequest(code, filename || null));
    } catch (e) {
      // an error in the harness itself, not in the request's Python code
      reply = {
        ok: false,
        error: { type: "HarnessError", module: "", message: String(e), traceback: String(e && e.stack) },
      };
    }
    reply.stdout = stdout.take();
    reply.stderr = stderr.take();
    return reply;
  }
  return {
    pyodide,
    version: pyodide.version,
    // requests run one at a time, in order; `filename` names the code in tracebacks
    run(code, filename) {
      const p = queue.then(() => runOne(code, filename));
      queue = p.catch(() => {});
      return p;
    },
  };
}
