"""Resolve + install benchmark: micropip 0.11.1 against micropip2 on recorded PyPI data.

For each requirement set and each server latency, in a fresh Pyodide runtime each time (on
Node, or a new page of headless Chromium with ``--runtimes chrome``), this runs
``await <tool>.install(requirements, index_urls=[index])`` against a replay
index (``benchmarks/corpus.py``: real PyPI wheels recorded in tests/fixtures/recorded/,
served on loopback with PEP 691 JSON, PEP 503 HTML and PEP 658 .metadata files) and prints

    set, latency, tool, wall seconds, requests, round trips, MB, outcome,

then micropip2/micropip ratios. Wall time is measured inside Pyodide (time.perf_counter
around the install call; the first import of the tool in the same interpreter is its own
column, and the ratios give both). Requests and round trips come from the server's log
(definitions in benchmarks/metrics.py and README.md). No assertions: this is a measurement,
not a test.

The replay server sends PyPI's caching headers (pages ``max-age=600`` with an ETag, files
immutable). micropip2 runs with its persistent cache on, as users get it, in an empty cache
directory for each cold run. With ``--warm``, each cold run is followed by a *warm* one: a new
fresh interpreter (a new Node process) that shares the cold run's cache directory; micropip's
warm run is its second fresh interpreter too (Node has no HTTP cache, so it keeps nothing).
In Chromium each cold run starts a new browser profile, and its warm run is a new page in
that same profile (the browser is closed and started again on the profile's directory), so
micropip's warm run has the browser's HTTP cache and micropip2's its Cache Storage as well.

``--imports`` measures instead ``import micropip2`` against ``import micropip``: each in a
fresh interpreter that loaded only that tool (and its dependencies) from the local
distribution at boot.

    .venv/bin/python -m benchmarks.resolve_install
    .venv/bin/python -m benchmarks.resolve_install --latency 0,50,150 --sets rich,tree20,aioboto3
    .venv/bin/python -m benchmarks.resolve_install --tools micropip --json build/bench.json
    .venv/bin/python -m benchmarks.resolve_install --warm --latency 50 --sets rich,tree20
    .venv/bin/python -m benchmarks.resolve_install --runtimes node,chrome --warm --sets requests
    .venv/bin/python -m benchmarks.resolve_install --imports --runtimes node,chrome --repeat 5
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

from benchmarks import bench_runtime, corpus, metrics
from micropip2.target import Target
from tests.support.locks import wheel_metadata
from tests.support.pyodide_runtime import make_static_server

TOOLS = ("micropip", "micropip2")
RUNTIMES = ("node", "chrome")
RUNTIME_NAMES = {"node": "Node", "chrome": "Chromium"}

# issue 10's goals for micropip2's wall time against micropip's, as geometric means over the
# non-backtracking sets: (runtime or None for both, micropip2's state, micropip's state,
# latency ms or None for all) -> at most this ratio
GOALS = {
    (None, "cold", "cold", 0): 0.7,
    (None, "cold", "cold", 50): 0.8,
    (None, "cold", "cold", 150): 0.6,
    ("node", "warm", "cold", 50): 0.25,
    ("chrome", "warm", "warm", None): 0.5,
}
IMPORT_GOAL = 0.8  # import micropip2 / import micropip
ROUND_TRIP_GOAL_LATENCY = 150  # cold round trips <= dependency depth + 2, read at 150 ms
# issue 10's sets: the cold non-backtracking ones, then the backtracking one
DEFAULT_SETS = ("rich", "requests", "black", "textual", "fastapi", "aioboto3")


@dataclass
class Result:
    set: str
    latency_ms: int
    tool: str
    pyodide: str
    state: str = "cold"  # or "warm": a fresh interpreter after a cold run, sharing its cache
    runtime: str = "node"  # or "chrome"
    available: bool = True
    ok: bool = False
    wall_s: float | None = None
    import_s: float | None = None  # the first `import <tool>` in the same fresh interpreter
    requests: int | None = None
    round_trips: int | None = None
    bytes: int | None = None
    error: str | None = None  # first line
    installed: list[str] = field(default_factory=list)
    import_errors: list[str] = field(default_factory=list)
    depth: int | None = None  # dependency levels of what was installed (dependency_depth)
    tool_version: str | None = None
    wall_all: list[float] = field(default_factory=list)  # every run's wall time, with --repeat

    @property
    def outcome(self) -> str:
        if not self.available:
            return f"n/a: {self.error}"
        if self.ok and not self.import_errors:
            return f"ok ({len(self.installed)} installed)"
        if self.ok:
            return f"installed, but import failed: {self.import_errors[0]}"
        return f"FAILED: {self.error}"


async def run_install(
    tool: str, requirements: list[str], index_url: str, imports: list[str]
) -> dict:
    """(Runs in Pyodide.) Time one install; report what changed and whether it imports."""
    import importlib
    import importlib.metadata
    import time

    def installed() -> dict[str, str]:
        return {d.metadata["Name"]: d.version for d in importlib.metadata.distributions()}

    before = installed()
    mod = importlib.import_module(tool)
    error = None
    t0 = time.perf_counter()
    try:
        await mod.install(requirements, index_urls=[index_url])
    except Exception as e:
        error = f"{type(e).__name__}: {e}"
    wall = time.perf_counter() - t0
    importlib.invalidate_caches()
    after = installed()
    new = sorted(f"{n}=={v}" for n, v in after.items() if before.get(n) != v)
    import_errors = []
    if error is None:
        for name in imports:
            try:
                importlib.import_module(name)
            except Exception as e:
                import_errors.append(f"import {name}: {type(e).__name__}: {e}")
    return {"wall": wall, "error": error, "installed": new, "import_errors": import_errors}


def dependency_depth(s: corpus.RecordedSet, installed: list[str], target: Target) -> int | None:
    """The levels of the installed tree, from the wheels' METADATA: the set's requirements are
    level 1, what they need level 2, and so on (with extras, markers evaluated for ``target``);
    what the interpreter had already is on no level. None when a pin is not in the corpus."""
    pins = dict(p.split("==", 1) for p in installed)
    pins = {canonicalize_name(n): v for n, v in pins.items()}
    requires: dict[str, list[Requirement]] = {}
    for name, version in pins.items():
        files = [
            f
            for f in s.files
            if f.project == name
            and f.version == version
            and any(t in target.tag_rank for t in parse_wheel_filename(f.filename)[3])
        ]
        if not files:
            return None
        meta = wheel_metadata(files[0].path)
        requires[name] = [Requirement(line) for line in meta.get_all("Requires-Dist") or []]
    levels: dict[str, int] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    queue = collections.deque(
        (canonicalize_name(r.name), frozenset(r.extras), 1)
        for r in map(Requirement, s.requirements)
    )
    while queue:  # breadth first: a name's first visit is its lowest level
        name, extras, level = queue.popleft()
        if name not in pins or (name, extras) in seen:
            continue
        seen.add((name, extras))
        levels.setdefault(name, level)
        for req in requires[name]:
            if any(target.marker_holds(req.marker, e) for e in ("", *sorted(extras))):
                queue.append((canonicalize_name(req.name), frozenset(req.extras), level + 1))
    return max(levels.values(), default=0)


def first_line(text: str | None, limit: int = 160) -> str | None:
    if text is None:
        return None
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= limit else line[: limit - 3] + "..."


def measure(
    dist: bench_runtime.BenchDist,
    server,
    s: corpus.RecordedSet,
    latency_ms: int,
    tool: str,
    timeout: float,
    profile: Path,
    state: str = "cold",
    *,
    kind: str = "node",
    lockfile: str | None = None,
    static=None,
) -> Result:
    """One install in a fresh interpreter. ``profile`` is what a warm run shares with its cold
    run: micropip2's cache directory on Node, the browser profile in Chromium."""
    res = Result(s.name, latency_ms, tool, dist.version, state, kind)
    if tool == "micropip2" and dist.micropip2_problem:
        res.available, res.error = False, dist.micropip2_problem
        return res
    server.latency = 0  # booting (Chromium fetches nothing from the index) and loading
    if kind == "chrome":
        rt = bench_runtime.boot(
            dist, cache=True, kind=kind, lockfile=lockfile, static=static, user_data_dir=profile
        )
    else:
        rt = bench_runtime.boot(dist, cache=profile, lockfile=lockfile)
    try:
        ready = rt.call(bench_runtime.prepare_tool, tool, timeout=120)
        if not ready["available"]:
            res.available, res.error = False, ready["reason"]
            return res
        res.tool_version = ready.get("version")
        res.import_s = ready.get("import_s")
        server.latency = latency_ms / 1000
        server.clear_requests()
        index_url = server.simple_url.rstrip(
            "/"
        )  # micropip's documented form; micropip2 takes it too
        try:
            out = rt.call(run_install, tool, s.requirements, index_url, s.imports, timeout=timeout)
        except Exception as e:  # the runtime itself failed (crash, timeout)
            res.error = first_line(f"{type(e).__name__}: {e}")
            return res
        time.sleep(server.latency + 0.1)  # let stragglers (downloads still in flight) finish
        log = server.requests
        res.ok = out["error"] is None
        res.wall_s = out["wall"]
        res.error = first_line(out["error"])
        res.installed = out["installed"]
        res.import_errors = out["import_errors"]
        res.requests = metrics.request_count(log)
        res.round_trips = metrics.round_trips(log)
        res.bytes = metrics.bytes_sent(log)
        if res.ok:
            res.depth = dependency_depth(s, res.installed, bench_runtime.target(dist))
        return res
    finally:
        rt.close()


