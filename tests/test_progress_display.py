"""micropip2's notebook display, rendered by real IPython inside Pyodide 314.0.7 in Chromium.

IPython 9 and its dependencies (real PyPI wheels pinned in tests/dist/pins.toml) are installed
with micropip2 itself; tests/support/notebook_display.py is the page's mini notebook front end
(IPython's display publisher writing into the DOM by display_id). The install runs as a cell
through IPython, with the default ``progress``; screenshots of the page go to build/artifacts/.
"""

from __future__ import annotations

import os
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.publish import publish
from tests.support.pyodide_runtime import REPO, WHEELS_DIR
from tests.support.wheels import WheelSpec, build_wheel

ARTIFACTS = REPO / "build" / "artifacts"
NOTEBOOK_SOURCE = (REPO / "tests" / "support" / "notebook_display.py").read_text()
# IPython 9 and what it needs where sys_platform is "emscripten" (no pexpect, psutil, colorama)
IPYTHON_PROJECTS = (
    "ipython",
    "ipython_pygments_lexers",
    "jedi",
    "parso",
    "matplotlib_inline",
    "traitlets",
    "prompt_toolkit",
    "wcwidth",
    "pygments",
    "stack_data",
    "executing",
    "asttokens",
    "pure_eval",
)
BIG_BYTES = 1_500_000  # incompressible, so the download shows as bytes
STALL_S = 3.0  # the big wheel stops after 500 kB for this long: the live line is on screen


def _ipython_wheels() -> list[Path]:
    found = []
    for project in IPYTHON_PROJECTS:
        matches = sorted(WHEELS_DIR.glob(f"{project}-*.whl"))
        assert len(matches) == 1, (
            f"expected one pinned {project} wheel in {WHEELS_DIR}, found {matches}: "
            "run `.venv/bin/python -m scripts.build_dist` (tests/dist/pins.toml)"
        )
        found.append(matches[0])
    return found


def _publish(index_server) -> int:
    """IPython's wheels; app 1.0 -> lib-a, big; solo; other. Returns the bytes of app's 3 wheels."""
    for wheel in _ipython_wheels():
        index_server.add_wheel(wheel)
    spec = WheelSpec(name="big", version="1.0", files={"big/data.bin": os.urandom(BIG_BYTES)})
    urls = [
        publish(index_server, "app", "1.0", ["lib-a", "big"]),
        publish(index_server, "lib-a", "1.0"),
        index_server.add_wheel(build_wheel(spec), spec.filename),
    ]
    publish(index_server, "solo", "1.0")
    publish(index_server, "other", "1.0")
    size = 0
    for url in urls:
        with urllib.request.urlopen(url) as answer:
            size += len(answer.read())
    return size


async def _open_notebook(index_url, source):
    import sys
    import types

    import micropip2

    await micropip2.install("ipython", index_urls=[index_url])
    import IPython

    module = types.ModuleType("mp2notebook")
    exec(compile(source, "mp2notebook.py", "exec"), module.__dict__)
    sys.modules["mp2notebook"] = module
    module.NOTEBOOK = module.open_notebook(
        f"micropip2 {micropip2.__version__} · IPython {IPython.__version__} · Pyodide in Chromium"
    )
    return IPython.__version__, IPython.get_ipython() is module.NOTEBOOK.shell


def _start_cell(code):
    import asyncio

    import mp2notebook

    mp2notebook.TASK = asyncio.ensure_future(mp2notebook.NOTEBOOK.run_cell(code))


def _page_state():
    import mp2notebook

    return mp2notebook.shown_by_cell(".micropip2-progress")


def _live_state():
    import mp2notebook

    return mp2notebook.shown(".micropip2-progress"), not mp2notebook.TASK.done()


async def _finish_cell():
    import mp2notebook

    await mp2notebook.TASK
    return mp2notebook.NOTEBOOK.publisher.log


async def _run_cell(code):
    import mp2notebook

    await mp2notebook.NOTEBOOK.run_cell(code)
    return mp2notebook.NOTEBOOK.publisher.log


