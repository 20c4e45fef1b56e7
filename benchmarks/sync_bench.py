"""Lockfile start-up benchmark: micropip2 ``sync`` against Pyodide's ``loadPackage`` and micropip.

One lock of real packages (the ``lock15`` corpus set: 16 projects, pure wheels plus the
Emscripten wheels of uuid-utils and charset-normalizer) is built from the recorded corpus as a
pyodide-lock.json whose file names are absolute URLs on the replay server (``info`` = the
runtime's own lockfile info). Each contender starts from a fresh Pyodide runtime, with the
same server and the same injected latency:

``micropip2``     ``await micropip2.sync(lock_text)``
``loadPackage``   Pyodide booted with its distribution lock plus the lock's entries
                  (``lockFileURL``), then ``await pyodide.loadPackage(all lock names)``
``micropip``      micropip 0.11.1: ``await micropip.install(["name==version", ...],
                  index_urls=[replay index], deps=False)`` (the lock's pins by name)
``micropip-urls`` micropip 0.11.1: ``await micropip.install([wheel URLs], deps=False)``

and it prints wall time (in the page, around that one call), the time to get the tool ready
(importing micropip2, loading + importing micropip; nothing for loadPackage), requests and
sequential round trips from the server's log (``benchmarks/metrics.py``), CORS preflights,
and "client rounds": the same chain computed from the page's own Resource Timing entries
(fetch start -> response end), which is what the client asked for, before the browser's
limit of 6 HTTP/1.1 connections per host queued it. Then the ratios micropip2/loadPackage
and micropip2/micropip.

Pyodide 314 on Node resolves a lock's file names as file paths (it cannot load an http URL
from a lock), so ``loadPackage`` runs in Chromium only; the other contenders run in both.
No assertions: a measurement, not a test.

    .venv/bin/python -m benchmarks.sync_bench                       # chrome+node, 0/50/150 ms
    .venv/bin/python -m benchmarks.sync_bench --runtimes chrome --latency 50 --repeat 5
    .venv/bin/python -m benchmarks.sync_bench --write-lock build/lock15.json   # only the lock
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import SimpleNamespace

from packaging.utils import canonicalize_name, parse_wheel_filename

from benchmarks import bench_runtime, corpus, metrics
from micropip2.lockfiles.pyodide_lock_format import read_pyodide_lock
from micropip2.target import Target
from tests.support.locks import lock_text, read_lock, wheel_lock_entry
from tests.support.pyodide_runtime import PyodideRuntime, RuntimeSpec, make_static_server

SET = "lock15"
TOOLS = ("micropip2", "loadPackage", "micropip", "micropip-urls")
RUNTIMES = ("chrome", "node")
LOCK_SUBDIR = "bench-sync"  # inside each dist dir: boot lockfiles for the loadPackage runs


# --------------------------------------------------------------------------------------
# the lock


def _best_file(files: list[corpus.RecordedFile], target: Target) -> corpus.RecordedFile | None:
    ranked = []
    for f in files:
        _n, _v, _b, tags = parse_wheel_filename(f.filename)
        ranks = [target.tag_rank[t] for t in tags if t in target.tag_rank]
        if ranks:
            ranked.append((min(ranks), f.filename, f))
    return min(ranked)[2] if ranked else None


def build_lock(s: corpus.RecordedSet, pyodide: str, file_url) -> str:
    """A pyodide-lock.json (its text) of uv's resolution of the set for ``pyodide``.

    ``file_url(filename)`` gives each wheel's absolute URL. ``info`` is the runtime's own
    (build/dist/<version>/pyodide-lock.json); each entry is ``tests.support.locks``': its
    ``depends`` come from the wheel's Requires-Dist evaluated for that target (no extras),
    limited to the lock's own projects; ``tool.micropip2.size`` is each file's size, as
    `micropip2 lock` and `freeze()` write it.
    """
    info = read_lock(bench_runtime.DIST_ROOT / pyodide / "pyodide-lock.json").info or {}
    target = Target.from_lock_info(info)
    pins = dict(p.split("==") for p in s.resolution[pyodide])
    pins = {canonicalize_name(n): v for n, v in pins.items()}
    chosen = {}
    for name, version in pins.items():
        f = _best_file([f for f in s.files if f.project == name and f.version == version], target)
        if f is None:
            raise SystemExit(f"{name} {version}: no recorded file fits Pyodide {pyodide}")
        chosen[name] = f
    corpus.fetch(list(chosen.values()))
    entries = [
        wheel_lock_entry(f.path, target, url=file_url(f.filename), present=chosen, with_size=True)
        for _name, f in sorted(chosen.items())
    ]
    return lock_text(info, entries)


def boot_lockfile(dist: bench_runtime.BenchDist, lock: dict) -> str:
    """The benchmark's boot lockfile plus ``lock``'s entries, written into the dist dir.

    Returns its path relative to the dist dir (what the runner's --lockfile takes).
    """
    root = bench_runtime.DIST_ROOT / dist.version
    base = read_lock(root / dist.lockfile)
    added = read_pyodide_lock(lock).packages
    clash = sorted({e.name for e in base.packages} & {e.name for e in added})
    if clash:
        raise SystemExit(f"the lock's packages {clash} are in the distribution's lockfile already")
    text = lock_text(base.info or {}, [*base.packages, *added])
    rel = f"{LOCK_SUBDIR}/{hashlib.sha256(text.encode()).hexdigest()[:16]}/pyodide-lock.json"
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(text, encoding="utf-8")
    bench_runtime._prune(
        root / LOCK_SUBDIR, keep=(root / rel).parent, max_age_s=3600
    )  # older runs' ports
    return rel


# --------------------------------------------------------------------------------------
# in Pyodide


async def prepare(tool: str) -> dict:
    """(Runs in Pyodide.) Get the tool ready as its user would, timed: import it, or load it."""
    import importlib
    import time

    t0 = time.perf_counter()
    try:
        if tool == "micropip2":
            importlib.import_module("micropip2")
            available = hasattr(importlib.import_module("micropip2"), "sync")
            reason = None if available else "micropip2.sync does not exist (yet)"
        elif tool in ("micropip", "micropip-urls"):
            import pyodide_js

            await pyodide_js.loadPackage("micropip")
            importlib.import_module("micropip")
            available, reason = True, None
        else:
            available, reason = True, None
    except Exception as e:
        available, reason = False, f"{type(e).__name__}: {e}"
    return {"available": available, "reason": reason, "prep": time.perf_counter() - t0}


async def run_tool(
    tool: str, lock_text: str, index_url: str, imports: list[str], origin: str
) -> dict:
    """(Runs in Pyodide.) Time one call; check what it installed; the page's resource timings."""
    import importlib
    import importlib.metadata
    import json
    import time

    import js

    lock = json.loads(lock_text)
    entries = list(lock["packages"].values())
    perf = getattr(js, "performance", None)
    timing = perf is not None and hasattr(perf, "getEntriesByType")
    if timing:
        if hasattr(perf, "setResourceTimingBufferSize"):
            perf.setResourceTimingBufferSize(100000)
        if hasattr(perf, "clearResourceTimings"):
            perf.clearResourceTimings()
    error = None
    detail = None
    t0 = time.perf_counter()
    try:
        if tool == "micropip2":
            import micropip2

            report = await micropip2.sync(lock_text)
            detail = str(report)[:2000]
        elif tool == "loadPackage":
            import pyodide_js
            from pyodide.ffi import to_js

            failed = []
            await pyodide_js.loadPackage(
                to_js([e["name"] for e in entries]),
                to_js(
                    {"errorCallback": failed.append, "messageCallback": lambda m: None},
                    dict_converter=js.Object.fromEntries,
                ),
            )
            if failed:
                raise RuntimeError("loadPackage reported: " + "; ".join(map(str, failed)))
        elif tool == "micropip":
            import micropip

            await micropip.install(
                [f"{e['name']}=={e['version']}" for e in entries],
                index_urls=[index_url],
                deps=False,
            )
        elif tool == "micropip-urls":
            import micropip

            await micropip.install([e["file_name"] for e in entries], deps=False)
        else:
            raise ValueError(tool)
    except Exception as e:
        error = f"{type(e).__name__}: {e}"
    wall = time.perf_counter() - t0
    resources = []
    if timing:
        for r in perf.getEntriesByType("resource"):
            if str(r.name).startswith(origin):
                resources.append(
                    [float(r.startTime), float(r.responseEnd) or float(r.startTime + r.duration)]
                )
    importlib.invalidate_caches()
    wrong = []
    for e in entries:
        try:
            found = importlib.metadata.version(e["name"])
        except importlib.metadata.PackageNotFoundError:
            found = None
        if found != e["version"]:
            wrong.append(f"{e['name']}: {found or 'not installed'} (lock: {e['version']})")
    import_errors = []
    if error is None:
        for name in imports:
            try:
                importlib.import_module(name)
            except Exception as e:
                import_errors.append(f"import {name}: {type(e).__name__}: {e}")
    return {
        "wall": wall,
        "error": error,
        "wrong": wrong,
        "import_errors": import_errors,
        "resources": resources,
        "detail": detail,
    }


async def profile_sync(lock_text: str, use_cprofile: bool) -> dict:
    """(Runs in Pyodide.) micropip2.sync with its phases timed, or under cProfile."""
    import functools
    import io
    import time

    import micropip2
    from micropip2 import downloads, fetch, operations
    from micropip2 import manager as manager_mod
    from micropip2.install import executor, transaction
    from micropip2.lockfiles import sync as sync_mod

    phases: dict[str, list[float]] = {}  # name -> [total s, calls, first start, last end]

    def note(name, t0, t1):
        p = phases.setdefault(name, [0.0, 0, t0, t1])
        p[0] += t1 - t0
        p[1] += 1
        p[2] = min(p[2], t0)
        p[3] = max(p[3], t1)

    def timed(mod, attr, name):
        fn = getattr(mod, attr)
        if hasattr(fn, "__code__") and fn.__code__.co_flags & 0x80:  # a coroutine function

            @functools.wraps(fn)
            async def wrapper(*a, **k):
                t0 = time.perf_counter()
                try:
                    return await fn(*a, **k)
                finally:
                    note(name, t0, time.perf_counter())
        else:

            @functools.wraps(fn)
            def wrapper(*a, **k):
                t0 = time.perf_counter()
                try:
                    return fn(*a, **k)
                finally:
                    note(name, t0, time.perf_counter())

        setattr(mod, attr, wrapper)

    m = micropip2._manager
    t0 = time.perf_counter()
    _ = (m.runtime, m.target, m.environment, m.pyodide_packages)
    props = time.perf_counter() - t0
    if not use_cprofile:
        timed(manager_mod, "load_lock", "load_lock (parse the lock)")
        timed(operations, "plan_sync", "plan_sync (lock against target and installed)")
        timed(sync_mod, "select", "  select (check lock against target)")
        timed(sync_mod, "_kept", "  _kept (the installer's closure)")
        timed(operations, "execute", "execute (the Plan)")
        timed(downloads.WheelFiles, "start", "  WheelFiles.start, per file")
        timed(executor, "_write", "download + sha256 + validate + write, per file (concurrent)")
        timed(fetch, "_check", "  size + sha256 check, per file (starts as each file arrives)")
        timed(downloads, "read_wheel", "read_wheel (validate), per wheel")
        timed(transaction.Transaction, "finish", "Transaction.finish (dynlibs, loadedPackages)")
        timed(transaction, "_write_wheel", "  _write_wheel, per wheel")
        timed(transaction, "remove_with", "  remove_with")
        rt_cls = type(m.runtime)
        timed(rt_cls, "load_dynlib", "  runtime.load_dynlib")
        timed(rt_cls, "set_loaded_package", "  runtime.set_loaded_package")
        t0 = time.perf_counter()
        report = await micropip2.sync(lock_text)
        wall = time.perf_counter() - t0
        rows = [
            [name, round(v[0], 4), v[1], round(v[2] - t0, 4), round(v[3] - t0, 4)]
            for name, v in phases.items()
        ]
        return {"props": props, "wall": wall, "phases": rows, "report": str(report)}
    import cProfile
    import pstats

    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    await micropip2.sync(lock_text)
    prof.disable()
    wall = time.perf_counter() - t0
    out = io.StringIO()
    st = pstats.Stats(prof, stream=out)
    st.sort_stats("cumulative").print_stats(45)
    st.sort_stats("tottime").print_stats(25)
    return {"props": props, "wall": wall, "stats": out.getvalue()}


# --------------------------------------------------------------------------------------
# host side


@dataclass
class Result:
    runtime: str
    latency_ms: int
    tool: str
    available: bool = True
    ok: bool = False
    wall_s: float | None = None
    prep_s: float | None = None
    requests: int | None = None
    round_trips: int | None = None
    preflights: int | None = None
    client_rounds: int | None = None
    bytes: int | None = None
    error: str | None = None
    wrong: list[str] = field(default_factory=list)
    import_errors: list[str] = field(default_factory=list)
    detail: str | None = None
    wall_all: list[float] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        if not self.available:
            return f"n/a: {self.error}"
        if self.error:
            return f"FAILED: {self.error}"
        if self.wrong:
            return f"wrong: {self.wrong[0]}" + (
                f" (+{len(self.wrong) - 1})" if len(self.wrong) > 1 else ""
            )
        if self.import_errors:
            return f"import failed: {self.import_errors[0]}"
        return "ok"


def first_line(text: str | None, limit: int = 140) -> str | None:
    if text is None:
        return None
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= limit else line[: limit - 3] + "..."


class Bench:
    def __init__(self, args):
        self.args = args
        corpus.widen_listen_backlog()
        self.dist = bench_runtime.prepare([args.pyodide])[args.pyodide]
        self.set = corpus.load_set(SET)
        self.server = corpus.replay_server(self.set, offline=args.offline)
        self.lock_text = build_lock(self.set, args.pyodide, self.server.url_for)
        self.lock = json.loads(self.lock_text)
        self.boot_lock = boot_lockfile(self.dist, self.lock)
        self.static = None

    def close(self) -> None:
        self.server.stop()
        if self.static is not None:
            self.static.stop()

    def runtime(self, kind: str, tool: str) -> PyodideRuntime:
        lockfile = self.boot_lock if tool == "loadPackage" else self.dist.lockfile
        spec = RuntimeSpec(kind, self.args.pyodide)
        if kind == "chrome":
            if self.static is None:
                self.static = make_static_server()
            rt = PyodideRuntime(
                spec,
                base_url=self.static.url(f"/dist/{spec.version}/"),
                server=self.static,
                lockfile=lockfile,
                echo_output=False,
            )
        else:
            rt = PyodideRuntime(spec, lockfile=lockfile, echo_output=False)
        try:
            return rt.wait_ready()
        except BaseException:
            rt.close()
            raise

    def measure(self, kind: str, latency_ms: int, tool: str) -> Result:
        res = Result(runtime=f"{kind}-{self.args.pyodide}", latency_ms=latency_ms, tool=tool)
        if tool == "loadPackage" and kind == "node":
            res.available, res.error = False, "Pyodide on Node reads lock files as paths, not URLs"
            return res
        if tool == "micropip2" and self.dist.micropip2_problem:
            res.available, res.error = False, self.dist.micropip2_problem
            return res
        self.server.latency = 0
        rt = self.runtime(kind, tool)
        try:
            ready = rt.call(prepare, tool, timeout=120)
            res.prep_s = ready["prep"]
            if not ready["available"]:
                res.available, res.error = False, ready["reason"]
                return res
            self.server.latency = latency_ms / 1000
            self.server.clear_requests()
            index_url = self.server.simple_url.rstrip("/")
            try:
                out = rt.call(
                    run_tool,
                    tool,
                    self.lock_text,
                    index_url,
                    self.set.imports,
                    self.server.url,
                    timeout=self.args.timeout,
                )
            except Exception as e:
                res.error = first_line(f"{type(e).__name__}: {e}")
                return res
            time.sleep(self.server.latency + 0.1)  # stragglers
            log = self.server.requests
            res.wall_s = out["wall"]
            res.error = first_line(out["error"])
            res.wrong = out["wrong"]
            res.import_errors = out["import_errors"]
            res.detail = out["detail"]
            res.ok = not (res.error or res.wrong or res.import_errors)
            res.requests = metrics.request_count(log)
            res.round_trips = metrics.round_trips(log)
            res.bytes = metrics.bytes_sent(log)
            res.preflights = sum(1 for r in log if r.method == "OPTIONS")
            if out["resources"]:
                res.client_rounds = metrics.round_trips(
                    [
                        SimpleNamespace(method="GET", time=a, end=b, bytes_sent=0)
                        for a, b in out["resources"]
                    ]
                )
            return res
        finally:
            self.server.latency = 0
            rt.close()


def median_run(runs: list[Result]) -> Result:
    timed = sorted((r for r in runs if r.wall_s is not None), key=lambda r: r.wall_s)
    if not timed:
        return runs[0]
    chosen = timed[(len(timed) - 1) // 2]
    chosen.wall_all = [round(r.wall_s, 3) for r in timed]
    if len(timed) > 1:
        chosen.wall_s = statistics.median(r.wall_s for r in timed)
    return chosen


def print_table(results: list[Result]) -> None:
    header = (
        f"{'runtime':15} {'latency':>7} {'tool':13} {'wall s':>7} {'prep s':>6} {'requests':>8} "
        f"{'rtrips':>6} {'client':>6} {'OPTIONS':>7} {'MB':>5}  outcome"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.runtime:15} {r.latency_ms:>5}ms {r.tool:13} {metrics.fmt(r.wall_s, '7.3f')} "
            f"{metrics.fmt(r.prep_s, '6.2f')} "
            f"{metrics.fmt(r.requests, '8d')} {metrics.fmt(r.round_trips, '6d')} "
            f"{metrics.fmt(r.client_rounds, '6d')} "
            f"{metrics.fmt(r.preflights, '7d')} "
            f"{metrics.fmt(None if r.bytes is None else r.bytes / 1e6, '5.1f')}  {r.outcome}"
        )


def print_ratios(results: list[Result]) -> None:
    by_key = {(r.runtime, r.latency_ms, r.tool): r for r in results}
    rows = []
    for (rt, lat, tool), new in by_key.items():
        if tool != "micropip2":
            continue
        for other in ("loadPackage", "micropip", "micropip-urls"):
            old = by_key.get((rt, lat, other))
            if old is None or not old.available:
                continue
            if not (new.available and new.wall_s and old.wall_s):
                rows.append(f"{rt:15} {lat:>5}ms  micropip2/{other:13} n/a")
                continue
            note = (
                ""
                if (new.ok and old.ok)
                else f"  ({other} {'ok' if old.ok else 'failed'}, "
                f"micropip2 {'ok' if new.ok else 'failed'})"
            )
            rows.append(
                f"{rt:15} {lat:>5}ms  micropip2/{other:13} {metrics.ratios(new, old)}{note}"
            )
    if rows:
        print("\nratios")
        print("\n".join(rows))


IMPORT_STEPS = [
    "packaging.version",
    "packaging.requirements",
    "packaging.tags",
    "packaging.metadata",
    "resolvelib",
    "micropip2",
]


def import_costs(modules: list[str]) -> list:
    """(Runs in Pyodide.) Import ``modules`` one after another: [module, seconds it added]."""
    import builtins
    import importlib
    import sys
    import time

    # -X importtime cannot be switched on in a running interpreter: time `import` statements
    # through builtins.__import__ instead (self time = minus the imports made inside it)
    original = builtins.__import__
    stack: list[float] = []
    own: dict[str, float] = {}

    def timed_import(name, globals=None, locals=None, fromlist=(), level=0):
        if level or name in sys.modules:
            return original(name, globals, locals, fromlist, level)
        t0 = time.perf_counter()
        stack.append(0.0)
        try:
            return original(name, globals, locals, fromlist, level)
        finally:
            took = time.perf_counter() - t0
            inner = stack.pop()
            own[name] = own.get(name, 0.0) + took - inner
            if stack:
                stack[-1] += took

    steps = []
    builtins.__import__ = timed_import
    try:
        for name in modules:
            t0 = time.perf_counter()
            importlib.import_module(name)
            steps.append([name, time.perf_counter() - t0])
    finally:
        builtins.__import__ = original
    top = sorted(own.items(), key=lambda kv: -kv[1])[:20]
    return {"steps": steps, "own": [[k, v] for k, v in top]}


def run_profile(bench: Bench, kind: str, latency_ms: int) -> int:
    rt = bench.runtime(kind, "micropip2")
    try:
        costs = rt.call(import_costs, IMPORT_STEPS)
    finally:
        rt.close()
    print(
        f"\n{kind}-{bench.args.pyodide}: importing micropip2 in a fresh runtime, step by step "
        f"(each line: what it added; total {sum(c for _m, c in costs['steps']):.3f} s)"
    )
    for name, cost in costs["steps"]:
        print(f"  {name:30} {cost:6.3f} s")
    print("modules with the largest own import time (absolute `import` statements only):")
    for name, cost in costs["own"]:
        print(f"  {name:30} {cost:6.3f} s")
    for use_cprofile in (False, True):
        bench.server.latency = 0
        rt = bench.runtime(kind, "micropip2")
        try:
            t = rt.call(prepare, "micropip2", timeout=120)
            bench.server.latency = latency_ms / 1000
            out = rt.call(profile_sync, bench.lock_text, use_cprofile, timeout=bench.args.timeout)
        finally:
            bench.server.latency = 0
            rt.close()
        print(
            f"\n{kind}-{bench.args.pyodide}, {latency_ms} ms: import micropip2 {t['prep']:.3f} s, "
            "first use of the manager's runtime/target/environment/distribution "
            f"{out['props']:.3f} s, "
            f"sync {out['wall']:.3f} s{' under cProfile' if use_cprofile else ''}"
        )
        if use_cprofile:
            print(out["stats"])
        else:
            print(f"{'phase':45} {'total s':>8} {'calls':>5} {'from s':>7} {'to s':>7}")
            for name, total, calls, start, end in out["phases"]:
                print(f"{name:45} {total:8.3f} {calls:5d} {start:7.3f} {end:7.3f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--latency", default="0,50,150", help="server latencies in ms (default 0,50,150)"
    )
    ap.add_argument("--runtimes", default=",".join(RUNTIMES), help="chrome,node (default both)")
    ap.add_argument("--tools", default=",".join(TOOLS), help=f"default {','.join(TOOLS)}")
    ap.add_argument(
        "--pyodide", default="314.0.7", help="Pyodide version (default 314.0.7; 0.29.5 on Node)"
    )
    ap.add_argument(
        "--repeat", type=int, default=3, help="runs per cell; wall = median (default 3)"
    )
    ap.add_argument("--timeout", type=float, default=300, help="seconds allowed for one call")
    ap.add_argument("--json", type=Path, help="also write every result as JSON")
    ap.add_argument(
        "--offline", action="store_true", help="fail instead of downloading missing corpus files"
    )
    ap.add_argument(
        "--profile",
        action="store_true",
        help=(
            "instead of the table: micropip2.sync's phases, "
            "then a cProfile (first runtime and latency)"
        ),
    )
    ap.add_argument(
        "--write-lock",
        type=Path,
        metavar="PATH",
        help="write the lock (with the replay server's URLs of this run) to PATH and exit",
    )
    args = ap.parse_args(argv)
    latencies = [int(x) for x in args.latency.split(",") if x.strip()]
    kinds = [x.strip() for x in args.runtimes.split(",") if x.strip()]
    tools = [x.strip() for x in args.tools.split(",") if x.strip()]
    bad = [x for x in kinds if x not in RUNTIMES] + [x for x in tools if x not in TOOLS]
    if bad:
        ap.error(f"unknown runtime or tool: {bad}")

    t_start = time.monotonic()
    bench = Bench(args)
    try:
        if args.write_lock:
            args.write_lock.parent.mkdir(parents=True, exist_ok=True)
            args.write_lock.write_text(bench.lock_text, encoding="utf-8")
            print(args.write_lock)
            return 0
        if args.profile:
            return run_profile(bench, kinds[0], latencies[0])
        pk = bench.lock["packages"]
        corpus.log(
            f"lock: {len(pk)} packages "
            f"({sum(1 for p in pk.values() if 'pyemscripten' in p['file_name'])} "
            f"Emscripten wheels) on {bench.server.url}; loadPackage boots with {bench.boot_lock}"
        )
        results = []
        for kind in kinds:
            for latency in latencies:
                # the tools take turns (one run of each, then the next round), so that a change
                # in the machine's load falls on all of them alike
                runs: dict[str, list[Result]] = {tool: [] for tool in tools}
                for _ in range(max(args.repeat, 1)):
                    for tool in tools:
                        if runs[tool] and not runs[tool][-1].available:
                            continue
                        runs[tool].append(bench.measure(kind, latency, tool))
                for tool in tools:
                    r = median_run(runs[tool])
                    corpus.log(
                        f"{kind} {latency}ms {tool}: {metrics.fmt(r.wall_s, '.3f')} s "
                        f"{r.wall_all}, "
                        f"{r.requests} requests, {r.round_trips} round trips, "
                        f"client {r.client_rounds}: {r.outcome}"
                    )
                    results.append(r)
    finally:
        bench.close()
    print(
        f"\nlock: {len(bench.lock['packages'])} packages of the '{SET}' set for Pyodide "
        f"{args.pyodide}; "
        f"wall = median of {args.repeat}, the call only, measured in the page; total run "
        f"{time.monotonic() - t_start:.0f} s\n"
    )
    print_table(results)
    print_ratios(results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"lock": bench.lock, "results": [asdict(r) for r in results]}, indent=1)
            + "\n"
        )
        print(f"\nresults: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
