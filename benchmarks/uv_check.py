"""Does uv accept micropip2's resolution? A cross-check on the recorded corpus.

Given a requirement set and a resolution (``name==version`` pins) that micropip2 produced
for Pyodide 0.29.5, this starts the set's replay index on loopback and runs uv (pinned in
benchmarks/corpus.toml) twice against it, for ``--python-platform wasm32-pyodide2025
--python-version 3.13``, wheels only:

1. ``uv pip compile <set requirements> --constraint <micropip2's pins>``: uv accepts the
   resolution when it resolves and picks exactly the pinned version of every package it
   needs; otherwise uv's error says why it does not;
2. ``uv pip compile <set requirements>``: uv's own resolution, for comparison.

Where the pins come from:

    .venv/bin/python -m benchmarks.uv_check --set aioboto3 --from-micropip2     # run micropip2 now
    .venv/bin/python -m benchmarks.uv_check --set rich --pins "rich==15.0.0 pygments==2.21.0 ..."
    .venv/bin/python -m benchmarks.uv_check --set tree20 --pins-file pins.txt  # one pin a line

``--from-micropip2`` boots Pyodide 0.29.5 on Node and calls
``micropip2.install(requirements, index_urls=[replay index], dry_run=True)``; the pins are
what it would install plus what it keeps as already installed (the dist preloads
micropip2's own dependencies: typing-extensions, attrs, ...). uv knows nothing of installed
packages, so a difference there is reported, not judged. ``--pyodide 314.0.7`` checks with
Python 3.14 instead (uv 0.13.8 has no 2026 platform; it still uses wasm32-pyodide2025).

Exit status: 0 when uv accepts the pins, 1 when it does not, 2 on a usage or setup error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from packaging.utils import canonicalize_name

from benchmarks import corpus

PYTHON_FOR = {"0.29.5": "3.13", "314.0.7": "3.14"}


def parse_pins(text: str) -> dict[str, str]:
    pins = {}
    for token in text.replace(",", " ").split():
        token = token.strip()
        if not token or token.startswith("#"):
            continue
        name, sep, version = token.partition("==")
        if not sep or not version:
            raise SystemExit(f"not a name==version pin: {token!r}")
        pins[canonicalize_name(name)] = version
    return pins


async def micropip2_resolution(requirements: list[str], index_url: str) -> dict:
    """(Runs in Pyodide.) micropip2's resolution: a dry run, or a real install if it has none."""
    import importlib.metadata

    import micropip2

    try:
        report = await micropip2.install(requirements, index_urls=[index_url], dry_run=True)
    except TypeError as e:
        if "dry_run" not in str(e):
            raise
        before = {d.metadata["Name"]: d.version for d in importlib.metadata.distributions()}
        await micropip2.install(requirements, index_urls=[index_url])
        after = {d.metadata["Name"]: d.version for d in importlib.metadata.distributions()}
        return {
            "install": [f"{n}=={v}" for n, v in after.items() if before.get(n) != v],
            "satisfied": [],
            "how": "install (no dry_run)",
        }
    plan = report.plan
    return {
        "install": [f"{i.name}=={i.version}" for i in plan.changes],
        "satisfied": list(plan.satisfied),
        "how": "dry_run",
    }


def pins_from_micropip2(s: corpus.RecordedSet, index_url: str, pyodide: str) -> dict[str, str]:
    from benchmarks import bench_runtime

    dist = bench_runtime.prepare([pyodide])[pyodide]
    if dist.micropip2_problem:
        raise SystemExit(dist.micropip2_problem)
    rt = bench_runtime.boot(dist)
    try:
        out = rt.call(micropip2_resolution, s.requirements, index_url, timeout=300)
    finally:
        rt.close()
    print(
        f"micropip2 on Pyodide {pyodide} ({out['how']}): installs {len(out['install'])}, "
        f"keeps {len(out['satisfied'])} already installed"
    )
    for pin in out["satisfied"]:
        print(f"  already installed: {pin}")
    return parse_pins(" ".join(out["install"] + out["satisfied"]))


def show_table(
    micropip2: dict[str, str], constrained: dict[str, str], free: dict[str, str]
) -> None:
    names = sorted(set(micropip2) | set(constrained) | set(free))
    width = max([len(n) for n in names] + [7])
    print(f"\n{'package':{width}}  {'micropip2':>14}  {'uv -c pins':>14}  {'uv alone':>14}")
    for n in names:
        a, b, c = micropip2.get(n, "-"), constrained.get(n, "-"), free.get(n, "-")
        mark = "" if a == b == c else "   <- differs"
        print(f"{n:{width}}  {a:>14}  {b:>14}  {c:>14}{mark}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", required=True, choices=corpus.set_names())
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--pins", help='micropip2\'s resolution: "name==version ..." (spaces or commas)'
    )
    src.add_argument("--pins-file", type=Path, help="a file with one name==version a line")
    src.add_argument(
        "--from-micropip2", action="store_true", help="run micropip2 (dry run) to get the pins"
    )
    ap.add_argument(
        "--pyodide", default="0.29.5", choices=sorted(PYTHON_FOR), help="target (default 0.29.5)"
    )
    args = ap.parse_args(argv)

    s = corpus.load_set(args.set)
    python = PYTHON_FOR[args.pyodide]
    with corpus.replay_server(s) as server:
        index = server.simple_url
        if args.from_micropip2:
            pins = pins_from_micropip2(s, index.rstrip("/"), args.pyodide)
        elif args.pins_file:
            pins = parse_pins(args.pins_file.read_text())
        else:
            pins = parse_pins(args.pins)
        print(
            f"set {s.name}: {' '.join(s.requirements)}; {len(pins)} pins; uv "
            f"{corpus.load_spec()['tools']['uv']}, "
            f"wasm32-pyodide2025, Python {python}, index {index}"
        )

        constraints = [f"{n}=={v}" for n, v in sorted(pins.items())]
        code_c, out_c, err_c = corpus.uv_compile(
            s.requirements, python_version=python, index_url=index, constraints=constraints
        )
        code_f, out_f, err_f = corpus.uv_compile(
            s.requirements, python_version=python, index_url=index
        )

    constrained = parse_pins(" ".join(out_c)) if code_c == 0 else {}
    free = parse_pins(" ".join(out_f)) if code_f == 0 else {}
    show_table(pins, constrained, free)
    if code_f != 0:
        print(f"\nuv alone could not resolve the set:\n{err_f.strip()}")

    if code_c != 0:
        print(f"\nuv REJECTS micropip2's pins:\n{err_c.strip()}")
        return 1
    mismatched = {
        n: (v, constrained[n]) for n, v in pins.items() if n in constrained and constrained[n] != v
    }
    unused = sorted(n for n in pins if n not in constrained)
    extra = sorted(n for n in constrained if n not in pins)
    if mismatched:  # cannot happen with == constraints unless uv misbehaves; say so if it does
        print(f"\nuv resolved, but chose other versions than the pins: {mismatched}")
        return 1
    print(
        "\nuv ACCEPTS micropip2's resolution: every pinned package uv needs has the pinned version."
    )
    if unused:
        print(f"  pinned but not needed by uv: {', '.join(unused)}")
    if extra:
        print(f"  needed by uv but not pinned by micropip2: {', '.join(extra)}")
    if free and {n: v for n, v in free.items()} != {n: v for n, v in constrained.items()}:
        print(
            "  uv alone picks differently (see the table): "
            "both resolutions satisfy the requirements."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
