"""A lock's files in a local folder, with a pyodide-lock.json naming them relatively: the folder
Pyodide on Node boots from (``loadPyodide({lockFileURL: DIR/pyodide-lock.json,
packageBaseUrl: DIR, packageCacheDir: DIR})``), since Pyodide on Node loads lockfile packages
only from local files or its CDN."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..errors import DownloadError, HashMismatchError
from ..fetch import sha256_hex
from ..lockfiles.fit import Selected, select
from ..lockfiles.from_plan import info_for
from ..lockfiles.model import Lock, LockedFile
from ..lockfiles.render import render_lock
from ..runtime import Runtime
from ..target import Target
from .files import bounded, fetch_checked

LOCK_NAME = "pyodide-lock.json"


async def download_lock(lock: Lock, target: Target, folder: Path, runtime: Runtime) -> Lock:
    """Fetch the file ``target`` needs of every package into ``folder`` (sha256-checked) and write
    ``folder/pyodide-lock.json`` naming them relatively. Returns that lock."""
    chosen = select(lock, target)
    _refuse_duplicate_names(chosen)
    folder.mkdir(parents=True, exist_ok=True)
    results = await bounded(chosen, lambda s: fetch_checked(s.file, lock.base_url, runtime))
    entries = []
    for selected, (data, why) in zip(chosen, results, strict=True):
        label = f"{selected.entry.display_name} {selected.entry.version}"
        if data is None:
            raise DownloadError(f"{label}: {selected.file.file_name} {why}")
        if why and selected.file.sha256:
            raise HashMismatchError(f"{label}: {why}")
        digest = selected.file.sha256 or sha256_hex(data)
        (folder / selected.file.file_name).write_bytes(data)
        local = LockedFile(selected.file.file_name, selected.file.file_name, digest, len(data))
        entries.append(replace(selected.entry, files=(local,), marker=None))
    local_lock = replace(
        lock,
        format="pyodide-lock",
        packages=tuple(entries),
        base_url=str(folder),
        info=lock.info or info_for(target),
    )
    (folder / LOCK_NAME).write_text(
        render_lock(local_lock, "pyodide-lock", target), encoding="utf-8"
    )
    return local_lock


def _refuse_duplicate_names(chosen: list[Selected]) -> None:
    seen: dict[str, str] = {}
    for selected in chosen:
        name = selected.file.file_name
        if name in seen and seen[name] != selected.url:
            raise DownloadError(
                f"two files are named {name} ({seen[name]} and {selected.url}); "
                "they cannot share one folder"
            )
        seen[name] = selected.url
