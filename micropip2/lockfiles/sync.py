"""The Plan of a sync: what makes the environment hold exactly a lock's packages (no index, no
resolution). The lock is checked against the interpreter, and every file needing a download
has a sha256, before anything is fetched; :mod:`micropip2.install.executor` runs the Plan."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from packaging.utils import NormalizedName, canonicalize_name

from ..installed import InstalledDist
from ..plan import Action, Plan, PlanItem, Source, kind_of, same_version
from ..protected import protected
from ..target import Target
from .errors import LockMismatchError
from .fit import Selected, select
from .model import Lock
from .pyodide_packages import PyodidePackages

# Never removed for being absent from a lock: the installer that is running, and what it needs
# (micropip2.protected, the one rule; replacing them is refused by the executor).


def plan_sync(
    lock: Lock,
    *,
    target: Target,
    installed: Mapping[NormalizedName, InstalledDist],
    loaded: Mapping[str, str],
    pyodide_packages: Callable[
        [], PyodidePackages
    ],  # read only when the lock has non-wheel packages
) -> Plan:
    """What makes the environment hold exactly ``lock``: every check that needs no download
    (interpreter, files, hashes, the distribution's versions) is made here, before any."""
    chosen = select(lock, target)  # raises for another interpreter
    unhashed = [
        selected.url for selected in chosen if selected.is_wheel and not selected.file.sha256
    ]
    if unhashed:
        raise LockMismatchError(
            f"{lock.source} gives no sha256 for {', '.join(unhashed)}; nothing was installed",
            url=unhashed[0],
        )
    items: list[PlanItem] = []
    for selected in chosen:
        entry = selected.entry
        current = installed.get(entry.name)
        if current is not None and same_version(current.version, entry.version):
            items.append(_kept_item(entry.display_name, entry.version))
        elif selected.is_wheel:
            items.append(_wheel_item(selected, current))
        elif entry.display_name in loaded or entry.name in loaded:
            items.append(_kept_item(entry.display_name, entry.version))
        else:
            items.append(
                _load_item(selected, _distribution_name(selected, pyodide_packages(), lock))
            )
    wanted = {selected.entry.name for selected in chosen}
    kept = protected(installed)
    for name, dist in sorted(installed.items()):
        if name not in wanted and name not in kept:
            items.append(PlanItem(dist.display_name, dist.version, Action.REMOVE, Source.INSTALLED))
    return Plan(tuple(sorted(items, key=lambda item: canonicalize_name(item.name))))


def _kept_item(name: str, version: str) -> PlanItem:
    return PlanItem(name, version, Action.KEEP, Source.INSTALLED)


def _wheel_item(selected: Selected, current: InstalledDist | None) -> PlanItem:
    return PlanItem(
        name=selected.entry.display_name,
        version=selected.entry.version,
        action=Action.REPLACE if current is not None else Action.INSTALL,
        source=Source.LOCKFILE,
        url=selected.url,
        filename=selected.file.file_name,
        sha256=selected.file.sha256,
        size=selected.file.size,
        replaces=current.version if current is not None else None,
        overrides=selected.entry.overrides,
        excluded=selected.entry.excluded,
    )


def _load_item(selected: Selected, name: str) -> PlanItem:
    return PlanItem(
        name=name,
        version=selected.entry.version,
        action=Action.LOAD,
        source=Source.LOCKFILE,
        url=selected.url,
        filename=selected.file.file_name,
        sha256=selected.file.sha256 or None,
        size=selected.file.size,
        kind=kind_of(selected.file.file_name, selected.entry.package_type),
    )


def _distribution_name(item: Selected, pyodide_packages: PyodidePackages, lock: Lock) -> str:
    """Shared libraries and stdlib modules are loaded by Pyodide from its own pyodide_packages."""
    locked = pyodide_packages.get(item.entry.name)
    if locked is None or not same_version(str(locked.version), item.entry.version):
        have = f"it has {locked.version}" if locked is not None else "it has no such package"
        raise LockMismatchError(
            f"{lock.source} locks the {item.entry.package_type} "
            f"{item.entry.display_name} {item.entry.version}; "
            "micropip2 loads those from the running Pyodide pyodide_packages, "
            f"and {have}; nothing was installed"
        )
    return locked.display_name
