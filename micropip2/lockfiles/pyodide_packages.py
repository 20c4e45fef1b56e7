"""The Pyodide distribution's packages (its pyodide-lock.json) as a source of candidates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from ..locations import join
from .pyodide_lock_format import entry_from_dict

if TYPE_CHECKING:
    from .fit import Selected
    from .model import LockedFile, LockEntry


@dataclass(frozen=True)
class LockedPackage:
    """One package of a pyodide-lock.json."""

    name: NormalizedName
    display_name: str
    version: Version
    url: str  # file_name resolved against the distribution's base URL
    file_name: str
    sha256: str
    depends: tuple[NormalizedName, ...]  # names only: the lockfile carries no specifiers
    package_type: str  # "package", "shared_library", "cpython_module"
    imports: tuple[str, ...]


@dataclass(frozen=True)
class PyodidePackages:
    """The lockfile packages offered as candidates, by normalized name."""

    packages: Mapping[NormalizedName, LockedPackage]
    base_url: str

    @classmethod
    def empty(cls) -> PyodidePackages:
        return cls({}, "")

    @classmethod
    def from_lock(cls, lock: Mapping[str, Any], base_url: str) -> PyodidePackages:
        """From a pyodide-lock.json document (as a dict) and the URL its file names are relative
        to."""
        packages: dict[NormalizedName, LockedPackage] = {}
        for raw in lock.get("packages", {}).values():
            entry = entry_from_dict(raw)
            package = _package(entry, entry.files[0], join(base_url, entry.files[0].url))
            if package is not None:
                packages[entry.name] = package
        return cls(packages, base_url)

    def get(self, name: NormalizedName) -> LockedPackage | None:
        return self.packages.get(name)

    def overlaid(self, chosen: Iterable[Selected]) -> PyodidePackages:
        """This distribution with a user's lock on top: its packages replace those of the same
        name."""
        packages = dict(self.packages)
        for item in chosen:
            package = _package(item.entry, item.file, item.url)
            if package is not None:
                packages[item.entry.name] = package
        return PyodidePackages(packages, self.base_url)


def _package(entry: LockEntry, file: LockedFile, url: str) -> LockedPackage | None:
    """``entry`` as a candidate source; None when its version is not PEP 440 (it cannot take
    part)."""
    try:
        version = Version(entry.version)
    except InvalidVersion:
        return None
    return LockedPackage(
        name=entry.name,
        display_name=entry.display_name,
        version=version,
        url=url,
        file_name=file.file_name,
        sha256=file.sha256,
        depends=tuple(canonicalize_name(d) for d in entry.depends),
        package_type=entry.package_type,
        imports=entry.imports,
    )