def median_run(runs: list[Result]) -> Result:
    """The run with the median wall time (the first one when none was timed)."""
    timed = sorted((r for r in runs if r.wall_s is not None), key=lambda r: r.wall_s)
    if not timed:
        return runs[0]
    chosen = timed[(len(timed) - 1) // 2]
    if len(runs) > 1:
        chosen.wall_all = [round(r.wall_s, 3) for r in timed]
    return chosen


# --------------------------------------------------------------------------------------
# output


def print_table(results: list[Result]) -> None:
    header = (
        f"{'runtime':8} {'set':9} {'latency':>7} {'tool':10} {'state':5} {'wall s':>7} "
        f"{'import s':>8} "
        f"{'requests':>8} {'rtrips':>6} {'depth':>5} "
        f"{'MB':>6}  outcome"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.runtime:8} {r.set:9} {r.latency_ms:>5}ms {r.tool:10} {r.state:5} "
            f"{metrics.fmt(r.wall_s, '7.2f')} "
            f"{metrics.fmt(r.import_s, '8.2f')} "
            f"{metrics.fmt(r.requests, '8d')} "
            f"{metrics.fmt(r.round_trips, '6d')} "
            f"{metrics.fmt(r.depth, '5d')} "
            f"{metrics.fmt(None if r.bytes is None else r.bytes / 1e6, '6.1f')}  {r.outcome}"
        )


