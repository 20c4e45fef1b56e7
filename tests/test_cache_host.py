"""The persistent cache on host CPython: the directory store (atomic entries, LRU eviction under
the cap, two processes at once), the fetch layer's use of it (hit, corrupt entry dropped and
refetched, nothing stored with credentials) and the settings (environment, ``cache=False``).
Inside Pyodide (Node's directory, Chromium's Cache Storage) see tests/test_cache.py."""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import os
import shutil
import time
import uuid
from pathlib import Path

import pytest

from micropip2 import cache, operations
from micropip2.fetch import Fetcher
from micropip2.installed import installed_distributions
from micropip2.operations import InstallOptions, Place
from micropip2.page_cache import StoredPage, decode, encode, lifetime, storable
from micropip2.runtime import NO_LIMITS, Response
from micropip2.runtime.host import HostRuntime
from micropip2.store import DirectoryStore, key_for
from tests.support.host_place import make_place
from tests.support.publish import publish

ROOT = Path(__file__).resolve().parent.parent


def _key(data: bytes) -> str:
    return key_for(hashlib.sha256(data).hexdigest())


@pytest.fixture
def folder():
    path = ROOT / "build" / "host-envs" / uuid.uuid4().hex
    path.mkdir(parents=True)
    yield path
    shutil.rmtree(path)


@pytest.fixture
def cache_on(folder, monkeypatch):
    monkeypatch.setattr(cache, "settings", cache.CacheSettings(True, str(folder / "cache")))
    return folder / "cache"


def test_entries_are_written_whole_and_read_back(folder):
    store = DirectoryStore(folder, max_bytes=1 << 20)
    data = b"wheel bytes" * 100
    asyncio.run(store.write(_key(data), data))
    assert asyncio.run(store.read(_key(data))) == data
    assert [(e.key, e.size) for e in asyncio.run(store.entries())] == [(_key(data), len(data))]
    assert not [p for p in folder.rglob("*") if p.name.endswith(".partial")]
    assert asyncio.run(store.read(_key(b"other"))) is None


def test_the_least_recently_used_entries_go_first_under_the_cap(folder):
    store = DirectoryStore(folder, max_bytes=1000)
    blobs = [bytes([i]) * 400 for i in range(3)]
    for age, blob in enumerate(blobs[:2]):
        asyncio.run(store.write(_key(blob), blob))
        path = store._path(_key(blob))
        os.utime(path, (1000 + age, 1000 + age))  # blob 0 older than blob 1
    asyncio.run(store.read(_key(blobs[0])))  # now blob 1 is the least recently used
    asyncio.run(store.write(_key(blobs[2]), blobs[2]))  # 1200 bytes > 1000: one must go
    kept = {e.key for e in asyncio.run(store.entries())}
    assert kept == {_key(blobs[0]), _key(blobs[2])}


def _fill(root: str, seed: int) -> None:
    store = DirectoryStore(root, max_bytes=1 << 30)
    for i in range(40):
        data = hashlib.sha256(f"{(i + seed) % 40}".encode()).digest() * 2000
        asyncio.run(store.write(_key(data), data))


def test_two_processes_filling_one_store_leave_only_whole_entries(folder):
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_fill, args=(str(folder), seed)) for seed in (0, 7)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    store = DirectoryStore(folder, max_bytes=1 << 30)
    entries = asyncio.run(store.entries())
    assert len(entries) == 40
    for entry in entries:
        data = asyncio.run(store.read(entry.key))
        assert data is not None and _key(data) == entry.key


class CountingRuntime(HostRuntime):
    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    def get(self, url, headers=None, credentials=None, *, transfer=NO_LIMITS):
        self.asked.append(url)
        return super().get(url, headers, credentials, transfer=transfer)


def _file(url: str, sha256: str | None, store, headers=None) -> tuple[bytes, CountingRuntime]:
    runtime = CountingRuntime()
    fetcher = Fetcher(runtime, store=store)
    fetched = asyncio.run(
        _settled(fetcher, fetcher.file(url, what="demo", sha256=sha256, headers=headers))
    )
    return fetched.data, runtime


async def _settled(fetcher: Fetcher, call):  # as every operation ends: its store writes done
    try:
        return await call
    finally:
        await fetcher.settle()


def _published(index_server) -> tuple[str, bytes]:
    publish(index_server, "demo", "1.0")
    url = index_server.url + "/files/demo-1.0-py3-none-any.whl"
    data, _ = _file(url, None, None)
    return url, data


def test_a_second_fetcher_takes_the_file_from_the_store(folder, index_server):
    url, data = _published(index_server)
    sha256 = hashlib.sha256(data).hexdigest()
    store = DirectoryStore(folder, max_bytes=1 << 30)
    first, runtime = _file(url, sha256, store)
    assert first == data and runtime.asked == [url]
    again, runtime = _file(url, sha256, DirectoryStore(folder, max_bytes=1 << 30))
    assert again == data and runtime.asked == []


