"""Reading a lock however it is given: a URL, a path, its text, or a parsed dict."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import InvalidOptionError
from ..fetch import Fetcher, without_url_credentials
from ..locations import folder_of, join, split_credentials
from ..runtime import Runtime
from .errors import LockFormatError
from .model import Lock
from .pylock_format import read_pylock
from .pyodide_lock_format import read_pyodide_lock

LockRef = str | os.PathLike[str] | Mapping[str, Any] | Lock


def parse_lock(
    data: str | bytes | Mapping[str, Any], base_url: str = "", source: str = "the lock"
) -> Lock:
    """A lock from its text (JSON: pyodide-lock.json; TOML: pylock.toml) or parsed document."""
    doc = data if isinstance(data, Mapping) else _parse_text(data, source)
    if "lock-version" in doc:
        return read_pylock(doc, base_url, source)
    if "packages" in doc and "info" in doc:
        return read_pyodide_lock(doc, base_url, source)
    keys = ", ".join(sorted(str(key) for key in doc)[:8]) or "nothing"
    raise LockFormatError(
        f"{source} is neither a pylock.toml (no lock-version) "
        "nor a pyodide-lock.json (no info and packages); "
        f"it has: {keys}"
    )


def _parse_text(data: str | bytes, source: str) -> Mapping[str, Any]:
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        raise LockFormatError(
            f"{source} is not UTF-8 text, so neither a pyodide-lock.json nor a pylock.toml "
            f"({exc}); first bytes: {data[:40]!r}"
        ) from None
    too_deep = f"{source} nests arrays or tables too deeply to read; no lock looks like this"
    if text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise LockFormatError(f"{source} is not valid JSON: {exc}") from None
        except RecursionError:
            raise LockFormatError(too_deep) from None
    else:
        import tomllib  # only for pylock.toml

        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise LockFormatError(f"{source} is neither JSON nor valid TOML: {exc}") from None
        except RecursionError:
            raise LockFormatError(too_deep) from None
    if not isinstance(doc, Mapping):
        raise LockFormatError(f"{source} holds a {type(doc).__name__}, not a lock")
    return doc


async def load_lock(ref: LockRef, runtime: Runtime) -> Lock:
    """``ref`` is a :class:`Lock`, a parsed dict, the lock's text, a path in the Emscripten file
    system, or a URL (on Node, a path of the host). Relative file names in the lock resolve
    against the lock's own location."""
    if isinstance(ref, Lock):
        return ref
    if not isinstance(ref, str | os.PathLike | Mapping):
        raise InvalidOptionError(
            "a lock is given as a URL, a path, its text, a dict or a Lock; got "
            f"{type(ref).__name__} {ref!r:.60}"
        )
    if isinstance(ref, Mapping):
        return parse_lock(ref, source="the lock (a dict)")
    if isinstance(ref, str) and _is_text(ref):
        return parse_lock(ref, source="the lock (text)")
    if isinstance(ref, os.PathLike) or (
        "://" not in ref and Path(ref).is_file()
    ):  # in the Emscripten file system
        path = Path(ref)
        return parse_lock(_read_local(path), f"emfs:{path.parent.absolute()}/", str(path))
    url = without_url_credentials(ref)  # never in the lock's source, base or file URLs
    fetched = await Fetcher(runtime).file(url, what="the lock")
    lock = parse_lock(fetched.data, folder_of(url), url)
    if url != ref:
        _share_credentials(lock, folder_of(ref))
    return lock


def _share_credentials(lock: Lock, folder_with_credentials: str) -> None:
    """The files a lock names relative to its own URL get that URL's credentials (sent to
    exactly those file URLs by the fetch layer); their URLs are kept without them."""
    for entry in lock.packages:
        for file in entry.files:
            located = join(folder_with_credentials, file.url)
            if split_credentials(located)[1] is not None:
                without_url_credentials(located)


def _is_text(ref: str) -> bool:
    head = ref.lstrip()[:200]
    return head.startswith("{") or "\n" in ref or "lock-version" in head


def _read_local(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise LockFormatError(f"cannot read the lock {str(path)!r}: {exc.strerror}") from None