def _ratio_row(new: Result, old: Result) -> str | None:
    """micropip2's result against micropip's, or why there is none."""
    if not (new.available and old.available and new.wall_s and old.wall_s):
        return f"n/a (micropip2 {'not available' if not new.available else 'no timing'})"
    note = ""
    if not (new.ok and old.ok):
        note = (
            f"  (micropip {'ok' if old.ok else 'failed'}, micropip2 {'ok' if new.ok else 'failed'})"
        )
    both = ""
    if new.import_s is not None and old.import_s is not None:
        user = (new.import_s + new.wall_s) / (old.import_s + old.wall_s)
        both = f"  import+install x{user:.2f}"
    return f"{metrics.ratios(new, old)}{both}{note}"


def goal(runtime: str, mine: str, theirs: str, latency: int) -> float | None:
    """Issue 10's bound on the geometric mean of micropip2/micropip wall times, if it sets one."""
    for (g_runtime, g_mine, g_theirs, g_latency), bound in GOALS.items():
        if (g_runtime in (None, runtime) and (g_mine, g_theirs) == (mine, theirs)) and (
            g_latency in (None, latency)
        ):
            return bound
    return None


def round_trip_goal(r: Result) -> str:
    """Issue 10's bound on a cold run's sequential round trips: the dependency depth + 2."""
    if r.round_trips is None or r.depth is None:
        return "round trips: no depth (the install failed, or a pin is not in the corpus)"
    bound = r.depth + 2
    verdict = "met" if r.round_trips <= bound else "NOT met"
    return f"round trips {r.round_trips}, goal <= depth {r.depth} + 2 = {bound}: {verdict}"


