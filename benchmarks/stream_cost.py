"""What reading response bodies as a stream costs (issue 11: progress needs bytes as they arrive).

In one Pyodide 314 runtime on Node, against a loopback server, the same files are fetched
alternately (ABC ABC ...) three ways, and the median of each is printed with its ratio to the
first:

* ``arrayBuffer``: the whole body at once, JS ``fetch`` + ``arrayBuffer()`` (what micropip2 did
  before, and what micropip does);
* ``stream``: micropip2's runtime now (the body read in JS chunk by chunk, with time and size
  limits), nobody watching;
* ``stream+progress``: the same with a progress listener, so each chunk's count crosses into
  Python.

    .venv/bin/python -m benchmarks.stream_cost --repeat 15
"""

from __future__ import annotations

import argparse
import os
import statistics

from benchmarks import bench_runtime
from tests.support.index_server import IndexServer

SIZES = (100_000, 1_000_000, 5_000_000, 20_000_000)  # a small wheel ... a large one


async def _measure(urls: list[str], repeat: int) -> dict[str, list[float]]:
    import time

    import js

    from micropip2.runtime import Transfer, current_runtime

    runtime = current_runtime()

    async def array_buffer(url: str) -> int:
        response = await js.fetch(url)
        return len((await response.arrayBuffer()).to_bytes())

    async def stream(url: str, watch: bool) -> int:
        seen = []
        limits = Transfer(
            15, 15, None, on_bytes=(lambda got, total: seen.append(got)) if watch else None
        )
        return len((await runtime.get(url, transfer=limits)).body)

    ways = {
        "arrayBuffer": array_buffer,
        "stream": lambda url: stream(url, False),
        "stream+progress": lambda url: stream(url, True),
    }
    times: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(repeat):
        for name, way in ways.items():
            started = time.perf_counter()
            for url in urls:
                await way(url)
            times[name].append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    dist = bench_runtime.prepare(["314.0.7"])["314.0.7"]
    with IndexServer() as server:
        urls = [server.add_file(f"files/blob-{size}.bin", os.urandom(size)) for size in SIZES]
        runtime = bench_runtime.boot(dist)
        try:
            times = runtime.call(_measure, urls, args.repeat, timeout=600)
        finally:
            runtime.close()
    total = sum(SIZES) / 1e6
    base = statistics.median(times["arrayBuffer"])
    print(f"{total:.1f} MB in {len(SIZES)} files, median of {args.repeat}, Pyodide 314 on Node")
    for name, runs in times.items():
        median = statistics.median(runs)
        print(f"  {name:16} {median * 1000:7.1f} ms  x{median / base:.2f}")


if __name__ == "__main__":
    main()
