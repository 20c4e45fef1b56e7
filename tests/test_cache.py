"""The persistent cache inside Pyodide: on Node a host directory shared by fresh processes, in
Chromium the page's Cache Storage. A hit makes no request for the file; a corrupted entry is
fetched again and the install still succeeds; ``cache=False`` and ``MICROPIP2_NO_CACHE`` make
every request again. (The store's own rules are tested on the host: tests/test_cache_host.py.)"""

from __future__ import annotations

import pytest

from tests.support.publish import publish


async def _install(index: str, names: list[str], cache: bool = True) -> dict:
    import micropip2

    report = await micropip2.install(names, index_urls=[index], cache=cache)
    info = await micropip2.cache.info()
    import app  # noqa: F401  (the installed package imports)

    return {
        "installed": sorted(f"{i.name}=={i.version}" for i in report.installed),
        "cache": [info.enabled, info.where, info.entries],
    }


async def _uninstall_all() -> None:
    import micropip2

    micropip2.uninstall(["app", "lib"])


def _published(index_server) -> str:
    publish(index_server, "app", "1.0", ["lib"])
    publish(index_server, "lib", "1.0")
    return index_server.simple_url


def _files_asked(index_server) -> list[str]:
    return sorted(r.path for r in index_server.requests if r.path.startswith("/files/"))


def test_fresh_node_processes_share_the_cache_directory(new_runtime, index_server, tmp_path):
    index = _published(index_server)
    first = new_runtime("node-314.0.7", cache=str(tmp_path))
    result = first.call(_install, index, ["app"])
    assert result["installed"] == ["app==1.0", "lib==1.0"]
    assert result["cache"] == [True, f"the directory {tmp_path}", 4]  # 2 wheels, 2 metadata
    assert len(_files_asked(index_server)) == 4
    first.close()

    index_server.clear_requests()
    second = new_runtime("node-314.0.7", cache=str(tmp_path))
    assert second.call(_install, index, ["app"])["installed"] == ["app==1.0", "lib==1.0"]
    assert _files_asked(index_server) == []  # only the two project pages were asked for
    second.close()

    entries = sorted(p for p in (tmp_path / "files").rglob("sha256-*"))
    assert len(entries) == 4
    wheel = max(entries, key=lambda p: p.stat().st_size)  # a wheel, not a metadata file
    wheel.write_bytes(b"\0" * wheel.stat().st_size)  # corrupted on disk
    index_server.clear_requests()
    third = new_runtime("node-314.0.7", cache=str(tmp_path))
    assert third.call(_install, index, ["app"])["installed"] == ["app==1.0", "lib==1.0"]
    assert len(_files_asked(index_server)) == 1  # the corrupt one only, fetched again
    assert wheel.read_bytes() != b"\0" * wheel.stat().st_size  # and stored whole again


def test_no_cache_by_call_or_by_environment(new_runtime, index_server, tmp_path):
    index = _published(index_server)
    runtime = new_runtime("node-314.0.7", cache=str(tmp_path))
    runtime.call(_install, index, ["app"], False)  # cache=False: nothing stored
    assert not (tmp_path / "files").exists()
    runtime.call(_uninstall_all)
    runtime.run("import os; os.environ['MICROPIP2_NO_CACHE'] = '1'")
    index_server.clear_requests()
    result = runtime.call(_install, index, ["app"])
    assert result["cache"][0] is False
    assert len(_files_asked(index_server)) == 4
    assert not (tmp_path / "files").exists()


@pytest.mark.smoke
def test_chromium_keeps_files_in_cache_storage(new_runtime, index_server):
    index = _published(index_server)
    page = new_runtime("chrome-314.0.7", cache=True)
    result = page.call(_install, index, ["app"])
    assert result["cache"] == [True, "the browser's Cache Storage ('micropip2')", 4]
    page.call(_uninstall_all)
    index_server.clear_requests()
    assert page.call(_install, index, ["app"])["installed"] == ["app==1.0", "lib==1.0"]
    assert _files_asked(index_server) == []