def print_ratios(results: list[Result], backtracking: set[str]) -> None:
    """Per runtime: micropip2 cold / micropip cold, micropip2 warm / micropip cold and / micropip
    warm; then per latency the geometric mean of the wall ratios over the non-backtracking sets
    where both installed (``backtracking`` names the others), with the issue's goal."""
    by_key = {(r.runtime, r.set, r.latency_ms, r.tool, r.state): r for r in results}
    comparisons = [("cold", "cold"), ("warm", "cold"), ("warm", "warm")]
    for runtime in RUNTIMES:
        for mine, theirs in comparisons:
            rows, walls = [], {}
            for (rt, set_, lat, tool, state), new in by_key.items():
                old = by_key.get((rt, set_, lat, "micropip", theirs))
                if rt != runtime or tool != "micropip2" or state != mine or old is None:
                    continue
                rows.append(f"{set_:9} {lat:>5}ms  {_ratio_row(new, old)}")
                if mine == "cold" and lat == ROUND_TRIP_GOAL_LATENCY and set_ not in backtracking:
                    rows.append(f"{'':9} {'':7}  {round_trip_goal(new)}")
                if new.ok and old.ok and new.wall_s and old.wall_s and set_ not in backtracking:
                    walls.setdefault(lat, []).append(new.wall_s / old.wall_s)
            if not rows:
                continue
            print(f"\n{RUNTIME_NAMES[runtime]}: micropip2 {mine} / micropip {theirs}")
            print("\n".join(rows))
            for lat, ratios in sorted(walls.items()):
                mean = metrics.geometric_mean(ratios)
                bound = goal(runtime, mine, theirs, lat)
                verdict = ""
                if bound is not None:
                    verdict = f"  (goal <= x{bound:.2f}: {'met' if mean <= bound else 'NOT met'})"
                print(
                    f"{'geo mean':9} {lat:>5}ms  wall x{mean:.2f} over {len(ratios)} "
                    f"non-backtracking sets{verdict}"
                )


def time_import(tool: str) -> dict:
    """(Runs in Pyodide.) ``import <tool>`` in an interpreter that has not imported it yet."""
    import importlib
    import sys
    import time

    if tool in sys.modules:
        return {"error": f"{tool} was imported already"}
    t0 = time.perf_counter()
    try:
        mod = importlib.import_module(tool)
    except Exception as e:
        return {"error": f"{type(e).__name__}: {e}"}
    return {"import_s": time.perf_counter() - t0, "version": getattr(mod, "__version__", "?")}


@dataclass
class ImportResult:
    runtime: str
    tool: str
    pyodide: str
    import_s: float | None = None  # median
    runs: list[float] = field(default_factory=list)
    version: str | None = None
    error: str | None = None


