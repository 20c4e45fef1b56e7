"""Fetching a lock's files on the host: where a file URL points, and its bytes checked against the
lock."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable

from ..fetch import Fetcher
from ..locations import join
from ..lockfiles.model import LockedFile
from ..runtime import Runtime

MAX_CONCURRENT = 6


async def fetch_checked(file: LockedFile, base: str, runtime: Runtime) -> tuple[bytes | None, str]:
    """(bytes, "") when the file was fetched and matches its sha256; (bytes or None, why not)
    otherwise."""
    url = join(base, file.url)
    try:
        fetched = await Fetcher(runtime).file(url, what=file.file_name)
    except Exception as exc:  # every failure becomes a reported problem, not a traceback
        return None, f"cannot be fetched: {exc}"
    if not file.sha256:
        return fetched.data, f"the lock gives no sha256 for {url}"
    if fetched.sha256 != file.sha256.lower():
        return (
            fetched.data,
            f"the file at {url} has sha256 {fetched.sha256}, the lock says {file.sha256}",
        )
    return fetched.data, ""


async def bounded[T, R](
    items: Iterable[T], work: Callable[[T], Awaitable[R]], limit: int = MAX_CONCURRENT
) -> list[R]:
    """``work`` over ``items``, at most ``limit`` at a time, results in order."""
    gate = asyncio.Semaphore(limit)

    async def one(item: T) -> R:
        async with gate:
            return await work(item)

    return list(await asyncio.gather(*(one(item) for item in items)))
