"""Resolve + install benchmark: micropip 0.11.1 against micropip2 on recorded PyPI data.

For each requirement set and each server latency, in a fresh Pyodide runtime on Node each
time, this runs ``await <tool>.install(requirements, index_urls=[index])`` against a replay
index (``benchmarks/corpus.py``: real PyPI wheels recorded in tests/fixtures/recorded/,
served on loopback with PEP 691 JSON, PEP 503 HTML and PEP 658 .metadata files) and prints

    set, latency, tool, wall seconds, requests, round trips, MB, outcome,

then micropip2/micropip ratios. Wall time is measured inside Pyodide (time.perf_counter
around the install call only: booting and importing the tool are not counted). Requests and
round trips come from the server's log (definitions in benchmarks/metrics.py and README.md).
No assertions: this is a measurement, not a test.

    .venv/bin/python -m benchmarks.resolve_install
    .venv/bin/python -m benchmarks.resolve_install --latency 0,50,150 --sets rich,tree20,aioboto3
    .venv/bin/python -m benchmarks.resolve_install --tools micropip --json build/bench.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from benchmarks import bench_runtime, corpus, metrics

TOOLS = ("micropip", "micropip2")


@dataclass
class Result:
    set: str
    latency_ms: int
    tool: str
    pyodide: str
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
) -> Result:
    res = Result(set=s.name, latency_ms=latency_ms, tool=tool, pyodide=dist.version)
    if tool == "micropip2" and dist.micropip2_problem:
        res.available, res.error = False, dist.micropip2_problem
        return res
    rt = bench_runtime.boot(dist)
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
        f"{'set':9} {'latency':>7} {'tool':10} {'wall s':>7} {'import s':>8} "
        f"{'requests':>8} {'rtrips':>6} "
        f"{'MB':>6}  outcome"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.set:9} {r.latency_ms:>5}ms {r.tool:10} {metrics.fmt(r.wall_s, '7.2f')} "
            f"{metrics.fmt(r.import_s, '8.2f')} "
            f"{metrics.fmt(r.requests, '8d')} "
            f"{metrics.fmt(r.round_trips, '6d')} "
            f"{metrics.fmt(None if r.bytes is None else r.bytes / 1e6, '6.1f')}  {r.outcome}"
        )


def print_ratios(results: list[Result]) -> None:
    by_key = {(r.set, r.latency_ms, r.tool): r for r in results}
    rows = []
    for (set_, lat, tool), new in by_key.items():
        old = by_key.get((set_, lat, "micropip"))
        if tool != "micropip2" or old is None:
            continue
        if not (new.available and old.available and new.wall_s and old.wall_s):
            rows.append(
                f"{set_:9} {lat:>5}ms  n/a (micropip2 "
                f"{'not available' if not new.available else 'no timing'})"
            )
            continue
        note = (
            ""
            if (new.ok and old.ok)
            else f"  (micropip {'ok' if old.ok else 'failed'}, "
            f"micropip2 {'ok' if new.ok else 'failed'})"
        )
        both = ""
        if new.import_s is not None and old.import_s is not None:
            user = (new.import_s + new.wall_s) / (old.import_s + old.wall_s)
            both = f"  import+install x{user:.2f}"
        rows.append(f"{set_:9} {lat:>5}ms  {metrics.ratios(new, old)}{both}{note}")
    if rows:
        print("\nmicropip2 / micropip")
        print("\n".join(rows))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--latency",
        default="0,50,150",
        help="server latencies in ms, comma-separated (default 0,50,150)",
    )
    ap.add_argument(
        "--sets", default=",".join(corpus.set_names()), help="requirement sets (default: all)"
    )
    ap.add_argument("--tools", default=",".join(TOOLS), help="micropip,micropip2 (default both)")
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
        "--offline", action="store_true", help="fail instead of downloading missing corpus files"
    )
    args = ap.parse_args(argv)

    latencies = [int(x) for x in args.latency.split(",") if x.strip()]
    sets = [x.strip() for x in args.sets.split(",") if x.strip()]
    tools = [x.strip() for x in args.tools.split(",") if x.strip()]
    bad = [t for t in tools if t not in TOOLS] + [s for s in sets if s not in corpus.set_names()]
    if bad:
        ap.error(f"unknown tool or set: {bad}")

    t_start = time.monotonic()
    dist = bench_runtime.prepare([args.pyodide])[args.pyodide]
    results: list[Result] = []
    for name in sets:
        s = corpus.load_set(name)
        server = corpus.replay_server(s, offline=args.offline)
        try:
            corpus.log(
                f"{name}: {len(s.files)} files of {len(s.projects)} projects on {server.simple_url}"
            )
            for latency in latencies:
                for tool in tools:
                    runs = [
                        measure(dist, server, s, latency, tool, args.timeout)
                        for _ in range(max(args.repeat, 1))
                    ]
                    r = median_run(runs)
                    corpus.log(
                        f"{name} {latency}ms {tool}: {metrics.fmt(r.wall_s, '.2f')} s, "
                        f"{r.requests} requests, "
                        f"{r.round_trips} round trips: {r.outcome}"
                    )
                    results.append(r)
        finally:
            server.stop()

    print(
        f"\nPyodide {args.pyodide} on Node, replay index on loopback; wall = install call only, "
        "import = the first import of the tool in the same fresh interpreter (micropip after "
        "its loadPackage), both measured in Pyodide; "
        f"total run {time.monotonic() - t_start:.0f} s\n"
    )
    print_table(results)
    print_ratios(results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=1) + "\n")
        print(f"\nresults: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
