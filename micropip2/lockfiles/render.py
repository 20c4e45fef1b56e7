"""Writing a lock in either format, with file URLs absolute or relative to a base."""

from __future__ import annotations

from dataclasses import replace

from ..errors import InvalidOptionError
from ..target import Target
from .errors import LockFormatError
from .model import FORMATS, Format, Lock, LockEntry
from .pylock_format import write_pylock
from .pyodide_lock_format import write_pyodide_lock


def render_lock(lock: Lock, format: Format, target: Target, base_url: str | None = None) -> str:
    """``lock`` as pyodide-lock.json or pylock.toml text. With ``base_url``, file URLs under it
    are written relative to it (the lock is then shipped next to its files)."""
    if base_url is not None and not isinstance(base_url, str):
        raise InvalidOptionError(
            f"base_url must be a URL or a path (a string), not {type(base_url).__name__}"
        )
    if base_url:
        lock = replace(lock, packages=tuple(_relative(entry, base_url) for entry in lock.packages))
    if format == "pyodide-lock":
        return write_pyodide_lock(lock)
    if format == "pylock":
        return write_pylock(lock, target)
    raise LockFormatError(f"unknown lock format {format!r}; choose one of {', '.join(FORMATS)}")


def _relative(entry: LockEntry, base_url: str) -> LockEntry:
    base = base_url if base_url.endswith("/") else base_url + "/"
    files = tuple(
        replace(f, url=f.url.removeprefix(base)) if f.url.startswith(base) else f
        for f in entry.files
    )
    return replace(entry, files=files)
