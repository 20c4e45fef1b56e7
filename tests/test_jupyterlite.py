"""JupyterLite's ``%pip install`` and ``piplite.install`` through micropip2, in a notebook in
Debian's Chromium, on a site built from the pinned jupyterlite-core and
jupyterlite-pyodide-kernel with a Pyodide 314.0.7 of its own (docs/jupyterlite.md). The last
test runs the real piplite against the shim's ``micropip.package_index`` on Node, in both
runtimes.

The kernel's worker loads ``micropip`` by name from the site's lock, which lists micropip2's shim;
piplite then installs through it, and its ``all.json`` indexes become a project source asked
before micropip2's indexes. One site, one browser and one notebook serve the whole module; the
tests run in order (the last restarts the kernel).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from benchmarks import corpus
from tests.support.index_server import IndexServer
from tests.support.jupyterlite_site import REPO, Cell, JupyterLiteSite, Notebook
from tests.support.publish import publish
from tests.support.pyodide_runtime import browser_disabled
from tests.support.wheels import WheelSpec, build_wheel

# The Chromium tests boot Pyodide themselves (marked `pyodide`: no runtime fixture).
in_chromium = [
    pytest.mark.pyodide,
    pytest.mark.skipif(browser_disabled(), reason="Chromium disabled by MICROPIP2_NO_BROWSER"),
]


def chromium(test: Callable[..., None]) -> Callable[..., None]:
    for mark in in_chromium:
        test = mark(test)
    return test


WHEELS = REPO / "build" / "wheels"
ARTIFACTS = REPO / "build" / "artifacts"
# what the kernel installs when it starts (piplite.install of ipykernel, comm, pyodide-kernel,
# jedi, ipython): the IPython stack the tests pin, and comm, which Pyodide 314's lock lacks
KERNEL_WHEELS = (
    "asttokens-3.0.2-py3-none-any.whl",
    "comm-0.2.3-py3-none-any.whl",
    "executing-2.3.0-py3-none-any.whl",
    "ipython-9.18.1-py3-none-any.whl",
    "ipython_pygments_lexers-1.1.1-py3-none-any.whl",
    "jedi-0.20.1-py2.py3-none-any.whl",
    "matplotlib_inline-0.2.2-py3-none-any.whl",
    "parso-0.8.7-py2.py3-none-any.whl",
    "prompt_toolkit-3.0.53-py3-none-any.whl",
    "pure_eval-0.2.4-py3-none-any.whl",
    "pygments-2.21.0-py3-none-any.whl",
    "stack_data-0.6.3-py3-none-any.whl",
    "traitlets-5.16.1-py3-none-any.whl",
    "wcwidth-0.9.4-py3-none-any.whl",
)
RICH = corpus.load_set("rich")  # its files: build/corpus/, fetched by scripts/setup.sh
RICH_IN_LOCK = (
    "rich-14.3.3-py3-none-any.whl",
    "markdown_it_py-4.3.0-py3-none-any.whl",
    "mdurl-0.1.2-py3-none-any.whl",
)
SUMMARY = r"Resolved 2 packages, downloaded ([\d.]+ k?B), installed 2 in [\d.]+ s"
FIRST: dict[str, str] = {}  # what the first %pip install jl-app downloaded, for the restart


@pytest.fixture(scope="module")
def index() -> Iterator[IndexServer]:
    with IndexServer() as server:
        server.page_max_age = 600  # PyPI's caching headers: pages stay fresh in the cache
        publish(server, "jl-app", "1.0", ["jl-lib>=2"])
        publish(server, "jl-lib", "1.0")
        publish(server, "jl-lib", "2.0")
        publish(server, "jl-broken", "1.0", ["jl-lib>=9"])
        publish(server, "jl-elsewhere", "1.0")
        for file in RICH.files:  # rich and its dependencies as recorded from PyPI: newer ones
            server.add_wheel(file.path, requires_python=file.requires_python)
        yield server


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLiteSite]:
    if not Path("/usr/bin/chromium").exists():
        pytest.fail(
            "/usr/bin/chromium is missing: run scripts/setup.sh (or MICROPIP2_NO_BROWSER=1)"
        )
    from scripts import build_dist
    from tests.support.jupyterlite_site import DIST

    build = (DIST / build_dist.build_micropip2()["314.0.7"]).parent  # this tree's shim, micropip2
    lock_wheels = [
        *sorted(build.glob("*.whl")),
        *sorted(DIST.glob("*.whl")),  # micropip2's dependencies
        *(WHEELS / name for name in KERNEL_WHEELS),
        # the release's rich (its lock has 14.3.3) with what it needs: PyPI's files, in place
        # of the CDN's (scripts/site_lock.py wants a lock's dependencies in it)
        *(file.path for file in RICH.files if file.filename in RICH_IN_LOCK),
    ]
    # the site's own piplite index (pypi/ -> all.json with relative file URLs)
    local = tmp_path_factory.mktemp("piplite") / "jl_local-1.0-py3-none-any.whl"
    spec = WheelSpec("jl-local", "1.0", files={"jl_local/__init__.py": "VERSION = '1.0'\n"})
    local.write_bytes(build_wheel(spec))
    with JupyterLiteSite(lock_wheels, [local]) as built:
        yield built


@pytest.fixture(scope="module")
def notebook(site: JupyterLiteSite, index: IndexServer) -> Iterator[Notebook]:
    profile = site.root / "profile"
    with Notebook(profile) as opened:
        opened.open(site.lab_url)  # a new notebook; its kernel started through micropip2
        opened.run(_use_index(index))
        yield opened
    shutil.rmtree(profile, ignore_errors=True)


def _use_index(index: IndexServer) -> str:
    """The notebook's first cell: the index micropip2 asks (PyPI by default, unreachable here)."""
    return f"import micropip\nmicropip.set_index_urls([{index.simple_url!r}])"


