"""The persistent cache inside Pyodide: on Node a host directory shared by fresh processes, in
Chromium the page's Cache Storage. A hit makes no request for the file; a corrupted entry is
fetched again and the install still succeeds; ``cache=False`` and ``MICROPIP2_NO_CACHE`` make
every request again. (The store's own rules are tested on the host: tests/test_cache_host.py.)"""

from __future__ import annotations

import dataclasses

import pytest

from micropip2.page_cache import decode, encode
from tests.support.publish import publish


async def _install(index: str, names: list[str], cache: bool = True) -> dict:
    import contextlib
    import io

    import micropip2

    said = io.StringIO()
    with contextlib.redirect_stdout(said):
        report = await micropip2.install(names, index_urls=[index], cache=cache, verbose=True)
    info = await micropip2.cache.info()
    import app  # noqa: F401  (the installed package imports)

    return {
        "installed": sorted(f"{i.name}=={i.version}" for i in report.installed),
        "cache": [info.enabled, info.where, info.entries],
        "cached": sorted(
            line.rsplit("/", 2)[-2]
            for line in said.getvalue().splitlines()
            if line.startswith("Using cached") and "/simple/" in line
        ),
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

    index_server.page_max_age = 600  # now pages are kept too, and used while fresh
    page.call(_uninstall_all)
    assert page.call(_install, index, ["app"])["cache"][2] == 6
    page.call(_uninstall_all)
    assert page.call(_install, index, ["app"])["cached"] == ["app", "lib"]


def _pages_asked(index_server) -> list[tuple[str | None, int]]:
    """(If-None-Match, status) of each project page request."""
    found = [r for r in index_server.requests if r.path.startswith("/simple/")]
    return [(r.header("If-None-Match"), r.status) for r in found]


def _age_pages(cache_dir) -> int:
    """Make every stored page stale (received at the epoch), as time would; how many there are."""
    pages = list((cache_dir / "files").rglob("page-*"))
    for entry in pages:
        page = decode(entry.read_bytes())
        assert page is not None
        entry.write_bytes(encode(dataclasses.replace(page, received=0.0)))
    return len(pages)


def test_pages_are_reused_while_fresh_and_revalidated_after(new_runtime, index_server, tmp_path):
    index = _published(index_server)
    index_server.page_max_age = 600  # PyPI's caching headers
    first = new_runtime("node-314.0.7", cache=str(tmp_path))
    first.call(_install, index, ["app"])
    first.close()
    index_server.clear_requests()
    second = new_runtime("node-314.0.7", cache=str(tmp_path))
    result = second.call(_install, index, ["app"])
    assert result["installed"] == ["app==1.0", "lib==1.0"]
    assert result["cache"][2] == 6  # 2 wheels, 2 metadata files, 2 pages
    assert index_server.requests == []  # nothing asked at all
    second.close()

    publish(index_server, "lib", "2.0")  # lib's page changes, app's does not
    assert _age_pages(tmp_path) == 2
    index_server.clear_requests()
    third = new_runtime("node-314.0.7", cache=str(tmp_path))
    assert third.call(_install, index, ["app"])["installed"] == ["app==1.0", "lib==2.0"]
    asked = sorted(_pages_asked(index_server), key=lambda a: a[1])
    assert [status for _, status in asked] == [200, 304]  # lib changed, app did not
    assert all(etag is not None for etag, _ in asked)  # both asked conditionally
