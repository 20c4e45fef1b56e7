"""The persistent cache inside Pyodide: on Node a host directory shared by fresh processes, in
Chromium the page's Cache Storage. A hit makes no request for the file; a corrupted entry is
fetched again and the install still succeeds; ``cache=False`` and ``MICROPIP2_NO_CACHE`` make
every request again. (The store's own rules are tested on the host: tests/test_cache_host.py.)"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import os

import pytest

from micropip2.page_cache import decode, encode
from tests.support.publish import publish
from tests.support.wheels import WheelSpec, build_wheel


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
        "reused": "Using the cached resolution" in said.getvalue(),
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
    assert page.call(_install, index, ["app"])["cache"][2] == 9  # pages, hints, the resolution
    page.call(_uninstall_all)
    index_server.clear_requests()
    again = page.call(_install, index, ["app"])
    assert again["reused"] and again["installed"] == ["app==1.0", "lib==1.0"]
    assert index_server.requests == []


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
    assert result["cache"][2] == 9  # 2 wheels, 2 metadata files, 2 pages, 2 hints, 1 resolution
    assert index_server.requests == []  # nothing asked at all
    second.close()

    publish(index_server, "lib", "2.0")  # lib's page changes, app's does not
    assert _age_pages(tmp_path) == 4  # 2 project pages, 2 JSON API hints
    index_server.clear_requests()
    third = new_runtime("node-314.0.7", cache=str(tmp_path))
    assert third.call(_install, index, ["app"])["installed"] == ["app==1.0", "lib==2.0"]
    asked = sorted(_pages_asked(index_server), key=lambda a: a[1])
    assert [status for _, status in asked] == [200, 304]  # lib changed, app did not
    assert all(etag is not None for etag, _ in asked)  # both asked conditionally


async def _install_plan(index: str) -> dict:
    import contextlib
    import io
    import sys

    import micropip2

    said = io.StringIO()
    with contextlib.redirect_stdout(said):
        report = await micropip2.install(["app"], index_urls=[index], verbose=True)
    import app  # noqa: F401  (the installed package imports)

    return {
        "plan": [str(item) for item in report.plan.items],
        "installed": sorted(f"{i.name}=={i.version}" for i in report.installed),
        "reused": "Using the cached resolution" in said.getvalue(),
        "resolver_imported": "micropip2.resolve.driver" in sys.modules,
    }


def test_a_fresh_process_reuses_the_resolution_and_asks_nothing(
    new_runtime, index_server, tmp_path
):
    index = _published(index_server)
    index_server.page_max_age = 600
    first = new_runtime("node-314.0.7", cache=str(tmp_path))
    cold = first.call(_install_plan, index)
    first.close()
    assert not cold["reused"] and cold["installed"] == ["app==1.0", "lib==1.0"]
    index_server.clear_requests()
    second = new_runtime("node-314.0.7", cache=str(tmp_path))
    warm = second.call(_install_plan, index)
    assert warm["reused"] and not warm["resolver_imported"]
    assert index_server.requests == []  # pages, metadata and wheels all from the cache
    assert warm["plan"] == cold["plan"]  # exactly what the fresh resolution installed
    assert warm["installed"] == cold["installed"]


async def _install_capped(index: str, max_bytes: int) -> list[int]:
    import micropip2

    micropip2.cache.settings.max_bytes = max_bytes
    await micropip2.install(["app"], index_urls=[index])
    import app  # noqa: F401

    info = await micropip2.cache.info()
    return [info.entries, info.bytes]


def test_the_cache_stays_under_its_cap(new_runtime, index_server, tmp_path):
    publish(index_server, "app", "1.0", ["lib"])
    big = WheelSpec(  # lib's wheel is the larger one
        name="lib",
        version="1.0",
        files={"lib/__init__.py": "", "lib/big.txt": os.urandom(10_000).hex()},
    )
    index_server.add_wheel(build_wheel(big), big.filename)
    runtime = new_runtime("node-314.0.7", cache=str(tmp_path))
    small = 3_000  # more than app's wheel and the metadata files, less than lib's wheel
    entries, size = runtime.call(_install_capped, index_server.simple_url, small)
    assert 0 < size <= small and entries >= 1  # some kept, the oldest evicted, never over
    on_disk = sum(p.stat().st_size for p in (tmp_path / "files").rglob("*-*") if p.is_file())
    assert on_disk == size


def test_nothing_fetched_with_credentials_is_stored(new_runtime, index_server, tmp_path):
    publish(index_server, "app", "1.0", ["lib"])
    publish(index_server, "lib", "1.0")
    index_server.page_max_age = 600
    index_server.require_auth("user", "s3cret")
    index = index_server.simple_url.replace("http://", "http://user:s3cret@")
    runtime = new_runtime("node-314.0.7", cache=str(tmp_path))
    result = runtime.call(_install, index, ["app"])
    assert result["installed"] == ["app==1.0", "lib==1.0"]
    assert result["cache"][2] == 0  # pages, metadata, wheels and the resolution: none kept
    kept = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert kept == [] or all(b"s3cret" not in p.read_bytes() for p in kept)


def test_two_processes_filling_one_cache_at_once(new_runtime, index_server, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from micropip2.store import DirectoryStore

    index = _published(index_server)
    index_server.page_max_age = 600
    runtimes = [new_runtime("node-314.0.7", cache=str(tmp_path)) for _ in range(2)]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda rt: rt.call(_install, index, ["app"]), runtimes))
    assert [r["installed"] for r in results] == [["app==1.0", "lib==1.0"]] * 2
    store = DirectoryStore(tmp_path, max_bytes=1 << 30)
    entries = asyncio.run(store.entries())
    # 2 wheels, 2 metadata files, 2 pages, 2 JSON API hints, 1 resolution: each once
    assert len(entries) == 9
    for entry in entries:  # every one whole: files match their digest, pages decode
        data = asyncio.run(store.read(entry.key))
        if entry.key.startswith("sha256-"):
            assert hashlib.sha256(data).hexdigest() == entry.key.removeprefix("sha256-")
        elif entry.key.startswith("page-"):
            assert decode(data) is not None
    assert not [p for p in tmp_path.rglob("*") if ".partial" in p.name or p.name.startswith(".")]


@pytest.mark.smoke
def test_a_web_worker_keeps_files_and_resolutions_in_cache_storage(new_runtime, index_server):
    index = _published(index_server)
    index_server.page_max_age = 600
    worker = new_runtime("chrome-314.0.7", cache=True, worker=True)
    scope = worker.run("import js; str(js.globalThis)")
    assert scope == "[object DedicatedWorkerGlobalScope]"  # Pyodide runs in a worker
    result = worker.call(_install, index, ["app"])
    assert result["cache"] == [True, "the browser's Cache Storage ('micropip2')", 9]
    worker.call(_uninstall_all)
    index_server.clear_requests()
    again = worker.call(_install, index, ["app"])
    assert again["reused"] and again["installed"] == ["app==1.0", "lib==1.0"]
    assert index_server.requests == []
