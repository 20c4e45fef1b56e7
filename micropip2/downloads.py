"""The wheels of one operation: each downloaded once through the fetch layer, sha256- and
size-checked, then read and validated (:func:`~micropip2.wheel_file.read_wheel`) before anything
trusts its contents. Resolution starts the ones it expects to choose; the executor waits for them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .fetch import Fetcher
from .plan import PlanItem
from .wheel_file import WheelFile, read_wheel

HeadersFor = Callable[[str, str | None], Mapping[str, str]]  # (url, index_url) -> headers


def _no_headers(url: str, index_url: str | None) -> Mapping[str, str]:
    return {}


@dataclass(frozen=True)
class _Wanted:
    """One wheel to fetch and how it is checked."""

    url: str
    filename: str
    what: str
    sha256: str | None
    size: int | None
    headers: Mapping[str, str]


class WheelFiles:
    """The wheels of one operation, by URL."""

    def __init__(self, fetcher: Fetcher, headers_for: HeadersFor = _no_headers) -> None:
        self.fetcher = fetcher
        self.headers_for = headers_for
        self._ready: dict[str, asyncio.Future[tuple[WheelFile, str]]] = {}
        self._cpu_turns = asyncio.Lock()

    def start(
        self,
        url: str,
        *,
        filename: str,
        what: str,
        sha256: str | None,
        size: int | None,
        index_url: str | None = None,
        limit: asyncio.Semaphore | None = None,
    ) -> None:
        """Begin downloading and validating ``url`` (once, however often this is called). With no
        ``limit`` the request is on the wire when this returns; with one, it waits its turn.
        A wheel promised a ``sha256`` (by a lock, an index or a URL) is pinned by it once checked
        (see :func:`read_wheel`)."""
        if url in self._ready:
            return
        wanted = _Wanted(url, filename, what, sha256, size, self.headers_for(url, index_url))
        if limit is None:
            self.fetcher.start(url, wanted.headers, sha256)
        future = asyncio.ensure_future(self._read(wanted, limit))
        future.add_done_callback(lambda done: self._forget_failure(url, done))
        self._ready[url] = future

    def start_item(self, item: PlanItem) -> None:
        self.start(
            item.url,
            filename=item.filename,
            what=f"{item.name} {item.version} ({item.filename})",
            sha256=item.sha256,
            size=item.size,
            index_url=item.index_url,
        )

    def done(self, url: str) -> WheelFile | None:
        """The wheel at ``url`` if it is downloaded and valid already, without waiting."""
        future = self._ready.get(url)
        if future is None or not future.done() or future.exception() is not None:
            return None
        return future.result()[0]

    async def get(self, url: str) -> tuple[WheelFile, str]:
        """The wheel at ``url`` (started before), validated, and the sha256 of its bytes."""
        return await asyncio.shield(self._ready[url])

    async def get_item(self, item: PlanItem) -> tuple[WheelFile, str]:
        self.start_item(item)
        return await self.get(item.url)

    async def _read(
        self, wanted: _Wanted, limit: asyncio.Semaphore | None
    ) -> tuple[WheelFile, str]:
        async with limit or contextlib.nullcontext():
            fetched = await self.fetcher.file(
                wanted.url,
                what=wanted.what,
                sha256=wanted.sha256,
                size=wanted.size,
                headers=wanted.headers,
            )
        # Validated while other requests are awaited; one wheel at a time, each after a turn of
        # the event loop, so answers the resolver waits for are handled first.
        async with self._cpu_turns:
            await asyncio.sleep(0)
            pinned = bool(wanted.sha256)  # and checked by the fetch layer
            return read_wheel(wanted.filename, fetched.data, pinned=pinned), fetched.sha256

    def _forget_failure(self, url: str, done: asyncio.Future[tuple[WheelFile, str]]) -> None:
        if (done.cancelled() or done.exception() is not None) and self._ready.get(url) is done:
            del self._ready[url]
