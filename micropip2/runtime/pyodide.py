"""The Pyodide side of the runtime boundary: the only module that imports ``js``/``pyodide_js``.

Names under ``pyodide_js._api`` are private to Pyodide and have changed between releases; each
one used here is named once, in this file.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Awaitable, Mapping
from typing import Any

import js
import pyodide_js
from pyodide.ffi import to_js

from ..errors import DownloadError
from ..store import DirectoryStore, Entry, Store, check_key
from . import CACHING_HEADERS, Enough, Response

CACHE_NAME = "micropip2"  # the Cache Storage cache
_MOUNTS: dict[str, str] = {}  # host directory -> where it is mounted (NODEFS), once each


class PyodideRuntime:
    def __init__(self) -> None:
        self._js = pyodide_js
        self._api = pyodide_js._api
        self._fetch = js.fetch
        self._object_from_entries = js.Object.fromEntries

    @property
    def in_node(self) -> bool:
        process = getattr(js, "process", None)
        return (
            process is not None and getattr(getattr(process, "release", None), "name", "") == "node"
        )

    async def get(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        credentials: str | None = None,
        *,
        enough: Enough | None = None,
    ) -> Response:
        return await self._answer(url, self._request(url, headers, credentials), enough)

    async def fetch(
        self, url: str, headers: Mapping[str, str] | None = None, credentials: str | None = None
    ) -> bytes:
        if "://" not in url and self.in_node:  # Node's fetch has no base URL: a path of the host
            return await self.read_host_file(url)
        return _body(url, await self.get(url, headers, credentials))

    def start_fetch(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        credentials: str | None = None,
    ) -> Awaitable[bytes]:
        if "://" not in url and self.in_node:
            return self.read_host_file(url)
        answer = self._answer(url, self._request(url, headers, credentials))  # sent here

        async def body() -> bytes:
            return _body(url, await answer)

        return body()

    def _request(self, url: str, headers: Mapping[str, str] | None, credentials: str | None) -> Any:
        """Send the request now (the JS fetch itself: pyodide.http.pyfetch's Python wrapper costs
        ~1.5 ms a call) and return its JS promise."""
        options: dict[str, Any] = {}
        if headers:
            options["headers"] = dict(headers)
        if credentials:
            options["credentials"] = credentials
        if options:
            return self._fetch(url, to_js(options, dict_converter=self._object_from_entries))
        return self._fetch(url)

    async def _answer(self, url: str, request: Any, enough: Enough | None = None) -> Response:
        try:
            response = await request
            if enough is None or response.body is None:
                body = (await response.arrayBuffer()).to_bytes()
            else:
                body = await _read_until(response.body.getReader(), enough)
        except Exception as exc:  # JsException (network error, CORS refusal, broken transfer)
            raise DownloadError(f"could not fetch {url}: {_js_reason(exc)}", url=url) from exc
        found = response.headers
        content_type = (found.get("content-type") or "").split(";")[0].strip().lower()
        caching = {name: str(v) for name in CACHING_HEADERS if (v := found.get(name)) is not None}
        status = int(response.status)
        return Response(str(response.url or url), status, content_type, body, caching)

    async def read_host_file(self, path: str) -> bytes:
        if not self.in_node:
            raise DownloadError(
                f"cannot read the local file {path!r}: a browser has no access "
                "to the host's files; "
                "serve it over http(s) or put it in the Emscripten file system "
                "and use an emfs: path",
                url=path,
            )
        try:
            data = await self._api.loadBinaryFile(path)
        except Exception as exc:
            raise DownloadError(
                f"could not read the host file {path!r}: {_js_reason(exc)}", url=path
            ) from exc
        return bytes(data.to_py())

    async def load_dynlib(self, path: str) -> None:
        await self._api.loadDynlib(path)

    def distribution_lock(self) -> tuple[dict[str, Any], str]:
        lock = self._api.lockfile.to_py()
        base = getattr(self._js, "lockfileBaseUrl", None) or str(self._api.config.indexURL)
        return lock, str(base)

    async def load_distribution_packages(self, names: list[str]) -> None:
        from pyodide.ffi import to_js

        errors: list[str] = []
        await self._js.loadPackage(
            to_js(names), errorCallback=errors.append, messageCallback=lambda _m: None
        )
        missing = [name for name in names if name not in self.loaded_packages()]
        if missing or errors:
            detail = "; ".join(errors) or "no reason given"
            raise DownloadError(
                f"Pyodide could not load {', '.join(missing or names)} "
                f"from its distribution: {detail}"
            )

    def loaded_packages(self) -> dict[str, str]:
        return dict(self._js.loadedPackages.to_py())

    @property
    def has_http_cache(self) -> bool:
        return not self.in_node  # browsers and workers; Node's fetch keeps nothing

    def host_environ(self) -> Mapping[str, str]:
        if not self.in_node:
            return {}
        return {str(k): str(v) for k, v in js.Object.entries(js.process.env).to_py()}

    def open_store(self, directory: str, max_bytes: int) -> Store | None:
        if self.in_node:
            return DirectoryStore(
                self._mounted(directory), where=f"the directory {directory}", max_bytes=max_bytes
            )
        caches = getattr(js, "caches", None)  # absent outside a secure context
        if caches is None:
            return None
        return CacheStorageStore(caches, max_bytes)

    def _mounted(self, directory: str) -> str:
        """``directory`` of the host, made and mounted (NODEFS) in the Emscripten file system."""
        if directory not in _MOUNTS:
            fs = js.process.getBuiltinModule("fs")
            fs.mkdirSync(directory, _js_object({"recursive": True}))
            mountpoint = f"/micropip2-cache-{len(_MOUNTS)}"
            os.makedirs(mountpoint, exist_ok=True)
            self._js.FS.mount(
                self._js.FS.filesystems.NODEFS, _js_object({"root": directory}), mountpoint
            )
            _MOUNTS[directory] = mountpoint
        return _MOUNTS[directory]

    def set_loaded_package(self, name: str, source: str | None) -> None:
        if source is None:
            with contextlib.suppress(AttributeError):
                delattr(self._js.loadedPackages, name)
        else:
            setattr(self._js.loadedPackages, name, source)


class CacheStorageStore:
    """The persistent cache in a browser or worker: one Cache Storage entry per key. Each entry
    records when it was last used; a read refreshes that at most once a day (rewriting the
    entry), so eviction is least-recently-used to the day."""

    where = f"the browser's Cache Storage ({CACHE_NAME!r})"
    REFRESH_AFTER_S = 24 * 3600

    def __init__(self, caches: Any, max_bytes: int) -> None:
        self._caches = caches
        self.max_bytes = max_bytes
        self._cache: Any = None
        self._total: int | None = None  # bytes stored, counted when first needed

    async def read(self, key: str) -> bytes | None:
        cache = await self._open()
        response = await cache.match(_cache_url(key))
        if response is None:
            return None
        data: bytes = (await response.arrayBuffer()).to_bytes()
        used = float(response.headers.get("x-micropip2-used") or 0)
        if time.time() - used > self.REFRESH_AFTER_S:
            await self._put(cache, key, data)
        return data

    async def write(self, key: str, data: bytes) -> None:
        if len(data) > self.max_bytes:
            return  # larger than the whole cache: not kept, rather than evicting everything
        cache = await self._open()
        if self._total is None:
            self._total = sum(entry.size for entry in await self.entries())
        replaced = await cache.match(_cache_url(key))
        if replaced is not None:
            self._total -= int(replaced.headers.get("x-micropip2-size") or 0)
        await self._put(cache, key, data)
        self._total += len(data)
        if self._total > self.max_bytes:
            await self._evict()

    async def drop(self, key: str) -> None:
        cache = await self._open()
        await cache.delete(_cache_url(key))

    async def entries(self) -> list[Entry]:
        cache = await self._open()
        found = []
        for request in (await cache.keys()).to_py():
            response = await cache.match(request)
            if response is None:
                continue
            key = str(request.url).rsplit("/", 1)[-1]
            size = int(response.headers.get("x-micropip2-size") or 0)
            used = float(response.headers.get("x-micropip2-used") or 0)
            found.append(Entry(key, size, used))
        return found

    async def _open(self) -> Any:
        if self._cache is None:
            self._cache = await self._caches.open(CACHE_NAME)
        return self._cache

    async def _put(self, cache: Any, key: str, data: bytes) -> None:
        headers = {"x-micropip2-size": str(len(data)), "x-micropip2-used": str(time.time())}
        response = js.Response.new(to_js(data), _js_object({"headers": headers}))
        await cache.put(_cache_url(key), response)

    async def _evict(self) -> None:
        entries = await self.entries()
        self._total = sum(entry.size for entry in entries)
        for entry in sorted(entries, key=lambda e: e.used):
            if self._total <= self.max_bytes:
                break
            await self.drop(entry.key)
            self._total -= entry.size


def _cache_url(key: str) -> str:
    """Cache Storage keys are http(s) requests; this origin is never asked for."""
    return f"https://micropip2.invalid/{check_key(key)}"


def _js_object(value: dict[str, Any]) -> Any:
    return to_js(value, dict_converter=js.Object.fromEntries)


def _body(url: str, response: Response) -> bytes:
    if not response.ok:
        raise DownloadError(
            f"could not fetch {url}: the server answered HTTP {response.status}",
            status=response.status,
            url=url,
        )
    return response.body


def _js_reason(exc: Any) -> str:
    message = getattr(exc, "message", None) or str(exc)
    return message.strip().splitlines()[0] if message.strip() else type(exc).__name__


async def _read_until(reader: Any, enough: Enough) -> bytes:
    """Read a response body's chunks until ``enough`` accepts the prefix, then cancel the rest of
    the transfer."""
    body = b""
    while True:
        chunk = await reader.read()
        if chunk.done:
            return body
        body += bytes(chunk.value.to_bytes())
        if enough(body):
            await reader.cancel()
            return body
