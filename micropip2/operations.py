"""What ``install``, ``sync``, ``freeze`` and ``uninstall`` do, for
:class:`~.manager.PackageManager` and the ``micropip2`` command alike.

``install`` and ``sync`` both make a :class:`~.plan.Plan` (by resolution, or by replaying a lock)
and hand it to the one executor (:func:`~.install.executor.execute`); with ``dry_run`` they return
that Plan unrun. Both return an :class:`InstallReport`.

``install``, ``sync`` and ``uninstall`` change one environment one at a time
(:mod:`~.env_lock`): each reads what is installed only once it holds the environment's lock.
"""

from __future__ import annotations

import asyncio
import sys
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from packaging.utils import NormalizedName, canonicalize_name

from . import cache
from .downloads import WheelFiles
from .env_lock import environment_lock
from .errors import DeadlineExceededError
from .fetch import DEFAULT_NETWORK, Fetcher, FetchEvent, Network
from .install.environment import Environment
from .install.executor import execute
from .installed import InstalledDist, installed_distributions
from .lockfiles.pyodide_packages import PyodidePackages
from .plan import Action, Plan, PlanItem
from .progress import Failed, Finished, Progress, Resolved, ResolveStarted
from .protected import refuse_removing
from .resolutions import StoredResolution, keepable, resolution_key, reusable
from .runtime import Runtime
from .store import Store
from .target import Target

if TYPE_CHECKING:
    from .index.client import Strategy
    from .index.sources import ProjectSource
    from .lockfiles.load import LockRef
    from .lockfiles.model import Format, Lock

Say = Callable[[str], None]


@dataclass
class InstallReport:
    """What one ``install`` or ``sync`` call did (or, with ``dry_run``, would do)."""

    plan: Plan
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)
    installed: list[PlanItem] = field(default_factory=list)  # installed, replaced or loaded
    removed: list[PlanItem] = field(default_factory=list)
    # what resolving cost (resolve.driver.Stats: restarts, waits, pages, metadata); empty when
    # a kept resolution was reused
    resolution: dict[str, int] = field(default_factory=dict)

    @property
    def unchanged(self) -> tuple[PlanItem, ...]:
        return self.plan.kept

    @property
    def already_satisfied(self) -> tuple[str, ...]:
        return self.plan.satisfied

    def __str__(self) -> str:
        verb = "would install" if self.dry_run else "installed"
        changed = self.plan.changes if self.dry_run else self.installed
        lines = [f"{verb} {i.name} {i.version} from {i.url}" for i in changed]
        removed = self.plan.removals if self.dry_run else self.removed
        lines += [
            f"{'would remove' if self.dry_run else 'removed'} {i.name} {i.version}" for i in removed
        ]
        lines += [f"already satisfied: {text}" for text in self.plan.satisfied]
        lines += [f"warning: {text}" for text in self.warnings]
        return "\n".join(lines) or "nothing to do"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """What IPython shows for the report (a notebook cell ending with an install, as
        JupyterLite's ``%pip install`` does): :meth:`__str__`, not every field."""
        printer.text(str(self))


@dataclass(frozen=True)
class Place:
    """The interpreter an operation works on."""

    runtime: Runtime
    target: Target
    environment: Environment
    pyodide_packages: Callable[[], PyodidePackages]  # read when first needed (cold start)
    installed: Callable[[], Mapping[NormalizedName, InstalledDist]] = installed_distributions


@dataclass(frozen=True)
class InstallOptions:
    """``install``'s settings, as the public signature names them."""

    constraints: Sequence[str] = ()
    hashes: Mapping[str, str] | None = None
    index_urls: Sequence[str] = ("PYPI",)
    index_strategy: Strategy = "first-index"
    credentials: str | None = None  # the Fetch API's credentials mode
    pre: bool = False
    deps: bool = True
    reinstall: bool = False
    keep_going: bool = False
    cache: bool = True  # the persistent cache (micropip2.cache), when there is one
    network: Network = DEFAULT_NETWORK  # time limits and retries of each request
    overrides: Sequence[str] = ()  # replace every requirement on a project (resolve.modifiers)
    exclude: Sequence[str] = ()  # projects dropped from every package's requirements
    # the bound on a resolution's work (resolve.explored); the hardest set of the corpus
    # (boto3 with botocore 1.34.0) tries 720 versions
    max_versions_tried: int | None = 2000
    # asked before the indexes (piplite's all.json indexes, through the micropip shim); a
    # resolution with sources is neither reused nor kept: what they list is not a page it read
    sources: Sequence[ProjectSource] = ()