def measure_imports(
    dist: bench_runtime.BenchDist, kinds: list[str], tools: list[str], repeat: int, static
) -> list[ImportResult]:
    """``import <tool>`` in fresh interpreters that loaded only that tool at boot; the tools
    take turns, so that a change in the machine's load falls on both alike."""
    results = {(k, t): ImportResult(k, t, dist.version) for k in kinds for t in tools}
    for kind in kinds:
        for _ in range(max(repeat, 1)):
            for tool in tools:
                res = results[(kind, tool)]
                if res.error:
                    continue
                if tool == "micropip2" and dist.micropip2_problem:
                    res.error = dist.micropip2_problem
                    continue
                with tempfile.TemporaryDirectory(
                    prefix="micropip2-profile-", ignore_cleanup_errors=True
                ) as profile:
                    rt = bench_runtime.boot(
                        dist,
                        kind=kind,
                        packages=(tool,),
                        static=static,
                        user_data_dir=Path(profile) if kind == "chrome" else None,
                    )
                    try:
                        out = rt.call(time_import, tool, timeout=120)
                    finally:
                        rt.close()
                if "error" in out:
                    res.error = first_line(out["error"])
                    continue
                res.runs.append(round(out["import_s"], 4))
                res.version = out["version"]
                corpus.log(f"{kind} import {tool}: {out['import_s']:.3f} s")
    for res in results.values():
        if res.runs:
            res.import_s = statistics.median(res.runs)
    return list(results.values())


def print_imports(results: list[ImportResult]) -> None:
    header = f"{'runtime':8} {'tool':10} {'version':11} {'import s':>8}  runs (s)"
    print(header)
    print("-" * len(header))
    for r in results:
        detail = r.error or ", ".join(f"{x:.3f}" for x in sorted(r.runs))
        print(
            f"{r.runtime:8} {r.tool:10} {r.version or '-':11} "
            f"{metrics.fmt(r.import_s, '8.3f')}  {detail}"
        )
    by_key = {(r.runtime, r.tool): r for r in results}
    for runtime in RUNTIMES:
        new, old = by_key.get((runtime, "micropip2")), by_key.get((runtime, "micropip"))
        if new and old and new.import_s and old.import_s:
            ratio = new.import_s / old.import_s
            print(
                f"{RUNTIME_NAMES[runtime]}: import micropip2 / import micropip x{ratio:.2f} "
                f"(goal <= x{IMPORT_GOAL:.2f}: {'met' if ratio <= IMPORT_GOAL else 'NOT met'})"
            )


def run_imports(args, dist: bench_runtime.BenchDist, kinds: list[str], tools: list[str]) -> int:
    static = make_static_server() if "chrome" in kinds else None
    t_start = time.monotonic()
    try:
        results = measure_imports(dist, kinds, tools, args.repeat, static)
    finally:
        if static is not None:
            static.stop()
    print(
        f"\nPyodide {args.pyodide}: the first `import <tool>` in a fresh interpreter that loaded "
        "only that tool and its dependencies from the local distribution at boot "
        f"(median of {max(args.repeat, 1)}); total run {time.monotonic() - t_start:.0f} s\n"
    )
    print_imports(results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=1) + "\n")
        print(f"\nresults: {args.json}")
    return 0


