"""The Pyodide distribution's packages (its pyodide-lock.json) as a source of candidates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

if TYPE_CHECKING:
    from ..lockfiles.fit import Selected


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
class Distribution:
    """The lockfile packages offered as candidates, by normalized name."""

    packages: Mapping[NormalizedName, LockedPackage]
    base_url: str

    @classmethod
    def empty(cls) -> Distribution:
        return cls({}, "")

    @classmethod
    def from_lock(cls, lock: Mapping[str, Any], base_url: str) -> Distribution:
        """From a pyodide-lock.json document (as a dict) and the URL its file names are relative to."""
        packages: dict[NormalizedName, LockedPackage] = {}
        for entry in lock.get("packages", {}).values():
            try:
                version = Version(str(entry["version"]))
            except InvalidVersion:
                continue  # not a PEP 440 version: cannot take part in resolution
            name = canonicalize_name(entry["name"])
            packages[name] = LockedPackage(
                name=name,
                display_name=entry["name"],
                version=version,
                url=_join(base_url, entry["file_name"]),
                file_name=entry["file_name"].rsplit("/", 1)[-1],
                sha256=entry.get("sha256", ""),
                depends=tuple(canonicalize_name(d) for d in entry.get("depends", [])),
                package_type=entry.get("package_type", "package"),
                imports=tuple(entry.get("imports", [])),
            )
        return cls(packages, base_url)

    def get(self, name: NormalizedName) -> LockedPackage | None:
        return self.packages.get(name)

    def overlaid(self, chosen: Iterable[Selected]) -> Distribution:
        """This distribution with a user's lock on top: its packages replace those of the same name."""
        packages = dict(self.packages)
        for item in chosen:
            entry = item.entry
            try:
                version = Version(entry.version)
            except InvalidVersion:
                continue
            packages[entry.name] = LockedPackage(
                name=entry.name,
                display_name=entry.display_name,
                version=version,
                url=item.url,
                file_name=item.file.file_name,
                sha256=item.file.sha256,
                depends=tuple(canonicalize_name(d) for d in entry.depends),
                package_type=entry.package_type,
                imports=entry.imports,
            )
        return Distribution(packages, self.base_url)


def _join(base: str, file_name: str) -> str:
    if "://" in file_name or not base:
        return file_name
    if "://" in base:
        return urljoin(base if base.endswith("/") else base + "/", file_name)
    return base.rstrip("/") + "/" + file_name  # a local folder (Pyodide on Node)
