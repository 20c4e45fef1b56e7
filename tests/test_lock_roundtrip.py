"""Lock round trips: install -> ``micropip2.freeze()`` -> a fresh runtime holds the same packages.

A source runtime per Pyodide version installs rich (recorded PyPI wheels from a loopback replay
index) on top of micropip2 and its dependencies (packages of the Pyodide distribution, loaded from
its lockfile) and loads the distribution's shared library ``libblosc2-test``; then it freezes. The
lock then goes

- to a fresh Chromium runtime booted with it (absolute http URLs) as ``lockFileURL``, and to one
  booted with its text as ``lockFileContents`` (the default lockFileURL, the distribution's own
  lock, does not list rich), each of which ``loadPackage``s every name in it;
- through ``python -m micropip2 download`` into a local folder (relative names), from which a fresh
  Node runtime boots (``packageBaseUrl``/``packageCacheDir``; Pyodide on Node loads lockfile
  packages only from local files) and ``loadPackage``s every name;
- to ``await micropip2.sync(lock)`` in a fresh runtime that has micropip2, as pyodide-lock.json
  and as pylock.toml.

Every time, every module the lock lists imports and every version is the source's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from benchmarks.corpus import replay_server
from tests.support.pylock_check import checked_pylock

ROOT = Path(__file__).resolve().parent.parent
RICH_TREE = {"rich", "markdown-it-py", "mdurl", "pygments"}
# micropip2's dependencies, from the Pyodide distribution's lockfile
FROM_DISTRIBUTION = {
    "micropip2",
    "packaging",
    "resolvelib",
    "pyodide-lock",
    "attrs",
    "cattrs",
    "typing-extensions",
}
SHARED_LIBRARY = "libblosc2-test"


# --------------------------------------------------------------------------------------
# in Pyodide


async def _install_and_freeze(index):
    import warnings

    import pyodide_js

    import micropip2

    await micropip2.install("rich", index_urls=[index])
    errors = []
    await pyodide_js.loadPackage(["libblosc2-test"], errorCallback=errors.append)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lock = micropip2.freeze()
        pylock = micropip2.freeze(format="pylock")
    return {
        "lock": lock,
        "pylock": pylock,
        "warnings": [str(w.message) for w in caught],
        "errors": errors,
        "list": {p.name: p.version for p in micropip2.list().values()},
    }


async def _roundtrip(lock_text, how):
    """Bring in the lock's packages (``how``: "loadPackage", the runtime having been booted with the
    lock; or "sync"), then import every module the lock lists and read every version."""
    import importlib
    import importlib.metadata as md
    import json
    import tomllib

    import pyodide_js

    try:
        packages = list(json.loads(lock_text)["packages"].values())
    except ValueError:  # pylock.toml: Pyodide's package type and imports are under tool.micropip2
        packages = [
            {
                "name": p["name"],
                **{k.replace("-", "_"): v for k, v in p["tool"]["micropip2"].items()},
            }
            for p in tomllib.loads(lock_text)["packages"]
        ]
    out = {}
    if how == "loadPackage":
        errors = []
        await pyodide_js.loadPackage([p["name"] for p in packages], errorCallback=errors.append)
        out["errors"] = errors
    else:
        import micropip2

        report = await micropip2.sync(lock_text)
        out["installed"] = sorted(f"{i.name} {i.version}" for i in report.installed)
        out["removed"] = sorted(f"{i.name} {i.version}" for i in report.removed)
    versions, imported, failed = {}, [], {}
    for p in packages:
        if p["package_type"] != "package":
            continue
        try:
            versions[p["name"]] = md.version(p["name"])
        except md.PackageNotFoundError:
            versions[p["name"]] = None
        for module in p["imports"]:
            try:
                importlib.import_module(module)
                imported.append(module)
            except Exception as e:
                failed[module] = f"{type(e).__name__}: {e}"
    from rich.console import Console  # the point of it all: the installed tree works

    Console(width=20, color_system=None)
    import micropip2  # in every lock here (it was in the source runtime)

    return {
        **out,
        "versions": versions,
        "imported": sorted(imported),
        "import_failures": failed,
        "loaded": sorted(pyodide_js.loadedPackages.object_keys()),
        "list": {p.name: p.version for p in micropip2.list().values()},
    }


# --------------------------------------------------------------------------------------
# host side


@pytest.fixture(scope="module")
def rich_index():
    with replay_server("rich") as server:
        yield server


@pytest.fixture(scope="module")
def frozen(new_runtime, rich_index):
    """frozen(runtime id) -> the source runtime's freeze output (booted, installed, frozen once)."""
    cache: dict[str, dict] = {}

    def get(ident: str) -> dict:
        if ident not in cache:
            source = new_runtime(ident)
            try:
                got = source.call(_install_and_freeze, rich_index.url + "/simple")
            finally:
                source.close()
            assert got["errors"] == [] and got["warnings"] == []
            names = {canonicalize_name(n) for n in got["list"]}
            assert names >= RICH_TREE | FROM_DISTRIBUTION
            got["versions"] = {canonicalize_name(n): v for n, v in got["list"].items()}
            cache[ident] = got
        return cache[ident]

    return get


def _normalized(versions: dict) -> dict:
    return {canonicalize_name(n): v for n, v in versions.items()}


