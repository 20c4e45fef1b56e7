"""micropip's callers, through ``micropip2.install_as_micropip()``, inside real Pyodide.

Each test replays how one tool calls micropip (CONTEXT.md §7, written from the tools' behaviour,
not their code), after the switch, with ``import micropip`` as the tool does it: PyScript (a JS
options object in ``keep_going``'s place, then ``freeze()`` replayed as a lockfile), marimo
(lists, synchronous ``uninstall``, ``list().values()``, only ``ValueError`` caught), stlite
(``install.callKwargs`` from JS, mock packages, ``emfs:``), shinylive (``name not in list()``),
a mock package standing in for a dependency, and micropip 0.11.1 imported before the switch.
The projects are published on the loopback index.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.corpus import fetch_tool_micropip
from tests.support.publish import publish
from tests.support.wheels import simple_wheel

ROOT = Path(__file__).resolve().parent.parent


# -- PyScript ---------------------------------------------------------------------------------


async def _pyscript_install_and_freeze(index):
    import micropip2

    micropip2.install_as_micropip()
    import pyodide_js
    from pyodide.code import run_js
    from pyodide.ffi import to_js

    # PyScript's worker: the micropip PyProxy, set_index_urls, install(packages, {keep_going})
    install = run_js(
        """async (pyodide, index, packages) => {
            const micropip = pyodide.pyimport("micropip");
            try {
                micropip.set_index_urls([index]);
                await micropip.install(packages, {keep_going: true});
                return "installed";
            } catch (error) {
                return error.message;
            } finally {
                micropip.destroy();
            }
        }"""
    )
    failed = await install(pyodide_js, index, to_js(["pkg-a", "absent-one", "absent-two"]))
    done = await install(pyodide_js, index, to_js(["pkg-a"]))
    import micropip
    import pkg_a
    import pkg_b

    return {
        "failed": failed,
        "done": done,
        "versions": [pkg_a.VERSION, pkg_b.VERSION],
        "lock": micropip.freeze(),
    }


async def _replay(names):
    """PyScript's next page load: the frozen lock booted, its packages loaded by name."""
    import importlib.metadata

    import pyodide_js

    errors = []
    await pyodide_js.loadPackage(names, errorCallback=errors.append)
    import pkg_a

    return {
        "errors": errors,
        "pkg_a": pkg_a.VERSION,
        "pkg_b": importlib.metadata.version("pkg-b"),
    }


