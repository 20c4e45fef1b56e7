"""Host side of the Pyodide test runtimes.

A :class:`PyodideRuntime` is one Pyodide interpreter in a ``node tests/support/runner.mjs``
subprocess, either in Node itself (kind "node") or in a headless Chromium page the runner
drives (kind "chrome"). micropip2 and its dependencies are already loaded from the local
distribution's lockfile when it reports ready.

    value = runtime.run('''
        import sys
        sys.version_info[:2]
    ''')                                  # -> [3, 14] (the last expression, through JSON)

    def probe(name):                       # self-contained: imports inside the function
        import importlib.metadata
        return importlib.metadata.version(name)

    runtime.call(probe, "packaging")      # -> "26.2"; `async def` functions are awaited

Code that raises comes back as :class:`PyodideError` (with the Pyodide traceback in its
str). Every request gets fresh globals; interpreter state (sys.modules, installed
packages, files) persists for the runtime's life. What the code printed is in
``runtime.last_stdout`` / ``runtime.last_stderr`` and is echoed to the host's
stdout/stderr so that pytest shows it for a failing test.
"""

from __future__ import annotations

import ast
import collections
import inspect
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import traceback
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
RUNNER = REPO / "tests" / "support" / "runner.mjs"
SUPPORT_DIR = REPO / "tests" / "support"
DIST_ROOT = REPO / "build" / "dist"
WHEELS_DIR = REPO / "build" / "wheels"
PINS_FILE = REPO / "tests" / "dist" / "pins.toml"

KINDS = ("node", "chrome")
BOOT_TIMEOUT = float(os.environ.get("MICROPIP2_BOOT_TIMEOUT", "180"))
REQUEST_TIMEOUT = float(os.environ.get("MICROPIP2_REQUEST_TIMEOUT", "300"))
WRAPPER_FILENAME = "<mp2-wrapper>"  # left out of tracebacks by harness_core.mjs


class PyodideError(Exception):
    """Python code run in Pyodide raised ``type``; ``traceback`` is Pyodide's text."""

    def __init__(self, type: str, message: str, traceback: str, stdout: str = "", stderr: str = ""):
        super().__init__(type, message)
        self.type = type
        self.message = message
        self.traceback = traceback
        self.stdout = stdout
        self.stderr = stderr

    def __str__(self) -> str:
        text = f"{self.type}: {self.message}\n\nPyodide traceback:\n{self.traceback.rstrip()}"
        if self.stderr:
            text += f"\n\nPyodide stderr:\n{self.stderr.rstrip()}"
        return text


class RuntimeFailure(RuntimeError):
    """The runtime itself failed: boot error, crash, timeout, or a protocol problem."""


@dataclass(frozen=True)
class RuntimeSpec:
    kind: str  # "node" | "chrome"
    version: str  # Pyodide version, e.g. "314.0.7"

    @classmethod
    def parse(cls, ident: str) -> RuntimeSpec:
        kind, sep, version = ident.partition("-")
        if not sep or kind not in KINDS:
            raise ValueError(
                f"bad runtime id {ident!r}; expected e.g. 'node-314.0.7' or 'chrome-314.0.7'"
            )
        return cls(kind, version)

    @property
    def id(self) -> str:
        return f"{self.kind}-{self.version}"

    @property
    def dist_dir(self) -> Path:
        return DIST_ROOT / self.version

    def __str__(self) -> str:
        return self.id


def _read_lock_info(lock: Path | str) -> dict:
    if isinstance(lock, str):  # an http URL (a chrome runtime booted from a served lock)
        import urllib.request

        with urllib.request.urlopen(lock, timeout=30) as resp:
            return json.loads(resp.read())["info"]
    if not lock.exists():
        raise RuntimeFailure(
            f"{lock} is missing: run scripts/setup.sh (or python -m scripts.build_dist)"
        )
    return json.loads(lock.read_text(encoding="utf-8"))["info"]


