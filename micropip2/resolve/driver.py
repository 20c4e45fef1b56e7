"""Running resolvelib over the knowledge cache until it has everything it needs (async at the
edges)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from packaging.requirements import Requirement as PackagingRequirement
from packaging.utils import canonicalize_name
from resolvelib import BaseReporter, ResolutionImpossible, ResolutionTooDeep, Resolver

from ..errors import Micropip2Error
from ..progress import Progress, Resolving
from .candidates import LOCKFILE, MISSING, Candidate, Requirement
from .crawl import Crawl
from .explain import explain_conflict
from .knowledge import Knowledge
from .lookups import NeedData
from .provider import Options, Provider

MAX_ROUNDS = 200_000  # resolvelib's default of 100 is too small for real trees


class ResolutionError(Micropip2Error):
    """No set of versions satisfies every requirement for this target. ``projects``: the
    projects in conflict (``project`` too, when there is one)."""

    def __init__(self, message: str, projects: Iterable[str] = ()) -> None:
        names = tuple(sorted(set(projects)))
        super().__init__(message, project=names[0] if len(names) == 1 else None)
        self.projects = names


@dataclass(frozen=True)
class Resolved:
    candidates: dict[str, Candidate]  # identifier -> chosen candidate (extras identifiers included)
    required_by: dict[str, tuple[str, ...]]  # identifier -> parents ("you" for the user)
    notes: tuple[str, ...] = ()  # what the user should know about this resolution


class _StartDownloads(BaseReporter):  # type: ignore[type-arg]
    """Begin downloading a wheel as soon as the resolver pins it, and tell ``progress``."""

    def __init__(self, crawl: Crawl, progress: Progress) -> None:
        self.crawl = crawl
        self.progress = progress

    def pinning(self, candidate: Candidate) -> None:
        self.crawl.pinned(candidate)
        self.progress.chosen(candidate.name, str(candidate.version))

    def rejecting_candidate(self, criterion: Any, candidate: Candidate) -> None:
        self.progress.backtracked(candidate.name, str(candidate.version))


async def resolve(
    requirements: Sequence[Requirement],
    knowledge: Knowledge,
    crawl: Crawl,
    options: Options,
    progress: Progress | None = None,
) -> Resolved:
    """Resolve ``requirements`` with resolvelib over ``knowledge``, while ``crawl`` fetches ahead.

    Cost: resolvelib is synchronous, so when the provider needs a page or metadata file not
    fetched yet it raises :class:`NeedData`; this waits for that fetch and runs the resolver again
    from the start. A restart replays every round so far from the cache (CPU only, no request),
    so a resolution of R rounds with M such misses costs about M x R provider calls in the worst
    case. Misses are bounded by the projects and metadata files the resolver reaches before the
    speculative crawl has them: about one per level of the tree when the crawl keeps ahead, up to
    one per project and per version tried when backtracking outruns it. Lockfile wheels whose
    own Requires-Dist adds requirements cost one more whole resolution.
    """
    progress = progress or Progress()
    restarts = 0
    for requirement in requirements:
        if requirement.url is None:
            crawl.prefetch(
                requirement.name,
                (PackagingRequirement(f"{requirement.name}{requirement.specifier}"),),
            )
    user_ids = {r.id for r in requirements}
    first: Resolved | None = None  # by the lockfile entries' depends alone, while more is tried
    added: list[
        str
    ] = []  # what lockfile wheels require beyond their entry ("rich 14.3.3 requires ...")
    while True:
        provider = Provider(knowledge, crawl, options, user_ids)
        resolver = Resolver(provider, _StartDownloads(crawl, progress))
        knowledge.answered_from_lock.clear()
        try:
            result = resolver.resolve(list(requirements), max_rounds=MAX_ROUNDS)
        except NeedData as need:
            await knowledge.lookups.wait(need.key)
            await _let_requests_start()
            restarts += 1
            lookups = knowledge.lookups
            progress.emit(Resolving(need.key, lookups.pages_read, lookups.metadata_read, restarts))
            continue
        except ResolutionImpossible as exc:
            causes = [(cause.requirement, _parent(cause.parent)) for cause in exc.causes]
            explanation = explain_conflict(causes, knowledge)
            if (
                first is not None
            ):  # what the lockfile left out cannot be added: install without it, as Pyodide does
                return _without_left_out(first, added, explanation)
            raise ResolutionError(
                "cannot find a set of versions that satisfies the request for "
                f"{knowledge.target.describe()}:\n{explanation}",
                projects=(requirement.name for requirement, _ in causes),
            ) from None
        except ResolutionTooDeep:
            raise ResolutionError(
                f"resolution gave up after {MAX_ROUNDS} rounds of backtracking"
            ) from None
        try:
            _raise_for_missing(result.mapping.values(), result.criteria, knowledge)
        except ResolutionError as exc:
            if first is None:
                raise
            return _without_left_out(first, added, str(exc))
        required_by = {
            identifier: tuple(_parent(info.parent) or "you" for info in criterion.information)
            for identifier, criterion in result.criteria.items()
        }
        resolved = Resolved(dict(result.mapping), required_by)
        if not options.deps:
            return resolved
        undeclared = await _undeclared_requirements(result.mapping.values(), knowledge)
        if not undeclared:
            return (
                replace(resolved, notes=(f"{_left_out(added)}; they are installed as well",))
                if added
                else resolved
            )
        # Resolve again with those wheels' own requirements too (now downloaded).
        knowledge = knowledge.with_wheel_depends()
        added += undeclared
        first = first or resolved


async def _undeclared_requirements(chosen: Iterable[Candidate], knowledge: Knowledge) -> list[str]:
    """What the chosen lockfile wheels that were answered from their entry alone require (for
    this target) beyond that entry's ``depends``, as "rich 14.3.3 requires pygments>=2.13.0".
    Waits for those wheels, which have been downloading since the resolver pinned them; one that
    cannot be had is left to the install to report."""
    found = []
    for candidate in chosen:
        if (
            candidate.source != LOCKFILE
            or candidate.locked is None
            or candidate.url not in knowledge.answered_from_lock
        ):
            continue
        try:
            wheel = await knowledge.lookups.wheel(candidate)
        except Exception:
            continue
        for requirement in knowledge.lookups.wheel_metadata(candidate, wheel).requires_dist:
            if canonicalize_name(requirement.name) in candidate.locked.depends:
                continue
            if knowledge.target.marker_holds(requirement.marker):
                found.append(f"{candidate.name} {candidate.version} requires {requirement}")
    return found


def _left_out(added: list[str]) -> str:
    return "lockfile entries leave out what their wheels require (" + "; ".join(added) + ")"


def _without_left_out(first: Resolved, added: list[str], why: str) -> Resolved:
    note = (
        f"{_left_out(added)}; no versions fit them together with the rest, "
        f"so they are not installed:\n{why}"
    )
    return replace(first, notes=(note,))


def _parent(parent: Candidate | None) -> str | None:
    return f"{parent.name} {parent.version}" if parent is not None else None


def _raise_for_missing(
    chosen: Iterable[Candidate], criteria: Mapping[str, Any], knowledge: Knowledge
) -> None:
    """With keep_going: every requirement nothing satisfied, in one error."""
    missing = [c for c in chosen if c.source == MISSING]
    if not missing:
        return
    causes = [
        (info.requirement, _parent(info.parent))
        for candidate in missing
        for info in criteria[candidate.id].information
    ]
    names = ", ".join(sorted({c.name for c in missing}))
    raise ResolutionError(
        f"cannot install: nothing satisfies the requirements on {names} "
        f"for {knowledge.target.describe()}:\n" + explain_conflict(causes, knowledge),
        projects=(c.name for c in missing),
    )


async def _let_requests_start() -> None:
    """Give fetches the crawl just scheduled a few turns of the event loop to reach the network
    before the resolver, which is synchronous, runs again."""
    for _ in range(4):
        await asyncio.sleep(0)
