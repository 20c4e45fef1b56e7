"""The persistent cache of verified files: where it is, whether it is on, what it holds.

On by default. Wheels and PEP 658 metadata files are kept by their sha256 (the digest the index
or lock promised), so a new interpreter (a restarted kernel, a reloaded page, another Node
process) installs them without asking the network; every entry is hashed again when read, and
one that does not match is dropped and fetched again.

Where: in a browser or web worker, Cache Storage (the cache named ``micropip2``); on Node, a
directory of the host: ``$MICROPIP2_CACHE_DIR``, else ``$XDG_CACHE_HOME/micropip2``, else
``~/.cache/micropip2``. ``MICROPIP2_NO_CACHE=1`` turns it off, and so does ``cache=False`` on
one call. Variables are read from the interpreter's ``os.environ`` first (``loadPyodide({env})``
sets it), then from the host process's environment. Where there is no store (a page that is not a
secure context), installs work uncached.

Settings (:data:`settings`): ``enabled`` (None: from the environment), ``directory`` (None: as
above), ``max_bytes`` (default 1 GiB; least recently used entries go first).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from .runtime import Runtime, current_runtime
from .store import DEFAULT_MAX_BYTES, Store

__all__ = ["CacheInfo", "CacheSettings", "clear", "info", "settings"]


@dataclass
class CacheSettings:
    enabled: bool | None = None  # None: on unless MICROPIP2_NO_CACHE is set
    directory: str | None = None  # None: from the environment (Node and plain hosts)
    max_bytes: int = DEFAULT_MAX_BYTES


@dataclass(frozen=True)
class CacheInfo:
    enabled: bool
    where: str  # "the directory /home/me/.cache/micropip2", or why there is none
    entries: int
    bytes: int

    def __str__(self) -> str:
        if not self.enabled:
            return f"micropip2 cache: off ({self.where})"
        return f"micropip2 cache: {self.entries} entries, {self.bytes / 1e6:.1f} MB in {self.where}"


settings = CacheSettings()


def open_store(runtime: Runtime, *, enabled: bool = True) -> Store | None:
    """The store for one operation, or None when the cache is off or there is none."""
    if not enabled or not is_enabled(runtime):
        return None
    return runtime.open_store(_directory(runtime), settings.max_bytes)


async def info() -> CacheInfo:
    """Where the cache is and how much it holds."""
    runtime = current_runtime()
    store = open_store(runtime)
    if store is None:
        why = "turned off" if not is_enabled(runtime) else "no storage here (not a secure context?)"
        return CacheInfo(False, why, 0, 0)
    entries = await store.entries()
    return CacheInfo(True, store.where, len(entries), sum(entry.size for entry in entries))


async def clear() -> int:
    """Remove every entry; how many were removed."""
    store = open_store(current_runtime())
    if store is None:
        return 0
    entries = await store.entries()
    for entry in entries:
        await store.drop(entry.key)
    return len(entries)


def is_enabled(runtime: Runtime) -> bool:
    """Whether the settings and the environment leave the cache on."""
    if settings.enabled is not None:
        return settings.enabled
    return _variable(runtime, "MICROPIP2_NO_CACHE") in (None, "", "0")


def _directory(runtime: Runtime) -> str:
    if settings.directory:
        return settings.directory
    chosen = _variable(runtime, "MICROPIP2_CACHE_DIR")
    if chosen:
        return chosen
    host = runtime.host_environ()
    if host.get("XDG_CACHE_HOME"):
        return os.path.join(host["XDG_CACHE_HOME"], "micropip2")
    return os.path.join(host.get("HOME") or os.path.expanduser("~"), ".cache", "micropip2")


def _variable(runtime: Runtime, name: str) -> str | None:
    here: Mapping[str, str] = os.environ
    return here.get(name) if name in here else runtime.host_environ().get(name)
