"""The resolvelib provider for Pyodide: candidates from installed distributions, the Pyodide
distribution's lockfile, direct URLs and package indexes, filtered for the target.

Costs, as resolvelib calls them: ``identify`` and ``is_satisfied_by`` are O(1) and called
O(candidates x requirements) times per round; ``find_matches`` filters one project's cached
candidates (O(files)) and ``get_dependencies`` evaluates one candidate's markers; both read only
:class:`~micropip2.resolve.knowledge.Knowledge` and raise ``NeedData`` on a miss. Each
dependency it hands back is also given to the :class:`~micropip2.resolve.crawl.Crawl`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version
from resolvelib import AbstractProvider
from resolvelib.structs import RequirementInformation

from .candidates import INSTALLED, LOCKFILE, MISSING, PYTHON, URL, Candidate, Requirement
from .crawl import Crawl
from .knowledge import Knowledge


@dataclass
class Options:
    pre: bool = False
    deps: bool = True
    reinstall: bool = False
    prefer_lockfile: bool = True
    keep_going: bool = False
    constraints: Mapping[NormalizedName, SpecifierSet] = field(default_factory=dict)
    url_candidates: Mapping[NormalizedName, Candidate] = field(default_factory=dict)


class Provider(AbstractProvider[Requirement, Candidate, str]):
    def __init__(
        self, knowledge: Knowledge, crawl: Crawl, options: Options, user_ids: set[str]
    ) -> None:
        self.knowledge = knowledge
        self.crawl = crawl
        self.options = options
        self.user_ids = user_ids

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
            for candidate in self._ordered(name, wanted, self._specifier(name, wanted)):
                if (candidate.version, candidate.source, candidate.url) not in excluded:
                    found = True
                    yield candidate.with_extras(extras)
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
        for dependency in metadata.requires_dist:
            if self._applies(dependency, candidate.extras):
                found.append(_from_packaging(dependency, parent))
                if canonicalize_name(dependency.name) not in self.options.url_candidates:
                    self.crawl.prefetch(canonicalize_name(dependency.name), (dependency,))
        return found

    # -- helpers -----------------------------------------------------------------------------

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
    ) -> list[Candidate]:
        """The index's candidates that satisfy ``specifier``, with PEP 440/592 pre-release and
        yanked rules."""
        choices = self.knowledge.choices(name)
        if choices is None:
            return []
        matching = [
            c for c in choices.candidates if specifier.contains(c.version, prereleases=True)
        ]
        if not (self.options.pre or specifier.prereleases):
            finals = [c for c in matching if not c.version.is_prerelease]
            matching = finals or matching
        exact = any(r.pins_exactly for r in wanted)
        return [c for c in matching if c.file is None or c.file.yanked is None or exact]


def _installed_candidate(installed: Any) -> Candidate | None:
    try:
        version = Version(installed.version)
    except InvalidVersion:
        return None
    return Candidate(installed.name, version, INSTALLED, installed=installed)


def _from_packaging(requirement: Any, parent: str) -> Requirement:
    return Requirement(
        name=canonicalize_name(requirement.name),
        extras=frozenset(canonicalize_name(e) for e in requirement.extras),
        specifier=requirement.specifier,
        url=requirement.url,
        parent=parent,
        text=str(requirement),
    )
