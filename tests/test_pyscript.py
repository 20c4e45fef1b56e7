"""PyScript's ``packages`` installed through micropip2, in Debian's Chromium, with the pinned
``@pyscript/core`` from npm and a Pyodide 314.0.7 of the site's own (docs/pyscript.md).

PyScript (polyscript's Pyodide engine) installs a page's ``packages`` with
``loadPackage("micropip")``, ``micropip.set_index_urls(index_urls)``,
``micropip.install(packages, {keep_going: true})`` and keeps ``micropip.freeze()`` in IndexedDB;
the next load of the page boots Pyodide from that lock (``lockFileContents``) and installs
nothing. The site's lock lists micropip2's ``micropip`` shim, so all of that is micropip2; the
console lines PyScript turns into ``py:progress`` events are micropip2's progress. The last
test checks the shim's module on Node, in both runtimes.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.index_server import IndexServer
from tests.support.publish import publish
from tests.support.pyodide_runtime import browser_disabled
from tests.support.pyscript_site import DIST, PageResult, PyScriptBrowser, PyScriptSite

# The Chromium tests boot Pyodide themselves (marked `pyodide`: no runtime fixture).
no_browser = pytest.mark.skipif(
    browser_disabled(), reason="Chromium disabled by MICROPIP2_NO_BROWSER"
)

# What the page's Python reports once PyScript has installed its packages: the modules work,
# who installed them, what `import micropip` is, and the lock Pyodide booted from.
PAGE_CODE = """
import json
from importlib.metadata import distribution

import js
import pyodide_js

import ps_app
import ps_lib

