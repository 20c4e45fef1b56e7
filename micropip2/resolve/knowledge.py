"""What the provider reads: each project's candidates for the target and each candidate's
dependencies, from the index (through :class:`~micropip2.resolve.lookups.Lookups`), the Pyodide
distribution's lockfile and the installed distributions. Reads never wait; a miss raises
:class:`~micropip2.resolve.lookups.NeedData`.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from packaging.requirements import Requirement as PackagingRequirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from ..installed import InstalledDist
from ..lockfiles.pyodide_packages import PyodidePackages
from ..target import Target
from .candidates import INSTALLED, LOCKFILE, Candidate
from .choices import Choices, page_choices
from .lookups import Lookups, is_wheel_file
from .metadata import Metadata, MetadataError


@dataclass
class Knowledge:
    """The read-only view one resolver run has of everything fetched so far.

    ``wheel_depends``: a lockfile wheel already downloaded is answered with its own Requires-Dist
    as well as its entry's ``depends`` (lockfile entries name dependencies, and some leave out
    what their wheel requires: Pyodide 314's rich lists none).
    """

    lookups: Lookups
    target: Target
    pyodide_packages: PyodidePackages
    installed: Mapping[NormalizedName, InstalledDist]
    wheel_depends: bool = False
    _choices: dict[NormalizedName, Choices] = field(default_factory=dict, repr=False)
    _index_candidates: dict[tuple[str, str, bool, bool], tuple[Candidate, ...]] = field(
        default_factory=dict, repr=False
    )
    _ascending: dict[NormalizedName, list[Version]] = field(default_factory=dict, repr=False)
    # lockfile wheels answered from their entry alone in this run (see the driver)
    answered_from_lock: set[str] = field(default_factory=set, init=False, repr=False)

    def choices(self, name: NormalizedName) -> Choices | None:
        """The index's candidates for ``name`` (None: no index has it); NeedData while unknown."""
        page = self.lookups.page(name)
        if page is None:
            return None
        if name not in self._choices:
            self._choices[name] = page_choices(page, self.target)
        return self._choices[name]

    def index_candidates(
        self, name: NormalizedName, specifier: SpecifierSet, *, pre: bool, exact: bool
    ) -> tuple[Candidate, ...]:
        """The index's candidates for ``name`` that ``specifier`` contains, best first, with
        PEP 440 pre-release rules (``pre``: allowed; otherwise only when nothing else fits) and
        PEP 592 yanked ones (only when ``exact``, a pin with ``==``); NeedData while the page is
        unknown.

        Cost: kept per specifier, since a backtracking resolver asks the same question for each
        version it tries (botocore's 1,700 versions against boto3's ``botocore>=1.34.x,<1.35``
        for each of 700 boto3 releases). The bounds of the specifier are found by bisection
        first (:meth:`_window`), so only the versions between them are checked."""
        key = (name, str(specifier), pre, exact)
        found = self._index_candidates.get(key)
        if found is not None:
            return found
        choices = self.choices(name)
        if choices is None:
            return ()
        pool = self._window(name, choices, specifier)
        matching = [c for c in pool if specifier.contains(c.version, prereleases=True)]
        if not pre:
            matching = [c for c in matching if not c.version.is_prerelease] or matching
        found = tuple(c for c in matching if c.file is None or c.file.yanked is None or exact)
        self._index_candidates[key] = found
        return found

    def _window(
        self, name: NormalizedName, choices: Choices, specifier: SpecifierSet
    ) -> Sequence[Candidate]:
        """The candidates between ``specifier``'s lowest and highest bound (a superset of those
        it contains: ``>1`` gives ``>=1``), found by bisection in the newest-first list."""
        lower, upper = _bounds(specifier)
        candidates = choices.candidates
        if (lower is None and upper is None) or not candidates:
            return candidates
        ascending = self._ascending.get(name)
        if ascending is None:
            # a local version (1.0+abc) matches ==1.0 and <=1.0 though it sorts after 1.0
            local = any(c.version.local is not None for c in candidates)
            ascending = [] if local else [c.version for c in reversed(candidates)]
            self._ascending[name] = ascending
        if not ascending:
            return candidates
        n = len(ascending)
        start = n - bisect.bisect_right(ascending, upper) if upper is not None else 0
        end = n - bisect.bisect_left(ascending, lower) if lower is not None else n
        return candidates[start:end]

    def choices_if_known(self, name: NormalizedName) -> Choices | None:
        """The candidates, if the page has arrived (None when not, or when it failed)."""
        try:
            return self.choices(name) if self.lookups.has_page(name) else None
        except Exception:
            return None

    def metadata(self, candidate: Candidate) -> Metadata:
        """The dependencies of ``candidate``; NeedData while its metadata is being fetched."""
        if candidate.source == LOCKFILE and not (candidate.extras and is_wheel_file(candidate)):
            return self._lockfile_metadata(candidate)  # extras need the wheel's own METADATA
        if candidate.source == INSTALLED:
            return _installed_metadata(candidate)
        return _same_release(candidate, self.lookups.metadata(candidate))

    def page_known(self, name: NormalizedName) -> bool:
        return self.lookups.has_page(name)

    def covered_locally(self, name: NormalizedName) -> bool:
        return name in self.installed or self.pyodide_packages.get(name) is not None

    def ready(self, name: NormalizedName) -> bool:
        """Whether the resolver can consider ``name`` without waiting for the network."""
        return self.lookups.has_page(name) or self.covered_locally(name)

    def with_wheel_depends(self) -> Knowledge:
        """A view of the same fetches that reads lockfile wheels' own Requires-Dist too."""
        return replace(self, wheel_depends=True)

    def _lockfile_metadata(self, candidate: Candidate) -> Metadata:
        locked = _locked_metadata(candidate)
        wheel = self.lookups.wheel_if_done(candidate) if self.wheel_depends else None
        if wheel is None:
            if is_wheel_file(candidate):
                self.answered_from_lock.add(candidate.url or "")
            return locked
        declared = self.lookups.wheel_metadata(candidate, wheel)
        named = {canonicalize_name(r.name) for r in declared.requires_dist}
        extra = tuple(r for r in locked.requires_dist if canonicalize_name(r.name) not in named)
        return replace(declared, requires_dist=declared.requires_dist + extra)


