"""The package manager behind the public functions: settings, and one method per public
function, each handing over to :mod:`micropip2.operations` (mock packages: :mod:`.mocks`).

The methods take what micropip's callers pass them (micropip 0.11.1's signatures): a JS array
(a ``JsProxy``) wherever a list of strings is expected, and any truthy value (PyScript's JS
options object) for a flag."""

from __future__ import annotations

import builtins
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from . import mocks, operations
from .arguments import from_js, texts
from .errors import InvalidOptionError
from .fetch import DEFAULT_NETWORK, Network
from .install.environment import Environment
from .installed import installed_distributions
from .listing import PackageList
from .lockfiles.pyodide_packages import PyodidePackages
from .mocks import ModuleSource
from .operations import InstallOptions, InstallReport, Place, Say
from .progress_display import progress_for
from .runtime import Runtime, current_runtime
from .target import Target

if TYPE_CHECKING:
    from .index.client import Strategy
    from .index.sources import ProjectSource
    from .lockfiles.load import LockRef
    from .lockfiles.model import Format
    from .plan import Plan
    from .requirements_files import Collected

__all__ = ["DEFAULT_MANAGER", "InstallReport", "PackageManager"]


class PackageManager:
    """Installs into one interpreter, from its Pyodide distribution and from package indexes."""

    def __init__(
        self,
        runtime: Runtime | None = None,
        target: Target | None = None,
        environment: Environment | None = None,
        pyodide_packages: PyodidePackages | None = None,
    ) -> None:
        self._runtime = runtime
        self._target = target
        self._environment = environment
        self._pyodide_packages = pyodide_packages
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
            self._target = Target.current(self.runtime.abi_version())
        return self._target

    @property
    def environment(self) -> Environment:
        if self._environment is None:
            self._environment = Environment.current()
        return self._environment

    @property
    def pyodide_packages(self) -> PyodidePackages:
        """The Pyodide distribution's lockfile packages, offered as candidates."""
        if self._pyodide_packages is None:
            lock, base_url = self.runtime.distribution_lock()
            self._pyodide_packages = PyodidePackages.from_lock(lock, base_url)
        return self._pyodide_packages

    @property
    def place(self) -> Place:
        return Place(self.runtime, self.target, self.environment, lambda: self.pyodide_packages)

    def set_index_urls(self, urls: str | Iterable[str]) -> None:
        """The indexes ``install`` asks when it is given none (see docs/indexes.md)."""
        self.index_urls = texts(urls, "index_urls")

    def set_constraints(self, constraints: Iterable[str]) -> None:
        """PEP 508 constraints every ``install`` applies (with those it is given)."""
        self.constraints = texts(constraints, "constraints")

    async def install(
        self,
        requirements: str | Iterable[str] = (),
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
        cache: bool = True,
        requirements_file: str | None = None,
        progress: object = None,
        timeout: float | None = None,
        deadline: float | None = None,
        sources: Iterable[ProjectSource] = (),
        overrides: builtins.list[str] | str | None = None,
        exclude: builtins.list[str] | str | None = None,
        max_versions_tried: int | None = InstallOptions.max_versions_tried,
    ) -> InstallReport:
        """Resolve ``requirements`` (names, ``name[extra]>=1``, URLs, ``name @ url``) for this
        interpreter and install the result, all or nothing. ``lockfile`` (a lock as :meth:`sync`
        takes it) offers its pinned files as preferred candidates, ahead of the indexes. With
        ``dry_run``, the report's ``plan`` is exactly what an install would run. ``cache=False``
        neither reads nor fills the persistent cache (:mod:`micropip2.cache`).

        As micropip's, ``keep_going`` is the second positional parameter; flags are taken by
        truthiness and lists may be JS arrays, so ``install(packages, {keep_going: true})``
        (PyScript) and ``install.callKwargs(reqs, {keep_going: true})`` (from JS) work.

        ``requirements_file`` is a pip requirements file (a URL, a path, or its text: anything
        with a line break), read as pip reads ``-r`` (:mod:`micropip2.requirements_files`): its
        requirements join ``requirements``, its ``-c`` files the constraints; its ``--index-url``
        replaces the default indexes (not ``index_urls`` given here), ``--extra-index-url``s
        follow them; ``--pre`` sets ``pre``; a ``--hash`` turns on hash checking for every file
        the install writes.

        ``progress``: ``None`` (the default) shows a live display in a notebook cell (IPython,
        Jupyter, JupyterLite) and nothing elsewhere; ``True`` shows it, or prints its summary
        elsewhere; ``"console"`` shows it, or writes its lines to the JS console (PyScript's
        ``py:progress``); ``False`` shows nothing; a function (Python, async, or JS) receives every
        event instead (:mod:`micropip2.progress`). ``timeout``: seconds a request may wait for
        its answer, and its body may pause (default 15); requests that get no answer, time out
        or are answered 408, 429 or 5xx are tried 3 times in all. ``deadline``: seconds the
        whole call may take; past it the call is cancelled, nothing is changed, and
        :class:`~micropip2.errors.DeadlineExceededError` is raised, saying what the resolution
        was exploring if it was still resolving.

        ``overrides``: requirements that replace every requirement on their project, from any
        package and from ``requirements`` alike (uv's ``override-dependencies``), for metadata
        that is wrong for Pyodide: ``overrides=["lib>=2"]``. ``exclude``: projects dropped from
        every package's requirements (a dependency a package does not need in Pyodide). Both
        are recorded in the report's plan and in :meth:`freeze`'s lock.
        ``max_versions_tried``: how many versions the resolver may try (ask the dependencies
        of, or rule out) before it stops with
        :class:`~micropip2.errors.ResolutionLimitError` naming what it was exploring; ``None``
        for no limit.

        ``sources`` (:class:`~micropip2.index.sources.ProjectSource`) are asked for each project
        before the indexes; the ``micropip`` shim passes piplite's ``all.json`` indexes this way
        (docs/jupyterlite.md)."""
        wanted = texts(requirements, "requirements")
        collected = None
        if requirements_file is not None:
            from .requirements_files import read_for_install

            collected = await read_for_install(
                requirements_file, self.runtime, self.target.marker_holds
            )
            wanted += collected.requirements
            pre = pre or collected.pre
            hashes = {**collected.url_hashes, **(hashes or {})}
        options = InstallOptions(
            constraints=[
                *self.constraints,
                *texts(constraints or [], "constraints"),
                *(collected.constraints if collected is not None else ()),
                *mocks.in_memory_pins(),
            ],
            hashes=hashes,
            index_urls=_index_urls(self.index_urls, index_urls, collected),
            index_strategy=index_strategy,
            credentials=credentials,
            pre=bool(pre),
            deps=bool(deps),
            reinstall=bool(reinstall),
            keep_going=bool(keep_going),
            cache=bool(cache),
            network=_network(timeout),
            sources=tuple(sources),
            overrides=texts(overrides, "overrides") if overrides is not None else (),
            exclude=texts(exclude, "exclude") if exclude is not None else (),
            max_versions_tried=_limit(max_versions_tried, "max_versions_tried"),
        )
        say = _printer(verbose)
        report = await operations.install(
            wanted,
            options,
            self.place,
            lockfile=lockfile,
            dry_run=dry_run,
            say=say,
            vet=_hash_check(collected),
            progress=progress_for(progress, say=print),
            deadline=_deadline(deadline),
        )
        for item in report.installed:  # reinstall=True put a real one in an in-memory mock's place
            if not dry_run and mocks.in_memory(item.name):
                mocks.remove_mock(item.name, self.environment)
        return report

    async def sync(
        self,
        lock: LockRef,
        *,
        verbose: bool | int | None = None,
        dry_run: bool = False,
        cache: bool = True,
        progress: object = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> InstallReport:
        """Make the environment hold exactly ``lock``'s packages (a pyodide-lock.json or
        pylock.toml, given as URL, path, text or dict): no index is asked, every missing file is
        downloaded at once and hash-checked, and the changes are made all together or not at all.
        Packages the lock does not list are uninstalled (except micropip2 and what it needs,
        and mock packages held in memory). ``progress``, ``timeout`` and ``deadline`` as
        :meth:`install`'s."""
        from .lockfiles.load import load_lock

        loaded = await load_lock(lock, self.runtime)
        place = replace(self.place, installed=mocks.without_in_memory_mocks)
        return await operations.sync(
            loaded,
            place,
            dry_run=dry_run,
            cache=cache,
            say=_printer(verbose),
            progress=progress_for(progress, say=print),
            network=_network(timeout),
            deadline=_deadline(deadline),
        )

    def freeze(self, format: Format = "pyodide-lock", *, base_url: str | None = None) -> str:
        """The installed environment as a lock: pyodide-lock.json text
        (``loadPyodide({lockFileURL})`` and :meth:`sync` take it) or, with ``format="pylock"``,
        PEP 751 pylock.toml text. File URLs are absolute; with ``base_url``, those under it are
        written relative to it. A distribution with no record of its file is left out, with a
        warning."""
        return operations.freeze(self.place, format, base_url)

    def list(self) -> PackageList:
        """Every installed distribution (mock packages too), by normalized name; ``in`` and
        ``[]`` normalise the name they are given."""
        return PackageList.from_installed(installed_distributions().values())

    def uninstall(
        self, packages: str | Iterable[str], *, verbose: bool | int = False
    ) -> builtins.list[str]:
        """Remove the named distributions (all together); unknown names only warn. Returns the
        names removed. Synchronous, as micropip's: while an ``install`` or ``sync`` of this
        environment is in progress it cannot wait, and raises
        :class:`~.errors.ChangeInProgressError` (nothing removed); await that call, then
        uninstall again."""
        names = texts(packages, "packages")
        operations.refuse_if_busy(self.environment, "uninstall")  # before any mock is removed
        say = _printer(verbose)
        removed: builtins.list[str] = []
        in_memory = [name for name in names if mocks.in_memory(name)]
        for name in in_memory:
            removed.append(mocks.remove_mock(name, self.environment))
            say(f"Removed the mock package {removed[-1]}")
        rest = [name for name in names if name not in in_memory]
        return removed + (operations.uninstall(rest, self.place, say) if rest else [])

    def add_mock_package(
        self,
        name: str,
        version: str,
        *,
        modules: Mapping[str, ModuleSource] | None = None,
        persistent: bool = False,
    ) -> None:
        """Make ``name`` ``version`` count as installed without a wheel: requirements on it are
        satisfied, ``list()`` shows it, and its ``modules`` import (module name -> source text,
        or a function that fills the module; default: one empty module named after the
        project). In memory for this interpreter only, or with ``persistent`` written into
        site-packages. A mock of the same name is replaced."""
        chosen = from_js(modules)
        if chosen is not None and not isinstance(chosen, Mapping):
            raise InvalidOptionError(
                f"modules must be a dict of module name -> source, not {type(chosen).__name__}",
                project=name,
            )
        mocks.add_mock(
            name, version, chosen, persistent=bool(persistent), environment=self.environment
        )

    def list_mock_packages(self) -> builtins.list[str]:
        """The names of the mock packages."""
        return mocks.mock_names()

    def remove_mock_package(self, name: str) -> None:
        """Remove a mock package (its modules leave ``sys.modules``); refuses real packages."""
        mocks.remove_mock(name, self.environment)


def _printer(verbose: bool | int | None) -> Say:
    """pip-like progress lines on stdout when ``verbose``."""
    return print if verbose else (lambda line: None)


def _network(timeout: object) -> Network:
    return DEFAULT_NETWORK if timeout is None else Network(timeout=_seconds(timeout, "timeout"))


def _limit(value: object, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidOptionError(f"{what} must be a whole number above 0 or None, not {value!r}")
    return value


def _deadline(deadline: object) -> float | None:
    return None if deadline is None else _seconds(deadline, "deadline")


def _seconds(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise InvalidOptionError(f"{what} must be a number of seconds above 0, not {value!r}")
    return float(value)


def _index_urls(
    default: builtins.list[str], given: object, collected: Collected | None
) -> builtins.list[str]:
    """``install``'s ``index_urls``, else a requirements file's ``--index-url``, else the
    default; then the file's ``--extra-index-url``s (pip's order)."""
    if given is not None:
        base = texts(given, "index_urls")
    elif collected is not None and collected.index_url is not None:
        base = [collected.index_url]
    else:
        base = default
    return [*base, *(collected.extra_index_urls if collected is not None else ())]


def _hash_check(collected: Collected | None) -> Callable[[Plan], None] | None:
    """pip's hash-checking mode for a requirements file that gives hashes."""
    if collected is None or not collected.hash_checking:
        return None
    from .requirements_files import check_plan_hashes

    return functools.partial(check_plan_hashes, collected=collected)


DEFAULT_MANAGER = PackageManager()
"""The manager of the running interpreter, behind ``micropip2.install`` and the others (and
behind ``import micropip`` after ``micropip2.install_as_micropip()``)."""
