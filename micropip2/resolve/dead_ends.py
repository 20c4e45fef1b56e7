"""Dead ends: candidates that can be in no resolution, known from what has been fetched.

A requirement is *dead* when every candidate the provider would offer for it is dead; a
project with no file at all for the target (markupsafe on PyPI, for Pyodide) makes every
requirement on it dead at once. A candidate is *dead* when one of its dependencies (for the
target, after overrides and exclusions) is dead, or its Requires-Python excludes the target.
Such a candidate fails whenever resolvelib pins it, so the provider leaves it out of
``find_matches``: the set of resolutions is unchanged, the order of the other candidates too,
and a requirement whose candidates are all dead fails where it is added, so its requirer is
given up at once instead of after pinning and backtracking through each version.

Soundness rests on one rule: *dead* is only ever concluded from facts already fetched (a page
with no candidate, metadata read), recursively down to such a fact, never from a guess; what
is unknown counts as alive. Facts only accumulate during one resolution, so a dead verdict is
kept for its whole length (restarts included), and an alive one only for one resolver run.

Cost: a check walks a requirement's candidates newest first and stops at the first that is not
dead, which is usually the first; each verdict is remembered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from .candidates import Candidate, Requirement

MAX_DEPTH = 40  # deeper chains count as alive (a bound on the recursion, never a verdict)


class View(Protocol):
    """What the analysis reads: the provider's own candidates and dependencies."""

    def offered(self, requirement: Requirement) -> Iterable[Candidate]:
        """The candidates ``find_matches`` would consider for ``requirement`` alone."""
        ...

    def known_dependencies(self, candidate: Candidate) -> Sequence[Requirement] | None:
        """``candidate``'s dependencies if known without waiting (None: not yet)."""
        ...


@dataclass(frozen=True)
class Death:
    """Why a candidate is dead: the dependency no candidate can meet."""

    candidate: Candidate
    requirement: Requirement


@dataclass
class DeadEnds:
    """The verdicts of one resolution (shared by its resolver runs)."""

    _candidates: dict[tuple[object, ...], Death] = field(default_factory=dict)
    # dead requirement -> the candidates it was offered (all dead; none: no file fits)
    _requirements: dict[tuple[object, ...], tuple[Candidate, ...]] = field(default_factory=dict)

    def reason(self, candidate: Candidate) -> Death | None:
        """Why ``candidate`` is dead, if it was found so."""
        return self._candidates.get(_candidate_key(candidate))

    def offered_if_dead(self, requirement: Requirement) -> tuple[Candidate, ...] | None:
        """The (dead) candidates of ``requirement`` if it was found dead, else None."""
        return self._requirements.get(_requirement_key(requirement))

    def dead_matching(self, requirement: Requirement) -> list[Candidate]:
        """The candidates found dead that ``requirement`` would accept."""
        return [
            death.candidate
            for death in self._candidates.values()
            if death.candidate.name == requirement.name
            and requirement.specifier.contains(death.candidate.version, prereleases=True)
        ]

    def checker(self, view: View) -> Checker:
        """A checker for one resolver run (alive verdicts are kept only that long)."""
        return Checker(self, view)


@dataclass
class Checker:
    ends: DeadEnds
    view: View
    _alive: set[tuple[object, ...]] = field(default_factory=set)
    _visiting: set[tuple[object, ...]] = field(default_factory=set)

    def candidate_dead(self, candidate: Candidate, depth: int = 0) -> bool:
        key = _candidate_key(candidate)
        if key in self.ends._candidates:
            return True
        if key in self._alive or key in self._visiting or depth > MAX_DEPTH:
            return False
        dependencies = self.view.known_dependencies(candidate)
        if dependencies is None:
            return False  # unknown: not kept, it may be known in the next run
        self._visiting.add(key)
        try:
            for requirement in dependencies:
                if requirement.url is None and self.requirement_dead(requirement, depth + 1):
                    self.ends._candidates[key] = Death(candidate, requirement)
                    return True
        finally:
            self._visiting.discard(key)
        self._alive.add(key)
        return False

    def requirement_dead(self, requirement: Requirement, depth: int = 0) -> bool:
        key = _requirement_key(requirement)
        if key in self.ends._requirements:
            return True
        if key in self._alive or key in self._visiting or depth > MAX_DEPTH:
            return False
        self._visiting.add(key)
        offered: list[Candidate] = []
        try:
            dead = True
            for candidate in self.view.offered(requirement):
                offered.append(candidate)
                if not self.candidate_dead(candidate, depth + 1):
                    dead = False
                    break
        except Exception:  # a page not fetched yet, or one that failed: not a verdict
            dead = False
        finally:
            self._visiting.discard(key)
        if dead:
            self.ends._requirements[key] = tuple(offered)
        else:
            self._alive.add(key)
        return dead


def _candidate_key(candidate: Candidate) -> tuple[object, ...]:
    return (candidate.source, candidate.metadata_key, candidate.extras)


def _requirement_key(requirement: Requirement) -> tuple[object, ...]:
    return (requirement.id, str(requirement.specifier), requirement.url)
