"""Tests of the Pyodide test harness itself (conftest.py, tests/support/)."""

from __future__ import annotations

import json
import os
import shutil
import tomllib
from pathlib import Path

import pytest

from tests.support.pyodide_runtime import (
    PyodideError,
    PyodideRuntime,
    RuntimeFailure,
    _strip_to_def,
    selected_runtime_ids,
)

ROOT = Path(__file__).resolve().parent.parent
PINS = tomllib.loads((ROOT / "tests" / "dist" / "pins.toml").read_text())
WHEEL_SHA256 = {w["file"]: w["sha256"] for w in PINS["wheel"]}


# --------------------------------------------------------------------------------------
# inside a runtime (node 314.0.7, node 0.29.5, chrome 314.0.7)


@pytest.mark.smoke
def test_python_and_platform_version(runtime):
    got = runtime.run(
        """
        import sys, sysconfig
        {
            "python": "%d.%d" % sys.version_info[:2],
            "platform": sys.platform,
            "abi": sysconfig.get_config_var("PYEMSCRIPTEN_PLATFORM_VERSION"),
        }
        """
    )
    assert got == {"python": runtime.python, "platform": "emscripten", "abi": runtime.abi_version}
    assert runtime.platform_tag == f"pyemscripten_{runtime.abi_version}_wasm32"
    expected = {"314.0.7": ("3.14", "2026_0"), "0.29.5": ("3.13", "2025_0")}[runtime.version]
    assert (runtime.python, runtime.abi_version) == expected


@pytest.mark.smoke
def test_runtime_attributes(runtime):
    assert runtime.id == f"{runtime.kind}-{runtime.version}"
    assert runtime.kind in ("node", "chrome")
    assert runtime.lockfile.is_file() and runtime.dist_dir in runtime.lockfile.parents
    assert runtime.pyodide_version == runtime.version
    assert runtime.run("import pyodide; pyodide.__version__") == runtime.version
    # (pyodide.ffi.IN_BROWSER is no help: True on Node in 0.29.5, gone in 314)
    assert runtime.run("import js; hasattr(js, 'document')") == (runtime.kind == "chrome")


@pytest.mark.smoke
def test_exception_comes_back_as_pyodide_error(runtime):
    with pytest.raises(PyodideError) as excinfo:
        runtime.run(
            """
            def inner():
                raise ValueError("boom: bad value")
            inner()
            """
        )
    err = excinfo.value
    assert err.type == "ValueError"
    assert err.message == "boom: bad value"
    assert err.traceback.startswith("Traceback (most recent call last):")
    assert "in inner" in err.traceback
    assert err.traceback.rstrip().endswith("ValueError: boom: bad value")
    assert "Pyodide traceback:" in str(err) and "in inner" in str(err)
    # the harness's own frames are left out
    assert "<mp2-wrapper>" not in err.traceback and "_pyodide" not in err.traceback


@pytest.mark.smoke
def test_exception_type_of_non_builtin_and_chained(runtime):
    def fail():
        import json

        try:
            json.loads("{not json")
        except json.JSONDecodeError as e:
            raise KeyError("wrapped") from e

    with pytest.raises(PyodideError) as excinfo:
        runtime.call(fail)
    err = excinfo.value
    assert err.type == "KeyError"
    assert "JSONDecodeError" in err.traceback
    assert "direct cause" in err.traceback
    # call() keeps this file's name and line numbers in the Pyodide traceback
    assert f'File "{__file__}"' in err.traceback
    assert 'raise KeyError("wrapped") from e' in err.traceback


@pytest.mark.smoke
def test_printed_output_comes_back(runtime):
    value = runtime.run(
        """
        import sys
        print("hello from", sys.platform)
        print("partial line", end="")
        print("to stderr", file=sys.stderr)
        42
        """
    )
    assert value == 42
    assert runtime.last_stdout == "hello from emscripten\npartial line"
    assert runtime.last_stderr == "to stderr\n"
    # output is per request
    assert runtime.run("None") is None
    assert runtime.last_stdout == "" and runtime.last_stderr == ""
    # and comes with errors too
    with pytest.raises(PyodideError) as excinfo:
        runtime.run("print('before the error'); 1 / 0")
    assert excinfo.value.type == "ZeroDivisionError"
    assert excinfo.value.stdout == "before the error\n"


@pytest.mark.smoke
def test_micropip2_and_dependencies_import(runtime):
    got = runtime.run(
        """
        import importlib.metadata as md
        import micropip2, packaging, resolvelib, pyodide_lock
        {name: md.version(name) for name in
         ["micropip2", "packaging", "resolvelib", "pyodide-lock", "attrs", "cattrs"]}
        """
    )
    lock = json.loads(runtime.lockfile.read_text())["packages"]
    assert got == {name: lock[name]["version"] for name in got}