def _strip_to_def(fn: Callable) -> tuple[str, str, int]:
    """(source from the ``def`` line on, dedented; file name; line number of ``def``)."""
    if getattr(fn, "__name__", "<lambda>") == "<lambda>":
        raise TypeError("runtime.call() needs a function defined with def, not a lambda")
    try:
        lines, first = inspect.getsourcelines(fn)
    except (OSError, TypeError) as e:
        raise TypeError(f"cannot get the source of {fn!r}: {e}") from None
    src = textwrap.dedent("".join(lines))
    tree = ast.parse(src)
    node = tree.body[0]
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.name != fn.__name__:
        raise TypeError(f"{fn!r} is not a plain function definition")
    body_lines = src.splitlines(keepends=True)[node.lineno - 1 :]
    filename = inspect.getsourcefile(fn) or "<test>"
    return "".join(body_lines), filename, first + node.lineno - 1


def _cache_setting(cache: bool | str | Path) -> str:
    """Code that sets micropip2's persistent cache for a runtime: off (``False``, so tests and
    cold benchmarks never share files), the default place (``True``), or a host directory."""
    if cache is False:
        return "import os; os.environ['MICROPIP2_NO_CACHE'] = '1'"
    on = "import os; os.environ['MICROPIP2_NO_CACHE'] = '0'"  # over the test process's '1'
    if cache is True:
        return on
    return f"{on}; os.environ['MICROPIP2_CACHE_DIR'] = {str(cache)!r}"


