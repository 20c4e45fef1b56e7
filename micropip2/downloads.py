"""The wheels of one operation: each downloaded once through the fetch layer, sha256- and
size-checked, then read and validated (:func:`~micropip2.wheel_file.read_wheel`) before anything
trusts its contents. Resolution starts the ones it expects to choose; the executor waits for them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement

from .errors import InvalidWheelError
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


@dataclass(frozen=True)
class Declared:
    """What an index's PEP 658 metadata file said of a wheel's requirements, which resolution
    relied on (its name and version are checked where it is read)."""

    requires: frozenset[str]  # Requires-Dist, each as packaging writes it


class WheelFiles:
    """The wheels of one operation, by URL."""

    def __init__(self, fetcher: Fetcher, headers_for: HeadersFor = _no_headers) -> None:
        self.fetcher = fetcher
        self.headers_for = headers_for
        self._ready: dict[str, asyncio.Future[tuple[WheelFile, str]]] = {}
        self._declared: dict[str, Declared] = {}
        self._cpu_turns = asyncio.Lock()

    def declare(self, url: str, declared: Declared) -> None:
        """Record what the index's metadata file said of the wheel at ``url``: once the wheel is
        read, its own METADATA must say the same (PEP 658), or it is refused. Raises at once if
        the wheel is read already."""
        self._declared[url] = declared
        wheel = self.done(url)
        if wheel is not None:
            _check_declared(wheel, declared)

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
            wheel = read_wheel(wanted.filename, fetched.data, pinned=pinned)
        declared = self._declared.get(wanted.url)
        if declared is not None:
            _check_declared(wheel, declared)
        return wheel, fetched.sha256

    def _forget_failure(self, url: str, done: asyncio.Future[tuple[WheelFile, str]]) -> None:
        if (done.cancelled() or done.exception() is not None) and self._ready.get(url) is done:
            del self._ready[url]


def _requirement_texts(texts: list[str]) -> frozenset[str]:
    """Requires-Dist values as packaging writes them (spacing and order do not count); one that
    does not parse is kept as written."""
    found = set()
    for text in texts:
        try:
            found.add(str(Requirement(text)))
        except InvalidRequirement:
            found.add(text.strip())
    return frozenset(found)


def _check_declared(wheel: WheelFile, declared: Declared) -> None:
    """Refuse ``wheel`` if its own METADATA requires other things than its PEP 658 metadata
    file said."""
    requires = _requirement_texts(wheel.metadata.get_all("Requires-Dist") or [])
    if requires == declared.requires:
        return
    differences = []
    if left_out := sorted(requires - declared.requires):
        differences.append(f"the index's file leaves out {', '.join(left_out)}")
    if added := sorted(declared.requires - requires):
        differences.append(f"the index's file adds {', '.join(added)}")
    raise InvalidWheelError(
        f"{wheel.filename}: its metadata file on the index (PEP 658) does not match the "
        f"wheel's own METADATA ({'; '.join(differences)}); resolution relied on that file, "
        "so nothing was installed. The index serves wrong metadata: tell its owner, or use an "
        "index that serves none",
        project=wheel.name,
        file=wheel.filename,
    )
