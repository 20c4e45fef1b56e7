"""Whether a lock is for this interpreter, and which of each package's files to install.

Everything here is decided before any download: a lock for another platform year or Python is
refused as a whole, and a package without a usable file is named with the reason of each file.
"""

from __future__ import annotations

from dataclasses import dataclass

from packaging.markers import InvalidMarker, Marker

from ..errors import InvalidRequirementError
from ..locations import join
from ..target import Target
from ..wheel_fit import check_wheel_tags
from .errors import LockMismatchError
from .model import Lock, LockedFile, LockEntry


@dataclass(frozen=True)
class Selected:
    """A lock's package chosen for this interpreter, with the file to install it from."""

    entry: LockEntry
    file: LockedFile
    url: str  # absolute: the file's URL joined with the lock's base

    @property
    def is_wheel(self) -> bool:
        return self.file.file_name.endswith(".whl")


def check_target(lock: Lock, target: Target) -> None:
    """Raise :class:`LockMismatchError` if the lock as a whole is for another interpreter."""
    mismatches = target_mismatches(lock, target)
    if mismatches:
        raise LockMismatchError(
            f"{lock.source} {mismatches[0]}, but this is {target.describe()}; "
            "lock again for this Pyodide. Nothing was installed"
        )


def target_mismatches(lock: Lock, target: Target) -> list[str]:
    """What makes the lock as a whole unfit for ``target``, each said of the lock ("is for CPython
    3.13.2"); empty when it fits."""
    info = lock.info or {}
    found = []
    if info.get("abi_version") and info["abi_version"] != target.platform_version:
        found.append(
            f"is for Pyodide platform {info['abi_version']} (CPython {info.get('python', '?')})"
        )
    elif (
        info.get("python") and info["python"].split(".")[:2] != target.python_version.split(".")[:2]
    ):
        found.append(f"is for CPython {info['python']}")
    if info.get("arch") and info["arch"] != "wasm32":
        found.append(f"is for {info['arch']}, not wasm32")
    if not target.python_fits(lock.requires_python):
        found.append(f"requires Python {lock.requires_python}")
    if lock.environments and not any(
        _marker_true(m, target, lock.source) for m in lock.environments
    ):
        found.append(
            f"is for the environments {' | '.join(lock.environments)}, none of which holds here"
        )
    return found


def select(lock: Lock, target: Target) -> list[Selected]:
    """The lock's packages for ``target`` (markers applied), each with its best file."""
    check_target(lock, target)
    chosen: list[Selected] = []
    problems: list[str] = []
    for entry in lock.packages:
        if entry.marker and not _marker_true(entry.marker, target, lock.source):
            continue
        if not target.python_fits(entry.requires_python):
            problems.append(
                f"{entry.display_name} {entry.version} requires Python {entry.requires_python}"
            )
            continue
        file, why = _best_file(entry, target)
        if file is None:
            problems.append(
                f"{entry.display_name} {entry.version} has no file for this interpreter: {why}"
            )
        else:
            chosen.append(Selected(entry, file, join(lock.base_url, file.url)))
    if problems:
        raise LockMismatchError(
            f"{lock.source} cannot be installed on {target.describe()}:\n  "
            + "\n  ".join(problems)
            + "\nNothing was installed"
        )
    return chosen


def _best_file(entry: LockEntry, target: Target) -> tuple[LockedFile | None, str]:
    wheels = [f for f in entry.files if f.file_name.endswith(".whl")]
    if not wheels:  # a Pyodide shared library or stdlib module archive
        return (entry.files[0], "") if entry.files else (None, "the lock lists no file")
    ranked: list[tuple[int, LockedFile]] = []
    reasons = []
    for wheel in wheels:
        fit = check_wheel_tags(wheel.file_name, target)
        if fit.ok and fit.rank is not None:
            ranked.append((fit.rank, wheel))
        else:
            reasons.append(f"{wheel.file_name} is {fit.reason}")
    if ranked:
        return min(ranked, key=lambda pair: pair[0])[1], ""
    return None, "; ".join(reasons)


def _marker_true(marker: str, target: Target, source: str) -> bool:
    try:
        return target.marker_holds(Marker(marker))
    except InvalidMarker as exc:
        raise LockMismatchError(
            f"{source} has a marker micropip2 cannot read: {marker!r} ({exc})"
        ) from None
    except InvalidRequirementError as exc:  # read, but cannot be evaluated here
        raise LockMismatchError(f"{source} has a marker micropip2 cannot use: {exc}") from None
