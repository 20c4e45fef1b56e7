"""Running resolvelib over the knowledge cache until it has everything it needs (async at the
edges)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from packaging.requirements import Requirement as PackagingRequirement
from packaging.utils import canonicalize_name
from resolvelib import BaseReporter, ResolutionImpossible, ResolutionTooDeep
from resolvelib.resolvers.resolution import Resolution, _build_result

from ..errors import Micropip2Error
from ..progress import Progress, Resolving
from .candidates import LOCKFILE, MISSING, Candidate, Requirement
from .crawl import Crawl
from .explain import explain_conflict, explain_failure
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
class Stats:
    """What one resolution cost: ``restarts``, runs of the resolver begun again because it
    needed something not fetched yet; ``waits``, the times it waited for the network (one after
    another: the sequential round trips it could not avoid); ``pages`` and ``metadata``, the
    project pages and metadata files fetched (speculative ones included)."""

    restarts: int = 0
    waits: int = 0
    pages: int = 0
    metadata: int = 0

    def __str__(self) -> str:
        return (
            f"{self.restarts} restarts, {self.waits} waits for the network, "
            f"{self.pages} project pages and {self.metadata} metadata files fetched"
        )


@dataclass(frozen=True)
class Resolved:
    candidates: dict[str, Candidate]  # identifier -> chosen candidate (extras identifiers included)
    required_by: dict[str, tuple[str, ...]]  # identifier -> parents ("you" for the user)
    notes: tuple[str, ...] = ()  # what the user should know about this resolution
    stats: Stats = Stats()


class _StartDownloads(BaseReporter):  # type: ignore[type-arg]
    """Begin downloading a wheel as soon as the resolver pins it, and tell ``progress``."""

    def __init__(self, crawl: Crawl, progress: Progress) -> None:
        self.crawl = crawl
        self.progress = progress
        self.rounds = 0  # over every run of one resolution

    def starting_round(self, index: int) -> None:
        self.rounds += 1

    def pinning(self, candidate: Candidate) -> None:
        self.crawl.pinned(candidate)
        self.progress.chosen(candidate.name, str(candidate.version))

    def rejecting_candidate(self, criterion: Any, candidate: Candidate) -> None:
        self.crawl.rejected(candidate)
        self.progress.backtracked(candidate.name, str(candidate.version))


class _Resumable(Resolution):  # type: ignore[type-arg]
    """resolvelib's resolution, able to go on from the states an earlier run reached.

    A :class:`NeedData` raised while a project is being pinned (its candidates' metadata, its
    dependencies' pages) leaves the states as they were before that round: resolvelib works on
    a copy of the criteria until a candidate fits. Such a miss is marked resumable, and the
    next run starts from those states instead of the first round (:meth:`carry`). A miss
    anywhere else (backjumping) starts the resolution again from the beginning.
    """

    def __init__(self, provider: Provider, reporter: BaseReporter, carried: Any) -> None:  # type: ignore[type-arg]
        super().__init__(provider, reporter)
        self._carried = carried

    def carry(self) -> Any:
        """What a later run needs to go on from here (None before the first round)."""
        if len(self._states) < 2:
            return None
        return (self._states, self._save_states, self._optimistic_backjumping_ratio)

    def _push_new_state(self) -> None:
        if self._carried is None:
            super()._push_new_state()
            return
        # resolve() has just set up the root state: go on from the carried states instead
        self._states, self._save_states, self._optimistic_backjumping_ratio = self._carried
        self._carried = None

    def _attempt_to_pin_criterion(self, name: str) -> Any:
        try:
            return super()._attempt_to_pin_criterion(name)
        except NeedData as need:
            need.resumable = True
            raise


async def resolve(
    requirements: Sequence[Requirement],
    knowledge: Knowledge,
    crawl: Crawl,
    options: Options,
    progress: Progress | None = None,
) -> Resolved:
    """Resolve ``requirements`` with resolvelib over ``knowledge``, while ``crawl`` fetches ahead.

    Cost: resolvelib is synchronous, so when the provider needs a page or metadata file not
    fetched yet it raises :class:`NeedData`; this waits for that fetch (and the batch it was
    started in) and runs the resolver on. A miss while pinning a project (nearly all of them)
    goes on from the round it happened in (:class:`_Resumable`): no round is replayed but that
    one. Any other miss runs the resolver again from the start (a restart), replaying every
    round so far from the cache (CPU only, no request). When the resolver waits a second time
    for one project's metadata it is walking back through that project's versions, and the
    crawl fetches the next versions' metadata in parallel batches (:meth:`Crawl.missed`), so
    the waits are about one per batch, not one per version. Lockfile wheels whose own
    Requires-Dist adds requirements cost one more whole resolution (a restart).
    """
    progress = progress or Progress()
    restarts = waits = 0
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
    carried: Any = None
    reporter = _StartDownloads(crawl, progress)
    while True:
        provider = Provider(knowledge, crawl, options, user_ids)
        if carried is None:
            knowledge.answered_from_lock.clear()
        resolution = _Resumable(provider, reporter, carried)
        try:
            state = resolution.resolve(
                list(requirements), max_rounds=max(MAX_ROUNDS - reporter.rounds, 1)
            )
            result = _build_result(state)
        except NeedData as need:
            if need.candidate is not None:
                crawl.missed(need.candidate)
            carried = resolution.carry() if need.resumable else None
            restarts += carried is None
            waits += 1
            await knowledge.lookups.wait(need.key)
            await _let_requests_start()
            lookups = knowledge.lookups
            progress.emit(Resolving(need.key, lookups.pages_read, lookups.metadata_read, restarts))
            continue
        except ResolutionImpossible as exc:
            causes = [(cause.requirement, _parent(cause.parent)) for cause in exc.causes]
            explained = explain_failure(causes, knowledge, options.dead_ends)
            if (
                first is not None
            ):  # what the lockfile left out cannot be added: install without it, as Pyodide does
                return _without_left_out(first, added, explained.text)
            raise ResolutionError(
                "cannot find a set of versions that satisfies the request for "
                f"{knowledge.target.describe()}:\n{explained.text}",
                projects=explained.projects,
            ) from None
        except ResolutionTooDeep:
            raise ResolutionError(
                f"resolution gave up after {MAX_ROUNDS} rounds of backtracking"
            ) from None
        carried = None
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
        stats = Stats(
            restarts, waits, knowledge.lookups.pages_read, knowledge.lookups.metadata_fetched
        )
        resolved = Resolved(dict(result.mapping), required_by, stats=stats)
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
        restarts += 1


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
