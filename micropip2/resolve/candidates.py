"""What the resolver chooses between: one version of a project from one source."""

from __future__ import annotations

from dataclasses import dataclass, replace

from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import Version

from ..index.models import ProjectFile
from ..installed import InstalledDist
from ..lockfiles.pyodide_packages import LockedPackage
from ..plan import Source

# Sources, in the order candidates of the same version are preferred.
INSTALLED, LOCKFILE, URL, INDEX = Source.INSTALLED, Source.LOCKFILE, Source.URL, Source.INDEX
# The interpreter itself, as a pseudo-project: a candidate whose Requires-Python excludes the
# target depends on it, so resolvelib backtracks past that candidate (as pip does).
PYTHON = NormalizedName("<python>")
# A stand-in for a requirement nothing satisfies, with keep_going=True (not a Source).
MISSING = "missing"


def identifier(name: NormalizedName, extras: frozenset[str]) -> str:
    return f"{name}[{','.join(sorted(extras))}]" if extras else name


@dataclass(frozen=True)
class Requirement:
    """A requirement as the resolver sees it: one project (with extras), why it is needed."""

    name: NormalizedName
    extras: frozenset[str]
    specifier: SpecifierSet
    url: str | None = None  # a direct reference (PEP 440 "name @ url", or a wheel URL)
    sha256: str | None = None  # for a direct reference
    parent: str | None = None  # "rich 14.0.0"; None when the user asked for it
    text: str = ""

    @property
    def id(self) -> str:
        return identifier(self.name, self.extras)

    def __str__(self) -> str:
        return self.text or f"{self.id}{self.specifier}"

    @property
    def pins_exactly(self) -> bool:
        """``==`` without wildcard or ``===``: the only case that may select a yanked file
        (PEP 592)."""
        return any(
            s.operator == "===" or (s.operator == "==" and not s.version.endswith("*"))
            for s in self.specifier
        )


@dataclass(frozen=True)
class Candidate:
    name: NormalizedName
    version: Version
    source: str  # a Source, or MISSING
    extras: frozenset[str] = frozenset()
    file: ProjectFile | None = None  # index and URL candidates
    locked: LockedPackage | None = None  # lockfile candidates
    installed: InstalledDist | None = None  # installed candidates
    tag_rank: int = 0

    @property
    def id(self) -> str:
        return identifier(self.name, self.extras)

    @property
    def url(self) -> str | None:
        if self.file is not None:
            return self.file.url
        return self.locked.url if self.locked is not None else None

    @property
    def sha256(self) -> str | None:
        if self.file is not None:
            return self.file.sha256
        return self.locked.sha256 if self.locked is not None else None

    @property
    def filename(self) -> str | None:
        if self.file is not None:
            return self.file.filename
        return self.locked.file_name if self.locked is not None else None

    @property
    def metadata_key(self) -> str:
        """Where this version's dependencies are cached: one key per file, or per lockfile/installed
        version."""
        if self.file is not None:
            return self.file.url
        return f"{self.source}:{self.name}=={self.version}"

    def with_extras(self, extras: frozenset[str]) -> Candidate:
        return replace(self, extras=extras)

    def __str__(self) -> str:
        places: dict[str, str | None] = {
            INSTALLED: "installed",
            LOCKFILE: "Pyodide distribution",
            URL: self.url,
            INDEX: self.filename,
        }
        where = places.get(self.source, self.source)
        return f"{self.id} {self.version} ({where})"
