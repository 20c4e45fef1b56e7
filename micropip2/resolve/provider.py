"""The resolvelib provider for Pyodide: candidates from installed distributions, the Pyodide
distribution's lockfile, direct URLs and package indexes, filtered for the target.

Costs, as resolvelib calls them: ``identify`` and ``is_satisfied_by`` are O(1) and called
O(candidates x requirements) times per round; ``find_matches`` filters one project's cached
candidates (O(files)) and ``get_dependencies`` evaluates one candidate's markers; both read only
:class:`~micropip2.resolve.knowledge.Knowledge` and raise ``NeedData`` on a miss. Each
dependency it hands back is also given to the :class:`~micropip2.resolve.crawl.Crawl`.

Dependencies are read through the user's overrides and exclusions (:mod:`.modifiers`).
Candidates known to be dead ends (:mod:`.dead_ends`: they need a project with no file for the
target, directly or down a chain) are left out of ``find_matches``; when one is found, the
metadata of the next versions of its project is fetched at once, since proving or avoiding the
dead end needs them. Every version asked about is counted (:mod:`.explored`), up to the
resolution's bound.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from packaging.requirements import Requirement as PackagingRequirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version
from resolvelib import AbstractProvider
from resolvelib.structs import RequirementInformation

from .candidates import (
    INDEX,
    INSTALLED,
    LOCKFILE,
    MISSING,
    PYTHON,
    URL,
    Candidate,
    Requirement,
)
from .crawl import Crawl
from .dead_ends import DeadEnds
from .explored import Explored
from .knowledge import Knowledge
from .lookups import NeedData
from .modifiers import NONE, Modifiers

# Versions whose metadata is fetched at once when a project turns out to lead to a dead end.
READ_AHEAD = 16


@dataclass
class Options:
    pre: bool = False
    deps: bool = True
    reinstall: bool = False
    prefer_lockfile: bool = True
    keep_going: bool = False
    constraints: Mapping[NormalizedName, SpecifierSet] = field(default_factory=dict)
    url_candidates: Mapping[NormalizedName, Candidate] = field(default_factory=dict)
    modifiers: Modifiers = NONE  # overrides and exclusions
    # shared by every resolver run of one resolution (restarts included):
    dead_ends: DeadEnds = field(default_factory=DeadEnds)
    explored: Explored = field(default_factory=Explored)


class Provider(AbstractProvider[Requirement, Candidate, str]):
    def __init__(
        self, knowledge: Knowledge, crawl: Crawl, options: Options, user_ids: set[str]
    ) -> None:
        self.knowledge = knowledge
        self.crawl = crawl
        self.options = options
        self.user_ids = user_ids
        # keep_going answers what nothing satisfies with a stand-in: no candidate is a dead end
        self.dead = None if options.keep_going else options.dead_ends.checker(self)

    def identify(self, requirement_or_candidate: Requirement | Candidate) -> str:
        return requirement_or_candidate.id

    def get_preference(
        self,
        identifier: str,
        resolutions: Mapping[str, Candidate],
        candidates: Mapping[str, Iterator[Candidate]],
        information: Mapping[str, Iterator[RequirementInformation[Requirement, Candidate]]],
        backtrack_causes: Sequence[RequirementInformation[Requirement, Candidate]],
    ) -> Any:
        """Decide conflicts first, then what is pinned or given by URL, then what can be decided
        without waiting for the network (so pins, and their downloads, start early), then what the
        user asked for."""
        requirements = [info.requirement for info in information[identifier]]
        in_conflict = any(
            identifier in (c.requirement.id, c.parent.id if c.parent else None)
            for c in backtrack_causes
        )
        pinned = any(r.url or r.pins_exactly for r in requirements)
        ready = bool(requirements) and self.knowledge.ready(requirements[0].name)
        return (not in_conflict, not pinned, not ready, identifier not in self.user_ids, identifier)

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[Requirement]],
        incompatibilities: Mapping[str, Iterator[Candidate]],
    ) -> Callable[[], Iterator[Candidate]]:
        """A lazy sequence: the index is only consulted once the local candidates are used up."""
        wanted = list(requirements[identifier])
        excluded = {(c.version, c.source, c.url) for c in incompatibilities[identifier]}

        def matches() -> Iterator[Candidate]:
            if not wanted:
                return
            name, extras = wanted[0].name, wanted[0].extras
            found = False
            specifier = self._specifier(name, wanted)
            for candidate in self._ordered(name, wanted, specifier):
                if (candidate.version, candidate.source, candidate.url) in excluded:
                    continue
                candidate = candidate.with_extras(extras)
                if self._is_dead_end(candidate):
                    self.options.explored.tried(candidate)
                    self._read_ahead(candidate, wanted, specifier)
                    continue
                found = True
                yield candidate
            if not found and self.options.keep_going and name != PYTHON:
                # stand in for what cannot be found, so the rest is resolved and every gap reported
                # at once
                yield Candidate(name, Version("0"), MISSING, extras=extras)

        return matches

    def is_satisfied_by(self, requirement: Requirement, candidate: Candidate) -> bool:
        if candidate.source == MISSING:
            return True  # the stand-in answers every requirement on its project
        if requirement.url is not None and candidate.source not in (URL, INSTALLED):
            return False
        return requirement.specifier.contains(candidate.version, prereleases=True)

    def get_dependencies(self, candidate: Candidate) -> Iterable[Requirement]:
        if candidate.name == PYTHON or candidate.source == MISSING:
            return []
        found = self._dependencies(candidate)
        self.options.explored.tried(candidate)
        for requirement in found:
            if requirement.name != PYTHON and requirement.url is None:
                if requirement.name not in self.options.url_candidates and not self.crawl.knows(
                    requirement.name
                ):
                    self.crawl.prefetch(requirement.name, (_to_packaging(requirement),))
        return found

    # -- what the dead-end analysis reads (dead_ends.View) --------------------------------------

    def offered(self, requirement: Requirement) -> Iterable[Candidate]:
        """The candidates ``find_matches`` would consider for ``requirement`` alone (raises
        NeedData, without fetching, while its project's page is unknown)."""
        name, wanted = requirement.name, [requirement]
        if name != PYTHON and not self.knowledge.ready(name):
            raise NeedData(f"page:{name}")
        for candidate in self._ordered(name, wanted, self._specifier(name, wanted)):
            yield candidate.with_extras(requirement.extras)

    def known_dependencies(self, candidate: Candidate) -> Sequence[Requirement] | None:
        """``candidate``'s dependencies if known without waiting; a direct URL's are left to
        the resolver (a URL is the only candidate of its project)."""
        if candidate.source in (URL, MISSING) or candidate.name == PYTHON:
            return None if candidate.source == URL else []
        lookups = self.knowledge.lookups
        if candidate.source == INDEX and lookups.metadata_if_known(candidate) is None:
            return None  # not fetched: a check never starts a fetch
        try:
            return self._dependencies(candidate)
        except Exception:  # not fetched yet, or failed: the resolver meets it itself
            return None

    # -- helpers -----------------------------------------------------------------------------

    def _is_dead_end(self, candidate: Candidate) -> bool:
        return self.dead is not None and self.dead.candidate_dead(candidate)

    def _read_ahead(
        self, dead: Candidate, wanted: list[Requirement], specifier: SpecifierSet
    ) -> None:
        """Fetch the metadata of the index's next :data:`READ_AHEAD` versions after a dead end,
        all at once (only from PEP 658 files: a whole wheel is never downloaded ahead)."""
        if dead.source != INDEX:
            return
        lookups = self.knowledge.lookups
        index = self._index_candidates(dead.name, wanted, specifier)
        following = [c for c in index if c.version < dead.version][:READ_AHEAD]
        for candidate in following:
            file = candidate.file
            if candidate.source == INDEX and file is not None and file.has_metadata:
                if lookups.metadata_if_known(candidate) is None:
                    lookups.start_metadata(candidate)

    def _dependencies(self, candidate: Candidate) -> list[Requirement]:
        """What ``candidate`` requires for the target, through overrides and exclusions; reads
        only the knowledge (NeedData while its metadata is on its way)."""
        metadata = self.knowledge.metadata(candidate)
        parent = f"{candidate.name} {candidate.version}"
        found: list[Requirement] = []
        if not self.knowledge.target.python_fits(metadata.requires_python):
            found.append(
                Requirement(
                    PYTHON,
                    frozenset(),
                    SpecifierSet(metadata.requires_python or ""),
                    parent=parent,
                    text=f"Python {metadata.requires_python}",
                )
            )
            return found  # nothing else matters: this candidate cannot be used
        if not self.options.deps:
            return found
        if (
            candidate.extras
        ):  # name[extra] stands on name==version, plus the extra's own requirements
            found.append(
                Requirement(
                    candidate.name,
                    frozenset(),
                    SpecifierSet(f"=={candidate.version}"),
                    parent=parent,
                )
            )
        modifiers = self.options.modifiers
        for dependency in metadata.requires_dist:
            if not self._applies(dependency, candidate.extras):
                continue
            if not modifiers.replaces(canonicalize_name(dependency.name)):
                found.append(_from_packaging(dependency, parent))
                continue
            for replacement in modifiers.apply(dependency, self.knowledge.target):
                found.append(_from_packaging(replacement, parent, replacing=str(dependency)))
        return found

    def _specifier(self, name: NormalizedName, wanted: list[Requirement]) -> SpecifierSet:
        specifier = SpecifierSet()
        for requirement in wanted:
            specifier &= requirement.specifier
        return specifier & self.options.constraints.get(name, SpecifierSet())

    def _applies(self, dependency: Any, extras: frozenset[str]) -> bool:
        """Without extras: what applies to the target. With extras: only what the extras add."""
        target = self.knowledge.target
        if dependency.marker is None:
            return not extras
        in_base = target.marker_holds(dependency.marker)
        if not extras:
            return in_base
        return not in_base and any(target.marker_holds(dependency.marker, e) for e in extras)

    def _ordered(
        self, name: NormalizedName, wanted: list[Requirement], specifier: SpecifierSet
    ) -> Iterator[Candidate]:
        """A direct URL alone; else installed (unless reinstalling), the lockfile's version
        (preferred by default), then the index's, newest first."""
        if name == PYTHON:
            yield from self._python_candidate(specifier)
            return
        url_candidate = self.options.url_candidates.get(name)
        if url_candidate is not None:
            if specifier.contains(url_candidate.version, prereleases=True):
                installed = self._local_candidates(name, SpecifierSet(f"=={url_candidate.version}"))
                yield (
                    installed[0]
                    if installed and installed[0].source == INSTALLED
                    else url_candidate
                )
            return
        local = self._local_candidates(name, specifier)
        prefer_local = bool(local) and (
            local[0].source == INSTALLED or self.options.prefer_lockfile
        )
        if prefer_local:
            yield from local
        seen = {(c.version) for c in local}
        for candidate in self._index_candidates(name, wanted, specifier):
            if not (prefer_local and candidate.version in seen):
                yield candidate
        if not prefer_local:
            yield from local

    def _python_candidate(self, specifier: SpecifierSet) -> Iterator[Candidate]:
        version = Version(self.knowledge.target.python_version)
        if specifier.contains(version, prereleases=True):
            yield Candidate(PYTHON, version, "interpreter")

    def _local_candidates(self, name: NormalizedName, specifier: SpecifierSet) -> list[Candidate]:
        found = []
        installed = self.knowledge.installed.get(name)
        if installed is not None and not self.options.reinstall:
            candidate = _installed_candidate(installed)
            if candidate is not None and specifier.contains(candidate.version, prereleases=True):
                found.append(candidate)
        locked = self.knowledge.pyodide_packages.get(name)
        if (
            locked is not None
            and specifier.contains(locked.version, prereleases=True)
            and not any(c.version == locked.version for c in found)
        ):
            found.append(Candidate(name, locked.version, LOCKFILE, locked=locked))
        return found

    def _index_candidates(
        self, name: NormalizedName, wanted: list[Requirement], specifier: SpecifierSet
    ) -> Sequence[Candidate]:
        """The index's candidates that satisfy ``specifier``, with PEP 440/592 pre-release and
        yanked rules."""
        return self.knowledge.index_candidates(
            name,
            specifier,
            pre=bool(self.options.pre or specifier.prereleases),
            exact=any(r.pins_exactly for r in wanted),
        )


def _installed_candidate(installed: Any) -> Candidate | None:
    try:
        version = Version(installed.version)
    except InvalidVersion:
        return None
    return Candidate(installed.name, version, INSTALLED, installed=installed)


def _from_packaging(requirement: Any, parent: str, replacing: str | None = None) -> Requirement:
    text = str(requirement)
    return Requirement(
        name=canonicalize_name(requirement.name),
        extras=frozenset(canonicalize_name(e) for e in requirement.extras),
        specifier=requirement.specifier,
        url=requirement.url,
        parent=parent,
        text=f"{text} (your override of {replacing})" if replacing is not None else text,
    )


def _to_packaging(requirement: Requirement) -> PackagingRequirement:
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    return PackagingRequirement(f"{requirement.name}{extras}{requirement.specifier}")