lock = pyodide_js.lockfile.to_py()["packages"]
js.window.pyscriptTest = json.dumps({
    "versions": [ps_app.VERSION, ps_lib.VERSION],
    "installer": {n: distribution(n).read_text("INSTALLER").strip() for n in ("ps-app", "ps-lib")},
    "lock": {k: [v["version"], v["file_name"]] for k, v in lock.items()},
})
"""

SUMMARY = re.compile(r"Resolved 2 packages, downloaded [\d.]+ k?B, installed 2 in [\d.]+ s")


@pytest.fixture(scope="module")
def site() -> Iterator[PyScriptSite]:
    if not Path("/usr/bin/chromium").exists():
        pytest.fail(
            "/usr/bin/chromium is missing: run scripts/setup.sh (or MICROPIP2_NO_BROWSER=1)"
        )
    from scripts import build_dist

    # this tree's micropip2 and shim, and the dist's wheels of micropip2's dependencies
    build = (DIST / build_dist.build_micropip2()["314.0.7"]).parent
    with PyScriptSite(sorted(build.glob("*.whl")) + sorted(DIST.glob("*.whl"))) as served:
        yield served


@pytest.fixture(scope="module")
def browser(site: PyScriptSite) -> Iterator[PyScriptBrowser]:
    profile = site.root / "profile"
    with PyScriptBrowser(profile) as opened:
        yield opened
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def index() -> Iterator[IndexServer]:
    with IndexServer() as server:
        publish(server, "ps-app", "1.0", ["ps-lib>=2"])
        publish(server, "ps-lib", "1.0")
        publish(server, "ps-lib", "2.0")
        publish(server, "ps-broken", "1.0", ["ps-lib>=9"])
        yield server


@pytest.fixture(scope="module")
def app_url(site: PyScriptSite, index: IndexServer) -> str:
    config = {"packages": ["ps-app"], "index_urls": [index.simple_url]}
    return site.page("app", config, PAGE_CODE)


@pytest.fixture(scope="module")
def first_load(
    browser: PyScriptBrowser, index: IndexServer, app_url: str
) -> tuple[PageResult, list[str]]:
    """The page opened once in a fresh profile, and the index paths it asked for."""
    index.clear_requests()
    page = browser.open(app_url)
    return page, [r.path for r in index.requests]


def _pages(paths: list[str]) -> list[str]:
    """The requests that only a resolution makes: project pages, JSON API, metadata files."""
    return [p for p in paths if not p.endswith(".whl")]


@pytest.mark.pyodide
@no_browser
def test_packages_are_installed_by_micropip2_with_its_progress(
    first_load: tuple[PageResult, list[str]], index: IndexServer
) -> None:
    page, paths = first_load
    assert page.ok, page.explain()
    got: dict[str, Any] = page.result
    assert got["versions"] == ["1.0", "2.0"]  # ps-lib>=2: the newer one
    assert got["installer"] == {"ps-app": "micropip2", "ps-lib": "micropip2"}
    # loadPackage("micropip") loaded the shim and micropip2 from the site's lock
    assert got["lock"]["micropip"][0] == "0.11.1+micropip2"
    assert "micropip2" in got["lock"]
    assert {"/simple/ps-app/", "/simple/ps-lib/"} <= set(paths)
    # micropip2's progress reached PyScript's py:progress events, between PyScript's own
    progress = page.progress
    assert progress.index("Loaded interpreter") < progress.index("Loaded Pyodide")
    mine = progress[progress.index("Loaded interpreter") + 1 : progress.index("Loaded Pyodide")]
    assert any(line.startswith("Resolved 2 packages · ") for line in mine), page.explain()
    assert SUMMARY.fullmatch(mine[-3]), page.explain()
    assert mine[-2:] == [" + ps-app==1.0", " + ps-lib==2.0"]


@pytest.mark.pyodide
@no_browser
def test_reload_boots_from_micropip2_freeze_without_resolving(
    first_load: tuple[PageResult, list[str]],
    browser: PyScriptBrowser,
    index: IndexServer,
    app_url: str,
) -> None:
    assert first_load[0].ok, first_load[0].explain()
    index.clear_requests()
    page = browser.open(app_url)  # the same tab, the same profile: PyScript's IndexedDB
    assert page.ok, page.explain()
    got: dict[str, Any] = page.result
    assert got["versions"] == ["1.0", "2.0"]
    # Pyodide itself loaded them from the lock PyScript kept: micropip2's freeze()
    assert got["installer"] == {"ps-app": "pyodide.loadPackage", "ps-lib": "pyodide.loadPackage"}
    assert got["lock"]["ps-app"] == ["1.0", index.url_for("ps_app-1.0-py3-none-any.whl")]
    assert got["lock"]["ps-lib"] == ["2.0", index.url_for("ps_lib-2.0-py3-none-any.whl")]
    assert {"micropip", "micropip2", "resolvelib"} <= set(got["lock"])
    # no resolution: not one project page, JSON document or metadata file; nor micropip2's lines
    paths = [r.path for r in index.requests]
    assert _pages(paths) == [], paths
    assert not any(line.startswith("Resolv") for line in page.progress), page.explain()


@pytest.mark.pyodide
@no_browser
def test_an_unsatisfiable_packages_list_shows_micropip2s_explanation(
    browser: PyScriptBrowser, site: PyScriptSite, index: IndexServer
) -> None:
    config = {"packages": ["ps-broken", "ps-nowhere"], "index_urls": [index.simple_url]}
    page = browser.open(site.page("broken", config, PAGE_CODE), timeout_s=45)
    assert not page.ok  # PyScript stops: the page's script never runs
    failed = [line for line in page.progress if line.startswith("Failed, nothing was changed")]
    assert len(failed) == 1, page.explain()
    # {keep_going: true} reached micropip2: both problems in one explanation
    assert "ResolutionError" in failed[0]
    assert "no index has a project named 'ps-nowhere'" in failed[0]
    assert "needs ps-lib>=9 (required by ps-broken 1.0)" in failed[0]


# -- the shim's module, on Node, in both runtimes --------------------------------------------


async def _shim(shim_path, index):
    import js
    import pyodide_js
    from pyodide.ffi import create_proxy

    await pyodide_js.loadPackage(shim_path)  # a site's lock lists it as `micropip`
    import micropip

    lines = []
    log = js.console.log
    js.console.log = create_proxy(lambda line, *rest: lines.append(str(line)))
    try:  # as PyScript calls it: the JS options object lands in keep_going
        options = js.Object.fromEntries([["keep_going", True]])
        await micropip.install(["ps-app"], options, index_urls=[index])
    finally:
        js.console.log = log
    quiet = []
    js.console.log = create_proxy(lambda line, *rest: quiet.append(str(line)))
    try:
        await micropip.install(["ps-lib==1.0"], index_urls=[index], progress=False)
    finally:
        js.console.log = log
    from importlib.metadata import distribution

    return {
        "version": micropip.__version__,
        "installer": distribution("ps-app").read_text("INSTALLER").strip(),
        "lines": lines,
        "quiet": quiet,
        "frozen": "ps-app" in micropip.freeze(),
        "internals": hasattr(micropip, "package_index"),
    }


def test_the_shims_micropip_is_micropip2_with_console_progress(runtime, index_server, tmp_path):
    from scripts import build_dist

    shim = build_dist.build_shim_wheel(tmp_path)  # from this tree's shims/micropip/
    publish(index_server, "ps-app", "1.0", ["ps-lib>=1"])
    publish(index_server, "ps-lib", "1.0")
    got = runtime.call(_shim, str(shim), index_server.simple_url)
    assert got["version"].startswith("0.11.1+micropip2.")
    assert got["installer"] == "micropip2"
    assert got["lines"][-2:] == [" + ps-app==1.0", " + ps-lib==1.0"]
    assert SUMMARY.fullmatch(got["lines"][-3]), got["lines"]
    assert got["quiet"] == []  # progress=False: nothing on the console
    assert got["frozen"] and not got["internals"]