@pytest.mark.smoke
def test_fresh_globals_but_shared_interpreter(runtime):
    assert runtime.run("import sys; x = 1; sys.mp2_marker = 'kept'; x") == 1
    assert runtime.run("'x' in globals()") is False
    assert runtime.run("import sys; sys.mp2_marker") == "kept"
    assert runtime.run("__name__") == "__main__"


@pytest.mark.smoke
def test_call_with_arguments_and_async(runtime):
    def add(a, b, *, scale=1):
        return {"sum": (a + b) * scale, "args": [a, b]}

    async def sleepy(values):
        import asyncio

        await asyncio.sleep(0)
        return sorted(values)

    assert runtime.call(add, 2, 3, scale=10) == {"sum": 50, "args": [2, 3]}
    assert runtime.call(sleepy, [3, 1, 2]) == [1, 2, 3]
    assert runtime.run("import asyncio\nawait asyncio.sleep(0)\n'awaited'") == "awaited"


@pytest.mark.smoke
def test_non_json_result_is_an_error(runtime):
    with pytest.raises(PyodideError) as excinfo:
        runtime.run("object()")
    assert excinfo.value.type == "TypeError"
    assert "JSON serializable" in excinfo.value.message


@pytest.mark.smoke
def test_extra_wheels_are_served(runtime, static_server):
    # build/wheels/ is reachable over HTTP from inside every runtime, CORS included
    name = f"uuid_utils-1.2.0-cp310-abi3-{runtime.platform_tag}.whl"
    url = static_server.url(f"/wheels/{name}")

    async def fetch_sha256(url):
        import hashlib

        from pyodide.http import pyfetch

        resp = await pyfetch(url)
        resp.raise_for_status()
        return {
            "sha256": hashlib.sha256(await resp.bytes()).hexdigest(),
            "cors": resp.headers.get("access-control-allow-origin"),
        }

    got = runtime.call(fetch_sha256, url)
    assert got == {"sha256": WHEEL_SHA256[name], "cors": "*"}


def test_runtime_314_fixture(runtime_314):
    assert (runtime_314.kind, runtime_314.version, runtime_314.python) == (
        "node",
        "314.0.7",
        "3.14",
    )


# --------------------------------------------------------------------------------------
# the runner's boot checks


@pytest.mark.pyodide
def test_boot_fails_loudly_when_a_lockfile_package_does_not_load(tmp_path, static_server):
    """loadPackage only logs a failed load; the runner must refuse to report ready."""
    selected = selected_runtime_ids()
    if selected is not None and "node-314.0.7" not in selected:
        pytest.skip("node-314.0.7 not in MICROPIP2_TEST_RUNTIMES")
    src = ROOT / "build" / "dist" / "314.0.7"  # built by the static_server fixture's setup
    bad = tmp_path / "dist"
    bad.mkdir()
    # a copy of the dist (symlinks) whose lockfile names a wheel that is not there
    for f in src.iterdir():
        if not f.name.startswith("resolvelib-"):
            os.symlink(f, bad / f.name)
    broken = PyodideRuntime("node-314.0.7", dist_dir=bad)
    try:
        with pytest.raises(RuntimeFailure) as excinfo:
            broken.wait_ready()
    finally:
        broken.close()
    text = str(excinfo.value)
    assert "boot failed" in text
    assert "resolvelib: not in pyodide.loadedPackages" in text


# --------------------------------------------------------------------------------------
# host side only


def test_pyodide_error_str_includes_traceback():
    err = PyodideError(
        "ValueError", "boom", "Traceback (most recent call last):\n  File x\nValueError: boom\n"
    )
    text = str(err)
    assert text.startswith("ValueError: boom")
    assert "File x" in text


def _decorated(fn):
    return fn


@_decorated
def _shipped(a):  # used by test_strip_to_def
    return a


def test_strip_to_def_drops_decorators_and_keeps_line_numbers():
    body, filename, line = _strip_to_def(_shipped)
    assert body.startswith("def _shipped(a):")
    assert filename == __file__
    assert Path(filename).read_text().splitlines()[line - 1].startswith("def _shipped(a):")
    with pytest.raises(TypeError):
        _strip_to_def(lambda: 1)


def test_chromium_is_there_unless_disabled():
    if os.environ.get("MICROPIP2_NO_BROWSER", "") not in ("", "0"):
        pytest.skip("MICROPIP2_NO_BROWSER set")
    assert shutil.which("chromium") or Path("/usr/bin/chromium").exists()
