"""A stock Pyodide for the bootstrap test and benchmark: npm's files and lock, unchanged.

A user's Pyodide boots from the ``pyodide-lock.json`` of its npm package (or CDN), which lists
micropip and packaging but not micropip2's other dependencies (resolvelib, pyodide-lock,
cattrs). :func:`stock_dist` gives that runtime for a Pyodide version: the npm package's folder
(runtime files and its own, unmodified lock) and a package folder, ``build/stock/<version>/``,
holding the few wheels the lock names that a bootstrap loads from it, under the lock's file
names.

Those files are PyPI's, pinned by sha256 (``tests/dist/pins.toml``, the micropip pin of
``benchmarks/corpus.toml``): Pyodide's CDN, the only place its own rebuilt files live, is not
reachable here, and Pyodide on Node reads a lock's package from a local folder without checking
its ``sha256`` (a browser checks it, as Subresource Integrity; so a stock lock's packages load
from these files on Node only). Same project, same version, same file name; PyPI's build.

:func:`bootstrap_index` is the package index a user would install micropip2 from: micropip2's
wheel built from the working tree and the real PyPI wheels of its dependencies.

The bootstraps themselves run inside Pyodide: :func:`bootstrap_with_micropip` and
:func:`bootstrap_with_load_package`, the steps of docs/bootstrap.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import parse_wheel_filename

from tests.support.index_server import IndexServer
from tests.support.pypi_files import sha256_of

REPO = Path(__file__).resolve().parents[2]
STOCK_ROOT = REPO / "build" / "stock"

# micropip2's dependencies (pyproject.toml) and theirs, as wheels on the bootstrap index: the
# pinned PyPI files of the test dists (tests/dist/pins.toml), both attrs versions.
DEPENDENCY_WHEELS = (
    "packaging-26.2-py3-none-any.whl",
    "resolvelib-1.2.1-py3-none-any.whl",
    "pyodide_lock-0.2.1-py3-none-any.whl",
    "attrs-25.4.0-py3-none-any.whl",
    "attrs-26.1.0-py3-none-any.whl",
    "cattrs-26.2.1-py3-none-any.whl",
    "typing_extensions-4.15.0-py3-none-any.whl",
)

# What a stock lock must supply for the micropip bootstrap: micropip itself, and what micropip
# takes from the lock when it resolves micropip2 against PyPI (the lockfile first).
FROM_STOCK_LOCK = ("micropip", "packaging", "attrs", "six", "typing-extensions")


class StockSetupError(RuntimeError):
    """A file the stock runtime needs is missing: says which, and how to get it."""


@dataclass(frozen=True)
class StockDist:
    version: str
    npm_dir: Path  # pyodide.mjs & co. and the npm package's own pyodide-lock.json
    package_dir: Path  # build/stock/<version>/: the lock's wheels a bootstrap loads

    @property
    def lockfile(self) -> Path:
        return self.npm_dir / "pyodide-lock.json"

    def lock(self) -> dict:
        return json.loads(self.lockfile.read_text(encoding="utf-8"))

    def runtime_options(self) -> dict:
        """Keyword arguments of ``PyodideRuntime``/``new_runtime`` for this stock runtime (Node):
        boots from the npm folder with its own lock, loads nothing at boot."""
        return {
            "dist_dir": self.npm_dir,
            "lockfile": self.lockfile,
            "package_dir": self.package_dir,
            "packages": (),
        }


def _pypi_files() -> dict[str, Path]:
    """Every pinned PyPI wheel present on this machine: file name -> path (sha256-checked by
    whoever placed it: build_dist for build/wheels/ and the dists, corpus.py for build/corpus/)."""
    from scripts import build_dist

    out: dict[str, Path] = {}
    pins = build_dist.load_pins()
    for folder in [build_dist.EXTRA_WHEELS, *(p.dir for p in pins.dists.values())]:
        for name in pins.wheels:
            if (folder / name).is_file():
                out.setdefault(name, folder / name)
    return out


def _micropip_wheel() -> Path:
    from benchmarks.corpus import fetch_tool_micropip

    return fetch_tool_micropip()  # sha256-checked against benchmarks/corpus.toml


def stock_dist(version: str) -> StockDist:
    """The stock runtime of ``version``, its package folder filled (idempotent)."""
    from scripts import build_dist

    pins = build_dist.load_pins()
    if version not in pins.dists:
        raise StockSetupError(f"no Pyodide {version} in tests/dist/pins.toml")
    npm_dir = pins.dists[version].npm_dir
    dist = StockDist(version, npm_dir, STOCK_ROOT / version)
    if not dist.lockfile.is_file():
        raise StockSetupError(f"{dist.lockfile} is missing: run scripts/setup.sh (npm ci)")
    packages = dist.lock()["packages"]
    available = _pypi_files()
    available.setdefault(_micropip_wheel().name, _micropip_wheel())
    dist.package_dir.mkdir(parents=True, exist_ok=True)
    for name in FROM_STOCK_LOCK:
        entry = packages.get(name)
        if entry is None:
            raise StockSetupError(f"the stock lock of Pyodide {version} has no {name!r}")
        file_name = entry["file_name"]
        src = available.get(file_name)
        if src is None:
            raise StockSetupError(
                f"Pyodide {version}'s stock lock names {file_name} for {name}, and no pinned "
                f"PyPI file of that name is on this machine (build/wheels/, build/dist/*/, "
                f"build/corpus/): pin it in tests/dist/pins.toml as an [[extra_wheel]] and run "
                f"scripts/setup.sh"
            )
        _name, file_version, _build, _tags = parse_wheel_filename(file_name)
        if str(file_version) != entry["version"]:
            raise StockSetupError(f"{file_name}: version {file_version}, lock says {entry}")
        dst = dist.package_dir / file_name
        if not dst.is_file() or sha256_of(dst) != sha256_of(src):
            tmp = dst.with_name(dst.name + ".part")
            tmp.write_bytes(src.read_bytes())
            tmp.replace(dst)
    return dist


def micropip2_wheel() -> Path:
    """micropip2's wheel built from the working tree (as the test session builds it)."""
    from scripts import build_dist

    locks = build_dist.build_micropip2()
    version, rel = next(iter(locks.items()))
    folder = (build_dist.DIST_ROOT / version / rel).parent
    wheels = sorted(folder.glob("micropip2-*.whl"))
    if len(wheels) != 1:
        raise StockSetupError(f"expected one micropip2 wheel in {folder}, found {wheels}")
    return wheels[0]


