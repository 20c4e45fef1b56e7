"""Does a lock still install for a target? Every problem found, one per line.

For each package of the lock whose marker holds for the target:

* each of its files is fetched and must match the lock's sha256;
* a wheel's tags must fit the target (a package with several wheels needs one that fits);
* the wheel must be valid, and be the name and version the lock says;
* its Requires-Python must admit the target's Python;
* each Requires-Dist whose marker holds for the target (with the extras other packages of the
  lock ask of it) must be met by the version the lock pins; extras nobody asks for are ignored;
* each name in pyodide-lock's ``depends`` must be in the lock.

The lock itself must be for the target (``lockfiles.fit.target_mismatches``: platform version,
Python, arch, ``requires-python``, ``environments``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from ..errors import Micropip2Error
from ..lockfiles.fit import target_mismatches
from ..lockfiles.model import Lock, LockedFile, LockEntry
from ..resolve.metadata import Metadata, metadata_from_wheel
from ..runtime import Runtime
from ..target import Target
from ..wheel_file import read_wheel
from ..wheel_fit import check_wheel_tags
from .files import bounded, fetch_checked


@dataclass(frozen=True)
class Problem:
    package: str  # "rich 14.0.0", or "the lock"
    found: str  # what was found
    why: str  # why it does not fit

    def __str__(self) -> str:
        return f"{self.package}: {self.found}: {self.why}"


async def check_lock(lock: Lock, target: Target, runtime: Runtime) -> list[Problem]:
    """Every reason ``lock`` would not install for ``target`` (empty: it installs)."""
    problems = _lock_level(lock, target)
    entries = [e for e in lock.packages if _applies(e, target, problems)]
    checked = await bounded(
        entries, lambda entry: _check_entry(entry, lock.base_url, target, runtime)
    )
    metadata: dict[NormalizedName, Metadata] = {}
    for entry, (entry_problems, meta) in zip(entries, checked, strict=True):
        problems += entry_problems
        if meta is not None:
            metadata[entry.name] = meta
    problems += _dependencies(entries, metadata, target)
    return problems


def _lock_level(lock: Lock, target: Target) -> list[Problem]:
    return [
        Problem("the lock", f"it {what}", f"this is {target.describe()}")
        for what in target_mismatches(lock, target)
    ]


def _applies(entry: LockEntry, target: Target, problems: list[Problem]) -> bool:
    if not entry.marker:
        return True
    try:
        return target.marker_holds(Marker(entry.marker))
    except InvalidMarker as exc:
        problems.append(
            Problem(_label(entry), f"marker {entry.marker!r}", f"cannot be read: {exc}")
        )
        return False


async def _check_entry(
    entry: LockEntry, base: str, target: Target, runtime: Runtime
) -> tuple[list[Problem], Metadata | None]:
    label = _label(entry)
    problems: list[Problem] = []
    if not entry.files:
        return [Problem(label, "no file", "the lock lists no file to install it from")], None
    wheels = [f for f in entry.files if f.file_name.endswith(".whl")]
    fits = {f.file_name: check_wheel_tags(f.file_name, target) for f in wheels}
    usable = sorted(
        (f for f in wheels if fits[f.file_name].ok), key=lambda f: fits[f.file_name].rank or 0
    )
    if wheels and not usable:
        for f in wheels:
            problems.append(
                Problem(
                    label,
                    f.file_name,
                    f"does not fit {target.describe()}: {fits[f.file_name].reason}",
                )
            )
    if not target.python_fits(entry.requires_python):
        problems.append(
            Problem(
                label,
                f"requires-python {entry.requires_python}",
                f"{target.describe()} runs Python {target.python_version}",
            )
        )
    fetched = await bounded(entry.files, lambda f: fetch_checked(f, base, runtime), limit=2)
    data_of: dict[LockedFile, bytes | None] = {}
    for file, (data, why) in zip(entry.files, fetched, strict=True):
        data_of[file] = data
        if why:
            problems.append(Problem(label, file.file_name, why))
    if not usable or data_of.get(usable[0]) is None:
        return problems, None
    wheel_file = usable[0]
    try:
        meta = metadata_from_wheel(read_wheel(wheel_file.file_name, data_of[wheel_file] or b""))
    except Micropip2Error as exc:
        problems.append(Problem(label, wheel_file.file_name, str(exc)))
        return problems, None
    if meta.name != entry.name or not _same_version(meta.version, entry.version):
        problems.append(
            Problem(
                label,
                wheel_file.file_name,
                f"holds {meta.name} {meta.version}, not the package the lock names",
            )
        )
    if not target.python_fits(meta.requires_python):
        problems.append(
            Problem(
                label,
                f"Requires-Python {meta.requires_python}",
                f"{target.describe()} runs Python {target.python_version}",
            )
        )
    return problems, meta


def _dependencies(
    entries: list[LockEntry], metadata: Mapping[NormalizedName, Metadata], target: Target
) -> list[Problem]:
    by_name = {e.name: e for e in entries}
    problems = []
    missing: set[tuple[NormalizedName, NormalizedName]] = set()
    for name, _meta, declared in _applicable_requirements(metadata, target):
        dep_name = canonicalize_name(declared.name)
        entry = by_name[name]
        if dep_name in entry.excluded:
            continue  # the lock says its installer excluded it (install(exclude=))
        requirement = _overridden(declared, entry.overrides, target)
        if requirement is None:
            continue  # its overrides' markers do not hold here: the requirement was dropped
        dep = by_name.get(dep_name)
        label = _label(entry)
        if dep is None:
            missing.add((name, dep_name))
            problems.append(
                Problem(
                    label,
                    f"requires {requirement}",
                    f"the lock does not contain {requirement.name}",
                )
            )
        elif not requirement.specifier.contains(dep.version, prereleases=True):
            problems.append(
                Problem(
                    label,
                    f"requires {requirement}",
                    f"the lock pins {dep.display_name} {dep.version}",
                )
            )
    for entry in entries:  # pyodide-lock's names-only depends (said once per missing name)
        for depend in entry.depends:
            if (
                canonicalize_name(depend) not in by_name
                and (entry.name, canonicalize_name(depend)) not in missing
            ):
                problems.append(
                    Problem(_label(entry), f"depends on {depend}", "the lock does not contain it")
                )
    return problems


def _overridden(
    requirement: Requirement, overrides: tuple[str, ...], target: Target
) -> Requirement | None:
    """What stands for ``requirement`` under the lock's recorded overrides (install(overrides=)):
    the first override of its project whose marker holds; None when the project has overrides
    and none holds (the requirement was dropped); else the requirement itself."""
    name = canonicalize_name(requirement.name)
    mine = [Requirement(text) for text in overrides]
    mine = [o for o in mine if canonicalize_name(o.name) == name]
    if not mine:
        return requirement
    return next((o for o in mine if target.marker_holds(o.marker)), None)


def _applicable_requirements(
    metadata: Mapping[NormalizedName, Metadata], target: Target
) -> list[tuple[NormalizedName, Metadata, Requirement]]:
    """Each package's Requires-Dist that apply to ``target``, with the extras asked of it by the
    others (repeated until no new extra is asked for)."""
    extras: dict[NormalizedName, set[str]] = {name: set() for name in metadata}
    while True:
        found = []
        for name, meta in metadata.items():
            for requirement in meta.requires_dist:
                if _marker_holds(requirement, extras[name], target):
                    found.append((name, meta, requirement))
        grew = False
        for _name, _meta, requirement in found:
            dep = canonicalize_name(requirement.name)
            wanted = {canonicalize_name(e) for e in requirement.extras}
            if dep in extras and not wanted <= extras[dep]:
                extras[dep] |= wanted
                grew = True
        if not grew:
            return found


def _marker_holds(requirement: Requirement, extras: set[str], target: Target) -> bool:
    if requirement.marker is None:
        return True
    return any(target.marker_holds(requirement.marker, extra) for extra in ["", *sorted(extras)])


def _same_version(version: Version, text: str) -> bool:
    try:
        return version == Version(text)
    except InvalidVersion:
        return str(version) == text


def _label(entry: LockEntry) -> str:
    return f"{entry.display_name} {entry.version}"
