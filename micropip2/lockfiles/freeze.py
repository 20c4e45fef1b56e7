"""The installed environment described as a lock.

Each installed distribution is written with the file it was installed from: micropip2 records
URL, sha256 and size in ``.dist-info/micropip2.json``; micropip 0.11.1 in ``PYODIDE_URL`` and
``PYODIDE_SHA256``; pip-style installers in ``direct_url.json``; and packages Pyodide loaded from
its distribution are found in the distribution's own lockfile (which also gives the shared
libraries and stdlib modules Pyodide loaded, which have no ``.dist-info``). A distribution with no
known file cannot be locked: it is left out and named in a warning.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

from ..headers import parse_headers
from ..installed import INSTALLER_NAME, SOURCE_FILE, InstalledDist
from ..lockfiles.pyodide_packages import LockedPackage, PyodidePackages
from ..target import Target
from .model import Lock, LockedFile, LockEntry

PYODIDE_INSTALLER = "pyodide.loadPackage"


@dataclass(frozen=True)
class Frozen:
    lock: Lock
    left_out: tuple[str, ...]  # "name version: why"


def freeze_environment(
    installed: Mapping[NormalizedName, InstalledDist],
    pyodide_packages: PyodidePackages,
    loaded: Iterable[str],
    target: Target,
    info: Mapping[str, str],
) -> Frozen:
    entries: dict[NormalizedName, LockEntry] = {}
    left_out: list[str] = []
    for name, dist in sorted(installed.items()):
        if dist.installer == PYODIDE_INSTALLER:
            entry = _from_pyodide_packages(dist, pyodide_packages)
        else:
            entry = _from_installer_record(dist, target) or _from_pyodide_packages(
                dist, pyodide_packages
            )
        if entry is None:
            left_out.append(
                f"{dist.display_name} {dist.version}: installed by "
                f"{dist.installer or 'an unknown installer'}"
                " with no record of the file it came from"
            )
        else:
            entries[name] = entry
    for loaded_name in loaded:  # shared libraries and stdlib modules have no .dist-info
        locked = pyodide_packages.get(canonicalize_name(loaded_name))
        if locked is not None and locked.name not in entries and locked.package_type != "package":
            entries[locked.name] = _entry_of(locked)
    names = set(entries)
    packages = tuple(
        entry if entry.package_type != "package" else _with_depends(entry, names)
        for entry in entries.values()
    )
    return Frozen(
        Lock("pyodide-lock", dict(info), packages, source="the frozen environment"), tuple(left_out)
    )


def _from_installer_record(dist: InstalledDist, target: Target) -> LockEntry | None:
    """From what the installer wrote: URL, sha256 and (micropip2 only) size of the file."""
    url, sha256, size = _recorded_file(dist)
    if not url or not sha256:
        return None
    metadata = parse_headers(dist.dist.read_text("METADATA") or "")
    overrides, excluded = _modifiers(dist)
    return LockEntry(
        name=dist.name,
        display_name=dist.display_name,
        version=dist.version,
        files=(LockedFile(url, url.split("#")[0].rsplit("/", 1)[-1], sha256, size),),
        depends=_depends(metadata.get_all("Requires-Dist"), target, excluded),
        imports=_imports(dist),
        overrides=overrides,
        excluded=excluded,
    )


def _modifiers(dist: InstalledDist) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The overrides and exclusions micropip2 recorded for ``dist``'s requirements."""
    if dist.installer != INSTALLER_NAME:
        return (), ()
    record = json.loads(dist.dist.read_text(SOURCE_FILE) or "{}")
    return (
        tuple(str(o) for o in record.get("overrides", ())),
        tuple(str(e) for e in record.get("exclude", ())),
    )


def _recorded_file(dist: InstalledDist) -> tuple[str, str, int | None]:
    if dist.installer == INSTALLER_NAME:
        record = json.loads(dist.dist.read_text(SOURCE_FILE) or "{}")
        size = record.get("size")
        return (
            record.get("url", ""),
            record.get("sha256", ""),
            size if isinstance(size, int) else None,
        )
    url = (dist.dist.read_text("PYODIDE_URL") or "").strip()  # micropip 0.11.1
    if url:
        return url, (dist.dist.read_text("PYODIDE_SHA256") or "").strip(), None
    direct = json.loads(dist.dist.read_text("direct_url.json") or "{}")  # PEP 610
    hashes = direct.get("archive_info", {}).get("hashes", {})
    return direct.get("url", ""), hashes.get("sha256", ""), None


def _from_pyodide_packages(
    dist: InstalledDist, pyodide_packages: PyodidePackages
) -> LockEntry | None:
    """A package Pyodide loaded from its own distribution (same version)."""
    locked = pyodide_packages.get(dist.name)
    if locked is None or dist.version not in (str(locked.version), locked.version.public):
        return None
    return _entry_of(locked)


def _entry_of(locked: LockedPackage) -> LockEntry:
    return LockEntry(
        name=locked.name,
        display_name=locked.display_name,
        version=str(locked.version),
        files=(LockedFile(locked.url, locked.file_name, locked.sha256),),
        package_type=locked.package_type,
        install_dir="dynlib" if locked.package_type == "shared_library" else "site",
        depends=locked.depends,
        imports=locked.imports,
    )


def _depends(
    requires_dist: list[str], target: Target, excluded: tuple[str, ...] = ()
) -> tuple[str, ...]:
    """Names of the requirements that apply on ``target`` without extras, those excluded left
    out (an override names the same project as what it replaces)."""
    names: list[str] = []
    for text in requires_dist:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        name = canonicalize_name(requirement.name)
        if target.marker_holds(requirement.marker) and name not in excluded:
            if name not in names:
                names.append(name)
    return tuple(names)


def _with_depends(entry: LockEntry, present: set[NormalizedName]) -> LockEntry:
    """Only dependencies that are in the lock (Pyodide's loadPackage fails on unknown names)."""
    return replace(
        entry, depends=tuple(d for d in entry.depends if canonicalize_name(d) in present)
    )


def _imports(dist: InstalledDist) -> tuple[str, ...]:
    """Top-level modules: top_level.txt if the wheel has one, else the top of RECORD's paths."""
    top_level = dist.dist.read_text("top_level.txt")
    if top_level:
        return tuple(sorted({line.strip() for line in top_level.splitlines() if line.strip()}))
    return top_level_modules(dist.record_files())


def top_level_modules(paths: Iterable[str]) -> tuple[str, ...]:
    """The modules and packages at the root of a wheel with these file paths (its RECORD or its
    zip's names), the rule for a lock's ``imports`` when the wheel has no top_level.txt."""
    found: set[str] = set()
    for path in paths:
        first, _, rest = path.partition("/")
        if (
            first.endswith((".dist-info", ".data"))
            or first in ("..", "__pycache__")
            or first.startswith(".")
        ):
            continue
        if rest:
            found.add(first)
        elif first.endswith(".py"):
            found.add(first.removesuffix(".py"))
        elif first.endswith(".so"):
            found.add(first.split(".")[0])
    return tuple(sorted(found))