@dataclass(frozen=True)
class Resolution:
    plan: Plan
    notes: tuple[str, ...]
    files: WheelFiles  # downloads resolution started; the executor continues with them
    stats: dict[str, int] = field(default_factory=dict)  # resolve.driver.Stats, as a dict


@asynccontextmanager
async def resolving(
    requirements: Sequence[str],
    options: InstallOptions,
    *,
    target: Target,
    runtime: Runtime,
    pyodide_packages: PyodidePackages,
    installed: Mapping[NormalizedName, InstalledDist],
    downloads: bool,
    say: Say = lambda line: None,
    progress: Progress | None = None,
) -> AsyncIterator[Resolution]:
    """Resolve ``requirements`` into a Plan. With ``downloads`` (an install, not a dry run), the
    wheels resolution expects to choose start downloading while it runs; the speculative
    fetches still under way are waited for when the block ends.

    With the persistent cache on, a resolution made before in the same situation whose pages
    are all still fresh is reused without resolving, and a new one is kept for next time
    (:mod:`micropip2.resolutions`)."""
    progress = progress or Progress()
    progress.emit(ResolveStarted(tuple(requirements)))
    store = _store(runtime, options.cache, say)
    fetcher = Fetcher(
        runtime,
        fetch_credentials=options.credentials,
        observers=(_printer(say), progress.on_fetch),
        store=store,
        network=options.network,
    )
    key = None
    if store is not None and not options.sources:
        key = resolution_key(requirements, _deciding(options), target, installed, pyodide_packages)
        reused = await reusable(store, key)
        if reused is not None:
            say("Using the cached resolution (every page it read is unchanged)")
            progress.emit(_resolved(reused.plan, progress, reused=True))
            async with _cancelling_on_failure(fetcher):
                yield Resolution(reused.plan, reused.notes, WheelFiles(fetcher))
            return
    # Resolution is imported when first needed: sync, freeze and list do without it (cold start).
    from .index.client import IndexClient
    from .request import build_request
    from .resolve.crawl import Crawl
    from .resolve.driver import resolve
    from .resolve.explored import Explored
    from .resolve.knowledge import Knowledge
    from .resolve.lookups import Lookups
    from .resolve.modifiers import parse_modifiers
    from .resolve.provider import Options
    from .resolve.to_plan import mark_modified, plan_install

    modifiers = parse_modifiers(options.overrides, options.exclude)
    request = build_request(requirements, options.constraints, options.hashes, target, modifiers)
    client = IndexClient(
        fetcher,
        list(options.index_urls),
        strategy=options.index_strategy,
        sources=options.sources,
    )
    files = WheelFiles(fetcher, headers_for=client.auth_headers)
    lookups = Lookups(client, files)
    knowledge = Knowledge(lookups, target, pyodide_packages, installed)
    resolver_options = Options(
        pre=options.pre,
        deps=options.deps,
        reinstall=options.reinstall,
        constraints=request.constraints,
        url_candidates=request.url_candidates,
        keep_going=options.keep_going,
        modifiers=modifiers,
        explored=Explored(limit=options.max_versions_tried, target=target.describe()),
    )
    progress.detail = resolver_options.explored.summary  # what a deadline's error tells
    try:
        crawl = Crawl(knowledge, downloads=downloads)
        resolved = await resolve(request.requirements, knowledge, crawl, resolver_options, progress)
        progress.detail = None
        plan = plan_install(resolved, installed, request.user_names, reinstall=options.reinstall)
        plan = mark_modified(plan, resolved, knowledge.metadata, target, modifiers)
        progress.emit(_resolved(plan, progress))
        notes = request.ignored + resolved.notes
        if store is not None and key is not None:
            found = StoredResolution(plan, notes, dict(fetcher.pages_read))
            entry = keepable(found, not_kept=fetcher.pages_not_kept)
            if entry is not None:
                fetcher.put(key, entry)
        say(f"Resolution: {resolved.stats}")
        yield Resolution(plan, notes, files, asdict(resolved.stats))
    except BaseException:
        lookups.cancel()
        fetcher.cancel()
        raise
    finally:
        await lookups.close()
        await fetcher.settle()


