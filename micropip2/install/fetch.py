"""Getting a file's bytes from any supported location, and checking them against a sha256."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..errors import DownloadError, HashMismatchError
from ..runtime import Runtime


async def fetch_file(
    url: str,
    runtime: Runtime,
    headers: Mapping[str, str] | None = None,
    credentials: str | None = None,
) -> bytes:
    """``http(s)://``, a URL relative to the page (or, on Node, to the working directory),
    ``file:`` (a file of the host, on Node) or ``emfs:`` (the Emscripten file system)."""
    parts = urlsplit(url)
    if parts.scheme == "emfs":
        path = unquote(parts.path)
        try:
            return Path(path).read_bytes()
        except OSError as exc:
            raise DownloadError(
                f"could not read {path!r} in the Emscripten file system: {exc.strerror}"
            ) from None
    if parts.scheme == "file":
        return await runtime.read_host_file(unquote(parts.path))
    return await runtime.fetch(url, headers, credentials)


def start_file_fetch(url: str, runtime: Runtime) -> Awaitable[bytes]:
    """:func:`fetch_file`, with an http(s) request already sent when this returns: a caller that
    starts many downloads gets them all on the wire at once, not one per event-loop turn."""
    if urlsplit(url).scheme in ("emfs", "file"):
        return fetch_file(url, runtime)
    return runtime.start_fetch(url)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_sha256(what: str, url: str, data: bytes, expected: str | None) -> str:
    """The digest of ``data``; raise if ``expected`` is given and differs."""
    actual = sha256_of(data)
    if expected is not None and actual != expected.lower():
        raise HashMismatchError(
            f"{what}: the file from {url} has sha256 {actual}, but {expected} was expected "
            f"({len(data)} bytes received); it was not installed"
        )
    return actual
