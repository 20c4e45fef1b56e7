"""Errors about locks: unreadable, or not for this interpreter."""

from __future__ import annotations

from ..errors import Micropip2Error


class LockFormatError(Micropip2Error, ValueError):
    """The lock could not be read: not JSON/TOML, or not a pyodide-lock.json or pylock.toml."""


class LockMismatchError(Micropip2Error):
    """The lock is for another interpreter, or some package has no file this interpreter can use."""
