"""The package manager behind the public functions: install, list and uninstall for one interpreter."""

from __future__ import annotations

import asyncio
import builtins
import sys
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from .direct_reference import DirectWheel, parse_direct
from .errors import (
    DependencyError,
    IncompatibleWheelError,
    InstallConflictError,
    InvalidWheelError,
    Micropip2Error,
)
from .install.environment import Environment
from .install.fetch import check_sha256, fetch_file
from .install.installed import InstalledDist, installed_distributions
from .install.transaction import WheelInstall, install_wheels
from .install.uninstall import remove
from .install.wheel_file import WheelFile, read_wheel
from .listing import PackageList
from .runtime import Runtime, current_runtime
from .target import Target
from .wheel_fit import check_wheel_tags


@dataclass(frozen=True)
class InstalledItem:
    name: str
    version: str
    url: str
    sha256: str
    requested: bool


class Downloaded(NamedTuple):
    wheel: WheelFile
    sha256: str


@dataclass
class InstallReport:
    """What one ``install`` call did."""

    installed: list[InstalledItem] = field(default_factory=list)
    already_satisfied: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"installed {i.name} {i.version} from {i.url}" for i in self.installed]
        lines += [f"already satisfied: {text}" for text in self.already_satisfied]
        return "\n".join(lines) or "nothing to do"


