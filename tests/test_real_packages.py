"""Real projects recorded from PyPI (tests/fixtures/recorded/), replayed by a loopback index, inside
real Pyodide.

The wheels are downloaded by scripts/setup.sh (python -m scripts.record_corpus --fetch), pinned by
sha256.
"""

from __future__ import annotations

import pytest

from benchmarks.corpus import replay_server


@pytest.fixture
def aioboto3_index():
    with replay_server("aioboto3") as server:
        yield server


@pytest.fixture
def rich_index():
    with replay_server("rich") as server:
        yield server


async def _install_aioboto3(index):
    import micropip2

    report = await micropip2.install("aioboto3==14.1.0", index_urls=[index])
    import aioboto3
    import botocore

    session = aioboto3.Session(region_name="us-east-1")
    return {
        "plan": {item.name: item.version for item in report.installed},
        "botocore": botocore.__version__,
        "session": type(session).__name__,
    }


def test_aioboto3_14_1_0_which_greedy_resolution_cannot_solve_installs_and_imports(
    runtime_314, aioboto3_index
):
    got = runtime_314.call(_install_aioboto3, aioboto3_index.url + "/simple")
    plan = got["plan"]
    # aiobotocore 2.21.1 caps botocore below 1.37.2, and the newest s3transfer releases need
    # botocore>=1.37.4: only backtracking to s3transfer 0.11.3 gives a consistent set
    assert plan["aioboto3"] == "14.1.0" and plan["aiobotocore"] == "2.21.1"
    assert plan["botocore"] == got["botocore"] == "1.37.1"
    assert plan["s3transfer"] == "0.11.3"
    assert got["session"] == "Session"


async def _install_rich(index):
    import io

    import micropip2

    report = await micropip2.install("rich", index_urls=[index])
    from rich.console import Console

    out = io.StringIO()
    Console(file=out, width=40, color_system=None).print("[bold]micropip2[/bold] :thumbs_up:")
    return [sorted(i.name for i in report.installed), out.getvalue().strip()]


@pytest.mark.smoke
def test_rich_from_recorded_pypi_wheels_installs_and_renders(runtime, rich_index):
    names, text = runtime.call(_install_rich, rich_index.url + "/simple")
    assert names == ["markdown-it-py", "mdurl", "pygments", "rich"]
    assert text == "micropip2 👍"
