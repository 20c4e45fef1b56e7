"""``micropip2 lock`` against ``uv pip compile`` on the recorded corpus sets, for Pyodide 0.29.5.

For each set of benchmarks/corpus.toml, the set's replay index is started on loopback and both
tools resolve the set's requirements from it for Pyodide 0.29.5 (CPython 3.13,
``pyemscripten_2025_0``):

* ``micropip2 lock REQS --pyodide 0.29.5 --pyodide-lock LOCK --index-url <replay>`` (the
  command line, run as ``python -m micropip2``);
* ``uv pip compile --python-platform wasm32-pyodide2025 --python-version 3.13 --only-binary :all:``
  (uv pinned in corpus.toml, installed into build/bench-tools/ by corpus.ensure_uv()).

Every difference is listed with its explanation. The one expected kind: the package is in the
Pyodide distribution's lockfile (``LOCK``) and micropip2 takes the distribution's version, as it
would inside Pyodide, while uv, which knows nothing of that distribution, takes the index's newest.
Any other difference is unexplained and makes the exit status 1.

    .venv/bin/python -m benchmarks.lock_vs_uv              # every set, build/dist/0.29.5's lock
    .venv/bin/python -m benchmarks.lock_vs_uv --set rich --set aioboto3
    .venv/bin/python -m benchmarks.lock_vs_uv --pyodide-lock path/to/real/pyodide-lock.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from packaging.utils import canonicalize_name

from benchmarks import corpus

DEFAULT_LOCK = corpus.REPO / "build" / "dist" / "0.29.5" / "pyodide-lock.json"


def micropip2_lock(
    requirements: list[str], index: str, pyodide_lock: Path
) -> tuple[int, dict[str, str], str]:
    cmd = [
        sys.executable,
        "-m",
        "micropip2",
        "lock",
        *requirements,
        "--pyodide",
        "0.29.5",
        "--pyodide-lock",
        str(pyodide_lock),
        "--index-url",
        index,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=corpus.REPO)
    if proc.returncode != 0:
        return proc.returncode, {}, proc.stderr
    doc = json.loads(proc.stdout)
    return 0, {canonicalize_name(k): p["version"] for k, p in doc["packages"].items()}, proc.stderr


def uv_lock(requirements: list[str], index: str) -> tuple[int, dict[str, str], str]:
    code, pins, err = corpus.uv_compile(requirements, python_version="3.13", index_url=index)
    found = {}
    for pin in pins:
        name, _, version = pin.partition("==")
        found[canonicalize_name(name)] = version.split(";")[0].strip()
    return code, found, err


def compare(name: str, pyodide_lock: Path) -> bool:
    """Print the comparison of one set; True when every difference is explained."""
    s = corpus.load_set(name)
    entries = json.loads(pyodide_lock.read_text())["packages"].values()
    dist = {canonicalize_name(p["name"]): p["version"] for p in entries}
    no_depends = {canonicalize_name(p["name"]) for p in entries if not p.get("depends")}
    with corpus.replay_server(s) as server:
        code_m, mine, err_m = micropip2_lock(s.requirements, server.simple_url, pyodide_lock)
        code_u, theirs, err_u = uv_lock(s.requirements, server.simple_url)
    print(f"\n== set {name}: {' '.join(s.requirements)}")
    if code_m or code_u:
        print(f"   micropip2 exit {code_m}: {err_m.strip()[:500]}")
        print(f"   uv exit {code_u}: {err_u.strip()[:500]}")
        print("   not compared: both must resolve")
        return code_m == code_u  # both failing is agreement
    differences = []
    for package in sorted(set(mine) | set(theirs)):
        a, b = mine.get(package), theirs.get(package)
        if a == b:
            continue
        if a is not None and dist.get(package) == a:
            why = (
                f"{package} {a} is in the Pyodide distribution's lockfile; "
                "micropip2 takes it, uv the index's"
            )
            differences.append((package, a, b, why, True))
        elif (
            a is None
            and b is not None
            and _only_needed_by_a_distribution_choice(package, mine, dist)
        ):
            why = "needed only by a version micropip2 did not choose (it took the distribution's)"
            differences.append((package, a, b, why, True))
        else:
            differences.append((package, a, b, "UNEXPLAINED", False))
    same = len(set(mine) & set(theirs)) - sum(1 for d in differences if d[1] and d[2])
    print(f"   micropip2: {len(mine)} packages, uv: {len(theirs)} packages, {same} identical")
    for package, a, b, why, _ok in differences:
        print(f"   {package}: micropip2 {a or '-'}, uv {b or '-'}: {why}")
    hidden = sorted(
        n for n, v in mine.items() if dist.get(n) == v and n in no_depends and n in s.requirements
    )
    if any(a is None for _p, a, *_ in differences) and hidden:
        print(
            f"   note: the distribution's lockfile lists no depends for {', '.join(hidden)}; "
            "micropip2 trusts it (names only), so their Requires-Dist are not resolved "
            "(lock --check reads them and reports it)"
        )
    return all(ok for *_, ok in differences)


def _only_needed_by_a_distribution_choice(
    package: str, mine: dict[str, str], dist: dict[str, str]
) -> bool:
    """A package uv needs and micropip2 does not: explained when micropip2 chose some distribution
    package instead of the index's version uv chose (whose dependencies then differ)."""
    return any(dist.get(name) == version for name, version in mine.items())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--set", action="append", choices=corpus.set_names(), help="a corpus set (default: all)"
    )
    ap.add_argument(
        "--pyodide-lock",
        type=Path,
        default=DEFAULT_LOCK,
        help="Pyodide 0.29.5's lockfile (default: build/dist/0.29.5's)",
    )
    args = ap.parse_args(argv)
    print(
        f"micropip2 lock vs uv {corpus.load_spec()['tools']['uv']} "
        "(wasm32-pyodide2025, Python 3.13); "
        f"distribution lockfile {args.pyodide_lock}"
    )
    results = {name: compare(name, args.pyodide_lock) for name in args.set or corpus.set_names()}
    bad = [name for name, ok in results.items() if not ok]
    print(
        "\n"
        + (
            "every difference is explained"
            if not bad
            else f"unexplained differences in: {', '.join(bad)}"
        )
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
