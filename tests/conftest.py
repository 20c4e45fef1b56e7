"""Fixtures for micropip2's own tests: a loopback package index and in-Pyodide helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.index_server import IndexServer

HELPERS = (Path(__file__).parent / "support" / "in_pyodide.py").read_text()


@pytest.fixture
def index_server():
    """A real HTTP server on 127.0.0.1 serving wheels and index pages, with CORS headers."""
    with IndexServer() as server:
        yield server


@pytest.fixture
def mp(runtime):
    """The runtime, with the helpers of tests/support/in_pyodide.py importable as ``mp2test``."""
    _load_helpers(runtime)
    return runtime


@pytest.fixture
def mp314(runtime_314):
    _load_helpers(runtime_314)
    return runtime_314


def _load_helpers(runtime) -> None:
    runtime.run(
        "import sys, types\n"
        "module = types.ModuleType('mp2test')\n"
        f"exec(compile({HELPERS!r}, 'mp2test.py', 'exec'), module.__dict__)\n"
        "sys.modules['mp2test'] = module\n"
        "None"
    )