def run_set(
    args,
    dist: bench_runtime.BenchDist,
    name: str,
    kinds: list[str],
    latencies: list[int],
    tools: list[str],
    static,
) -> list[Result]:
    """Every cell of one set: per runtime, latency and tool, ``--repeat`` cold runs (each with
    its warm run when ``--warm``); the median-wall run of each state."""
    s = corpus.load_set(name)
    server = corpus.replay_server(s, offline=args.offline)
    server.page_max_age = 600  # PyPI's caching headers
    results: list[Result] = []
    states = ["cold", "warm"] if args.warm else ["cold"]
    try:
        lockfile = bench_runtime.boot_lockfile(
            dist, [f.path for f in s.boot_files(lambda fn: bench_runtime.fits(dist, fn))]
        )
        corpus.log(
            f"{name}: {len(s.files)} files of {len(s.projects)} projects on {server.simple_url}"
            + (f"; boots with {', '.join(s.boot_with)}" if s.boot_with else "")
        )
        for kind in kinds:
            for latency in latencies:
                for tool in tools:
                    runs: dict[str, list[Result]] = {state: [] for state in states}
                    for _ in range(max(args.repeat, 1)):
                        # a fresh cache directory (Node) or browser profile (Chromium) per cold
                        # run; its warm run shares it
                        with tempfile.TemporaryDirectory(
                            prefix="micropip2-profile-", ignore_cleanup_errors=True
                        ) as profile:
                            for state in states:
                                one = measure(
                                    dist,
                                    server,
                                    s,
                                    latency,
                                    tool,
                                    args.timeout,
                                    Path(profile),
                                    state,
                                    kind=kind,
                                    lockfile=lockfile,
                                    static=static,
                                )
                                runs[state].append(one)
                    for state in states:
                        r = median_run(runs[state])
                        corpus.log(
                            f"{name} {kind} {latency}ms {tool} {state}: "
                            f"{metrics.fmt(r.wall_s, '.2f')} s, {r.requests} requests, "
                            f"{r.round_trips} round trips: {r.outcome}"
                        )
                        results.append(r)
    finally:
        server.stop()
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--latency",
        default="0,50,150",
        help="server latencies in ms, comma-separated (default 0,50,150)",
    )
    ap.add_argument(
        "--sets",
        default=",".join(DEFAULT_SETS),
        help=f"requirement sets of corpus.toml (default: {','.join(DEFAULT_SETS)})",
    )
    ap.add_argument("--tools", default=",".join(TOOLS), help="micropip,micropip2 (default both)")
    ap.add_argument("--runtimes", default="node", help="node, chrome or node,chrome (default node)")
    ap.add_argument(
        "--pyodide", default="314.0.7", help="Pyodide version to run in (default 314.0.7)"
    )
    ap.add_argument("--timeout", type=float, default=300, help="seconds allowed for one install")
    ap.add_argument(
        "--repeat", type=int, default=1, help="runs per cell; the table shows the median-wall run"
    )
    ap.add_argument(
        "--json", type=Path, help="also write every result, with installed versions, as JSON"
    )
    ap.add_argument(
        "--warm",
        action="store_true",
        help="after each cold run, a warm one: a fresh interpreter sharing its cache",
    )
    ap.add_argument(
        "--imports",
        action="store_true",
        help="instead: import micropip2 against import micropip, each in a fresh interpreter",
    )
    ap.add_argument(
        "--offline", action="store_true", help="fail instead of downloading missing corpus files"
    )
    args = ap.parse_args(argv)

    latencies = [int(x) for x in args.latency.split(",") if x.strip()]
    sets = [x.strip() for x in args.sets.split(",") if x.strip()]
    tools = [x.strip() for x in args.tools.split(",") if x.strip()]
    kinds = [x.strip() for x in args.runtimes.split(",") if x.strip()]
    bad = (
        [t for t in tools if t not in TOOLS]
        + [s for s in sets if s not in corpus.set_names()]
        + [k for k in kinds if k not in RUNTIMES]
    )
    if bad:
        ap.error(f"unknown tool, set or runtime: {bad}")

    corpus.widen_listen_backlog()
    t_start = time.monotonic()
    dist = bench_runtime.prepare([args.pyodide])[args.pyodide]
    if args.imports:
        return run_imports(args, dist, kinds, tools)
    results: list[Result] = []
    skipped: list[str] = []
    backtracking: set[str] = set()
    static = make_static_server() if "chrome" in kinds else None
    try:
        for name in sets:
            s = corpus.load_set(name)
            if s.backtracking:
                backtracking.add(name)
            reason = s.skip_reason(args.pyodide)
            if reason is not None:
                corpus.log(f"skipping {name}: {reason}")
                skipped.append(f"{name}: skipped on Pyodide {args.pyodide}: {reason}")
                continue
            results += run_set(args, dist, name, kinds, latencies, tools, static)
    finally:
        if static is not None:
            static.stop()

    where = " and ".join(RUNTIME_NAMES[k] for k in kinds)
    print(
        f"\nPyodide {args.pyodide} on {where}, replay index on loopback; wall = install call only, "
        "import = the first import of the tool in the same fresh interpreter (micropip after "
        "its loadPackage), both measured in Pyodide; "
        f"total run {time.monotonic() - t_start:.0f} s\n"
    )
    print_table(results)
    for line in skipped:
        print(line)
    print_ratios(results, backtracking)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        doc = {"results": [asdict(r) for r in results], "skipped": skipped}
        args.json.write_text(json.dumps(doc, indent=1) + "\n")
        print(f"\nresults: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
