"""The package manager behind the public functions: install, list and uninstall for one interpreter."""

from __future__ import annotations

import builtins
import sys
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from packaging.utils import NormalizedName, canonicalize_name

from .errors import InstallConflictError, InvalidWheelError
from .install.environment import Environment
from .install.installed import InstalledDist, installed_distributions
from .install.transaction import WheelInstall, install_wheels
from .install.uninstall import remove
from .listing import PackageList
from .lockfiles.fit import select
from .lockfiles.freeze import freeze_environment
from .lockfiles.load import LockRef, load_lock
from .lockfiles.model import Format
from .lockfiles.render import render_lock
from .lockfiles.sync import SyncReport, sync_environment
from .plan import Plan, PlannedItem, make_plan
from .resolve.candidates import LOCKFILE, URL, Candidate
from .resolve.distribution import Distribution
from .runtime import Runtime, current_runtime
from .target import Target

if TYPE_CHECKING:
    from .index.client import Strategy
    from .request import Request
    from .resolve.knowledge import Knowledge

Say = Callable[[str], None]


@dataclass
class InstallReport:
    """What one ``install`` call did (or, with ``dry_run``, would do)."""

    plan: Plan
    installed: builtins.list[PlannedItem] = field(default_factory=builtins.list)
    warnings: builtins.list[str] = field(default_factory=builtins.list)
    dry_run: bool = False

    @property
    def already_satisfied(self) -> tuple[str, ...]:
        return self.plan.satisfied

    def __str__(self) -> str:
        verb = "would install" if self.dry_run else "installed"
        items = self.plan.items if self.dry_run else self.installed
        lines = [f"{verb} {i.name} {i.version} from {i.url}" for i in items]
        lines += [f"already satisfied: {text}" for text in self.plan.satisfied]
        lines += [f"warning: {text}" for text in self.warnings]
        return "\n".join(lines) or "nothing to do"