async def install(
    requirements: Sequence[str],
    options: InstallOptions,
    place: Place,
    *,
    lockfile: LockRef | None = None,
    dry_run: bool = False,
    say: Say = lambda line: None,
    vet: Callable[[Plan], None] | None = None,
    progress: Progress | None = None,
    deadline: float | None = None,
) -> InstallReport:
    """``lockfile``'s pinned files are offered ahead of the indexes, over the distribution's.
    ``vet`` sees the Plan before anything is written, and may refuse it by raising. Waits for
    an install or sync of the same environment in progress (a dry run too: its
    Plan is made against what that call leaves). ``deadline``: seconds the whole call may
    take, waiting included (:class:`~.errors.DeadlineExceededError`, nothing changed)."""
    progress = progress or Progress()

    async def run() -> InstallReport:
        async with _changing(place, "install", say):
            return await _install(
                requirements,
                options,
                place,
                lockfile=lockfile,
                dry_run=dry_run,
                say=say,
                vet=vet,
                progress=progress,
            )

    return await _watched(run(), progress, deadline, "install")


async def _install(
    requirements: Sequence[str],
    options: InstallOptions,
    place: Place,
    *,
    lockfile: LockRef | None,
    dry_run: bool,
    say: Say,
    vet: Callable[[Plan], None] | None,
    progress: Progress,
) -> InstallReport:
    pyodide_packages = place.pyodide_packages()
    if lockfile is not None:
        from .lockfiles.fit import select
        from .lockfiles.load import load_lock

        lock = await load_lock(lockfile, place.runtime)
        pyodide_packages = pyodide_packages.overlaid(select(lock, place.target))
    installed = place.installed()
    async with resolving(
        requirements,
        options,
        target=place.target,
        runtime=place.runtime,
        pyodide_packages=pyodide_packages,
        installed=installed,
        downloads=not dry_run,
        say=say,
        progress=progress,
    ) as resolution:
        plan = resolution.plan
        if vet is not None:
            vet(plan)
        report = InstallReport(
            plan, dry_run=dry_run, warnings=list(resolution.notes), resolution=resolution.stats
        )
        for note in resolution.notes:
            warnings.warn(f"micropip2.install: {note}", stacklevel=4)
        for item in plan.changes:
            say(f"Collected {item}")
        for text in plan.satisfied:
            say(f"Requirement already satisfied: {text}")
        report.warnings += _imported_notes(plan, installed)
        if dry_run:
            return report
        await _run(plan, report, resolution.files, installed, place, progress)
    if plan.changes:
        say("Successfully installed " + " ".join(f"{i.name}-{i.version}" for i in plan.changes))
    return report


async def sync(
    lock: Lock,
    place: Place,
    *,
    dry_run: bool = False,
    cache: bool = True,
    say: Say,
    progress: Progress | None = None,
    network: Network = DEFAULT_NETWORK,
    deadline: float | None = None,
) -> InstallReport:
    """Waits for an install or sync of the same environment in progress, as ``install``;
    ``progress``, ``network`` and ``deadline`` as ``install``'s."""
    progress = progress or Progress()

    async def run() -> InstallReport:
        async with _changing(place, "sync", say):
            return await _sync(
                lock,
                place,
                dry_run=dry_run,
                cache=cache,
                say=say,
                progress=progress,
                network=network,
            )

    return await _watched(run(), progress, deadline, "sync")