def test_a_corrupt_entry_is_dropped_and_fetched_again(folder, index_server):
    url, data = _published(index_server)
    sha256 = hashlib.sha256(data).hexdigest()
    store = DirectoryStore(folder, max_bytes=1 << 30)
    _file(url, sha256, store)
    path = store._path(key_for(sha256))
    path.write_bytes(b"x" + path.read_bytes()[1:])  # tampered, same size
    again, runtime = _file(url, sha256, store)
    assert again == data and runtime.asked == [url]
    assert path.read_bytes() == data  # stored again, whole


class _SlowStore(DirectoryStore):
    """Writes wait until the test lets them through."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder, max_bytes=1 << 30)
        self.go_on = asyncio.Event()

    async def _place(self, path: Path, data: bytes) -> None:
        await self.go_on.wait()
        await super()._place(path, data)


def test_no_answer_waits_for_the_store_but_settle_does(folder, index_server):
    url, data = _published(index_server)
    sha256 = hashlib.sha256(data).hexdigest()

    async def scenario() -> list[str]:
        store = _SlowStore(folder)
        fetcher = Fetcher(CountingRuntime(), store=store)
        seen = []
        # answered while the store still waits (a write awaited inline would time out here)
        fetched = await asyncio.wait_for(fetcher.file(url, what="demo", sha256=sha256), 10)
        seen.append(f"answered, stored: {len(await store.entries())}")
        settling = asyncio.ensure_future(fetcher.settle())
        await asyncio.sleep(0.05)
        seen.append(f"settled before the write: {settling.done()}")
        store.go_on.set()
        await settling
        seen.append(f"settled, stored: {len(await store.entries())}")
        assert fetched.data == data
        return seen

    assert asyncio.run(scenario()) == [
        "answered, stored: 0",
        "settled before the write: False",
        "settled, stored: 1",
    ]


def test_nothing_fetched_with_credentials_is_stored(folder, index_server):
    url, data = _published(index_server)
    sha256 = hashlib.sha256(data).hexdigest()
    store = DirectoryStore(folder, max_bytes=1 << 30)
    _file(url, sha256, store, headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert asyncio.run(store.entries()) == []
    runtime = CountingRuntime()
    fetcher = Fetcher(runtime, fetch_credentials="include", store=store)
    asyncio.run(_settled(fetcher, fetcher.file(url, what="demo", sha256=sha256)))
    assert asyncio.run(store.entries()) == []


def test_the_environment_decides_where_and_whether(monkeypatch, folder):
    runtime = HostRuntime()
    monkeypatch.setattr(cache, "settings", cache.CacheSettings())
    monkeypatch.setenv("MICROPIP2_NO_CACHE", "1")
    assert cache.open_store(runtime) is None
    monkeypatch.setenv("MICROPIP2_NO_CACHE", "0")
    monkeypatch.delenv("MICROPIP2_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder / "xdg"))
    assert cache.open_store(runtime).where == f"the directory {folder / 'xdg' / 'micropip2'}"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(folder / "home"))
    assert cache.open_store(runtime).where == f"the directory {folder / 'home/.cache/micropip2'}"
    monkeypatch.setenv("MICROPIP2_CACHE_DIR", str(folder / "chosen"))
    assert cache.open_store(runtime).where == f"the directory {folder / 'chosen'}"
    assert cache.open_store(runtime, enabled=False) is None


def _install(place: Place, index_server, **options) -> None:
    opts = InstallOptions(index_urls=[index_server.simple_url], **options)
    asyncio.run(operations.install(["app"], opts, place))


def test_a_second_environment_installs_from_the_cache(cache_on, folder, index_server):
    publish(index_server, "app", "1.0", ["lib"])
    publish(index_server, "lib", "1.0")
    _install(make_place(folder / "one"), index_server)
    index_server.clear_requests()
    _install(make_place(folder / "two"), index_server)
    asked = sorted(r.path for r in index_server.requests if r.method == "GET")
    # pages and JSON API hints only: wheels and metadata cached (the server says no-store)
    assert asked == ["/pypi/app/json", "/pypi/lib/json", "/simple/app/", "/simple/lib/"]
    info = asyncio.run(cache.info())
    assert info.enabled and info.entries == 4  # two wheels, two metadata files
    index_server.clear_requests()
    _install(make_place(folder / "three"), index_server, cache=False)
    assert any(r.path.endswith(".whl") for r in index_server.requests)
    assert asyncio.run(cache.clear()) == 4 and asyncio.run(cache.info()).entries == 0


# -- project pages: HTTP caching rules ---------------------------------------------------------

JSON_PAGE = {"Accept": "application/vnd.pypi.simple.v1+json"}


def _page(url: str, store, headers=JSON_PAGE) -> tuple[Response, CountingRuntime]:
    runtime = CountingRuntime()
    fetcher = Fetcher(runtime, store=store)
    response = asyncio.run(_settled(fetcher, fetcher.page(url, headers)))
    return response, runtime


def _asked(index_server, path: str) -> list[str | None]:
    """The If-None-Match of each request for ``path``."""
    return [r.header("If-None-Match") for r in index_server.find(path)]


def test_a_fresh_page_is_used_without_a_request(folder, index_server):
    publish(index_server, "demo", "1.0")
    index_server.page_max_age = 600
    url = index_server.simple_url + "demo/"
    first, runtime = _page(url, DirectoryStore(folder, max_bytes=1 << 30))
    assert first.status == 200 and runtime.asked == [url]
    again, runtime = _page(url, DirectoryStore(folder, max_bytes=1 << 30))
    assert runtime.asked == [] and again.body == first.body
    assert again.content_type == first.content_type and again.url == first.url


def test_a_stale_page_is_revalidated_and_a_304_renews_it(folder, index_server):
    publish(index_server, "demo", "1.0")
    index_server.page_max_age = 1
    url = index_server.simple_url + "demo/"
    store = DirectoryStore(folder, max_bytes=1 << 30)
    first, _ = _page(url, store)
    time.sleep(1.1)
    again, runtime = _page(url, store)
    assert runtime.asked == [url] and again.body == first.body
    etag = first.headers["etag"]
    assert _asked(index_server, "/simple/demo/") == [None, etag]
    assert index_server.find("/simple/demo/")[-1].status == 304
    _, runtime = _page(url, store)
    assert runtime.asked == []  # renewed: fresh again for a second
    index_server.page_max_age = 600
    time.sleep(1.1)
    _, runtime = _page(url, store)
    assert runtime.asked == [url] and index_server.find("/simple/demo/")[-1].status == 304
    _, runtime = _page(url, store)
    assert runtime.asked == []  # the last 304's max-age=600 applies


def test_a_page_changed_after_max_age_is_used(folder, index_server):
    publish(index_server, "demo", "1.0")
    index_server.page_max_age = 1
    url = index_server.simple_url + "demo/"
    store = DirectoryStore(folder, max_bytes=1 << 30)
    _page(url, store)
    publish(index_server, "demo", "2.0")
    time.sleep(1.1)
    changed, _ = _page(url, store)
    assert index_server.find("/simple/demo/")[-1].status == 200
    assert b"demo-2.0" in changed.body
    index_server.clear_requests()
    again, runtime = _page(url, store)
    assert runtime.asked == [] and again.body == changed.body  # the new page was kept


def test_pages_not_storable_or_asked_with_credentials_are_not_kept(folder, index_server):
    publish(index_server, "demo", "1.0")
    url = index_server.simple_url + "demo/"
    store = DirectoryStore(folder, max_bytes=1 << 30)
    _page(url, store)  # the server says no-store
    assert asyncio.run(store.entries()) == []
    index_server.page_max_age = 600
    _page(url, store, {**JSON_PAGE, "Authorization": "Basic dXNlcjpwdw=="})
    assert asyncio.run(store.entries()) == []


def test_a_damaged_page_entry_is_dropped_and_asked_again(folder, index_server):
    publish(index_server, "demo", "1.0")
    index_server.page_max_age = 600
    url = index_server.simple_url + "demo/"
    store = DirectoryStore(folder, max_bytes=1 << 30)
    first, _ = _page(url, store)
    [entry] = asyncio.run(store.entries())
    path = store._path(entry.key)
    path.write_bytes(path.read_bytes()[:-5])  # cut short
    again, runtime = _page(url, store)
    assert runtime.asked == [url] and again.body == first.body
    assert decode(path.read_bytes()) is not None  # stored whole again


def test_cache_control_rules():
    def page(**headers: str) -> Response:
        return Response(
            "u", 200, "text/html", b"", {k.replace("_", "-"): v for k, v in headers.items()}
        )

    assert lifetime({"cache-control": "max-age=600, public"}) == 600
    assert lifetime({"cache-control": "public, max-age=600", "age": "100"}) == 500
    assert lifetime({"cache-control": "max-age=600, no-cache"}) == 0
    assert lifetime({}) == 0
    assert storable(page(cache_control="max-age=60"))
    assert storable(page(etag='"x"'))  # no lifetime, but revalidatable
    assert not storable(page(cache_control="no-store, max-age=60"))
    assert not storable(page())  # neither lifetime nor validator
    assert not storable(Response("u", 404, "text/html", b"", {"cache-control": "max-age=60"}))
    stored = StoredPage(page(etag='"a"', last_modified="Tue, 01 Dec 2026 00:00:00 GMT"), 0.0)
    assert stored.conditional_headers() == {
        "If-None-Match": '"a"',
        "If-Modified-Since": "Tue, 01 Dec 2026 00:00:00 GMT",
    }
    assert decode(encode(stored)) == stored
    assert decode(b"not a page") is None


# -- resolutions -----------------------------------------------------------------------------


def _resolve(place: Place, index_server, **options) -> tuple[operations.InstallReport, list[str]]:
    """A dry run with the cache (unless ``cache=False``): its report and what it said."""
    said: list[str] = []
    opts = InstallOptions(index_urls=[index_server.simple_url], **options)
    report = asyncio.run(operations.install(["app"], opts, place, dry_run=True, say=said.append))
    return report, said


REUSED = "Using the cached resolution (every page it read is unchanged)"


def _stored_resolutions(cache_dir: Path) -> list[Path]:
    return list((cache_dir / "files").rglob("resolution-*"))


def test_a_resolution_is_reused_while_its_pages_are_fresh(cache_on, folder, index_server):
    publish(index_server, "app", "1.0", ["lib>=1"])
    publish(index_server, "lib", "1.0")
    index_server.page_max_age = 600
    _install(make_place(folder / "one"), index_server)
    assert len(_stored_resolutions(cache_on)) == 1
    index_server.clear_requests()
    second = make_place(folder / "two")
    reused, said = _resolve(second, index_server)
    assert REUSED in said and index_server.requests == []
    fresh, said = _resolve(second, index_server, cache=False)
    assert REUSED not in said
    assert reused.plan == fresh.plan  # the same Plan a fresh resolution makes
    assert [i.name for i in reused.plan.changes] == ["app", "lib"]
    index_server.clear_requests()
    _install(second, index_server)  # installs from the reused Plan: no request at all
    assert index_server.requests == []
    assert sorted(installed_distributions([str(folder / "two/site-packages")])) == ["app", "lib"]


def test_a_resolution_is_not_reused_in_another_situation(cache_on, folder, index_server):
    publish(index_server, "app", "1.0", ["lib>=1"])
    publish(index_server, "lib", "1.0")
    publish(index_server, "lib", "2.0b1")
    index_server.page_max_age = 600
    place = make_place(folder / "one")
    _resolve(place, index_server)
    _, said = _resolve(place, index_server, pre=True)  # another option
    assert REUSED not in said
    _, said = _resolve(place, index_server, constraints=["lib<2"])
    assert REUSED not in said
    _install(place, index_server)  # reuses the first one; then, with app and lib installed:
    report, said = _resolve(place, index_server)
    assert REUSED not in said and report.plan.changes == ()
    assert len(_stored_resolutions(cache_on)) == 4


def test_a_changed_page_makes_a_new_resolution(cache_on, folder, index_server):
    publish(index_server, "app", "1.0", ["lib>=1"])
    publish(index_server, "lib", "1.0")
    index_server.page_max_age = 1
    place = make_place(folder / "one")
    first, _ = _resolve(place, index_server)
    publish(index_server, "lib", "2.0")
    time.sleep(1.1)  # pages stale: the resolution is not reused, pages are revalidated
    second, said = _resolve(place, index_server)
    assert REUSED not in said
    assert {i.name: i.version for i in first.plan.changes}["lib"] == "1.0"
    assert {i.name: i.version for i in second.plan.changes}["lib"] == "2.0"


def test_no_resolution_is_kept_from_pages_that_were_not(cache_on, folder, index_server):
    publish(index_server, "app", "1.0", ["lib>=1"])
    publish(index_server, "lib", "1.0")
    place = make_place(folder / "one")
    _resolve(place, index_server)  # the server says no-store: pages not kept, nor the resolution
    assert _stored_resolutions(cache_on) == []
    index_server.page_max_age = 600
    _resolve(place, index_server, credentials="include")  # asked with credentials
    assert _stored_resolutions(cache_on) == []
    _resolve(place, index_server)
    assert len(_stored_resolutions(cache_on)) == 1


def test_no_resolution_is_kept_when_a_file_needs_credentials(cache_on, folder, index_server):
    index_server.require_auth("user", "s3cret", "/files/*")
    index_server.files_base_url = index_server.url.replace("://", "://user:s3cret@") + "/files/"
    publish(index_server, "app", "1.0")
    index_server.page_max_age = 600
    report, _ = _resolve(make_place(folder / "one"), index_server)
    assert [i.name for i in report.plan.changes] == ["app"]
    assert "s3cret" not in report.plan.changes[0].url
    assert _stored_resolutions(cache_on) == []  # a fresh interpreter would not have them