class PackageManager:
    """Installs into one interpreter, from its Pyodide distribution and from package indexes."""

    def __init__(
        self,
        runtime: Runtime | None = None,
        target: Target | None = None,
        environment: Environment | None = None,
        distribution: Distribution | None = None,
    ) -> None:
        self._runtime = runtime
        self._target = target
        self._environment = environment
        self._distribution = distribution
        self.index_urls: builtins.list[str] = ["PYPI"]
        self.constraints: builtins.list[str] = []

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            self._runtime = current_runtime()
        return self._runtime

    @property
    def target(self) -> Target:
        if self._target is None:
            self._target = Target.current()
        return self._target

    @property
    def environment(self) -> Environment:
        if self._environment is None:
            self._environment = Environment.current()
        return self._environment

    @property
    def distribution(self) -> Distribution:
        """The Pyodide distribution's lockfile packages, offered as candidates."""
        if self._distribution is None:
            lock, base_url = self.runtime.distribution_lock()
            self._distribution = Distribution.from_lock(lock, base_url)
        return self._distribution

    def set_index_urls(self, urls: str | Iterable[str]) -> None:
        self.index_urls = [urls] if isinstance(urls, str) else builtins.list(urls)

    def set_constraints(self, constraints: Iterable[str]) -> None:
        self.constraints = builtins.list(constraints)

    async def install(
        self,
        requirements: str | Iterable[str],
        keep_going: bool = False,
        deps: bool = True,
        credentials: str | None = None,
        pre: bool = False,
        index_urls: builtins.list[str] | str | None = None,
        *,
        constraints: builtins.list[str] | None = None,
        reinstall: bool = False,
        verbose: bool | int | None = None,
        hashes: Mapping[str, str] | None = None,
        dry_run: bool = False,
        index_strategy: Strategy = "first-index",
        lockfile: LockRef | None = None,
    ) -> InstallReport:
        """Resolve ``requirements`` (names, ``name[extra]>=1``, URLs, ``name @ url``) for this
        interpreter and install the result, all or nothing. ``lockfile`` (a lock as :meth:`sync`
        takes it) offers its pinned files as preferred candidates, ahead of the indexes."""
        # Resolution is imported when first needed: sync, freeze and list do without it (cold start).
        from .index.client import IndexClient
        from .request import build_request
        from .resolve.driver import resolve
        from .resolve.knowledge import Knowledge
        from .resolve.provider import Options

        say = _printer(verbose)
        distribution = self.distribution if lockfile is None else await self._with_lock(lockfile)
        texts = [requirements] if isinstance(requirements, str) else builtins.list(requirements)
        request = build_request(
            texts, [*self.constraints, *(constraints or [])], hashes, self.target
        )
        installed = installed_distributions()
        urls = (
            self.index_urls
            if index_urls is None
            else ([index_urls] if isinstance(index_urls, str) else index_urls)
        )
        client = IndexClient(
            self.runtime, urls, strategy=index_strategy, fetch_credentials=credentials
        )
        knowledge = Knowledge(client, self.runtime, self.target, distribution, installed)
        knowledge.download_ahead = not dry_run
        options = Options(
            pre=pre,
            deps=deps,
            reinstall=reinstall,
            constraints=request.constraints,
            url_candidates=request.url_candidates,
            keep_going=keep_going,
        )
        try:
            resolved = await resolve(request.requirements, knowledge, options)
            plan, chosen = make_plan(resolved, installed)
            report = InstallReport(plan, dry_run=dry_run, warnings=builtins.list(resolved.notes))
            for note in resolved.notes:
                warnings.warn(f"micropip2.install: {note}", stacklevel=2)
            for item in plan.items:
                say(f"Collected {item}")
            report.warnings += _replacement_problems(chosen, installed, reinstall)
            if dry_run:
                return report
            items = await _prepare(chosen, knowledge, request, installed, say)
            await _load_non_wheel_packages(chosen, self.runtime)
            await install_wheels(items, self.environment, self.runtime)
        finally:
            await knowledge.close()
        report.installed = builtins.list(plan.items)
        if plan.items:
            say("Successfully installed " + " ".join(f"{i.name}-{i.version}" for i in plan.items))
        return report

    async def _with_lock(self, lockfile: LockRef) -> Distribution:
        lock = await load_lock(lockfile, self.runtime)
        return self.distribution.overlaid(select(lock, self.target))

    async def sync(self, lock: LockRef, *, verbose: bool | int | None = None) -> SyncReport:
        """Make the environment hold exactly ``lock``'s packages (a pyodide-lock.json or pylock.toml,
        given as URL, path, text or dict): no index is asked, every missing file is downloaded at
        once and hash-checked, and the changes are made all together or not at all. Packages the
        lock does not list are uninstalled (except micropip2 and what it needs)."""
        say = _printer(verbose)
        loaded = await load_lock(lock, self.runtime)
        report = await sync_environment(
            loaded,
            target=self.target,
            runtime=self.runtime,
            environment=self.environment,
            distribution=lambda: self.distribution,
            installed=installed_distributions(),
            say=say,
        )
        say(str(report))
        return report

    def freeze(self, format: Format = "pyodide-lock", *, base_url: str | None = None) -> str:
        """The installed environment as a lock: pyodide-lock.json text (``loadPyodide({lockFileURL})``
        and :meth:`sync` take it) or, with ``format="pylock"``, PEP 751 pylock.toml text. File URLs are
        absolute; with ``base_url``, those under it are written relative to it. A distribution with
        no record of its file is left out, with a warning."""
        lock, _base = self.runtime.distribution_lock()
        frozen = freeze_environment(
            installed_distributions(),
            self.distribution,
            self.runtime.loaded_packages(),
            self.target,
            lock["info"],
        )
        for text in frozen.left_out:
            warnings.warn(f"micropip2.freeze: left out {text}", stacklevel=2)
        return render_lock(frozen.lock, format, self.target, base_url)

    def list(self) -> PackageList:
        return PackageList.from_installed(installed_distributions().values())

    def uninstall(
        self, packages: str | Iterable[str], *, verbose: bool | int = False
    ) -> builtins.list[str]:
        """Remove the named distributions (all together); unknown names only warn."""
        say = _printer(verbose)
        names = [packages] if isinstance(packages, str) else builtins.list(packages)
        installed = installed_distributions()
        found: builtins.list[InstalledDist] = []
        for name in names:
            dist = installed.get(canonicalize_name(name))
            if dist is None:
                warnings.warn(f"micropip2: {name!r} is not installed; skipped", stacklevel=2)
            elif dist not in found:
                found.append(dist)
        names = [dist.display_name for dist in found]  # read before the files go
        remove(found, self.environment)
        for dist in found:
            self.runtime.set_loaded_package(dist.display_name, None)
            say(f"Uninstalled {dist.display_name} {dist.version}")
            if _imported(dist):
                say(
                    f"  {dist.display_name} was imported; the running interpreter keeps the loaded modules"
                )
        return names


