"""How long getting micropip2 into a stock Pyodide takes, against ``loadPackage("micropip")``.

    .venv/bin/python -m benchmarks.bootstrap_bench      # 314.0.7 and 0.29.5, Node, 5 repeats
    .venv/bin/python -m benchmarks.bootstrap_bench --pyodide 314.0.7 --repeat 9 --latency 0.05
    .venv/bin/python -m benchmarks.bootstrap_bench --json build/bootstrap.json

Each run is a fresh Pyodide on Node booted from the npm package's own ``pyodide-lock.json``
(``tests/support/stock.py``: nothing loaded at boot; the lock's micropip, packaging, attrs, six
and typing-extensions are PyPI's files under the lock's names in ``build/stock/<version>/``).
The boot is not timed. Timed inside Pyodide (``time.perf_counter()``), from the first call to a
usable module:

- ``loadPackage("micropip")``: the baseline, ``loadPackage("micropip")`` + ``import micropip``;
- ``micropip, index_urls``: docs/bootstrap.md way 1 with the index given as ``index_urls``
  (micropip asks the index first): ``loadPackage("micropip")``, ``import micropip``,
  ``micropip.install("micropip2", index_urls=[index])``, ``import micropip2``;
- ``micropip, default index``: the same with the index as micropip's default (as PyPI is: the
  lock's packaging, typing-extensions come from the lock);
- ``loadPackage(URLs)``: way 2, one ``loadPackage`` of the 7 wheel URLs, ``import micropip2``.

The index (``tests.support.stock.bootstrap_index``) is on loopback with ``--latency`` seconds
before every response: the baseline reads micropip from the local folder (Pyodide on Node), the
other three fetch from the index, whose listen backlog is raised to 128 as in the other
benchmarks (``loadPackage`` of 7 URLs opens 7 connections at once). The contenders take
turns; the table shows the median of ``--repeat`` runs, its steps, and the ratio to the
baseline's median.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.corpus import widen_listen_backlog
from tests.support import stock
from tests.support.pyodide_runtime import PyodideRuntime

BASELINE = 'loadPackage("micropip")'
CONTENDERS = (
    BASELINE,
    "micropip, index_urls",
    "micropip, default index",
    "loadPackage(URLs)",
)


def log(msg: str) -> None:
    print(f"[bootstrap_bench] {msg}", file=sys.stderr, flush=True)


def _call(contender: str, index_url: str, urls: list[str]) -> tuple[Callable, tuple]:
    if contender == BASELINE:
        return stock.load_micropip, ()
    if contender == "micropip, index_urls":
        return stock.bootstrap_with_micropip, (index_url, False)
    if contender == "micropip, default index":
        return stock.bootstrap_with_micropip, (index_url, True)
    return stock.bootstrap_with_load_package, (urls,)


def run_once(dist: stock.StockDist, contender: str, index_url: str, urls: list[str]) -> dict:
    rt = PyodideRuntime(f"node-{dist.version}", echo_output=False, **dist.runtime_options())
    try:
        rt.wait_ready()
        fn, args = _call(contender, index_url, urls)
        got = rt.call(fn, *args)
    finally:
        rt.close()
    if got["errors"]:
        raise RuntimeError(f"{contender} on {dist.version}: loadPackage failed: {got['errors']}")
    return got


def bench(version: str, repeat: int, latency: float) -> dict[str, list[dict]]:
    dist = stock.stock_dist(version)
    wheel = stock.micropip2_wheel()
    results: dict[str, list[dict]] = {c: [] for c in CONTENDERS}
    with stock.bootstrap_index(wheel, latency=latency) as index:
        urls = stock.bootstrap_urls(index, wheel)
        for r in range(repeat):
            for contender in CONTENDERS:
                got = run_once(dist, contender, index.url + "/simple", urls)
                results[contender].append(got)
                log(f"{version} run {r + 1}/{repeat} {contender}: {got['seconds']:.3f} s")
    return results


def _median_run(runs: list[dict]) -> dict:
    ordered = sorted(runs, key=lambda g: g["seconds"])
    return ordered[(len(ordered) - 1) // 2]


def table(version: str, latency: float, results: dict[str, list[dict]]) -> str:
    base = statistics.median(g["seconds"] for g in results[BASELINE])
    lines = [
        f"Pyodide {version} on Node, stock pyodide-lock.json, index latency "
        f"{latency * 1000:.0f} ms, {len(results[BASELINE])} runs each",
        "",
        "| way | median s | min-max s | x loadPackage(micropip) | steps of the median run (s) |",
        "|---|---|---|---|---|",
    ]
    for contender, runs in results.items():
        times = [g["seconds"] for g in runs]
        med = statistics.median(times)
        steps = ", ".join(f"{k} {v:.3f}" for k, v in _median_run(runs)["steps"].items())
        lines.append(
            f"| {contender} | {med:.3f} | {min(times):.3f}-{max(times):.3f} | "
            f"x{med / base:.2f} | {steps} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pyodide", default="314.0.7,0.29.5", help="comma-separated versions")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--latency", type=float, default=0.0, help="seconds before every response")
    ap.add_argument("--json", type=Path, help="write every run here")
    args = ap.parse_args(argv)
    t0 = time.monotonic()
    widen_listen_backlog()  # 7 wheels at once: no SYN lost to a backlog of 5 (README)
    everything: dict[str, Any] = {}
    tables = []
    for version in [v.strip() for v in args.pyodide.split(",") if v.strip()]:
        results = bench(version, args.repeat, args.latency)
        everything[version] = results
        tables.append(table(version, args.latency, results))
    print("\n\n".join(tables))
    if args.json:
        args.json.write_text(json.dumps(everything, indent=1), encoding="utf-8")
    log(f"done in {time.monotonic() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