def _install_cell(index, requirement, extra=""):
    return (
        "import micropip2\n"
        f"report = await micropip2.install({requirement!r}, index_urls=[{index!r}]{extra})"
    )


@pytest.mark.smoke
def test_the_progress_display_renders_in_a_real_notebook_page(new_runtime, index_server):
    page = new_runtime("chrome-314.0.7")
    size = _publish(index_server)
    index = index_server.simple_url
    version, is_shell = page.call(_open_notebook, index, NOTEBOOK_SOURCE)
    assert version.startswith("9.") and is_shell

    # cell 1: the default progress, with big's body stalled half-way for a while
    index_server.stall("/files/big-1.0-py3-none-any.whl", 500_000, STALL_S)
    page.call(_start_cell, _install_cell(index, "app"))
    live: list[list[str]] = []
    give_up = time.monotonic() + 30
    while time.monotonic() < give_up:  # until the page shows big on its way
        live, running = page.call(_live_state)
        if not running or (live and "big-1.0-py3-none-any.whl" in live[0][0]):
            break
        time.sleep(0.05)
    page.screenshot(ARTIFACTS / "progress-display-live.png")
    log = page.call(_finish_cell)
    assert len(live) == 1, live
    assert live[0][0].startswith("Resolved 3 packages · Downloading: 2 of 3 files, "), live
    assert live[0][0].endswith(" of 1.5 MB · big-1.0-py3-none-any.whl"), live

    (shown,) = page.call(_page_state)
    assert len(shown) == 1, shown  # one display for the install, updated in place
    first, *installed = shown[0]
    assert first.startswith(f"Resolved 3 packages, downloaded {size / 1e6:.1f} MB, installed 3 in ")
    assert sorted(installed) == [" + app==1.0", " + big==1.0", " + lib-a==1.0"]
    (display_id,) = {entry["display_id"] for entry in log}
    assert [entry["update"] for entry in log] == [False] + [True] * (len(log) - 1)
    assert log[-1]["text"] == "".join(shown[0])
    before = [entry["text"] for entry in log[:-1]]
    assert any(text.startswith("Resolved 3 packages · Downloading") for text in before), log

    # cell 2: progress=False publishes nothing; cell 3: the default again, a display of its own
    page.call(_run_cell, _install_cell(index, "solo", ", progress=False"))
    log_after = page.call(_run_cell, _install_cell(index, "other"))
    cells = page.call(_page_state)
    assert [len(found) for found in cells] == [1, 0, 1], cells
    first, *installed = cells[2][0]
    assert first.startswith("Resolved 1 package, downloaded ") and installed == [" + other==1.0"]
    new = log_after[len(log) :]
    assert log_after[: len(log)] == log and new and display_id not in {e["display_id"] for e in new}
    page.screenshot(ARTIFACTS / "progress-display.png")


class _Handle:
    """What ``IPython.display.display(obj, display_id=True)`` returns, recording each redraw."""

    def __init__(self, obj, display_id):
        assert display_id is True
        self.drawn = [repr(obj)]

    def update(self, obj):
        self.drawn.append(repr(obj))


def test_a_throttled_event_is_drawn_once_the_refresh_interval_is_over():
    import asyncio

    from micropip2 import progress as p
    from micropip2.progress_display import REFRESH_S, NotebookDisplay

    async def body() -> list[str]:
        display = NotebookDisplay(_Handle)
        display(p.Resolved(packages=1, changes=1, seconds=0.0))  # drawn at once
        url, name = "http://i/files/big-1.0-py3-none-any.whl", "big-1.0-py3-none-any.whl"
        display(p.Downloading(url, name, received=500_000, total=1_500_000))  # too soon
        await asyncio.sleep(REFRESH_S * 3)  # then the download stalls
        return display._handle.drawn

    drawn = asyncio.run(body())
    assert drawn[-1] == (
        "Resolved 1 package · Downloading: 0 of 1 files, 500.0 kB of 1.5 MB · "
        "big-1.0-py3-none-any.whl"
    ), drawn
    assert len(drawn) == 3  # the first display, the Resolved redraw, the late one