def _display(cell: Cell) -> list[str]:
    """The text of the cell's micropip2 progress display (one display, updated in place)."""
    html = cell.shown("text/html")
    displays = [o for o in cell.outputs if o.get("output_type") == "display_data"]
    assert len(displays) == 1, cell.outputs
    assert any('class="micropip2-progress"' in text for text in html), cell.outputs
    return _text(displays[0]["data"]["text/plain"]).splitlines()


def _first_display_line(outputs: list[dict[str, Any]]) -> str | None:
    displays = [o for o in outputs if o.get("output_type") == "display_data"]
    return _text(displays[0]["data"]["text/plain"]).splitlines()[0] if displays else None


def _text(value: str | list[str]) -> str:
    return "".join(value) if isinstance(value, list) else value


def _value(cell: Cell) -> str:
    results = [o for o in cell.outputs if o.get("output_type") == "execute_result"]
    assert results, cell.outputs
    return _text(results[-1]["data"]["text/plain"])


@chromium
def test_the_kernel_started_from_the_sites_pyodide_without_the_cdn(
    notebook: Notebook, site: JupyterLiteSite
) -> None:
    cell = notebook.run("import micropip, pyodide_js\nmicropip.__version__, pyodide_js.version")
    assert _value(cell) == f"('0.11.1+micropip2.{_micropip2_version()}', '314.0.7')"
    settings = site.config()["jupyter-config-data"]["litePluginSettings"]
    assert settings["@jupyterlite/pyodide-kernel-extension:kernel"]["pyodideUrl"] == (
        "./static/pyodide/pyodide.mjs"
    )
    # nothing left loopback but questions to pypi.org, answered 404 by the driver (micropip2
    # may ask its default index about the lock's packages); never the CDN
    assert {urlsplit(url).hostname for url in notebook.outside} <= {"pypi.org"}, notebook.outside


@chromium
def test_pip_install_runs_micropip2_and_shows_its_summary(
    notebook: Notebook, index: IndexServer
) -> None:
    index.clear_requests()
    cell = notebook.run("%pip install jl-app")
    lines = _display(cell)
    assert lines[1:] == [" + jl-app==1.0", " + jl-lib==2.0"], lines
    assert _matches(SUMMARY, lines[0]), lines
    FIRST["downloaded"] = re.fullmatch(SUMMARY, lines[0]).group(1)  # type: ignore[union-attr]
    assert "installed jl-app 1.0 from" in _value(cell)  # the report, shown short
    # the display was there while the install ran, then became the summary
    shown = [_first_display_line(state) for state in cell.states]
    live = [line for line in shown if line is not None and not _matches(SUMMARY, line)]
    assert live and live[0].startswith("Resolving"), shown
    assert shown[-1] == lines[0], shown
    assert index.count("/files/jl_app-1.0-py3-none-any.whl") == 1
    after = notebook.run(
        "import jl_app, jl_lib\nfrom importlib.metadata import distribution\n"
        "jl_app.VERSION, jl_lib.VERSION, distribution('jl-app').read_text('INSTALLER')"
    )
    assert _value(after) == "('1.0', '2.0', 'micropip2\\n')"
    notebook.screenshot(cell.index, ARTIFACTS / "jupyterlite-pip-install.png", last=after.index)


