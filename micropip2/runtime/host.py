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
from . import KEPT_HEADERS, NO_LIMITS, Response, Transfer

CHUNK_BYTES = 16384


class HostRuntime:
    def __init__(self) -> None:
        self._loaded: dict[str, str] = {}

    def get(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        credentials: str | None = None,
        *,
        transfer: Transfer = NO_LIMITS,
    ) -> Awaitable[Response]:
        """``credentials`` (the Fetch API's cookie mode) means nothing to urllib and is ignored.
        The request starts on a thread before this returns. The time limits are the socket's
        (urllib has one timeout for connecting and for each read)."""
        if "://" not in url:  # relative: a path from the working directory
            return asyncio.ensure_future(self._host_file(url))
        return asyncio.ensure_future(
            asyncio.to_thread(self._get_blocking, url, dict(headers or {}), transfer)
        )

    async def _host_file(self, path: str) -> Response:
        return Response(path, 200, "", await self.read_host_file(path))

    @staticmethod
    def _get_blocking(url: str, headers: dict[str, str], transfer: Transfer) -> Response:
        request = urllib.request.Request(url, headers=headers)
        timeout = max(transfer.first_byte_timeout, transfer.idle_timeout) or None
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                body = _read(answer, transfer)
                return _response(answer.geturl(), answer.status, answer.headers, body)
        except urllib.error.HTTPError as exc:
            return _response(exc.geturl() or url, exc.code, exc.headers, exc.read())
        except TimeoutError as exc:
            raise DownloadError(
                f"could not fetch {url}: timed out after {timeout} s", url=url, timed_out=True
            ) from exc
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

    def abi_version(self) -> str | None:
        return None

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


def _read(answer: Any, transfer: Transfer) -> bytes:
    """The whole body (with ``transfer.enough``, the chunks up to the first prefix it
    accepts), refused past ``transfer.max_bytes``."""
    declared = answer.headers.get("Content-Length")
    total = int(declared) if declared and declared.isdigit() else None
    body = bytearray()
    while chunk := answer.read(CHUNK_BYTES):
        body.extend(chunk)
        if transfer.max_bytes is not None and len(body) > transfer.max_bytes:
            raise DownloadError(
                f"could not fetch {answer.geturl()}: the answer is over the limit of "
                f"{transfer.max_bytes} bytes",
                url=answer.geturl(),
                too_large=True,
            )
        if transfer.on_bytes is not None:
            transfer.on_bytes(len(body), total)
        if transfer.enough is not None and transfer.enough(bytes(body)):
            break
    return bytes(body)


def _response(url: str, status: int, headers: Message | None, body: bytes) -> Response:
    kept = {name: v for name in KEPT_HEADERS if headers and (v := headers.get(name))}
    return Response(url, status, _content_type(headers), body, kept)


def _content_type(headers: Message | None) -> str:
    return ((headers.get("Content-Type") if headers else "") or "").split(";")[0].strip().lower()