def _replacement_problems(
    chosen: builtins.list[Candidate],
    installed: Mapping[NormalizedName, InstalledDist],
    reinstall: bool,
) -> builtins.list[str]:
    """A wheel file given by the user replaces another installed version only with ``reinstall=True``
    (as micropip); an upgrade the resolver needs goes ahead. Replacing an imported one is reported."""
    notes = []
    for candidate in chosen:
        current = installed.get(candidate.name)
        if current is None:
            continue
        if candidate.source == URL and not reinstall and current.version != str(candidate.version):
            raise InstallConflictError(
                f"cannot install {candidate.name} {candidate.version}: {current.display_name} {current.version} "
                f"is installed ({current.source}); pass reinstall=True to replace it; nothing was installed"
            )
        if _imported(current):
            notes.append(
                f"{current.display_name} {current.version} was already imported; the running program keeps using "
                f"it until restarted, although {candidate.version} is now installed"
            )
    return notes


async def _prepare(
    chosen: builtins.list[Candidate],
    knowledge: Knowledge,
    request: Request,
    installed: Mapping[NormalizedName, InstalledDist],
    say: Say,
) -> builtins.list[WheelInstall]:
    """Download (already under way since each was pinned), verify and validate every wheel."""
    items = []
    for candidate in chosen:
        if not _is_wheel(candidate):
            continue
        say(f"Downloading {candidate.url}")
        wheel = await knowledge.wheel(candidate)
        filename = candidate.filename or ""
        if wheel.name != candidate.name:
            raise InvalidWheelError(
                f"{filename} from {candidate.url} contains {wheel.name}, not {candidate.name}"
            )
        items.append(
            WheelInstall(
                wheel=wheel,
                url=candidate.url or "",
                sha256=knowledge.sha256_of(candidate),
                kind=candidate.source,
                requested=candidate.name in request.user_names,
                replaces=installed.get(candidate.name),
            )
        )
    return items


def _is_wheel(candidate: Candidate) -> bool:
    return (candidate.filename or "").endswith(".whl")


async def _load_non_wheel_packages(chosen: builtins.list[Candidate], runtime: Runtime) -> None:
    """Shared libraries of the Pyodide distribution are not wheels: Pyodide loads them itself, first."""
    names = [
        c.locked.display_name
        for c in chosen
        if c.source == LOCKFILE and c.locked and not _is_wheel(c)
    ]
    if names:
        await runtime.load_distribution_packages(names)


def _imported(dist: InstalledDist) -> bool:
    return any(
        canonicalize_name(module.split(".")[0]) == dist.name
        for module in builtins.list(sys.modules)
    )


def _printer(verbose: bool | int | None) -> Say:
    """pip-like progress lines on stdout when ``verbose``."""
    return print if verbose else (lambda line: None)
