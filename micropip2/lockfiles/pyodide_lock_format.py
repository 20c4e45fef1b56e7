"""pyodide-lock.json, the lock format Pyodide itself boots from (``loadPyodide({lockFileURL})``).

Reading is done by hand: it needs no validation library and stays cheap at page load (importing
pyodide-lock with attrs and cattrs costs ~155 ms inside Pyodide). Writing goes through
``pyodide_lock.PyodideLockSpec``, so every file micropip2 writes is one that library accepts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from packaging.utils import canonicalize_name

from .errors import LockFormatError
from .model import Lock, LockedFile, LockEntry

INFO_KEYS = ("abi_version", "arch", "platform", "python")
# our key in each package's ``tool`` table: {"size": bytes of the file, and the "overrides" and
# "exclude" that changed its requirements, when any}
TOOL = "micropip2"


def read_pyodide_lock(doc: Mapping[str, Any], base_url: str = "", source: str = "the lock") -> Lock:
    info = doc.get("info")
    packages = doc.get("packages")
    if not isinstance(info, Mapping) or not isinstance(packages, Mapping):
        raise LockFormatError(
            f"{source} is not a pyodide-lock.json: it needs an 'info' and a 'packages' table"
        )
    entries = []
    for key, raw in packages.items():
        try:
            entries.append(entry_from_dict(raw))
        except _Malformed as exc:
            raise LockFormatError(
                f"{source}: package {key!r} is malformed ({exc})", project=str(key)
            ) from None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise LockFormatError(
                f"{source}: package {key!r} is malformed ({type(exc).__name__}: {exc})",
                project=str(key),
            ) from None
    extra = {k: v for k, v in doc.items() if k not in ("info", "packages")}
    return Lock(
        format="pyodide-lock",
        info={k: str(v) for k, v in info.items() if v is not None},
        packages=tuple(entries),
        base_url=base_url,
        source=source,
        extra=extra,
    )


class _Malformed(ValueError):
    """A value of the wrong JSON type (turned into a LockFormatError naming the package)."""


def entry_from_dict(raw: Mapping[str, Any]) -> LockEntry:
    """One ``packages`` entry of a pyodide-lock.json. Every value is checked for its JSON type
    (pyodide-lock's schema): a wrong one raises a ``ValueError`` naming the key."""
    if not isinstance(raw, Mapping):
        raise _Malformed(f"an entry must be an object, not {_kind(raw)}")
    name = _text(raw, "name")
    file_name = _text(raw, "file_name")
    tool = raw.get("tool") or {}
    ours = (tool.get(TOOL) or {}) if isinstance(tool, Mapping) else {}
    ours = ours if isinstance(ours, Mapping) else {}
    size = ours.get("size")
    return LockEntry(
        name=canonicalize_name(name),
        display_name=name,
        version=_text(raw, "version"),
        files=(
            LockedFile(
                file_name,
                file_name.rsplit("/", 1)[-1],
                _text(raw, "sha256", "").lower(),
                size if isinstance(size, int) and not isinstance(size, bool) else None,
            ),
        ),
        package_type=_text(raw, "package_type", "package"),
        install_dir=_text(raw, "install_dir", "site"),
        depends=_texts(raw, "depends"),
        imports=_texts(raw, "imports"),
        overrides=_texts(ours, "overrides"),
        excluded=_texts(ours, "exclude"),
    )


def _text(raw: Mapping[str, Any], key: str, default: str | None = None) -> str:
    """A string field; ``default`` when absent (required when there is none)."""
    value = raw.get(key)
    if value is None and default is not None:
        return default
    if not isinstance(value, str) or (default is None and not value):
        raise _Malformed(f"{key!r} must be a non-empty string, not {_kind(value)}")
    return value


def _texts(raw: Mapping[str, Any], key: str) -> tuple[str, ...]:
    """A list of strings (``depends``, ``imports``); absent: none."""
    value = raw.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _Malformed(f"{key!r} must be a list of strings, not {_kind(value)}")
    return tuple(value)


def _kind(value: Any) -> str:
    if value is None:
        return "missing"
    kinds = {dict: "an object", list: "a list", bool: "a boolean", str: "a string"}
    kind = kinds.get(type(value), "an object" if isinstance(value, Mapping) else None)
    return f"{kind or type(value).__name__} ({value!r:.40})"


def write_pyodide_lock(lock: Lock) -> str:
    """The lock as pyodide-lock.json text (each package's first file)."""
    if not lock.info:
        raise LockFormatError(
            "a pyodide-lock.json needs the target's info (abi_version, arch, platform, python)"
        )
    doc: dict[str, Any] = {
        "info": {k: lock.info[k] for k in INFO_KEYS if k in lock.info},
        "packages": {
            entry.name: {
                "name": entry.display_name,
                "version": entry.version,
                "file_name": entry.files[0].url,
                "install_dir": entry.install_dir,
                "sha256": entry.files[0].sha256,
                "package_type": entry.package_type,
                "imports": list(entry.imports),
                "depends": list(entry.depends),
                "tool": _tool(entry),
            }
            for entry in sorted(lock.packages, key=lambda e: e.name)
        },
    }
    from pyodide_lock import PyodideLockSpec  # imported here: only writing needs it

    spec = PyodideLockSpec.from_dict(doc)
    return json.dumps(spec.to_dict(), indent=2, sort_keys=True) + "\n"


def _tool(entry: LockEntry) -> dict[str, Any]:
    ours: dict[str, Any] = {}
    if entry.files[0].size is not None:
        ours["size"] = entry.files[0].size
    if entry.overrides:
        ours["overrides"] = list(entry.overrides)
    if entry.excluded:
        ours["exclude"] = list(entry.excluded)
    return {TOOL: ours} if ours else {}
