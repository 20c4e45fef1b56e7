"""The backtracking benchmark: micropip2 against pip and uv on the hard sets (issue 14).

For each set of ``[hard.<set>]`` in ``benchmarks/corpus.toml`` and each latency, against one
replay index of the set's record (:mod:`benchmarks.hard_corpus`: pages and PEP 658 metadata,
no wheels):

* **micropip2**: ``await micropip2.install(requirements, index_urls=[index], dry_run=True)``
  in a fresh Pyodide (the set's version) on Node per run, timed inside Pyodide; its progress
  events give the resolver's restarts and metadata files read;
* **pip** (``build/bench-tools/pip-host``, pip >= 26, on the host): ``pip install --dry-run
  --report --ignore-installed --only-binary :all:`` with the target's platform tags and Python
  version, no config files and no cache;
* **uv** (corpus.toml's pin, on the host): ``uv pip compile --python-platform
  wasm32-pyodide2025 --python-version <target's>`` (uv has no 2026 platform), no cache.

It prints wall seconds, requests, sequential round trips (:mod:`benchmarks.metrics`), what
each resolved, micropip2's restarts, then the ratios micropip2/pip and micropip2/uv and
whether the versions equal pip's on the projects both chose.

    .venv/bin/python -m benchmarks.hard_bench                         # every set, 0 and 50 ms
    .venv/bin/python -m benchmarks.hard_bench --sets boto3 --latency 50 --tools micropip2
    .venv/bin/python -m benchmarks.hard_bench --json build/hard.json
    .venv/bin/python -m benchmarks.hard_bench --record [--sets NAME]   # (re)record, needs PyPI
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from benchmarks import bench_runtime, corpus, metrics
from benchmarks.hard_corpus import PYPI, HardIndex, HardRecord, hard_path

PIP_HOST = corpus.TOOLS_DIR / "pip-host"
TOOLS = ("micropip2", "pip", "uv")
# Pyodide version -> (pip platform tags, Python version, uv's Python version)
TARGETS = {
    "314.0.7": (["pyemscripten_2026_0_wasm32"], "3.14"),
    "0.29.5": (["pyemscripten_2025_0_wasm32", "pyodide_2025_0_wasm32"], "3.13"),
}


@dataclass
class HardSet:
    name: str
    requirements: list[str]
    pyodide: str
    description: str = ""


def hard_sets() -> dict[str, HardSet]:
    spec = corpus.load_spec().get("hard", {})
    return {
        name: HardSet(name, list(s["requirements"]), s["pyodide"], s.get("description", ""))
        for name, s in spec.items()
    }


@dataclass
class Result:
    set: str
    latency_ms: int
    tool: str
    wall_s: float | None = None
    requests: int | None = None
    round_trips: int | None = None
    ok: bool = False
    error: str | None = None
    pins: dict[str, str] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)  # micropip2's resolution counts
    missing: list[str] = field(default_factory=list)  # asked, not recorded

    @property
    def outcome(self) -> str:
        if self.ok:
            return f"ok ({len(self.pins)} pins)"
        return f"FAILED: {self.error}"


# --------------------------------------------------------------------------------------
# the three tools


async def run_micropip2(requirements: list[str], index_url: str) -> dict:
    """(Runs in Pyodide.) One dry-run install, timed; its pins and resolution counts."""
    import time

    import micropip2

    events: list[dict] = []

    def progress(event):  # unannotated: Any is not imported inside Pyodide
        if getattr(event, "kind", "") == "resolving":
            events.append(event.as_dict())

    t0 = time.perf_counter()
    error, pins, stats = None, {}, {}
    try:
        report = await micropip2.install(
            requirements, index_urls=[index_url], dry_run=True, progress=progress
        )
        pins = {i.name: i.version for i in (*report.plan.changes, *report.plan.kept)}
        stats = dict(getattr(report, "resolution", None) or {})
    except Exception as e:
        error = f"{type(e).__name__}: {e}"
    wall = time.perf_counter() - t0
    if not stats and events:
        last = events[-1]
        stats = {"restarts": last["restarts"], "waits": len(events), "metadata": last["metadata"]}
    return {"wall": wall, "error": error, "pins": pins, "stats": stats}


def _micropip2(dist: bench_runtime.BenchDist, hs: HardSet, server: HardIndex, timeout: float):
    rt = bench_runtime.boot(dist)
    try:
        server.clear_requests()
        t0 = time.perf_counter()
        try:
            out = rt.call(run_micropip2, hs.requirements, server.simple_url, timeout=timeout)
        except Exception as e:  # the runtime failed or timed out
            elapsed = time.perf_counter() - t0
            return {"wall": elapsed, "error": f"{type(e).__name__}: {e}", "pins": {}, "stats": {}}
        return out
    finally:
        rt.close()


def ensure_pip() -> Path:
    python = PIP_HOST / "bin" / "python"
    if not python.exists():
        import venv

        venv.EnvBuilder(with_pip=True, clear=True).create(PIP_HOST)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "pip>=26"], check=True, env=_pip_env()
        )
    return python


def _pip_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull  # no find-links, extra indexes or constraints
    return env


def _pip(hs: HardSet, server: HardIndex, timeout: float) -> dict:
    python = ensure_pip()
    platforms, py = TARGETS[hs.pyodide]
    with tempfile.TemporaryDirectory(prefix="hard-pip-") as tmp:
        report = Path(tmp) / "report.json"
        cmd = [str(python), "-m", "pip", "install", "--dry-run", "--quiet", "--no-cache-dir"]
        cmd += ["--ignore-installed", "--only-binary", ":all:", "--report", str(report)]
        cmd += ["--index-url", server.simple_url, "--python-version", py]
        cmd += ["--implementation", "cp"]
        for platform in platforms:
            cmd += ["--platform", platform]
        cmd += hs.requirements
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, env=_pip_env(), timeout=timeout, cwd=tmp
            )
        except subprocess.TimeoutExpired:
            return {"wall": time.perf_counter() - t0, "error": "timeout", "pins": {}}
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
            return {"wall": wall, "error": " | ".join(lines[-3:]) or "failed", "pins": {}}
        doc = json.loads(report.read_text())
    pins = {i["metadata"]["name"]: i["metadata"]["version"] for i in doc["install"]}
    return {"wall": wall, "error": None, "pins": pins}


def _uv(hs: HardSet, server: HardIndex, timeout: float) -> dict:
    _platforms, py = TARGETS[hs.pyodide]
    t0 = time.perf_counter()
    code, pins, err = corpus.uv_compile(
        hs.requirements, python_version=py, index_url=server.simple_url
    )
    wall = time.perf_counter() - t0
    if code != 0:
        lines = [ln for ln in err.splitlines() if ln.strip()]
        return {"wall": wall, "error": " | ".join(lines[:4]) or "failed", "pins": {}}
    return {"wall": wall, "error": None, "pins": dict(p.split("==", 1) for p in pins)}


def measure(tool: str, hs: HardSet, server: HardIndex, latency: int, dist, timeout: float):
    server.latency = latency / 1000
    server.clear_requests()
    if tool == "micropip2":
        out = _micropip2(dist, hs, server, timeout)
    elif tool == "pip":
        out = _pip(hs, server, timeout)
    else:
        out = _uv(hs, server, timeout)
    time.sleep(server.latency + 0.1)
    log = list(server.requests)
    res = Result(hs.name, latency, tool, wall_s=out["wall"], error=_first(out["error"]))
    res.ok = out["error"] is None
    res.pins = {canonicalize_name(k): v for k, v in out["pins"].items()}
    res.stats = out.get("stats", {})
    res.requests, res.round_trips = metrics.request_count(log), metrics.round_trips(log)
    res.missing = list(server.missing)
    return res


def _first(text: str | None, limit: int = 200) -> str | None:
    if text is None:
        return None
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


# --------------------------------------------------------------------------------------
# recording


def record(hs: HardSet, dist, timeout: float, margin: int = 24) -> None:
    """Run pip, uv and micropip2 through a recording index, then fill each project's metadata
    between the newest and the oldest version anyone read, and ``margin`` versions older."""
    rec = HardRecord.load(hs.name)
    server = HardIndex(rec, upstream=PYPI).start()
    try:
        for tool in TOOLS:
            r = measure(tool, hs, server, 0, dist, timeout)
            corpus.log(
                f"record {hs.name}: {tool}: {r.wall_s:.1f} s, {r.requests} requests: {r.outcome}"
            )
        filled = 0
        for name, files in list(rec.pages.items()):
            filled += server.fill(name, _fill_range(rec, name, files, hs.pyodide, margin))
        corpus.log(f"record {hs.name}: filled {filled} metadata files")
    finally:
        server.stop()
    path = rec.save()
    corpus.log(
        f"record {hs.name}: {len(rec.pages)} pages, {len(rec.metadata)} metadata files, "
        f"{path.stat().st_size / 1e3:.0f} kB -> {path.relative_to(corpus.REPO)}"
    )


def _fits(filename: str, pyodide: str) -> bool:
    from scripts.record_corpus import usable

    return usable(filename, pyodide)


def _version(filename: str) -> Version | None:
    try:
        return parse_wheel_filename(filename)[1]
    except (ValueError, InvalidVersion):
        return None


def _fill_range(rec: HardRecord, name: str, files: list[dict], pyodide: str, margin: int):
    wheels = [f["filename"] for f in files if f["filename"].endswith(".whl")]
    wheels = [w for w in wheels if _fits(w, pyodide) and _version(w) is not None]
    read = [_version(w) for w in wheels if w in rec.metadata]
    if not read:
        return []
    oldest = min(v for v in read if v is not None)
    versions = sorted({v for w in wheels if (v := _version(w)) is not None}, reverse=True)
    below = [v for v in versions if v < oldest][:margin]
    floor = below[-1] if below else oldest
    return [w for w in wheels if (v := _version(w)) is not None and v >= floor]


# --------------------------------------------------------------------------------------
# output


def print_table(results: list[Result]) -> None:
    header = (
        f"{'set':16} {'latency':>7} {'tool':10} {'wall s':>7} {'requests':>8} {'rtrips':>6} "
        f"{'restarts':>8} {'meta':>5}  outcome"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.set:16} {r.latency_ms:>5}ms {r.tool:10} {metrics.fmt(r.wall_s, '7.2f')} "
            f"{metrics.fmt(r.requests, '8d')} {metrics.fmt(r.round_trips, '6d')} "
            f"{metrics.fmt(r.stats.get('restarts'), '8d')} "
            f"{metrics.fmt(r.stats.get('metadata'), '5d')}  {r.outcome}"
            + (f"  [not recorded: {len(r.missing)}, e.g. {r.missing[0]}]" if r.missing else "")
        )


def print_ratios(results: list[Result]) -> None:
    by_key = {(r.set, r.latency_ms, r.tool): r for r in results}
    print()
    for (name, latency, tool), mine in by_key.items():
        if tool != "micropip2":
            continue
        for other in ("pip", "uv"):
            theirs = by_key.get((name, latency, other))
            if theirs is None or not mine.wall_s or not theirs.wall_s:
                continue
            rt = f"{(mine.round_trips or 0) / max(theirs.round_trips or 1, 1):.2f}"
            wall = mine.wall_s / theirs.wall_s
            print(
                f"{name:16} {latency:>5}ms micropip2/{other:3}: wall x{wall:.2f}"
                f"  requests x{(mine.requests or 0) / max(theirs.requests or 1, 1):.2f}"
                f"  round trips x{rt}  {_same_versions(mine, theirs)}"
            )


def _same_versions(mine: Result, theirs: Result) -> str:
    if not (mine.ok and theirs.ok):
        return f"outcomes: micropip2 {'ok' if mine.ok else 'failed'}, {theirs.tool} " + (
            "ok" if theirs.ok else "failed"
        )
    common = sorted(set(mine.pins) & set(theirs.pins))
    differ = [
        f"{n} {mine.pins[n]} vs {theirs.pins[n]}" for n in common if mine.pins[n] != theirs.pins[n]
    ]
    if differ:
        return f"versions differ on {len(differ)} of {len(common)}: " + "; ".join(differ[:4])
    return f"same versions on all {len(common)} common projects"


def main(argv: list[str] | None = None) -> int:
    sets = hard_sets()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", default=",".join(sets))
    ap.add_argument("--latency", default="0,50", help="ms per request, comma-separated")
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--timeout", type=float, default=400)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--record", action="store_true", help="record the sets from PyPI")
    args = ap.parse_args(argv)
    names = [n for n in args.sets.split(",") if n]
    unknown = [n for n in names if n not in sets]
    if unknown:
        print(f"unknown set(s) {unknown}; corpus.toml [hard] has {list(sets)}", file=sys.stderr)
        return 2
    dists = bench_runtime.prepare(sorted({sets[n].pyodide for n in names}))
    if args.record:
        for n in names:
            record(sets[n], dists[sets[n].pyodide], args.timeout)
        return 0
    results: list[Result] = []
    for n in names:
        hs = sets[n]
        if not hard_path(n).exists():
            print(f"{hard_path(n)} is missing: run with --record --sets {n}", file=sys.stderr)
            return 2
        with HardIndex(HardRecord.load(n)).start() as server:
            for latency in [int(x) for x in args.latency.split(",")]:
                for tool in args.tools.split(","):
                    r = measure(tool, hs, server, latency, dists[hs.pyodide], args.timeout)
                    corpus.log(
                        f"{n} {latency}ms {tool}: {metrics.fmt(r.wall_s, '.2f')} s, "
                        f"{r.requests} requests, {r.round_trips} round trips, {r.stats}: "
                        f"{r.outcome}"
                    )
                    results.append(r)
    print_table(results)
    print_ratios(results)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