async def _sync(
    lock: Lock,
    place: Place,
    *,
    dry_run: bool,
    cache: bool,
    say: Say,
    progress: Progress,
    network: Network,
) -> InstallReport:
    installed = place.installed()
    from .lockfiles.sync import plan_sync

    plan = plan_sync(
        lock,
        target=place.target,
        installed=installed,
        loaded=place.runtime.loaded_packages(),
        pyodide_packages=place.pyodide_packages,
    )
    progress.emit(_resolved(plan, progress))
    report = InstallReport(plan, dry_run=dry_run)
    if not dry_run:
        store = _store(place.runtime, cache, say)
        fetcher = Fetcher(
            place.runtime,
            observers=(_printer(say), progress.on_fetch),
            store=store,
            network=network,
        )
        async with _cancelling_on_failure(fetcher):
            await _run(plan, report, WheelFiles(fetcher), installed, place, progress)
    say(_sync_summary(report))
    return report


def freeze(place: Place, format: Format, base_url: str | None) -> str:
    """The installed environment as lock text; what has no record of its file is left out,
    with a warning."""
    # sync, freeze and uninstall import their pieces when first used (``import micropip2``
    # compiles from source inside Pyodide: each module costs start-up time)
    from .lockfiles.freeze import freeze_environment
    from .lockfiles.render import render_lock

    lock, _base = place.runtime.distribution_lock()
    frozen = freeze_environment(
        place.installed(),
        place.pyodide_packages(),
        place.runtime.loaded_packages(),
        place.target,
        lock["info"],
    )
    for text in frozen.left_out:
        warnings.warn(f"micropip2.freeze: left out {text}", stacklevel=3)
    return render_lock(frozen.lock, format, place.target, base_url)


def uninstall(names: Sequence[str], place: Place, say: Say) -> list[str]:
    """Remove the named distributions (all together); unknown names only warn. Synchronous:
    while an install or sync of the environment is in progress it raises
    :class:`~.errors.ChangeInProgressError` and removes nothing."""
    with environment_lock(place.environment.site_packages).held_now("uninstall"):
        return _uninstall(names, place, say)


def refuse_if_busy(environment: Environment, operation: str) -> None:
    """Raise :class:`~.errors.ChangeInProgressError` when an install or sync of ``environment``
    is in progress (for callers that change it before :func:`uninstall`)."""
    environment_lock(environment.site_packages).refuse_if_busy(operation)


def _uninstall(names: Sequence[str], place: Place, say: Say) -> list[str]:
    from .install.uninstall import remove

    installed = place.installed()
    found: list[InstalledDist] = []
    for name in names:
        dist = installed.get(canonicalize_name(name))
        if dist is None:
            warnings.warn(f"micropip2: {name!r} is not installed; skipped", stacklevel=4)
        elif dist not in found:
            found.append(dist)
    refuse_removing(found, installed)  # micropip2 and what it needs (micropip2.protected)
    removed = [dist.display_name for dist in found]  # read before the files go
    remove(found, place.environment)
    for dist in found:
        place.runtime.set_loaded_package(dist.display_name, None)
        say(f"Uninstalled {dist.display_name} {dist.version}")
        if _imported(dist.name):
            say(
                f"  {dist.display_name} was imported; "
                "the running interpreter keeps the loaded modules"
            )
    return removed


def _changing(place: Place, operation: str, say: Say) -> AbstractAsyncContextManager[None]:
    """Hold ``place``'s environment for ``operation``, after the calls that came first."""
    lock = environment_lock(place.environment.site_packages)
    return lock.held(
        operation, on_wait=lambda busy: say(f"Waiting for the {busy} in progress in {lock.path}")
    )


async def _run(
    plan: Plan,
    report: InstallReport,
    files: WheelFiles,
    installed: Mapping[NormalizedName, InstalledDist],
    place: Place,
    progress: Progress,
) -> None:
    outcome = await execute(
        plan,
        files=files,
        installed=installed,
        environment=place.environment,
        runtime=place.runtime,
        progress=progress,
    )
    report.installed = list(outcome.installed)
    report.removed = list(outcome.removed)