def test_a_js_options_object_as_keep_going_then_freeze_replayed(
    runtime, index_server, new_runtime, tmp_path
):
    publish(index_server, "pkg-a", "1.0", ["pkg-b>=2"])
    publish(index_server, "pkg-b", "2.1")
    got = runtime.call(_pyscript_install_and_freeze, index_server.simple_url)

    # the JS object in keep_going's place is taken as true: both missing projects in one error
    assert "ResolutionError" in got["failed"]
    assert "absent-one" in got["failed"] and "absent-two" in got["failed"]
    assert got["done"] == "installed" and got["versions"] == ["1.0", "2.1"]

    lock = json.loads(got["lock"])
    assert lock["packages"]["pkg-a"]["version"] == "1.0"
    assert lock["packages"]["pkg-b"]["version"] == "2.1"
    # Pyodide on Node loads lockfile packages only from local files: the lock's files go into a
    # folder first (in a browser, PyScript passes the text as lockFileContents directly)
    (tmp_path / "frozen.json").write_text(got["lock"])
    folder = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "micropip2", "download", str(tmp_path / "frozen.json")]
        + ["-d", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    fresh = new_runtime(
        runtime.id, lockfile=folder / "pyodide-lock.json", package_dir=folder, packages=()
    )
    try:
        replayed = fresh.call(_replay, ["pkg-a"])  # pkg-b comes as pkg-a's lockfile dependency
    finally:
        fresh.close()
    assert replayed == {"errors": [], "pkg_a": "1.0", "pkg_b": "2.1"}


# -- marimo -----------------------------------------------------------------------------------


async def _marimo(index):
    import inspect

    import micropip2

    micropip2.install_as_micropip()
    import micropip

    micropip.set_index_urls(index)
    await micropip.install(["pkg-c"])
    listed = {p.name: p.version for p in micropip.list().values()}
    uninstalled = micropip.uninstall("pkg-c")  # synchronous: marimo does not await it
    caught = []
    for requirement in ["no-such-project", "pkg-broken"]:
        try:
            await micropip.install([requirement])
        except ValueError as error:  # marimo catches nothing else
            caught.append(type(error).__name__)
    return {
        "listed": listed.get("pkg-c"),
        "uninstall_is_sync": not inspect.isawaitable(uninstalled),
        "after": "pkg-c" in micropip.list(),
        "caught": caught,
    }


@pytest.mark.smoke
def test_marimo_lists_uninstalls_and_catches_value_error(runtime, index_server):
    publish(index_server, "pkg-c", "3.0")
    broken = publish(index_server, "pkg-broken", "1.0")
    index_server.fail(broken, status=404)  # listed, but its wheel is missing
    got = runtime.call(_marimo, index_server.simple_url)
    assert got == {
        "listed": "3.0",
        "uninstall_is_sync": True,
        "after": False,
        "caught": ["ResolutionError", "DownloadError"],
    }


# -- stlite -----------------------------------------------------------------------------------


async def _stlite(index, wheel):
    import importlib

    import micropip2

    micropip2.install_as_micropip()
    import micropip
    import pyodide_js
    from pyodide.code import run_js
    from pyodide.ffi import to_js

    micropip.set_index_urls([index])
    call_kwargs = run_js(
        """async (pyodide, requirements) => {
            const micropip = pyodide.pyimport("micropip");
            try {
                await micropip.install.callKwargs(requirements, {keep_going: true});
                return "installed";
            } catch (error) {
                return error.message;
            } finally {
                micropip.destroy();
            }
        }"""
    )
    failed = await call_kwargs(pyodide_js, to_js(["pkg-d", "absent-three", "absent-four"]))
    done = await call_kwargs(pyodide_js, to_js(["pkg-d"]))
    import pkg_d

    micropip.add_mock_package(
        "St-Mock", "0.5", modules={"st_mock": "VALUE = 'mocked'", "st_mock.part": "PART = 1"}
    )
    import st_mock
    import st_mock.part

    mocked = {
        "value": st_mock.VALUE,
        "part": st_mock.part.PART,
        "listed": micropip.list()["st_mock"].version,
        "mocks": micropip.list_mock_packages(),
    }
    micropip.remove_mock_package("St-Mock")
    importlib.invalidate_caches()
    try:
        import st_mock

        mocked["after"] = "still importable"
    except ImportError:
        mocked["after"] = "gone"
    mocked["listed_after"] = "st-mock" in micropip.list()

    with open("/tmp/pkg_e-1.0-py3-none-any.whl", "wb") as handle:
        handle.write(bytes(wheel))
    await micropip.install("emfs:/tmp/pkg_e-1.0-py3-none-any.whl")
    import pkg_e

    return {
        "failed": failed,
        "done": done,
        "pkg_d": pkg_d.VERSION,
        "mocked": mocked,
        "emfs": [pkg_e.VERSION, micropip.list()["pkg-e"].source],
    }


@pytest.mark.smoke
def test_stlite_call_kwargs_from_js_mock_packages_and_emfs(runtime, index_server):
    publish(index_server, "pkg-d", "4.0")
    _, wheel = simple_wheel("pkg_e")
    got = runtime.call(_stlite, index_server.simple_url, list(wheel))
    assert "absent-three" in got["failed"] and "absent-four" in got["failed"]
    assert got["done"] == "installed" and got["pkg_d"] == "4.0"
    assert got["mocked"] == {
        "value": "mocked",
        "part": 1,
        "listed": "0.5",
        "mocks": ["St-Mock"],
        "after": "gone",
        "listed_after": False,
    }
    assert got["emfs"] == ["1.0", "url: emfs:/tmp/pkg_e-1.0-py3-none-any.whl"]


# -- shinylive --------------------------------------------------------------------------------


async def _shinylive(index):
    import micropip2

    micropip2.install_as_micropip()
    import micropip

    micropip.set_index_urls([index])
    done = []
    for requirement, name in [("Typing_Extensions", "Typing_Extensions"), ("Pkg.F>=1", "Pkg.F")]:
        if name not in micropip.list():  # shinylive's check, with the name as written
            await micropip.install(requirement)
            done.append(name)
    return {"installed": done, "now": ["PKG_F" in micropip.list(), "pkg-f" in micropip.list()]}


@pytest.mark.smoke
def test_shinylive_checks_names_in_list_before_installing(runtime, index_server):
    publish(index_server, "pkg-f", "6.0")
    got = runtime.call(_shinylive, index_server.simple_url)
    assert got == {"installed": ["Pkg.F"], "now": [True, True]}
    assert index_server.count("/simple/typing-extensions/") == 0  # found installed: not asked


# -- a mock standing in for a dependency ------------------------------------------------------


async def _mock_dependency(index):
    import importlib.metadata
    import os
    import warnings

    import micropip2

    micropip2.install_as_micropip()
    import micropip

    micropip.add_mock_package("heavy-dep", "2.5")  # in memory: its module is heavy_dep
    report = await micropip.install("pkg-g", index_urls=[index])
    import heavy_dep  # noqa: F401
    import pkg_g

    kept = {item.name: item.action.value for item in report.plan.items}

    # freeze leaves the mock out (it has no file), and sync to that lock keeps it
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lock = micropip.freeze()
    synced = await micropip2.sync(lock)
    after_sync = [
        [str(w.message) for w in caught],
        [i.name for i in synced.installed + synced.removed],
        micropip.list()["heavy-dep"].version,
    ]

    # persistent: written into site-packages with a RECORD; uninstall removes it like a package
    micropip.add_mock_package("disk-mock", "1.0", modules={"disk_mock": "X = 2"}, persistent=True)
    import disk_mock

    files = [str(f) for f in importlib.metadata.distribution("disk-mock").files]
    located = [str(f.locate()) for f in importlib.metadata.distribution("disk-mock").files]
    disk = [disk_mock.X, micropip2.list_mock_packages(), micropip.list()["disk-mock"].source]
    removed = micropip.uninstall("disk-mock")
    return {
        "pkg_g": pkg_g.VERSION,
        "plan": kept,
        "heavy": micropip.list()["heavy-dep"].source,
        "after_sync": after_sync,
        "disk": disk,
        "files": sorted(files),
        "removed": removed,
        "left": [path for path in located if os.path.exists(path)],
    }


async def _install_error(requirement, index):
    import micropip

    try:
        await micropip.install(requirement, index_urls=[index])
    except ValueError as error:
        return f"{type(error).__name__}: {error}"
    return "installed"


@pytest.mark.smoke
def test_a_mock_package_satisfies_a_dependency_of_a_real_install(runtime, index_server):
    publish(index_server, "pkg-g", "7.0", ["heavy-dep>=2"])
    publish(index_server, "heavy-dep", "3.0")  # on the index, but the mock satisfies it
    publish(index_server, "pkg-newer", "1.0", ["heavy-dep>=3"])
    got = runtime.call(_mock_dependency, index_server.simple_url)
    assert got["pkg_g"] == "7.0"
    assert got["plan"]["heavy-dep"] == "keep" and got["plan"]["pkg-g"] == "install"
    assert got["heavy"] == "mock package (in memory)"
    assert got["after_sync"] == [
        [
            "micropip2.freeze: left out heavy-dep 2.5: installed by micropip2 mock package "
            "with no record of the file it came from"
        ],
        [],
        "2.5",
    ]
    assert index_server.count("/simple/heavy-dep/") == 0
    assert index_server.count("/files/heavy_dep-*") == 0
    assert got["disk"] == [2, ["disk-mock", "heavy-dep"], "mock package"]
    assert got["files"] == [
        "disk_mock-1.0.dist-info/INSTALLER",
        "disk_mock-1.0.dist-info/METADATA",
        "disk_mock-1.0.dist-info/RECORD",
        "disk_mock-1.0.dist-info/top_level.txt",
        "disk_mock/__init__.py",
    ]
    assert got["removed"] == ["disk-mock"] and got["left"] == []

    # a requirement the mock's version does not meet: resolution says so, nothing is replaced
    too_old = runtime.call(_install_error, "pkg-newer", index_server.simple_url)
    assert too_old.startswith("ResolutionError") and "heavy-dep>=3" in too_old
    assert "installed: 2.5 (a mock package: remove_mock_package() it" in too_old
    assert "index: 3.0" in too_old


# -- micropip 0.11.1 imported before the switch ----------------------------------------------


async def _micropip_first(micropip_url, index):
    import importlib.metadata
    import sys
    from unittest import mock

    import micropip2

    await micropip2.install(micropip_url)
    import micropip  # the real one, as piplite, PyScript and marimo import it at start
    import micropip.package_index

    earlier = micropip
    real_version = micropip.__version__
    micropip2.install_as_micropip()
    import micropip

    await earlier.install(["pkg-h"], index_urls=[index])  # the tool's old reference
    try:  # piplite's patch of micropip's index lookup fails loudly, not silently
        with mock.patch("micropip.package_index.query_package"):
            patched = "patched silently"
    except AttributeError as error:
        patched = str(error)
    try:
        micropip.package_index  # noqa: B018
        internals = "provided"
    except AttributeError as error:
        internals = str(error)
    return {
        "micropip2": micropip2.__version__,
        "real_version": real_version,
        "version": [earlier.__version__, micropip.__version__],
        "same_functions": [
            earlier.install == micropip2.install,
            earlier.list == micropip2.list,
            earlier.uninstall == micropip2.uninstall,
            earlier.add_mock_package == micropip2.add_mock_package,
        ],
        "module": micropip.__name__,
        "submodules": sorted(k for k in sys.modules if k.startswith("micropip.")),
        "pkg_h_installer": importlib.metadata.distribution("pkg-h").read_text("INSTALLER"),
        "listed": "pkg_h" in earlier.list(),
        "patched": patched,
        "internals": internals,
    }


@pytest.mark.smoke
def test_micropip_imported_before_the_switch_is_redirected(runtime, index_server):
    micropip_url = index_server.add_wheel(fetch_tool_micropip())
    publish(index_server, "pkg-h", "8.0")
    got = runtime.call(_micropip_first, micropip_url, index_server.simple_url)
    assert got["real_version"] == "0.11.1"
    assert got["version"] == [f"0.11.1+micropip2.{got['micropip2']}"] * 2
    assert got["same_functions"] == [True] * 4
    assert got["module"] == "micropip2.micropip_api" and got["submodules"] == []
    assert got["pkg_h_installer"].strip() == "micropip2" and got["listed"] is True
    assert "does not provide micropip.package_index" in got["patched"]
    assert got["internals"] == got["patched"]


async def _reinstall_over_a_mock(index):
    import importlib.metadata
    import sys

    import micropip2

    micropip2.add_mock_package("mocked-dep", "3.0", modules={"mocked_dep": "SOURCE = 'mock'"})
    await micropip2.install("mocked-dep==3.0", index_urls=[index])  # the mock satisfies it
    import mocked_dep

    before = mocked_dep.SOURCE
    report = await micropip2.install("mocked-dep==3.0", index_urls=[index], reinstall=True)
    assert "mocked_dep" not in sys.modules  # the mock's module was dropped with it
    import mocked_dep

    return {
        "before": before,
        "installed": [f"{i.name}=={i.version}" for i in report.installed],
        "after": mocked_dep.VERSION,  # the real wheel's module (tests.support.publish writes it)
        "installer": importlib.metadata.distribution("mocked-dep").read_text("INSTALLER"),
        "mocks": micropip2.list_mock_packages(),
    }


def test_reinstall_puts_the_real_package_in_an_in_memory_mocks_place(runtime, index_server):
    publish(index_server, "mocked-dep", "3.0")
    got = runtime.call(_reinstall_over_a_mock, index_server.simple_url)
    assert got == {
        "before": "mock",
        "installed": ["mocked-dep==3.0"],
        "after": "3.0",
        "installer": "micropip2\n",
        "mocks": [],
    }
