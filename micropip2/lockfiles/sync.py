"""Making the environment hold exactly a lock's packages: no index, no resolution.

The lock is checked against the interpreter first; then every file still missing is downloaded at
once, and each is hash-checked, validated and written as it arrives. The changes (new and replaced
versions, and packages the lock does not list) are one transaction: all of them, or none.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, requires

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from ..errors import DownloadError, InvalidWheelError
from ..install.environment import Environment
from ..install.fetch import check_sha256, start_file_fetch
from ..install.installed import InstalledDist
from ..install.transaction import Transaction, WheelInstall
from ..install.wheel_file import read_wheel
from ..resolve.distribution import Distribution
from ..runtime import Runtime
from ..target import Target
from .errors import LockMismatchError
from .fit import Selected, select
from .model import Lock

# Never removed for being absent from a lock: the installer that is running, and what it needs.
KEEP = ("micropip2",)


@dataclass
class SyncReport:
    """What ``sync`` changed ("name version" strings)."""

    installed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"installed {text}" for text in self.installed]
        lines += [f"removed {text}" for text in self.removed]
        lines.append(f"{len(self.unchanged)} already at the locked version")
        return "\n".join(lines)


async def sync_environment(
    lock: Lock,
    *,
    target: Target,
    runtime: Runtime,
    environment: Environment,
    distribution: Callable[[], Distribution],  # read only when the lock has non-wheel packages
    installed: Mapping[NormalizedName, InstalledDist],
    say: Callable[[str], None],
) -> SyncReport:
    chosen = select(lock, target)  # before any download: raises for another interpreter
    report = SyncReport()
    loaded = runtime.loaded_packages()
    to_fetch: list[Selected] = []
    to_load: list[Selected] = []
    for item in chosen:
        entry = item.entry
        current = installed.get(entry.name)
        if current is not None and _same_version(current.version, entry.version):
            report.unchanged.append(f"{entry.display_name} {entry.version}")
        elif item.is_wheel:
            to_fetch.append(item)
        elif entry.display_name in loaded or entry.name in loaded:
            report.unchanged.append(f"{entry.display_name} {entry.version}")
        else:
            to_load.append(item)
    load_names = [
        _distribution_name(item, distribution(), lock) for item in to_load
    ]  # checked before downloads
    unhashed = [item.url for item in to_fetch if not item.file.sha256]
    if unhashed:
        raise LockMismatchError(
            f"{lock.source} gives no sha256 for {', '.join(unhashed)}; nothing was installed"
        )

    to_fetch.sort(key=_largest_first)  # the biggest files take longest to arrive and to write
    if load_names:  # a loaded WebAssembly library cannot be unloaded: before the transaction
        await runtime.load_distribution_packages(load_names)

    # Everything below is one transaction. Each wheel is checked and written as soon as it
    # arrives, while the others download; any failure undoes all of it.
    transaction = Transaction(environment, runtime)
    for item in to_fetch:
        say(f"Downloading {item.url}")
    cleared = asyncio.Event()  # set once the old versions are out of the way: writes wait for it
    downloads = [start_file_fetch(item.url, runtime) for item in to_fetch]  # all sent here, at once
    tasks = [
        asyncio.ensure_future(_install_one(item, download, transaction, lock, cleared))
        for item, download in zip(to_fetch, downloads)
    ]
    try:
        wanted = {item.entry.name for item in chosen}
        kept = _kept(installed)
        removals = [
            dist for name, dist in installed.items() if name not in wanted and name not in kept
        ]
        for dist in [
            *removals,
            *(installed[i.entry.name] for i in to_fetch if i.entry.name in installed),
        ]:
            transaction.remove(dist)
        cleared.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            raise (
                failures[0]
                if len(failures) == 1
                else DownloadError(
                    f"{len(failures)} files of {lock.source} could not be used; nothing was installed:\n  "
                    + "\n  ".join(str(f) for f in failures)
                )
            )
        await transaction.finish()
    except BaseException as exc:
        for task in tasks:
            task.cancel()
        await asyncio.gather(
            *tasks, return_exceptions=True
        )  # nothing may still write after the undo
        raise transaction.abort(exc) from None
    wheels = transaction.written
    report.installed = [f"{w.wheel.display_name} {w.wheel.version}" for w in wheels]
    report.installed += [f"{item.entry.display_name} {item.entry.version}" for item in to_load]
    report.removed = [f"{d.display_name} {d.version}" for d in removals]
    return report


async def _install_one(
    item: Selected,
    download: Awaitable[bytes],
    transaction: Transaction,
    lock: Lock,
    cleared: asyncio.Event,
) -> None:
    """Receive, hash-check, validate and write one wheel (as part of ``transaction``)."""
    data = await download
    what = f"{item.entry.display_name} {item.entry.version} ({item.file.file_name})"
    digest = check_sha256(what, item.url, data, item.file.sha256)
    wheel = read_wheel(item.file.file_name, data, pinned=True)
    if wheel.name != item.entry.name or not _same_version(str(wheel.version), item.entry.version):
        raise InvalidWheelError(
            f"{lock.source} locks {item.entry.display_name} {item.entry.version}, but {item.url} holds "
            f"{wheel.name} {wheel.version}; nothing was installed"
        )
    await cleared.wait()
    transaction.write(WheelInstall(wheel, item.url, digest, "lockfile", requested=False))


def _distribution_name(item: Selected, distribution: Distribution, lock: Lock) -> str:
    """Shared libraries and stdlib modules are loaded by Pyodide from its own distribution."""
    locked = distribution.get(item.entry.name)
    if locked is None or not _same_version(str(locked.version), item.entry.version):
        have = f"it has {locked.version}" if locked is not None else "it has no such package"
        raise LockMismatchError(
            f"{lock.source} locks the {item.entry.package_type} {item.entry.display_name} {item.entry.version}; "
            f"micropip2 loads those from the running Pyodide distribution, and {have}; nothing was installed"
        )
    return locked.display_name


def _kept(installed: Mapping[NormalizedName, InstalledDist]) -> set[NormalizedName]:
    """The running installer and everything it requires (its closure among installed packages)."""
    kept: set[NormalizedName] = set()
    todo = [canonicalize_name(name) for name in KEEP]
    while todo:
        name = todo.pop()
        if name in kept or name not in installed:
            continue
        kept.add(name)
        try:
            texts = requires(installed[name].display_name) or []
        except PackageNotFoundError:
            continue
        for text in texts:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(requirement.name))
    return kept


def _largest_first(item: Selected) -> float:
    """Sort key: files of unknown size first (they may be large), then by size, descending."""
    return -(item.file.size if item.file.size is not None else float("inf"))


def _same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b
