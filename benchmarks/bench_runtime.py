"""Pyodide runtimes for the benchmarks: both installers loadable from one lockfile.

Each runtime is a fresh ``tests/support/pyodide_runtime.PyodideRuntime`` on Node, booted from
the local distribution ``build/dist/<version>/`` (run ``scripts/setup.sh`` once) with a
benchmark lockfile: the dist's lockfile naming micropip2 built from the working tree (as the
tests do, through ``scripts.build_dist``), plus micropip 0.11.1's pinned wheel from PyPI
(``benchmarks/corpus.toml`` [tools.micropip]). The runner loads micropip2 and its
dependencies at boot (packaging, resolvelib, pyodide-lock, attrs, cattrs, typing-extensions);
micropip is loaded with ``loadPackage`` before a measurement. So both installers run in the
same interpreter state against the same lockfile, and both see those packages installed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from benchmarks.corpus import REPO, fetch_tool_micropip, log
from micropip2.target import Target
from tests.support.locks import lock_text, read_lock, wheel_lock_entry
from tests.support.pyodide_runtime import PyodideRuntime, RuntimeSpec

DIST_ROOT = REPO / "build" / "dist"
BENCH_SUBDIR = "bench"  # inside each dist dir


@dataclass(frozen=True)
class BenchDist:
    version: str
    lockfile: str  # relative to the dist dir
    micropip2_build: str | None  # None when micropip2's wheel could not be built
    micropip2_problem: str | None


def _build_micropip2() -> tuple[dict[str, str], str | None]:
    """Build micropip2 from the working tree into every dist; ({version: lockfile}, problem)."""
    try:
        from scripts import build_dist

        return build_dist.build_micropip2(), None
    except Exception as e:  # a tree in the middle of an edit, a missing dist, ...
        return (
            {},
            f"building micropip2's wheel failed: {type(e).__name__}: {str(e).splitlines()[0]}",
        )


def prepare(versions: list[str]) -> dict[str, BenchDist]:
    """Write a benchmark lockfile for each Pyodide version; returns them by version."""
    for v in versions:
        if not (DIST_ROOT / v / "pyodide-lock.json").exists():
            raise SystemExit(f"{DIST_ROOT / v} is missing: run `bash scripts/setup.sh` first")
    locks, problem = _build_micropip2()
    micropip_wheel = fetch_tool_micropip()
    out = {}
    for v in versions:
        dist = DIST_ROOT / v
        base_rel = locks.get(v, "pyodide-lock.json")
        lock = read_lock(dist / base_rel)
        rel_wheel = f"{BENCH_SUBDIR}/{micropip_wheel.name}"
        (dist / BENCH_SUBDIR).mkdir(exist_ok=True)
        target = dist / rel_wheel
        if not target.exists() or target.stat().st_size != micropip_wheel.stat().st_size:
            shutil.copyfile(micropip_wheel, target)
        micropip = wheel_lock_entry(  # depends on packaging, which the lock has
            target,
            Target.from_lock_info(lock.info or {}),
            url=rel_wheel,
            present=[e.name for e in lock.packages],
        )
        text = lock_text(lock.info or {}, [*lock.packages, micropip])
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        rel_lock = f"{BENCH_SUBDIR}/{digest}/pyodide-lock.json"
        (dist / rel_lock).parent.mkdir(parents=True, exist_ok=True)
        (dist / rel_lock).write_text(text, encoding="utf-8")
        _prune(dist / BENCH_SUBDIR, keep=(dist / rel_lock).parent)
        micropip2 = lock.get(canonicalize_name("micropip2"))
        build = micropip2.files[0].url if micropip2 is not None else None
        out[v] = BenchDist(v, rel_lock, build if problem is None else None, problem)
        if problem:
            log(f"{v}: {problem}; micropip2 runs will be reported as not available")
    return out


def _prune(bench_dir: Path, keep: Path, max_age_s: float = 24 * 3600) -> None:
    """Remove benchmark lockfiles of older micropip2 builds (a day unused)."""
    os.utime(keep)
    now = time.time()
    for d in bench_dir.iterdir():
        if d.is_dir() and d != keep and now - d.stat().st_mtime > max_age_s:
            shutil.rmtree(d, ignore_errors=True)


def boot_lockfile(dist: BenchDist, wheels: list[Path]) -> str:
    """The benchmark lockfile with ``wheels`` in place of the dist's versions of their projects.

    For a set that must boot with a newer dependency than the dist's (corpus.toml
    ``boot_with``); written next to the benchmark lockfile. Returns its path relative to the
    dist dir (``dist.lockfile`` itself when ``wheels`` is empty).
    """
    if not wheels:
        return dist.lockfile
    root = DIST_ROOT / dist.version
    lock = read_lock(root / dist.lockfile)
    target = Target.from_lock_info(lock.info or {})
    names = [e.name for e in lock.packages]
    added = []
    for wheel in wheels:
        rel = f"{BENCH_SUBDIR}/{wheel.name}"
        if not (root / rel).exists():
            shutil.copyfile(wheel, root / rel)
        added.append(wheel_lock_entry(root / rel, target, url=rel, present=names))
    text = lock_text(lock.info or {}, [*lock.packages, *added])  # the later entry of a name wins
    rel_lock = f"{BENCH_SUBDIR}/{hashlib.sha256(text.encode()).hexdigest()[:16]}/pyodide-lock.json"
    (root / rel_lock).parent.mkdir(parents=True, exist_ok=True)
    (root / rel_lock).write_text(text, encoding="utf-8")
    os.utime((root / rel_lock).parent)
    return rel_lock


def target(dist: BenchDist) -> Target:
    """The interpreter of the dist (tags, markers), from its benchmark lockfile's ``info``."""
    return Target.from_lock_info(read_lock(DIST_ROOT / dist.version / dist.lockfile).info or {})


