"""The Pyodide side of the runtime boundary: the only module that imports ``js``/``pyodide_js``.

Names under ``pyodide_js._api`` are private to Pyodide and have changed between releases; each
one used here is named once, in this file.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import time
from collections.abc import Awaitable, Mapping
from pathlib import Path
from typing import Any

import js
import pyodide_js
from pyodide.code import run_js
from pyodide.ffi import create_proxy, to_js

from ..errors import DownloadError
from ..store import DirectoryStore, Entry, Store, check_key, partial_name
from . import KEPT_HEADERS, NO_LIMITS, Response, Transfer

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

    def get(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        credentials: str | None = None,
        *,
        transfer: Transfer = NO_LIMITS,
    ) -> Awaitable[Response]:
        if "://" not in url and self.in_node:  # Node's fetch has no base URL: a path of the host
            return self._host_file(url)
        options: dict[str, Any] = {}
        if headers:
            options["headers"] = dict(headers)
        if credentials:
            options["credentials"] = credentials
        watchers = _Watchers(transfer)
        # The JS fetch itself, sent here (pyodide.http.pyfetch's Python wrapper costs ~1.5 ms a
        # call), its body read in JS (a Python turn per chunk would cost more than the bytes).
        sending = _transfer_js()(
            self._fetch,
            url,
            to_js(options, dict_converter=self._object_from_entries),
            transfer.first_byte_timeout * 1000,
            transfer.idle_timeout * 1000,
            -1 if transfer.max_bytes is None else transfer.max_bytes,
            watchers.on_bytes,
            watchers.enough,
        )
        return self._answer(url, sending, watchers)

    async def _answer(self, url: str, sending: Any, watchers: _Watchers) -> Response:
        try:
            answer = await sending.done
        except asyncio.CancelledError:
            sending.abort()
            raise
        except Exception as exc:  # JsException (network error, CORS refusal, a limit)
            limit = _limit_of(exc)
            raise DownloadError(
                f"could not fetch {url}: {_js_reason(exc)}",
                url=url,
                timed_out=limit == "time",
                too_large=limit == "size",
            ) from exc
        finally:
            watchers.destroy()
        response = answer.response
        found = response.headers
        content_type = (found.get("content-type") or "").split(";")[0].strip().lower()
        kept = {name: str(v) for name in KEPT_HEADERS if (v := found.get(name)) is not None}
        body = answer.body.to_bytes()
        return Response(str(response.url or url), int(response.status), content_type, body, kept)

    async def _host_file(self, path: str) -> Response:
        return Response(path, 200, "", await self.read_host_file(path))

    async def read_host_file(self, path: str) -> bytes:
        if not self.in_node:
            raise DownloadError(
                f"cannot read the local file {path!r}: a browser has no access "
                "to the host's files; "
                "serve it over http(s) or put it in the Emscripten file system "
                "and use an emfs: path",
                url=path,
            )
        if not self._is_regular_file(path):  # a device (/dev/zero) would never end
            raise DownloadError(
                f"could not read the host file {path!r}: it is not a regular file", url=path
            )
        try:
            data = await self._api.loadBinaryFile(path)
        except Exception as exc:
            raise DownloadError(
                f"could not read the host file {path!r}: {_js_reason(exc)}", url=path
            ) from exc
        return bytes(data.to_py())

    def _is_regular_file(self, path: str) -> bool:
        """False only for something that exists and is not a file (missing: the read says so)."""
        fs = js.process.getBuiltinModule("fs")
        try:
            return bool(fs.statSync(path).isFile())
        except Exception:
            return True

    async def load_dynlib(self, path: str) -> None:
        await self._api.loadDynlib(path)

    def abi_version(self) -> str | None:
        return str(getattr(self._api, "abiVersion", "") or "") or None

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
            return NodeDirectoryStore(self._mounted(directory), directory, max_bytes=max_bytes)
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


class NodeDirectoryStore(DirectoryStore):
    """The cache directory on Node, read through its mount; entries are written by Node's
    asynchronous ``fs`` on the host directory itself, so the disk works on Node's thread pool
    while Python goes on (through the mount, a cold ``requests`` install's 21 writes took ~20 ms
    of Python's time)."""

    def __init__(self, mounted: str, host_directory: str, *, max_bytes: int) -> None:
        super().__init__(mounted, where=f"the directory {host_directory}", max_bytes=max_bytes)
        self._host = Path(host_directory)

    async def _place(self, path: Path, data: bytes) -> None:
        host = self._host / path.relative_to(self.root)
        partial = host.with_name(partial_name(host.name, int(js.process.pid)))
        await _node_place()(str(host.parent), str(partial), str(host), to_js(data))


@functools.cache
def _node_place() -> Any:
    """A JS function: make the directory, write the temporary file, rename it into place (one
    promise for Python to wait for, not three)."""
    return run_js(
        """(fs => async (directory, partial, path, data) => {
            await fs.mkdir(directory, { recursive: true });
            await fs.writeFile(partial, data);
            await fs.rename(partial, path);
        })(process.getBuiltinModule("fs").promises)"""
    )


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
        self._counting = asyncio.Lock()

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
        async with self._counting:  # once, however many writes run side by side
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
        requests = (await cache.keys()).to_py()
        # asked together: each match is a round trip to the browser's storage
        responses = await asyncio.gather(*(cache.match(request) for request in requests))
        for request, response in zip(requests, responses, strict=True):
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


def _limit_of(exc: Any) -> str | None:
    """The limit a transfer's JS error names ("time", "size"), if any (the JS error is the
    exception itself or, in older Pyodide, its ``js_error``)."""
    for error in (exc, getattr(exc, "js_error", None)):
        with contextlib.suppress(Exception):
            limit = getattr(error, "micropip2Limit", None)
            if isinstance(limit, str):
                return limit
    return None


def _js_reason(exc: Any) -> str:
    message = getattr(exc, "message", None) or str(exc)
    return message.strip().splitlines()[0] if message.strip() else type(exc).__name__


class _Watchers:
    """A Transfer's Python callbacks, as JS functions for the one request (then destroyed)."""

    def __init__(self, transfer: Transfer) -> None:
        self._proxies: list[Any] = []
        self.on_bytes = self._proxy(transfer.on_bytes)
        self.enough = None
        if transfer.enough is not None:
            wants = transfer.enough
            prefix = bytearray()

            def take(chunk: Any) -> bool:
                prefix.extend(chunk.to_bytes())
                return wants(bytes(prefix))

            self.enough = self._proxy(take)

    def _proxy(self, function: Any) -> Any:
        if function is None:
            return None
        proxy = create_proxy(function)
        self._proxies.append(proxy)
        return proxy

    def destroy(self) -> None:
        for proxy in self._proxies:
            proxy.destroy()


# One request: fetch with an AbortController; the time limits abort it (first byte, then idle
# body), the size limit cancels it. Returns {done: Promise<{response, body}>, abort()}; a limit's
# error carries micropip2Limit ("time" or "size").
_TRANSFER_SOURCE = """
(fetch, url, init, firstByteMs, idleMs, maxBytes, onBytes, enough) => {
  const controller = new AbortController();
  init.signal = controller.signal;
  let timer = null;
  let limit = null;
  let stopped = false;
  const arm = (ms, message) => {
    clearTimeout(timer);
    if (ms > 0) {
      timer = setTimeout(() => { limit = ["time", message]; controller.abort(); }, ms);
    }
  };
  const refuse = (kind, message) => {
    const error = new Error(message);
    error.micropip2Limit = kind;
    return error;
  };
  const seconds = (ms) => `${Math.round(ms / 100) / 10} s`;
  const run = async () => {
    let response;
    const chunks = [];
    let received = 0;
    try {
      arm(firstByteMs, `timed out after ${seconds(firstByteMs)} waiting for an answer`);
      response = await fetch(url, init);
      const declared = response.headers.get("content-length");
      const total = declared === null ? null : Number(declared);
      if (maxBytes >= 0 && total !== null && total > maxBytes) {
        controller.abort();
        throw refuse("size", `the answer is ${total} bytes, over the limit of ${maxBytes}`);
      }
      if (response.body !== null) {
        const reader = response.body.getReader();
        for (;;) {
          const idle = `timed out after ${seconds(idleMs)} without data`;
          arm(idleMs, `${idle} (${received} bytes received)`);
          const { done, value } = await reader.read();
          if (done) break;
          chunks.push(value);
          received += value.length;
          if (maxBytes >= 0 && received > maxBytes) {
            controller.abort();
            throw refuse("size", `the answer is over the limit of ${maxBytes} bytes`);
          }
          if (stopped) break;
          if (onBytes !== undefined && onBytes !== null) onBytes(received, total);
          if (enough !== undefined && enough !== null && enough(value)) {
            await reader.cancel();
            break;
          }
        }
      }
    } catch (error) {
      if (limit !== null) throw refuse(limit[0], limit[1]);
      // Node's fetch says only "fetch failed"; the reason (refused, reset, a redirect loop) is
      // its cause. A browser gives no reason at all.
      const cause = error?.cause;
      if (cause && (cause.code || cause.message)) {
        const why = [cause.code, cause.message].filter(Boolean).join(": ");
        throw new Error(`${error.message} (${why})`);
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
    const body = new Uint8Array(received);
    let at = 0;
    for (const chunk of chunks) { body.set(chunk, at); at += chunk.length; }
    return { response, body };
  };
  const done = run();
  // Python awaits it a turn later (or never, if cancelled first): until then a quick failure
  // (a refused connection) must not count as an unhandled rejection, which ends Node.
  done.catch(() => {});
  return {
    done,
    abort: () => {
      stopped = true;
      if (limit === null) limit = ["cancel", "cancelled"];
      controller.abort();
    },
  };
}
"""
_transfer_function: Any = None


def _transfer_js() -> Any:
    global _transfer_function
    if _transfer_function is None:
        _transfer_function = run_js(_TRANSFER_SOURCE)
    return _transfer_function