@chromium
def test_pip_install_rich_from_an_index(notebook: Notebook, index: IndexServer) -> None:
    cell = notebook.run("%pip install rich")
    lines = _display(cell)
    # rich and its dependencies are the site's distribution's (rich 14.3.3, not the index's
    # newer 15.0.0, as micropip would), pygments the kernel's
    assert lines[1:] == [" + markdown-it-py==4.3.0", " + mdurl==0.1.2", " + rich==14.3.3"], lines
    assert _matches(r"Resolved 4 packages, downloaded [\d.]+ kB, installed 3 in [\d.]+ s", lines[0])
    after = notebook.run(
        "import rich, importlib.metadata as md\n"
        "rich.print('[bold green]rich works[/] in JupyterLite')\n"
        "md.version('rich'), md.distribution('rich').read_text('INSTALLER')"
    )
    assert "rich works in JupyterLite" in "\n".join(after.shown()), after.outputs
    assert _value(after) == "('14.3.3', 'micropip2\\n')"
    notebook.screenshot(
        cell.index, ARTIFACTS / "jupyterlite-pip-install-rich.png", last=after.index
    )


@chromium
def test_piplite_install_reads_the_sites_all_json(
    notebook: Notebook, index: IndexServer, site: JupyterLiteSite
) -> None:
    index.clear_requests()
    cell = notebook.run("import piplite\nawait piplite.install('jl-local')")
    lines = _display(cell)
    assert lines[1:] == [" + jl-local==1.0"], lines
    # the file came from the site's pypi/ folder (all.json's relative URL), not from the index
    assert f"{site.server.url('/pypi/jl_local-1.0-py3-none-any.whl')}?sha256=" in _value(cell)
    assert index.requests == []
    after = notebook.run(
        "import jl_local\nfrom importlib.metadata import distribution\n"
        "jl_local.VERSION, distribution('jl-local').read_text('INSTALLER')"
    )
    assert _value(after) == "('1.0', 'micropip2\\n')"


@chromium
def test_disabled_pypi_fallback_asks_no_index(notebook: Notebook, index: IndexServer) -> None:
    # what the kernel does with the site's disablePyPIFallback setting
    notebook.run("import piplite.piplite\npiplite.piplite._PIPLITE_DISABLE_PYPI = True")
    index.clear_requests()
    try:
        cell = notebook.run("%pip install jl-elsewhere")
        found = notebook.run("import importlib.util\nimportlib.util.find_spec('jl_elsewhere')")
        local = notebook.run("%pip install jl-local")  # the site's own index still answers
    finally:
        notebook.run("piplite.piplite._PIPLITE_DISABLE_PYPI = False")
    error = "\n".join(cell.shown())
    assert "ResolutionError" in error, cell.outputs
    assert "jl-elsewhere could not be installed: PyPI fallback is disabled" in error
    assert _display(cell)[0].startswith("Failed, nothing was changed: ResolutionError")
    assert index.requests == []  # the index was never asked
    assert found.outputs == []  # find_spec gave None: nothing installed
    assert "jl-local==1.0" in _value(local)  # already satisfied


@chromium
def test_an_unsatisfiable_pip_install_explains_and_changes_nothing(
    notebook: Notebook,
) -> None:
    cell = notebook.run("%pip install jl-broken")
    error = "\n".join(cell.shown())
    assert "ResolutionError" in error, cell.outputs
    assert "needs jl-lib>=9 (required by jl-broken 1.0)" in error
    assert "compatible versions on the index: 2.0, 1.0" in error
    assert _display(cell)[0].startswith("Failed, nothing was changed: ResolutionError")
    after = notebook.run(
        "import importlib.util\nfrom importlib.metadata import version\n"
        "importlib.util.find_spec('jl_broken'), version('jl-lib')"
    )
    assert _value(after) == "(None, '2.0')"