_LOWER = {">=", ">", "~=", "=="}
_UPPER = {"<=", "<", "=="}


def _bounds(specifier: SpecifierSet) -> tuple[Version | None, Version | None]:
    """The highest lower bound and lowest upper bound ``specifier``'s clauses set (inclusive;
    ``==x.*``, ``!=`` and ``===`` set none)."""
    lower: Version | None = None
    upper: Version | None = None
    for one in specifier:
        if one.version.endswith(".*") or one.operator not in _LOWER | _UPPER:
            continue
        try:
            version = Version(one.version)
        except InvalidVersion:
            continue
        if one.operator in _LOWER and (lower is None or version > lower):
            lower = version
        if one.operator in _UPPER and (upper is None or version < upper):
            upper = version
    return lower, upper


def _same_release(candidate: Candidate, metadata: Metadata) -> Metadata:
    """``metadata``, if it describes ``candidate``'s own release: an index whose PEP 658 file
    names another project or version would have the resolver plan with someone else's
    dependencies."""
    if metadata.name == candidate.name and metadata.version == candidate.version:
        return metadata
    where = candidate.file.filename if candidate.file is not None else str(candidate.url)
    raise MetadataError(
        f"the metadata of {where} describes {metadata.name} {metadata.version}, not "
        f"{candidate.name} {candidate.version}: the index serves metadata of another release, "
        "so the file cannot be used; tell the index's maintainers, or pin another version",
        file=where,
    )


def _locked_metadata(candidate: Candidate) -> Metadata:
    """The lockfile names dependencies without versions; that is all it can tell."""
    locked = candidate.locked
    assert locked is not None
    return Metadata(
        name=locked.name,
        version=locked.version,
        requires_dist=tuple(PackagingRequirement(name) for name in locked.depends),
        requires_python=None,
        provides_extra=frozenset(),
    )


def _installed_metadata(candidate: Candidate) -> Metadata:
    installed = candidate.installed
    assert installed is not None
    requires = tuple(PackagingRequirement(text) for text in installed.requires)
    requires_python = installed.headers.get("Requires-Python")
    return Metadata(installed.name, candidate.version, requires, requires_python, frozenset())