async def _watched(
    work: Awaitable[InstallReport], progress: Progress, deadline: float | None, operation: str
) -> InstallReport:
    """``work``'s report, its end told to ``progress`` ("done" or "failed"); past ``deadline``
    seconds it is cancelled (everything it began is undone) and the call fails."""
    try:
        try:
            async with asyncio.timeout(deadline) as limit:
                report = await work
        except TimeoutError:
            if not limit.expired():
                raise
            doing = progress.doing + (f": {progress.detail()}" if progress.detail else "")
            raise DeadlineExceededError(
                f"the {operation} did not finish within its deadline of {deadline:g} s "
                f"(it was {doing}); nothing was changed: try again with a larger "
                "deadline, or deadline=None",
                deadline=deadline or 0.0,
                doing=doing,
            ) from None
    except BaseException as exc:
        progress.emit(Failed(type(exc).__name__, str(exc), progress.seconds))
        await progress.settle()
        raise
    progress.emit(
        Finished(
            tuple(f"{i.name}=={i.version}" for i in report.installed),
            tuple(f"{i.name}=={i.version}" for i in report.removed),
            progress.downloaded,
            progress.from_cache,
            progress.seconds,
        )
    )
    await progress.settle()
    return report


@asynccontextmanager
async def _cancelling_on_failure(fetcher: Fetcher) -> AsyncIterator[None]:
    """Abort the downloads still under way when the block fails or is cancelled; either way,
    wait for the cache writes under way (what was fetched and verified is kept)."""
    try:
        yield
    except BaseException:
        fetcher.cancel()
        raise
    finally:
        await fetcher.settle()


def _resolved(plan: Plan, progress: Progress, *, reused: bool = False) -> Resolved:
    packages = len(plan.changes) + len(plan.kept)
    return Resolved(packages, len(plan.changes), progress.seconds, reused)


def _imported_notes(plan: Plan, installed: Mapping[NormalizedName, InstalledDist]) -> list[str]:
    """Replacing a package the program has imported takes effect only after a restart."""
    notes = []
    for item in plan.with_action(Action.REPLACE):
        current = installed[canonicalize_name(item.name)]
        if _imported(current.name):
            notes.append(
                f"{current.display_name} {current.version} was already imported; the running "
                f"program keeps using it until restarted, although {item.version} is now installed"
            )
    return notes


def _sync_summary(report: InstallReport) -> str:
    verb = ("would install", "would remove") if report.dry_run else ("installed", "removed")
    changed = report.plan.changes if report.dry_run else report.installed
    removed = report.plan.removals if report.dry_run else report.removed
    lines = [f"{verb[0]} {item.name} {item.version}" for item in changed]
    lines += [f"{verb[1]} {item.name} {item.version}" for item in removed]
    lines.append(f"{len(report.unchanged)} already at the locked version")
    return "\n".join(lines)


def _deciding(options: InstallOptions) -> dict[str, object]:
    """The options that decide a resolution's answer (all but whether the cache is used)."""
    plain = replace(options, sources=())  # sources are objects: a keyed resolution has none
    return {
        name: value
        for name, value in asdict(plain).items()
        if name not in ("cache", "network", "sources")
    }


def _printer(say: Say) -> Callable[[FetchEvent], None]:
    def show(event: FetchEvent) -> None:
        if event.kind == "started":
            say(f"Downloading {event.url}")
        elif event.kind == "cached":
            say(f"Using cached {event.url}")

    return show


_said_uncached = False


def _store(runtime: Runtime, enabled: bool, say: Say) -> Store | None:
    """The persistent cache's store for one operation; where there is none, say so once."""
    global _said_uncached
    store = cache.open_store(runtime, enabled=enabled)
    if store is None and enabled and cache.is_enabled(runtime) and not _said_uncached:
        say("micropip2: no cache storage here (not a secure context?); installing uncached")
        _said_uncached = True
    return store


def _imported(name: NormalizedName) -> bool:
    return any(canonicalize_name(module.split(".")[0]) == name for module in list(sys.modules))