@chromium
def test_after_a_kernel_restart_the_install_comes_from_the_cache(
    notebook: Notebook, index: IndexServer
) -> None:
    notebook.restart()
    notebook.run(_use_index(index))
    index.clear_requests()
    cell = notebook.run("%pip install jl-app")
    lines = _display(cell)
    assert lines[1:] == [" + jl-app==1.0", " + jl-lib==2.0"], lines
    # the same wheels' bytes, now from the cache (the pages read from it are not downloads)
    assert f"{FIRST['downloaded']} from the cache" in lines[0], (lines, FIRST)
    assert "downloaded" not in lines[0], lines
    # wheels, metadata and (fresh) pages all from micropip2's Cache Storage: no request at all
    assert [r.path for r in index.requests] == []
    after = notebook.run("import jl_app\njl_app.VERSION")
    assert _value(after) == "'1.0'"
    notebook.screenshot(cell.index, ARTIFACTS / "jupyterlite-after-restart.png", last=after.index)


def _matches(pattern: str, text: str) -> bool:
    return re.fullmatch(pattern, text) is not None


def _micropip2_version() -> str:
    import micropip2

    return micropip2.__version__


# -- the real piplite and the shim's micropip.package_index, on Node --------------------------

PIPLITE = Path(sys.prefix, "share/jupyter/labextensions/@jupyterlite/pyodide-kernel-extension")


async def _piplite(shim_path, piplite_path, all_json, index):
    import pyodide_js

    await pyodide_js.loadPackage([shim_path, piplite_path])  # as the kernel's worker has them
    import micropip
    import piplite
    import piplite.piplite

    piplite.piplite._PIPLITE_URLS = [all_json]
    micropip.set_index_urls([index])
    report = await piplite.install("jl-local")  # jl-local needs jl-lib, from the index
    piplite.piplite._PIPLITE_DISABLE_PYPI = True
    try:
        await piplite.install("jl-elsewhere")
        refused = None
    except ValueError as exc:
        refused = f"{type(exc).__name__}: {exc}"
    from importlib.metadata import distribution

    return {
        "installed": {i.name: [i.version, i.url] for i in report.installed},
        "installer": distribution("jl-local").read_text("INSTALLER").strip(),
        "refused": refused,
        "patch_undone": micropip.package_index.query_package.__module__,
    }


def test_real_piplite_reads_all_json_through_the_shims_package_index(
    runtime, index_server, tmp_path
):
    from scripts import build_dist

    shim = build_dist.build_shim_wheel(tmp_path)  # from this tree's shims/micropip/
    piplite_wheel = next((PIPLITE / "static" / "pypi").glob("piplite-*.whl"))
    spec = WheelSpec(
        "jl-local", "1.0", files={"jl_local/__init__.py": ""}, requires_dist=["jl-lib>=2"]
    )
    data = build_wheel(spec)
    index_server.add_file("lite/pypi/jl_local-1.0-py3-none-any.whl", data)
    all_json = index_server.add_file("lite/pypi/all.json", _all_json("jl-local", "1.0", data))
    publish(index_server, "jl-lib", "2.0")
    publish(index_server, "jl-elsewhere", "1.0")
    got = runtime.call(_piplite, str(shim), str(piplite_wheel), all_json, index_server.simple_url)
    assert got["installed"] == {
        "jl-local": [
            "1.0",
            f"{index_server.url}/lite/pypi/jl_local-1.0-py3-none-any.whl"
            f"?sha256={hashlib.sha256(data).hexdigest()}",
        ],
        "jl-lib": ["2.0", index_server.url_for("jl_lib-2.0-py3-none-any.whl")],
    }
    assert got["installer"] == "micropip2"
    assert got["refused"] is not None and "ResolutionError" in got["refused"]
    assert "jl-elsewhere could not be installed: PyPI fallback is disabled" in got["refused"]
    assert index_server.count("/simple/jl-elsewhere/") == 0
    assert index_server.count("/simple/jl-local/") == 0  # piplite's all.json had it
    assert got["patch_undone"] == "micropip2.micropip_package_index"


def _all_json(name: str, version: str, data: bytes) -> bytes:
    """A piplite ``all.json`` (Warehouse JSON per project) listing one wheel by relative URL."""
    filename = f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    entry = {
        "filename": filename,
        "url": f"./{filename}",
        "digests": {"sha256": hashlib.sha256(data).hexdigest()},
        "packagetype": "bdist_wheel",
        "requires_python": None,
        "size": len(data),
        "yanked": False,
    }
    return json.dumps({name: {"releases": {version: [entry]}}}).encode()
