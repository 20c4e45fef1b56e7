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
TOOL = "micropip2"  # our key in each package's ``tool`` table: {"size": bytes of the file}


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


def entry_from_dict(raw: Mapping[str, Any]) -> LockEntry:
    """One ``packages`` entry of a pyodide-lock.json."""
    file_name = str(raw["file_name"])
    tool = raw.get("tool") or {}
    size = (tool.get(TOOL) or {}).get("size") if isinstance(tool, Mapping) else None
    return LockEntry(
        name=canonicalize_name(str(raw["name"])),
        display_name=str(raw["name"]),
        version=str(raw["version"]),
        files=(
            LockedFile(
                file_name,
                file_name.rsplit("/", 1)[-1],
                str(raw.get("sha256", "")).lower(),
                size if isinstance(size, int) else None,
            ),
        ),
        package_type=str(raw.get("package_type", "package")),
        install_dir=str(raw.get("install_dir", "site")),
        depends=tuple(str(d) for d in raw.get("depends", ())),
        imports=tuple(str(i) for i in raw.get("imports", ())),
    )


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
                "tool": {TOOL: {"size": entry.files[0].size}}
                if entry.files[0].size is not None
                else {},
            }
            for entry in sorted(lock.packages, key=lambda e: e.name)
        },
    }
    from pyodide_lock import PyodideLockSpec  # imported here: only writing needs it

    spec = PyodideLockSpec.from_dict(doc)
    return json.dumps(spec.to_dict(), indent=2, sort_keys=True) + "\n"
