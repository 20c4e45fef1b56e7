"""micropip2's wheel carries the bytecode of its modules for each pinned Pyodide
(scripts/bytecode.py): inside Pyodide, ``import micropip2`` and the modules a first install
imports are not compiled from source."""

from __future__ import annotations

import base64
import hashlib
import zipfile

import pytest

from scripts import build_dist


async def _compiled_on_import() -> list:
    import importlib._bootstrap_external as bootstrap
    import sys

    assert not [name for name in sys.modules if name.startswith("micropip2")]
    compiled: list[str] = []
    original = bootstrap.SourceLoader.source_to_code

    def watched(self, data, path, *args, **kwargs):  # type: ignore[no-untyped-def]
        compiled.append(str(path))
        return original(self, data, path, *args, **kwargs)

    bootstrap.SourceLoader.source_to_code = watched
    try:
        import micropip2
        import micropip2.install.executor
        import micropip2.resolve.driver
    finally:
        bootstrap.SourceLoader.source_to_code = original
    return [micropip2.__spec__.cached, [path for path in compiled if "micropip2" in path]]


def test_micropip2_is_imported_from_its_bytecode(runtime):
    cached, compiled = runtime.call(_compiled_on_import)
    python = "314" if runtime.id.endswith("314.0.7") else "313"
    assert cached.endswith(f"micropip2/__pycache__/__init__.cpython-{python}.pyc")
    assert compiled == []  # not one micropip2 module compiled from source


@pytest.mark.pyodide  # compiles in Pyodide on Node
def test_the_wheel_lists_its_bytecode_in_record(tmp_path):
    wheel = build_dist.build_micropip2_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    record_name = next(name for name in members if name.endswith(".dist-info/RECORD"))
    record = dict(line.split(",", 1) for line in members[record_name].decode().splitlines())
    assert set(record) == set(members)
    for name, data in members.items():
        if name != record_name:
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert record[name] == f"sha256={digest.decode()},{len(data)}"
    sources = [name for name in members if name.endswith(".py")]
    for python in ("313", "314"):
        pycs = [name for name in members if name.endswith(f".cpython-{python}.pyc")]
        assert len(pycs) == len(sources)
        for pyc in pycs:  # PEP 552 flags: hash-based (bit 0), unchecked (bit 1 clear)
            assert int.from_bytes(members[pyc][4:8], "little") == 1