def fits(dist: BenchDist, filename: str) -> bool:
    """Can the dist's interpreter install the wheel ``filename``?"""
    from packaging.utils import parse_wheel_filename

    tags = target(dist).tag_rank
    return any(t in tags for t in parse_wheel_filename(filename)[3])


def boot(
    dist: BenchDist,
    cache: bool | Path = False,
    *,
    kind: str = "node",
    lockfile: str | None = None,
    packages: tuple[str, ...] = ("micropip2",),
    static=None,
    user_data_dir: Path | None = None,
) -> PyodideRuntime:
    """A fresh Pyodide on Node, or in a new Chromium page (``kind="chrome"``).

    ``cache`` is micropip2's persistent cache: a directory (Node), ``True`` (its default place:
    Cache Storage in Chromium), or off. ``lockfile`` (default: the benchmark lockfile) and
    ``packages`` (loaded at boot) are the runner's. Chromium needs ``static``, the static server
    of the dist dirs (``make_static_server()``), and runs in the profile ``user_data_dir``
    (kept by the caller: a second runtime in it is a new page in the same profile).
    """
    spec = RuntimeSpec(kind, dist.version)
    options: dict = {
        "lockfile": lockfile or dist.lockfile,
        "packages": packages,
        "echo_output": False,
        "cache": cache,
    }
    if kind == "chrome":
        if static is None:
            raise ValueError("a chrome runtime needs the static server (make_static_server())")
        options.update(
            base_url=static.url(f"/dist/{dist.version}/"),
            server=static,
            user_data_dir=user_data_dir,
        )
    rt = PyodideRuntime(spec, **options)
    try:
        return rt.wait_ready()
    except BaseException:
        rt.close()
        raise


async def prepare_tool(tool: str) -> dict:
    """(Runs in Pyodide.) Load and import ``tool``; can it install by name from an index?"""
    import importlib
    import inspect
    import time

    if tool == "micropip":
        import pyodide_js

        await pyodide_js.loadPackage("micropip")
    t0 = time.perf_counter()
    try:
        mod = importlib.import_module(tool)
    except Exception as e:
        return {"available": False, "reason": f"import {tool} failed: {type(e).__name__}: {e}"}
    install = getattr(mod, "install", None)
    if install is None or "index_urls" not in inspect.signature(install).parameters:
        return {
            "available": False,
            "reason": f"{tool}.install takes no index_urls (not available yet)",
        }
    return {
        "available": True,
        "version": getattr(mod, "__version__", "?"),
        "import_s": time.perf_counter() - t0,  # the first `import tool` in a fresh interpreter
    }