class PackageManager:
    def __init__(
        self, runtime: Runtime | None = None, target: Target | None = None, environment: Environment | None = None
    ) -> None:
        self._runtime = runtime
        self._target = target
        self._environment = environment

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

    async def install(
        self,
        requirements: str | Iterable[str],
        keep_going: bool = False,
        deps: bool = True,
        credentials: str | None = None,
        pre: bool = False,
        index_urls: list[str] | str | None = None,
        *,
        constraints: list[str] | None = None,
        reinstall: bool = False,
        verbose: bool | int | None = None,
        hashes: Mapping[str, str] | None = None,
    ) -> InstallReport:
        """Install wheels given by URL or path (and ``name @ url``), all or nothing.

        The signature is micropip's. ``keep_going``, ``credentials``, ``pre``, ``index_urls`` and
        ``constraints`` govern finding packages by name, which arrives with the resolver; they do
        not change how a wheel given by location is installed.
        """
        say = _printer(verbose)
        texts = [requirements] if isinstance(requirements, str) else list(requirements)
        report = InstallReport()
        installed = installed_distributions()
        wanted: list[DirectWheel] = []
        for text in texts:
            direct = parse_direct(text)
            if direct is not None:
                wanted.append(_with_caller_hash(direct, hashes))
            elif not _satisfied_by_installed(Requirement(text), installed):
                raise Micropip2Error(
                    f"cannot install {text!r}: installing by name needs a package index and the resolver, "
                    "which this version of micropip2 does not have yet; give the wheel's URL instead"
                )
            else:
                report.already_satisfied.append(text)
        for direct in wanted:
            self._check_tags(direct)
        wheels = await self._download_all(wanted, say)
        items = self._plan(wanted, wheels, installed, reinstall, report)
        if deps:
            _check_dependencies(items, installed, self.target)
        for item in items:
            say(f"Installing {item.wheel.display_name} {item.wheel.version}")
        await install_wheels(items, self.environment, self.runtime)
        report.installed = [
            InstalledItem(i.wheel.display_name, str(i.wheel.version), i.url, i.sha256, i.requested) for i in items
        ]
        if items:
            say("Successfully installed " + " ".join(f"{i.name}-{i.version}" for i in report.installed))
        return report

    def list(self) -> PackageList:
        return PackageList.from_installed(installed_distributions().values())

    def uninstall(self, packages: str | Iterable[str], *, verbose: bool | int = False) -> builtins.list[str]:
        """Remove the named distributions (all together); unknown names only warn."""
        say = _printer(verbose)
        names = [packages] if isinstance(packages, str) else list(packages)
        installed = installed_distributions()
        found: builtins.list[InstalledDist] = []
        for name in names:
            dist = installed.get(canonicalize_name(name))
            if dist is None:
                warnings.warn(f"micropip2: {name!r} is not installed; skipped", stacklevel=2)
            elif dist not in found:
                found.append(dist)
        remove(found, self.environment)
        for dist in found:
            self.runtime.set_loaded_package(dist.display_name, None)
            say(f"Uninstalled {dist.display_name} {dist.version}")
            if any(dist.name == canonicalize_name(m.split(".")[0]) for m in sys.modules):
                say(f"  {dist.display_name} was imported; the running interpreter keeps the loaded modules")
        return [dist.display_name for dist in found]

    # -- steps of install --------------------------------------------------------------------

    def _check_tags(self, direct: DirectWheel) -> None:
        fit = check_wheel_tags(direct.filename, self.target)
        if not fit.ok:
            raise IncompatibleWheelError(f"cannot install {direct.text!r}: {direct.filename} is {fit.reason}")

    async def _download_all(self, wanted: builtins.list[DirectWheel], say: Say) -> builtins.list[Downloaded]:
        async def one(direct: DirectWheel) -> Downloaded:
            say(f"Downloading {direct.url}")
            data = await fetch_file(direct.url, self.runtime)
            sha256 = check_sha256(direct.filename, direct.url, data, direct.sha256)
            return Downloaded(read_wheel(direct.filename, data), sha256)

        results = await asyncio.gather(*(one(d) for d in wanted), return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            if len(errors) == 1:
                raise errors[0]
            raise type(errors[0])("; ".join(str(e) for e in errors) + "; nothing was installed")
        return [r for r in results if isinstance(r, Downloaded)]

    def _plan(
        self,
        wanted: builtins.list[DirectWheel],
        downloads: builtins.list[Downloaded],
        installed: dict[NormalizedName, InstalledDist],
        reinstall: bool,
        report: InstallReport,
    ) -> builtins.list[WheelInstall]:
        items: builtins.list[WheelInstall] = []
        seen: dict[NormalizedName, DirectWheel] = {}
        for direct, (wheel, sha256) in zip(wanted, downloads):
            if direct.name is not None and direct.name != wheel.name:
                raise InvalidWheelError(
                    f"{direct.text!r} asks for {direct.name}, but {wheel.filename} contains {wheel.name}"
                )
            if wheel.name in seen:
                raise InstallConflictError(
                    f"{seen[wheel.name].text!r} and {direct.text!r} are both {wheel.name}; ask for one version"
                )
            seen[wheel.name] = direct
            _check_requires_python(wheel, self.target)
            current = installed.get(wheel.name)
            if current is not None and not reinstall:
                if _same_version(current.version, wheel):
                    report.already_satisfied.append(f"{current.display_name}=={current.version}")
                    continue
                raise InstallConflictError(
                    f"cannot install {wheel.name} {wheel.version} from {direct.url}: {current.display_name} "
                    f"{current.version} is installed ({current.source}); pass reinstall=True to replace it"
                )
            items.append(WheelInstall(wheel, direct.url, sha256, "url", True, current))
        return items


def _same_version(installed_version: str, wheel: WheelFile) -> bool:
    try:
        return Version(installed_version) == wheel.version
    except InvalidVersion:
        return False


def _with_caller_hash(direct: DirectWheel, hashes: Mapping[str, str] | None) -> DirectWheel:
    if not hashes:
        return direct
    by_name = {canonicalize_name(key): value for key, value in hashes.items() if "/" not in key and not key.endswith(".whl")}
    project = direct.name or parse_wheel_filename(direct.filename)[0]
    given = hashes.get(direct.url) or hashes.get(direct.filename) or by_name.get(project)
    if not given:
        return direct
    if direct.sha256 and direct.sha256 != given.lower():
        raise Micropip2Error(f"{direct.text!r}: its URL says sha256={direct.sha256}, but hashes= says {given}")
    return replace(direct, sha256=given.lower())


def _satisfied_by_installed(requirement: Requirement, installed: dict[NormalizedName, InstalledDist]) -> bool:
    dist = installed.get(canonicalize_name(requirement.name))
    return dist is not None and requirement.specifier.contains(dist.version, prereleases=True)


def _check_requires_python(wheel: WheelFile, target: Target) -> None:
    requires = wheel.metadata.get("Requires-Python")
    if requires and not SpecifierSet(requires).contains(target.python_version, prereleases=True):
        raise IncompatibleWheelError(
            f"{wheel.filename} requires Python {requires}; this interpreter is {target.describe()}"
        )


def _check_dependencies(
    items: list[WheelInstall], installed: dict[NormalizedName, InstalledDist], target: Target
) -> None:
    """Every Requires-Dist that applies to the target is met by what is installed or being installed."""
    after = {name: dist.version for name, dist in installed.items()}
    after.update({item.wheel.name: str(item.wheel.version) for item in items})
    unmet = []
    for item in items:
        for text in item.wheel.metadata.get_all("Requires-Dist") or []:
            requirement = Requirement(text)
            if requirement.marker and not requirement.marker.evaluate({**target.marker_environment, "extra": ""}):
                continue
            version = after.get(canonicalize_name(requirement.name))
            if version is None or not requirement.specifier.contains(version, prereleases=True):
                found = f"{version} is installed" if version else "it is not installed"
                unmet.append(f"{item.wheel.display_name} {item.wheel.version} requires {requirement} ({found})")
    if unmet:
        raise DependencyError(
            "; ".join(unmet)
            + ". Installing dependencies needs the resolver, which this version of micropip2 does not "
            "have yet: install them first, or pass deps=False; nothing was installed"
        )


Say = Callable[[str], None]


def _printer(verbose: bool | int | None) -> Say:
    """pip-like progress lines on stdout when ``verbose``."""
    return print if verbose else (lambda line: None)
