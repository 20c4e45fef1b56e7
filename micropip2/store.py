"""Where verified files are kept between interpreters: the persistent cache's storage.

A :class:`Store` holds blobs by key: ``sha256-<hex>`` for a file (its own digest, so an entry
can always be checked against its name), ``page-<hex>`` for a project page (a digest of its
URL; the blob carries its body's digest, :mod:`micropip2.page_cache`) and ``resolution-<hex>``
for a resolution's Plan (a digest of everything that decided it, :mod:`micropip2.resolutions`).
Whoever reads an entry (:class:`~micropip2.fetch.Fetcher`) checks it and drops it if it does not
match. Nothing here decides *what* is stored; that, and the rule that nothing fetched with
credentials is stored, belong to the fetch layer. Writing a key again replaces its entry.

:class:`DirectoryStore` keeps one file per entry in a directory (on Node, a host directory the
runtime mounts; on a plain host, any directory). Writes go to a temporary name and are renamed
into place, so two interpreters filling one cache never see half an entry. Each read touches the
entry's modification time; when the total passes ``max_bytes``, the least recently used entries
go first. The browser's store (Cache Storage) lives with the runtime that can reach it.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

DEFAULT_MAX_BYTES = 1 << 30  # 1 GiB
_KEY = re.compile(r"^(sha256|page|resolution)-[0-9a-f]{64}$")


@dataclass(frozen=True)
class Entry:
    key: str
    size: int
    used: float  # seconds since the epoch, last read or written


class Store(Protocol):
    """Blobs by key. Every method may fail with ``OSError``: callers treat a failing store as an
    empty one, never as a failed install."""

    where: str  # for people: "the directory /home/me/.cache/micropip2"

    async def read(self, key: str) -> bytes | None: ...

    async def write(self, key: str, data: bytes) -> None: ...

    async def drop(self, key: str) -> None: ...

    async def entries(self) -> list[Entry]: ...


def key_for(sha256: str) -> str:
    return f"sha256-{sha256.lower()}"


def partial_name(name: str, pid: int) -> str:
    """Where the entry ``name`` is written before it is renamed into place (hidden: listings
    skip names starting with a dot)."""
    return f".{name}.{pid}.{time.time_ns()}.partial"


def check_key(key: str) -> str:
    if not _KEY.match(key):
        raise ValueError(f"not a store key: {key!r}")
    return key


class DirectoryStore:
    """One file per entry under ``root`` (``where`` describes it, e.g. the host path behind a
    mount)."""

    def __init__(self, root: str | Path, *, where: str | None = None, max_bytes: int) -> None:
        self.root = Path(root)
        self.where = where or f"the directory {self.root}"
        self.max_bytes = max_bytes
        self._files = self.root / "files"
        self._total: int | None = None  # bytes in the store, counted when first needed

    async def read(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            os.utime(path)  # most recently used
        except OSError:
            pass
        return data

    async def write(self, key: str, data: bytes) -> None:
        path = self._path(key)
        if len(data) > self.max_bytes:
            return  # larger than the whole cache: not kept, rather than evicting everything
        if self._total is None:  # counted before placing: writes may run side by side
            self._total = sum(entry.size for entry in await self.entries())
        try:
            replaced = path.stat().st_size
        except FileNotFoundError:
            replaced = 0
        await self._place(path, data)
        self._total += len(data) - replaced
        await self._evict()

    async def _place(self, path: Path, data: bytes) -> None:
        """Put ``data`` at ``path`` whole: written under a temporary name, then renamed (atomic:
        readers see no entry or the whole entry)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(partial_name(path.name, os.getpid()))
        partial.write_bytes(data)
        os.replace(partial, path)

    async def drop(self, key: str) -> None:
        path = self._path(key)
        try:
            size = path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            return
        if self._total is not None:
            self._total -= size

    async def entries(self) -> list[Entry]:
        found: list[Entry] = []
        if not self._files.is_dir():
            return found
        for shard in self._files.iterdir():
            if not shard.is_dir():
                continue
            for path in shard.iterdir():
                if path.name.startswith("."):
                    continue
                try:
                    stat = path.stat()
                except FileNotFoundError:  # removed by another interpreter meanwhile
                    continue
                found.append(Entry(path.name, stat.st_size, stat.st_mtime))
        return found

    async def _evict(self) -> None:
        if self._total is None or self._total <= self.max_bytes:
            return
        for entry in sorted(await self.entries(), key=lambda e: e.used):
            if self._total <= self.max_bytes:
                break
            await self.drop(entry.key)

    def _path(self, key: str) -> Path:
        check_key(key)
        digest = key.split("-", 1)[1]
        return self._files / digest[:2] / key
