"""The package manager behind the public functions: settings, and one method per public
function, each handing over to :mod:`micropip2.operations`."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from . import operations
from .install.environment import Environment
from .installed import installed_distributions
from .listing import PackageList
from .lockfiles.load import LockRef, load_lock
from .lockfiles.model import Format
from .lockfiles.pyodide_packages import PyodidePackages
from .operations import InstallOptions, InstallReport, Place, Say
from .runtime import Runtime, current_runtime
from .target import Target

if TYPE_CHECKING:
    from .index.client import Strategy

__all__ = ["InstallReport", "PackageManager"]


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
            self._target = Target.current()
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
        cache: bool = True,
    ) -> InstallReport:
        """Resolve ``requirements`` (names, ``name[extra]>=1``, URLs, ``name @ url``) for this
        interpreter and install the result, all or nothing. ``lockfile`` (a lock as :meth:`sync`
        takes it) offers its pinned files as preferred candidates, ahead of the indexes. With
        ``dry_run``, the report's ``plan`` is exactly what an install would run. ``cache=False``
        neither reads nor fills the persistent cache (:mod:`micropip2.cache`)."""
        urls = self.index_urls if index_urls is None else index_urls
        options = InstallOptions(
            constraints=[*self.constraints, *(constraints or [])],
            hashes=hashes,
            index_urls=[urls] if isinstance(urls, str) else builtins.list(urls),
            index_strategy=index_strategy,
            credentials=credentials,
            pre=pre,
            deps=deps,
            reinstall=reinstall,
            keep_going=keep_going,
            cache=cache,
        )
        texts = [requirements] if isinstance(requirements, str) else builtins.list(requirements)
        return await operations.install(
            texts, options, self.place, lockfile=lockfile, dry_run=dry_run, say=_printer(verbose)
        )

    async def sync(
        self,
        lock: LockRef,
        *,
        verbose: bool | int | None = None,
        dry_run: bool = False,
        cache: bool = True,
    ) -> InstallReport:
        """Make the environment hold exactly ``lock``'s packages (a pyodide-lock.json or
        pylock.toml, given as URL, path, text or dict): no index is asked, every missing file is
        downloaded at once and hash-checked, and the changes are made all together or not at all.
        Packages the lock does not list are uninstalled (except micropip2 and what it needs)."""
        loaded = await load_lock(lock, self.runtime)
        return await operations.sync(
            loaded, self.place, dry_run=dry_run, cache=cache, say=_printer(verbose)
        )

    def freeze(self, format: Format = "pyodide-lock", *, base_url: str | None = None) -> str:
        """The installed environment as a lock: pyodide-lock.json text
        (``loadPyodide({lockFileURL})`` and :meth:`sync` take it) or, with ``format="pylock"``,
        PEP 751 pylock.toml text. File URLs are absolute; with ``base_url``, those under it are
        written relative to it. A distribution with no record of its file is left out, with a
        warning."""
        return operations.freeze(self.place, format, base_url)

    def list(self) -> PackageList:
        return PackageList.from_installed(installed_distributions().values())

    def uninstall(
        self, packages: str | Iterable[str], *, verbose: bool | int = False
    ) -> builtins.list[str]:
        """Remove the named distributions (all together); unknown names only warn."""
        names = [packages] if isinstance(packages, str) else builtins.list(packages)
        return operations.uninstall(names, self.place, _printer(verbose))


def _printer(verbose: bool | int | None) -> Say:
    """pip-like progress lines on stdout when ``verbose``."""
    return print if verbose else (lambda line: None)