def bootstrap_index(micropip2: Path, *, latency: float = 0.0) -> IndexServer:
    """A started index (absolute file URLs, as PyPI's) with micropip2 and its dependencies."""
    available = _pypi_files()
    missing = [w for w in DEPENDENCY_WHEELS if w not in available]
    if missing:
        raise StockSetupError(f"pinned wheels missing (run scripts/setup.sh): {missing}")
    server = IndexServer(latency=latency, absolute_urls=True)
    try:
        server.add_wheel(micropip2)
        for w in DEPENDENCY_WHEELS:
            server.add_wheel(available[w])
        return server.start()
    except BaseException:
        server.stop()
        raise


def bootstrap_urls(server: IndexServer, micropip2: Path) -> list[str]:
    """The wheel URLs of the one-``loadPackage`` bootstrap, on ``server``: micropip2's and the
    newest of each dependency's (as ``pip download micropip2`` would pick)."""
    newest: dict[str, str] = {}
    for w in DEPENDENCY_WHEELS:
        name, version, _build, _tags = parse_wheel_filename(w)
        if name not in newest or parse_wheel_filename(newest[name])[1] < version:
            newest[name] = w
    return [server.url_for(f) for f in [micropip2.name, *newest.values()]]


# --------------------------------------------------------------------------------------
# in Pyodide (shipped by source with runtime.call: imports inside)


async def bootstrap_with_micropip(index, lock_first):
    """docs/bootstrap.md, way 1: load micropip from the distribution, let it install micropip2.

    ``lock_first``: make ``index`` micropip's *default* index, so that micropip takes what the
    lock has from the lock, as it does with PyPI (a custom ``index_urls`` makes it ask the index
    first). Returns the seconds of each step and what ``loadPackage`` reported as failed."""
    import time

    import pyodide_js

    errors = []
    t0 = time.perf_counter()
    await pyodide_js.loadPackage("micropip", errorCallback=errors.append)
    t1 = time.perf_counter()
    import micropip

    t2 = time.perf_counter()
    if lock_first:
        import micropip.package_index

        micropip.package_index.DEFAULT_INDEX_URLS[:] = [index]
        micropip.set_index_urls([index])
        await micropip.install("micropip2")
    else:
        await micropip.install("micropip2", index_urls=[index])
    t3 = time.perf_counter()
    import micropip2

    t4 = time.perf_counter()
    return {
        "steps": {
            "loadPackage": t1 - t0,
            "import micropip": t2 - t1,
            "micropip.install": t3 - t2,
            "import micropip2": t4 - t3,
        },
        "seconds": t4 - t0,
        "errors": errors,
        "module": micropip2.__name__,
    }


async def bootstrap_with_load_package(urls):
    """docs/bootstrap.md, way 2: one ``loadPackage`` of the wheels' URLs, no micropip."""
    import time

    import pyodide_js

    errors = []
    t0 = time.perf_counter()
    await pyodide_js.loadPackage(urls, errorCallback=errors.append)
    t1 = time.perf_counter()
    import micropip2

    t2 = time.perf_counter()
    return {
        "steps": {"loadPackage": t1 - t0, "import micropip2": t2 - t1},
        "seconds": t2 - t0,
        "errors": errors,
        "module": micropip2.__name__,
    }


async def load_micropip():
    """The baseline: ``loadPackage("micropip")`` and ``import micropip``."""
    import time

    import pyodide_js

    errors = []
    t0 = time.perf_counter()
    await pyodide_js.loadPackage("micropip", errorCallback=errors.append)
    t1 = time.perf_counter()
    import micropip

    t2 = time.perf_counter()
    return {
        "steps": {"loadPackage": t1 - t0, "import micropip": t2 - t1},
        "seconds": t2 - t0,
        "errors": errors,
        "module": micropip.__name__,
    }
