"""The prefetch policy: what to fetch before the resolver asks for it.

From each project the resolver reaches, the crawl fetches the page, then the metadata of the
version it expects to be chosen (the newest that fits the requirement that led there), then the
pages of that version's dependencies, and so on; so a tree that needs no backtracking costs about
as many sequential round trips as it is deep. When the call installs, the expected version's
wheel starts downloading too (up to :data:`DOWNLOAD_AHEAD_MAX_BYTES`), and every pinned wheel
as soon as it is pinned. A wrong guess costs requests, never correctness: the resolver reads only
what it asked for.
"""

from __future__ import annotations

from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as PackagingRequirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from .candidates import LOCKFILE, Candidate
from .knowledge import Knowledge

# Bigger wheels wait until pinned, so a backtracking resolution does not fetch large files it
# will not use.
DOWNLOAD_AHEAD_MAX_BYTES = 5_000_000
# Walking back through a project's versions: the metadata of the next versions is fetched in
# batches, as uv does once a project has been backtracked on; each batch twice the last.
FIRST_BATCH = 8
MAX_BATCH = 64

Hints = tuple[PackagingRequirement, ...]  # the requirements that led to a project


class Crawl:
    """``downloads`` (install, not dry runs): start the wheels expected to be chosen, and every
    pinned one. Lockfile wheels are downloaded when pinned either way: their own Requires-Dist is
    checked against their entry's ``depends``."""

    def __init__(self, knowledge: Knowledge, *, downloads: bool) -> None:
        self.knowledge = knowledge
        self.lookups = knowledge.lookups
        self.downloads = downloads
        self._crawled: set[NormalizedName] = set()
        self._missed: dict[NormalizedName, int] = {}  # metadata the resolver waited for
        self._rejected: set[NormalizedName] = set()  # projects a version was rejected of
        self._batch: dict[NormalizedName, int] = {}  # the next batch size per project

    def knows(self, name: NormalizedName) -> bool:
        """Whether ``name`` needs no :meth:`prefetch` (crawled already, or local)."""
        return name in self._crawled or self.knowledge.covered_locally(name)

    def prefetch(self, name: NormalizedName, hints: Hints = ()) -> None:
        """Fetch ``name``'s page, its likely version's metadata, and onwards."""
        if name in self._crawled or self.knowledge.covered_locally(name):
            return
        self._crawled.add(name)
        self.lookups.start_page(name, then=lambda: self._from_page(name, hints))
        self.lookups.start_hint(name, then=lambda: self._from_hint(name, hints))

    def rejected(self, candidate: Candidate) -> None:
        """The resolver rejected a version of ``candidate``'s project (it backtracks on it)."""
        self._rejected.add(candidate.name)

    def missed(self, candidate: Candidate) -> None:
        """The resolver waits for ``candidate``'s metadata. Once it has rejected a version of
        that project, or waits for it a second time, it is walking back through the project's
        versions: fetch the metadata of the next versions (older than ``candidate``, one file
        each, not yanked) in parallel with it, in batches that double up to
        :data:`MAX_BATCH`."""
        name = candidate.name
        self._missed[name] = self._missed.get(name, 0) + 1
        if self._missed[name] < 2 and name not in self._rejected:
            return
        choices = self.knowledge.choices_if_known(name)
        if choices is None:
            return
        size = self._batch.get(name, FIRST_BATCH)
        self._batch[name] = min(size * 2, MAX_BATCH)
        batch, versions = [candidate], {candidate.version}
        for other in choices.candidates:
            if len(batch) > size:
                break
            if other.version >= candidate.version or other.version in versions:
                continue
            if other.file is None or other.file.yanked is not None:
                continue
            versions.add(other.version)
            if self.lookups.metadata_if_known(other) is None:
                batch.append(other)
        self.lookups.start_metadata_batch(batch)

    def pinned(self, candidate: Candidate) -> None:
        """The resolver pinned ``candidate``: start its wheel (awaited at install time)."""
        if self.downloads or candidate.source == LOCKFILE:
            self.lookups.start_wheel(candidate)

    def _from_page(self, name: NormalizedName, hints: Hints) -> None:
        choices = self.knowledge.choices_if_known(name)
        if choices is None:
            return
        likely = next(
            (c for c in choices.candidates if _fits(c, hints) and c.file and not c.file.yanked),
            None,
        )
        if likely is None:
            return
        self.lookups.start_metadata(likely, then=lambda: self._from_metadata(likely))
        if self.downloads and (
            likely.file is None or (likely.file.size or 0) <= DOWNLOAD_AHEAD_MAX_BYTES
        ):
            self.lookups.start_wheel(likely)  # most likely chosen: ready when resolution ends

    def _from_hint(self, name: NormalizedName, hints: Hints) -> None:
        """The JSON API's newest release, if it fits what led here: start its requirements'
        pages now, a round trip before its metadata file could say the same."""
        hint = self.lookups.hint_if_known(name)
        if hint is None or not _version_fits(hint.version, hints):
            return
        for text in hint.requires_dist:
            try:
                requirement = PackagingRequirement(text)
            except InvalidRequirement:
                continue
            self._follow(requirement)

    def _from_metadata(self, candidate: Candidate) -> None:
        metadata = self.lookups.metadata_if_known(candidate)
        if metadata is None:
            return
        for requirement in metadata.requires_dist:
            self._follow(requirement)

    def _follow(self, requirement: PackagingRequirement) -> None:
        if self.knowledge.target.marker_holds(requirement.marker):
            self.prefetch(canonicalize_name(requirement.name), (requirement,))


def _fits(candidate: Candidate, hints: Hints) -> bool:
    return all(h.specifier.contains(candidate.version, prereleases=True) for h in hints)


def _version_fits(version: str, hints: Hints) -> bool:
    try:
        return all(h.specifier.contains(Version(version), prereleases=True) for h in hints)
    except InvalidVersion:
        return False
