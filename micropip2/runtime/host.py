"""A stand-in runtime for a plain CPython host: urllib for fetch, no shared libraries to load.

Used when micropip2 runs outside Pyodide (ahead-of-time locking, host-side unit tests).
"""

from __future__ import annotations

import asyncio
import os
import urllib.error
import urllib.request
from collections.abc import Awaitable, Mapping
from email.message import Message
from pathlib import Path
from typing import Any

from ..errors import DownloadError
from ..store import DirectoryStore, Store
from . import CACHING_HEADERS, Enough, Response

CHUNK_BYTES = 16384


class HostRuntime:
    def __init__(self) -> None:
        self._loaded: dict[str, str] = {}

    async def get(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        credentials: str | None = None,
        *,
        enough: Enough | None = None,
    ) -> Response:
        """``credentials`` (the Fetch API's cookie mode) means nothing to urllib and is ignored."""
        return await asyncio.to_thread(self._get_blocking, url, dict(headers or {}), enough)

    async def fetch(
        self, url: str, headers: Mapping[str, str] | None = None, credentials: str | None = None
    ) -> bytes:
        if "://" not in url:  # relative: a path from the working directory
            return await self.read_host_file(url)
        response = await self.get(url, headers)
        if not response.ok:
            raise DownloadError(
                f"could not fetch {url}: the server answered HTTP {response.status}",
                status=response.status,
                url=url,
            )
        return response.body

    def start_fetch(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        credentials: str | None = None,
    ) -> Awaitable[bytes]:
        return asyncio.ensure_future(self.fetch(url, headers, credentials))

    @staticmethod
    def _get_blocking(url: str, headers: dict[str, str], enough: Enough | None = None) -> Response:
        request = urllib.request.Request(url, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                body = _read(answer, enough)
                return _response(answer.geturl(), answer.status, answer.headers, body)
        except urllib.error.HTTPError as exc:
            return _response(exc.geturl() or url, exc.code, exc.headers, exc.read())
        except (urllib.error.URLError, OSError) as exc:
            raise DownloadError(f"could not fetch {url}: {exc}", url=url) from exc

    async def read_host_file(self, path: str) -> bytes:
        try:
            return Path(path).read_bytes()
        except OSError as exc:
            raise DownloadError(
                f"could not read the host file {path!r}: {exc.strerror}", url=path
            ) from exc

    async def load_dynlib(self, path: str) -> None:
        """Nothing to do: CPython's own import machinery loads extension modules."""

    def distribution_lock(self) -> tuple[dict[str, Any], str]:
        """A plain host has no Pyodide distribution."""
        return {"packages": {}}, ""

    async def load_distribution_packages(self, names: list[str]) -> None:
        raise DownloadError(
            f"cannot load {', '.join(names)}: there is no Pyodide distribution on a plain host"
        )

    def loaded_packages(self) -> dict[str, str]:
        return dict(self._loaded)

    def set_loaded_package(self, name: str, source: str | None) -> None:
        if source is None:
            self._loaded.pop(name, None)
        else:
            self._loaded[name] = source

    @property
    def has_http_cache(self) -> bool:
        return False

    def host_environ(self) -> Mapping[str, str]:
        return os.environ

    def open_store(self, directory: str, max_bytes: int) -> Store | None:
        return DirectoryStore(directory, max_bytes=max_bytes)


def _read(answer: Any, enough: Enough | None) -> bytes:
    """The whole body, or with ``enough`` the chunks up to the first prefix it accepts."""
    if enough is None:
        return bytes(answer.read())
    body = b""
    while chunk := answer.read(CHUNK_BYTES):
        body += chunk
        if enough(body):
            break
    return body


def _response(url: str, status: int, headers: Message | None, body: bytes) -> Response:
    caching = {name: v for name in CACHING_HEADERS if headers and (v := headers.get(name))}
    return Response(url, status, _content_type(headers), body, caching)


def _content_type(headers: Message | None) -> str:
    return ((headers.get("Content-Type") if headers else "") or "").split(";")[0].strip().lower()