class PyodideRuntime:
    """One Pyodide interpreter behind a runner.mjs subprocess.

    The constructor starts the subprocess and returns at once; :meth:`wait_ready` waits
    for the boot to finish (the pool uses that to boot spares in the background).

    By default it boots from the dist's lockfile and loads micropip2. A fresh runtime booted
    from a user's lock instead:

        PyodideRuntime("node-314.0.7", lockfile=folder / "pyodide-lock.json",
                       package_dir=folder, packages=())      # relative file names, local wheels
        PyodideRuntime("chrome-314.0.7", base_url=..., server=...,
                       lockfile="http://127.0.0.1:PORT/pyodide-lock.json", packages=())

    ``lockfile``: relative to the dist dir, an absolute path, or (chrome only) an http URL.
    ``package_dir`` (node only): packageBaseUrl and packageCacheDir (default: the dist dir).
    ``lockfile_contents`` (chrome only): boot with the lockfile's text as ``lockFileContents``
    (fetched by the page) instead of its URL as ``lockFileURL``.
    ``packages``: loaded and checked (loadedPackages, versions) before the runtime is ready.
    ``cache``: micropip2's persistent cache in this runtime: off (the default, so no two
    tests share files), ``True`` for its default place, or a host directory (Node).
    ``user_data_dir`` (chrome only): Chromium's profile directory, owned and kept by the caller
    (default: a fresh one, removed on close). A runtime started with the profile of one that
    was closed is a new page in the same profile: it finds its HTTP cache and Cache Storage.
    """

    def __init__(
        self,
        spec: RuntimeSpec | str,
        *,
        base_url: str | None = None,
        server=None,
        dist_dir: Path | None = None,
        lockfile: str | Path = "pyodide-lock.json",
        package_dir: Path | None = None,
        packages: Iterable[str] = ("micropip2",),
        lockfile_contents: bool = False,
        echo_output: bool = True,
        cache: bool | str | Path = False,
        worker: bool = False,
        user_data_dir: str | Path | None = None,
    ):
        self.spec = RuntimeSpec.parse(spec) if isinstance(spec, str) else spec
        self.kind = self.spec.kind
        self.version = self.spec.version
        self.dist_dir = Path(dist_dir) if dist_dir is not None else self.spec.dist_dir
        lockfile = str(lockfile)
        is_url = lockfile.startswith(("http://", "https://"))
        if is_url and self.kind != "chrome":
            raise ValueError("Pyodide on Node boots only from a local lockfile (and local wheels)")
        if self.kind == "chrome" and not is_url and Path(lockfile).is_absolute():
            raise ValueError(
                "a chrome runtime's lockfile is relative to the served dist dir, or a URL"
            )
        # the lockfile this runtime boots with (a Path, or the URL a chrome runtime fetches)
        self.lockfile: Path | str = lockfile if is_url else self.dist_dir / lockfile
        self.packages = list(packages)
        info = _read_lock_info(self.lockfile)
        self.abi_version: str = info["abi_version"]  # "2026_0"
        self.python: str = ".".join(info["python"].split(".")[:2])  # "3.14"
        self.python_full: str = info["python"]  # "3.14.2"
        self.platform_tag = f"pyemscripten_{self.abi_version}_wasm32"
        self.server = server  # the StaticServer (dist, tests/support, build/wheels), if any
        self.base_url = base_url
        self.echo_output = echo_output
        self.boot_ms: int | None = None
        self.pyodide_version: str | None = None
        self.last_stdout = ""
        self.last_stderr = ""
        self._ids = iter(range(1, 1 << 62))
        self._replies: queue.Queue = queue.Queue()
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=300)
        self._lock = threading.Lock()
        self._dead: str | None = None
        self._ready = False
        self.cache = cache
        self._cache_set = False

        cmd = [
            os.environ.get("MICROPIP2_NODE", "node"),
            str(RUNNER),
            "--dist",
            str(self.dist_dir),
            "--lockfile",
            lockfile,
            "--packages",
            ",".join(self.packages),
        ]
        if package_dir is not None:
            if self.kind != "node":
                raise ValueError(
                    "package_dir is for node runtimes; a browser fetches the lock's URLs"
                )
            cmd += ["--package-dir", str(package_dir)]
        if user_data_dir is not None and self.kind != "chrome":
            raise ValueError("user_data_dir is for chrome runtimes")
        if worker and self.kind != "chrome":
            raise ValueError("worker is for chrome runtimes")
        if lockfile_contents:
            if self.kind != "chrome":
                raise ValueError("lockfile_contents is for chrome runtimes")
            cmd.append("--lockfile-contents")
        self._user_data_dir: str | None = None
        if self.kind == "chrome":
            if base_url is None:
                raise ValueError("a chrome runtime needs base_url (the served dist directory)")
            if user_data_dir is None:
                self._user_data_dir = tempfile.mkdtemp(prefix="micropip2-chromium-")
                profile = self._user_data_dir
            else:
                profile = str(user_data_dir)  # the caller's: never removed here
            if worker:  # Pyodide in a Web Worker of the page (tests/support/worker_harness.html)
                page = urllib.parse.urljoin(
                    base_url.rstrip("/") + "/", "../../support/worker_harness.html"
                )
                cmd += ["--harness-url", page]
            cmd += [
                "--browser",
                "--base-url",
                base_url,
                "--user-data-dir",
                profile,
                "--chromium",
                os.environ.get("MICROPIP2_CHROMIUM", "/usr/bin/chromium"),
            ]
        self.started_at = time.monotonic()
        self._proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
            start_new_session=True,  # own process group, so kill() reaches all of it
        )
        threading.Thread(target=self._read_stdout, daemon=True, name=f"{self.id}-stdout").start()
        threading.Thread(target=self._read_stderr, daemon=True, name=f"{self.id}-stderr").start()

    # ----------------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def wheels_url(self) -> str | None:
        """URL of build/wheels/ on the static server, if this runtime has one."""
        return self.server.url("/wheels/") if self.server is not None else None

    def __repr__(self) -> str:
        return f"<PyodideRuntime {self.id} pid={self._proc.pid}>"

    def _read_stdout(self) -> None:
        for line in self._proc.stdout:
            line = line.strip()
            if not line:
                continue
            try:
                msg = json.loads(line)
            except ValueError:
                self._stderr_tail.append(f"[non-protocol stdout] {line}")
                continue
            self._replies.put(msg)
        self._replies.put(None)  # EOF

    def _read_stderr(self) -> None:
        echo = bool(os.environ.get("MICROPIP2_RUNNER_LOG"))
        for line in self._proc.stderr:
            self._stderr_tail.append(line.rstrip("\n"))
            if echo:
                sys.__stderr__.write(f"[{self.id}] {line}")

    def runner_log(self) -> str:
        """The last lines the runner wrote to its stderr (Pyodide messages, browser console)."""
        return "\n".join(self._stderr_tail)

    def _failure(self, what: str) -> RuntimeFailure:
        log = self.runner_log()
        return RuntimeFailure(
            f"{self.id}: {what}" + (f"\n--- runner log ---\n{log}" if log else "")
        )

    def _next_message(self, timeout: float, what: str) -> dict:
        try:
            msg = self._replies.get(timeout=timeout)
        except queue.Empty:
            self._dead = f"timed out after {timeout:.0f} s waiting for {what}"
            self.kill()
            raise self._failure(self._dead) from None
        if msg is None:
            rc = self._proc.wait()
            self._dead = f"runner exited (status {rc}) while waiting for {what}"
            raise self._failure(self._dead)
        return msg

    # ----------------------------------------------------------------------------
    def wait_ready(self, timeout: float = BOOT_TIMEOUT) -> PyodideRuntime:
        self._boot(timeout)
        if not self._cache_set:
            self._cache_set = True
            self.run(_cache_setting(self.cache))
        return self

    def _boot(self, timeout: float) -> None:
        with self._lock:
            if self._ready:
                return
            if self._dead:
                raise self._failure(self._dead)
            msg = self._next_message(timeout, "boot")
            if not msg.get("ready"):
                self._dead = "boot failed"
                self.kill()
                raise self._failure(f"boot failed: {msg.get('error')}")
            self._ready = True
            self.boot_ms = msg.get("boot_ms")
            self.pyodide_version = msg.get("version")
            if self.pyodide_version != self.version:
                raise self._failure(
                    f"runner reports Pyodide {self.pyodide_version}, expected {self.version}"
                )

    def request(
        self,
        code: str,
        *,
        filename: str | None = None,
        timeout: float = REQUEST_TIMEOUT,
        screenshot: str | None = None,
    ) -> dict:
        """Send raw code to the runner; return its reply dict (ok, result|error, stdout, stderr).

        ``screenshot`` (chrome only): instead of running code, save a PNG of the page there."""
        self.wait_ready()
        with self._lock:
            if self._dead:
                raise self._failure(f"runtime is unusable: {self._dead}")
            rid = next(self._ids)
            payload = {"id": rid, "code": code}
            if filename:
                payload["filename"] = filename
            if screenshot is not None:
                payload["screenshot"] = screenshot
            try:
                self._proc.stdin.write(json.dumps(payload) + "\n")
                self._proc.stdin.flush()
            except (BrokenPipeError, OSError) as e:
                self._dead = f"runner's stdin is closed ({e})"
                raise self._failure(self._dead) from None
            reply = self._next_message(timeout, f"request {rid}")
            if reply.get("id") != rid:
                self._dead = f"protocol error: expected reply {rid}, got {reply!r}"
                self.kill()
                raise self._failure(self._dead)
        self.last_stdout = reply.get("stdout", "")
        self.last_stderr = reply.get("stderr", "")
        if self.echo_output:
            if self.last_stdout:
                sys.stdout.write(self.last_stdout)
            if self.last_stderr:
                sys.stderr.write(self.last_stderr)
        return reply

    def _run_wrapped(self, code: str, timeout: float) -> Any:
        reply = self.request(code, filename=WRAPPER_FILENAME, timeout=timeout)
        if not reply.get("ok"):
            err = reply.get("error") or {}
            raise PyodideError(
                err.get("type", "?"),
                err.get("message", ""),
                err.get("traceback", ""),
                reply.get("stdout", ""),
                reply.get("stderr", ""),
            )
        return json.loads(reply["result"])

    def run(self, code: str, *, timeout: float = REQUEST_TIMEOUT) -> Any:
        """Run ``code`` (dedented; top-level ``await`` allowed) with fresh globals.

        Returns the value of the last expression, JSON-encoded inside Pyodide and decoded
        here (None when the code ends with a statement); raises PyodideError if it raised.
        """
        source = textwrap.dedent(code).strip("\n") + "\n"
        wrapper = (
            "import json as _mp2_json\n"
            "from pyodide.code import eval_code_async as _mp2_eval\n"
            f"_mp2_json.dumps(await _mp2_eval({source!r}, globals(), filename='<run>'))\n"
        )
        return self._run_wrapped(wrapper, timeout)

    def call(
        self, fn: Callable, *args: Any, timeout: float = REQUEST_TIMEOUT, **kwargs: Any
    ) -> Any:
        """Define ``fn`` in Pyodide from its source and call it with JSON-able arguments.

        ``fn`` must be self-contained (do its imports inside; it cannot see the test
        module's globals); decorators are dropped; an ``async def`` is awaited. Returns
        the JSON-decoded result. Tracebacks point at the test file's own line numbers.
        """
        body, filename, def_line = _strip_to_def(fn)
        source = "\n" * (def_line - 1) + body  # keep the file's line numbers
        wrapper = (
            "import json as _mp2_json, inspect as _mp2_inspect\n"
            "from pyodide.code import eval_code_async as _mp2_eval\n"
            f"await _mp2_eval({source!r}, globals(), filename={filename!r})\n"
            f"_mp2_r = globals()[{fn.__name__!r}](*_mp2_json.loads({json.dumps(list(args))!r}),"
            f" **_mp2_json.loads({json.dumps(kwargs)!r}))\n"
            "if _mp2_inspect.isawaitable(_mp2_r):\n"
            "    _mp2_r = await _mp2_r\n"
            "_mp2_json.dumps(_mp2_r)\n"
        )
        return self._run_wrapped(wrapper, timeout)

    def screenshot(self, path: Path, *, timeout: float = 60) -> Path:
        """Save a PNG of the whole page (chrome runtimes) at ``path``; returns ``path``."""
        if self.kind != "chrome":
            raise ValueError(f"{self.id}: screenshots need a chrome runtime")
        path = Path(path).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        reply = self.request("", timeout=timeout, screenshot=str(path))
        if not reply.get("ok"):
            raise self._failure(f"screenshot failed: {(reply.get('error') or {}).get('message')}")
        return path

    # ----------------------------------------------------------------------------
    def kill(self) -> None:
        """Stop the runner now: SIGTERM (it closes its browser), then SIGKILL its group."""
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=8)
            except subprocess.TimeoutExpired:
                pass
        self._kill_group()
        self._proc.wait()
        self._remove_user_data_dir()

    def _kill_group(self) -> None:
        try:
            os.killpg(self._proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def _remove_user_data_dir(self) -> None:
        if self._user_data_dir is not None:
            shutil.rmtree(self._user_data_dir, ignore_errors=True)
            self._user_data_dir = None

    def close(self, timeout: float = 20) -> None:
        """End the runner (EOF on stdin; it closes Chromium), killing it if it lingers."""
        if self._proc.poll() is None:
            try:
                self._proc.stdin.close()
            except OSError:
                pass
            try:
                self._proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._kill_group()  # anything left in the runner's process group
        self._remove_user_data_dir()
        for stream in (self._proc.stdout, self._proc.stderr):
            try:
                stream.close()
            except OSError:
                pass
        self._dead = self._dead or "closed"

    def __enter__(self) -> PyodideRuntime:
        return self.wait_ready()

    def __exit__(self, *exc) -> None:
        self.close()


# ----------------------------------------------------------------------------------------
# the pool: fresh runtimes per test, with spares booting in the background


def default_runtime_ids() -> list[str]:
    return ["node-314.0.7", "node-0.29.5", "chrome-314.0.7"]


def selected_runtime_ids() -> list[str] | None:
    """MICROPIP2_TEST_RUNTIMES as a list, or None when unset (all runtimes)."""
    raw = os.environ.get("MICROPIP2_TEST_RUNTIMES", "").strip()
    if not raw:
        return None
    ids = [x.strip() for x in raw.split(",") if x.strip()]
    for i in ids:
        RuntimeSpec.parse(i)
    return ids


def browser_disabled() -> bool:
    return os.environ.get("MICROPIP2_NO_BROWSER", "") not in ("", "0")


class RuntimePool:
    """Hands out fresh, booted runtimes, booting the next ones in the background.

    ``schedule`` is the order in which the session will ask for runtimes (one runtime id
    per test, from the collected items). The pool keeps the next ``lookahead`` entries of
    it booting while tests run, so a test rarely waits for a boot, and nothing is booted
    that no test will use. Asking for something off-schedule still works (it boots then).
    ``prepare`` runs once, in a background thread started by :meth:`start`, before any
    runtime boots: it rebuilds micropip2's wheel into the dists and returns
    {pyodide version: lockfile naming that build, relative to the dist dir}.
    """

    def __init__(
        self,
        schedule: list[str],
        prepare: Callable[[], Any] | None = None,
        server_factory: Callable[[], Any] | None = None,
        lookahead: int | None = None,
    ):
        self.schedule = list(schedule)
        self.lookahead = (
            lookahead
            if lookahead is not None
            else int(os.environ.get("MICROPIP2_POOL_LOOKAHEAD", "2"))
        )
        self._pos = 0
        self._prepare = prepare
        self._server_factory = server_factory
        self._server = None
        self._server_lock = threading.Lock()
        self._closers: list[threading.Thread] = []
        self._spares: dict[str, collections.deque[PyodideRuntime]] = collections.defaultdict(
            collections.deque
        )
        self._lock = threading.Lock()
        self._prepared = threading.Event()
        self._prepare_error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        self.lockfiles: dict[str, str] = {}  # pyodide version -> lockfile (from prepare)

    def start(self) -> RuntimePool:
        self._thread = threading.Thread(
            target=self._background_start, daemon=True, name="runtime-pool"
        )
        self._thread.start()
        return self

    def _background_start(self) -> None:
        try:
            if self._prepare is not None:
                self.lockfiles = dict(self._prepare() or {})
        except BaseException as e:  # reported to every test that wants a runtime
            self._prepare_error = e
        finally:
            self._prepared.set()
        if self._prepare_error is None:
            with self._lock:
                self._top_up()

    def wait_prepared(self) -> None:
        if self._thread is None:
            self.start()
        self._prepared.wait()
        if self._prepare_error is not None:
            e = self._prepare_error
            detail = "".join(traceback.format_exception_only(e)).strip()
            raise RuntimeFailure(f"preparing the Pyodide distributions failed: {detail}") from e

    @property
    def server(self):
        """The shared StaticServer (dist dirs, tests/support, build/wheels), started lazily."""
        with self._server_lock:
            if self._server is None and self._server_factory is not None:
                self._server = self._server_factory()
            return self._server

    def _new(self, ident: str) -> PyodideRuntime:
        spec = RuntimeSpec.parse(ident)
        server = self.server
        base_url = server.url(f"/dist/{spec.version}/") if server is not None else None
        lockfile = self.lockfiles.get(spec.version, "pyodide-lock.json")
        return PyodideRuntime(spec, base_url=base_url, server=server, lockfile=lockfile)

    def _top_up(self) -> None:
        """(Under self._lock.) Boot whatever the next `lookahead` scheduled tests need."""
        if self._closed:
            return
        window = collections.Counter(self.schedule[self._pos : self._pos + self.lookahead])
        for ident, n in window.items():
            while len(self._spares[ident]) < n:
                try:
                    self._spares[ident].append(self._new(ident))
                except BaseException:
                    return  # acquire() will report it

    def acquire(self, ident: str) -> PyodideRuntime:
        self.wait_prepared()
        with self._lock:
            # move along the schedule to this request (skipped tests never ask)
            try:
                self._pos = self.schedule.index(ident, self._pos) + 1
            except ValueError:
                pass
            spares = self._spares[ident]
            rt = spares.popleft() if spares else self._new(ident)
            self._top_up()
        try:
            rt.wait_ready()
        except BaseException:
            rt.close()
            raise
        return rt

    def release(self, rt: PyodideRuntime) -> None:
        """Close ``rt`` in the background (a browser takes a moment to shut down)."""
        t = threading.Thread(target=rt.close, daemon=True, name=f"close-{rt.id}")
        t.start()
        self._closers.append(t)

    def close(self) -> None:
        if self._thread is not None:
            self._thread.join(timeout=60)
        with self._lock:
            self._closed = True
            spares = [rt for q in self._spares.values() for rt in q]
            self._spares.clear()
        for rt in spares:
            self.release(rt)
        for t in self._closers:
            t.join(timeout=30)
        if self._server is not None:
            self._server.stop()
            self._server = None


def make_static_server():
    from .static_server import StaticServer

    mounts = {"/support/": SUPPORT_DIR, "/wheels/": WHEELS_DIR}
    if DIST_ROOT.exists():
        for d in sorted(DIST_ROOT.iterdir()):
            if d.is_dir():
                mounts[f"/dist/{d.name}/"] = d
    return StaticServer(mounts).start()


def runtime_schedule(items: Iterable) -> list[str]:
    """The runtime ids the collected test items will ask for, in order."""
    schedule = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None or item.get_closest_marker("skip") is not None:
            continue
        for name in ("runtime", "runtime_314"):
            ident = callspec.params.get(name)
            if isinstance(ident, str):
                schedule.append(ident)
    return schedule