def _check_same_environment(got: dict, source: dict, lock_names: set[str]) -> None:
    assert got["import_failures"] == {}
    assert {"rich", "markdown_it", "mdurl", "pygments", "micropip2", "attrs", "cattrs"} <= set(
        got["imported"]
    )
    # every package of the lock is there, at the source's version
    assert _normalized(got["versions"]) == {
        n: source["versions"][n] for n in _normalized(got["versions"])
    }
    assert set(_normalized(got["versions"])) == lock_names - {SHARED_LIBRARY}
    assert SHARED_LIBRARY in got["loaded"]
    assert {canonicalize_name(n) for n in got["loaded"]} >= RICH_TREE | FROM_DISTRIBUTION


def _lock_names(lock_text: str) -> set[str]:
    return {canonicalize_name(p["name"]) for p in json.loads(lock_text)["packages"].values()}


def test_freeze_output_is_a_valid_pyodide_lock_and_pylock(frozen):
    from pyodide_lock import PyodideLockSpec

    source = frozen("node-314.0.7")
    doc = json.loads(source["lock"])
    spec = PyodideLockSpec.from_dict(doc)
    assert spec.info.abi_version == "2026_0"
    assert {canonicalize_name(n) for n in spec.packages} == set(source["versions"]) | {
        SHARED_LIBRARY
    }
    assert doc["packages"][SHARED_LIBRARY]["package_type"] == "shared_library"
    rich = doc["packages"]["rich"]
    assert (
        rich["file_name"].startswith("http://127.0.0.1:")
        and rich["version"] == source["versions"]["rich"]
    )
    assert sorted(rich["depends"]) == ["markdown-it-py", "pygments"]

    pylock = checked_pylock(source["pylock"])  # packaging's PEP 751 reader accepts it
    assert pylock["lock-version"] == "1.0"
    assert {canonicalize_name(p["name"]): p["version"] for p in pylock["packages"]} == {
        **source["versions"],
        SHARED_LIBRARY: doc["packages"][SHARED_LIBRARY]["version"],
    }
    for p in pylock["packages"]:
        files = p.get("wheels") or [p.get("archive")]
        assert all(f and f["hashes"]["sha256"] for f in files), p["name"]


@pytest.mark.parametrize("given_as", ["lockFileURL", "lockFileContents"])
def test_chrome_boots_from_the_frozen_lock(given_as, frozen, new_runtime, rich_index):
    source = frozen("chrome-314.0.7")
    doc = json.loads(source["lock"])
    # absolute http URLs: the distribution's files on the static server, rich's on the index
    assert all(p["file_name"].startswith("http://127.0.0.1:") for p in doc["packages"].values())
    lock_url = rich_index.add_file("locks/chrome/pyodide-lock.json", source["lock"].encode())
    fresh = new_runtime(
        "chrome-314.0.7",
        lockfile=lock_url,
        packages=(),
        lockfile_contents=given_as == "lockFileContents",
    )
    _check_fresh_runtime_loads_the_lock(fresh, source["lock"], source)


@pytest.mark.parametrize("ident", ["node-314.0.7", "node-0.29.5"])
def test_node_boots_from_the_frozen_lock_downloaded_into_a_folder(
    ident, frozen, new_runtime, tmp_path
):
    source = frozen(ident)
    lock_path = tmp_path / "frozen.json"
    lock_path.write_text(source["lock"])
    folder = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "micropip2", "download", str(lock_path), "-d", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    local = json.loads((folder / "pyodide-lock.json").read_text())
    assert local["info"] == json.loads(source["lock"])["info"]
    for p in local["packages"].values():  # relative names, each file in the folder
        assert "/" not in p["file_name"] and (folder / p["file_name"]).is_file()
    fresh = new_runtime(
        ident, lockfile=folder / "pyodide-lock.json", package_dir=folder, packages=()
    )
    _check_fresh_runtime_loads_the_lock(fresh, json.dumps(local), source)


def _check_fresh_runtime_loads_the_lock(fresh, lock_text, source):
    """``fresh`` booted from a lock with nothing loaded; loadPackage of every name in ``lock_text``
    gives the source's environment."""
    try:
        assert fresh.run("import pyodide_js; sorted(pyodide_js.loadedPackages.object_keys())") == []
        got = fresh.call(_roundtrip, lock_text, "loadPackage")
    finally:
        fresh.close()
    assert got["errors"] == []
    _check_same_environment(got, source, _lock_names(source["lock"]))
    # the fresh runtime's micropip2 sees what the source saw
    assert _normalized(got["list"]) == source["versions"]


@pytest.mark.parametrize("format", ["pyodide-lock", "pylock"])
def test_sync_to_the_frozen_lock_in_a_fresh_runtime(runtime, format, frozen):
    """A fresh runtime with micropip2 (from the distribution's lockfile) syncs to the source's
    lock."""
    source = frozen(runtime.id)
    text = source["lock"] if format == "pyodide-lock" else source["pylock"]
    got = runtime.call(_roundtrip, text, "sync")
    assert got["removed"] == []
    # micropip2 and its dependencies were already there; sync brought rich's tree (from the index's
    # URLs) and the shared library (from the distribution)
    assert {canonicalize_name(s.split()[0]) for s in got["installed"]} == RICH_TREE | {
        SHARED_LIBRARY
    }
    _check_same_environment(got, source, _lock_names(source["lock"]))
    assert _normalized(got["list"]) == source["versions"]
