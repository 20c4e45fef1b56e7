"""Running a :class:`~micropip2.plan.Plan`, whichever operation made it (install or sync).

1. Every wheel's request goes out at once (largest first: they take longest); a download that
   resolution started already is not asked for again (:class:`WheelFiles`).
2. One :class:`~micropip2.install.transaction.Transaction`: the versions to remove or replace
   go first, then each wheel is sha256- and size-checked, validated and written as it arrives,
   while the others still download.
3. Then, the one place this happens: the packages Pyodide loads from its own distribution
   (shared libraries, stdlib modules; ``loadPackage``), before the written wheels' WebAssembly
   libraries are loaded, since those may link against them.
4. ``loadedPackages`` is updated. Any failure undoes all of it; a library Pyodide loaded in
   step 3 cannot be unloaded, but step 3 only runs once every wheel is on disk.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from packaging.utils import NormalizedName, canonicalize_name

from ..downloads import WheelFiles
from ..errors import DownloadError, InvalidWheelError
from ..installed import InstalledDist
from ..plan import Action, Plan, PlanItem, same_version
from ..progress import Loading, Progress, Writing
from ..protected import refuse_replacing
from ..runtime import Runtime
from .environment import Environment
from .transaction import Transaction, WheelInstall


@dataclass(frozen=True)
class Outcome:
    """What running a Plan changed."""

    installed: tuple[PlanItem, ...]  # installed, replaced or loaded
    removed: tuple[PlanItem, ...]


async def execute(
    plan: Plan,
    *,
    files: WheelFiles,
    installed: Mapping[NormalizedName, InstalledDist],
    environment: Environment,
    runtime: Runtime,
    progress: Progress | None = None,
) -> Outcome:
    """Make the changes ``plan`` lists, all of them or none."""
    progress = progress or Progress()
    refuse_replacing(
        ((i.name, i.version, i.required_by, i.requested) for i in plan.with_action(Action.REPLACE)),
        installed,
    )
    wheels = sorted(plan.with_action(Action.INSTALL, Action.REPLACE), key=_largest_first)
    for item in wheels:
        files.start_item(item)  # every request is on the wire before the first write
    transaction = Transaction(environment, runtime)
    try:
        for item in (*plan.removals, *(w for w in wheels if w.action is Action.REPLACE)):
            transaction.remove(installed[canonicalize_name(item.name)])
        results = await asyncio.gather(
            *(_write(item, files, transaction, progress) for item in wheels),
            return_exceptions=True,
        )
        failures = [result for result in results if isinstance(result, BaseException)]
        if failures:
            raise failures[0] if len(failures) == 1 else _many_failed(failures)
        loads = plan.with_action(Action.LOAD)
        binary = [w.wheel.display_name for w in transaction.written if w.wheel.shared_libraries]
        if loads or binary:
            progress.emit(Loading((*(item.name for item in loads), *binary)))
        if loads:
            await runtime.load_distribution_packages([item.name for item in loads])
        await transaction.finish()
    except BaseException as exc:
        error = transaction.abort(exc)
        if error is exc:
            raise
        raise error from error.__cause__ or exc
    return Outcome(plan.changes, plan.removals)


async def _write(
    item: PlanItem, files: WheelFiles, transaction: Transaction, progress: Progress
) -> None:
    wheel, digest = await files.get_item(item)
    if canonicalize_name(wheel.name) != canonicalize_name(item.name) or not same_version(
        str(wheel.version), item.version
    ):
        raise InvalidWheelError(
            f"{item.filename} from {item.url} contains {wheel.name} {wheel.version}, not "
            f"{item.name} {item.version}; nothing was installed",
            project=item.name,
            url=item.url,
            file=item.filename,
        )
    progress.emit(Writing(item.name, item.version))
    transaction.write(
        WheelInstall(
            wheel, item.url, digest, item.source, item.requested, item.overrides, item.excluded
        )
    )


def _many_failed(failures: list[BaseException]) -> DownloadError:
    return DownloadError(
        f"{len(failures)} files could not be used; nothing was installed:\n  "
        + "\n  ".join(str(failure) for failure in failures),
        failures=tuple(failures),
    )


def _largest_first(item: PlanItem) -> float:
    """Sort key: files of unknown size first (they may be large), then by size, descending."""
    return -(item.size if item.size is not None else float("inf"))
