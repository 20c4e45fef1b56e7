"""What the resolver knows about projects, and the fetches under way to learn more.

resolvelib asks its provider synchronously, and Pyodide has no threads. So the provider reads
only from this cache; a miss raises :class:`NeedData` after starting the fetch, the driver awaits
it and runs the resolver again. Meanwhile a speculative crawl (:meth:`Knowledge.prefetch`) keeps
the network busy with the pages and metadata the resolver is likely to ask for next, so a tree
that needs no backtracking costs about as many sequential round trips as it is deep.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import replace
from importlib.metadata import PackageNotFoundError, distribution

from packaging.requirements import Requirement as PackagingRequirement
from packaging.utils import NormalizedName, canonicalize_name

from ..downloads import WheelFiles
from ..index.client import IndexClient
from ..index.models import ProjectPage
from ..installed import InstalledDist
from ..lockfiles.distribution import Distribution
from ..target import Target
from ..wheel_file import WheelFile
from .candidates import INSTALLED, LOCKFILE, Candidate
from .choices import Choices, page_choices
from .metadata import Metadata, metadata_from_wheel, parse_metadata

MAX_CONCURRENT_LOOKUPS = 16  # project pages and metadata files
MAX_CONCURRENT_DOWNLOADS = 6  # wheels
# The wheel of the version the crawl expects the resolver to choose is downloaded alongside its
# metadata when it is at most this large (and the call installs); bigger ones wait until pinned,
# so a backtracking resolution does not fetch large files it will not use.
DOWNLOAD_AHEAD_MAX_BYTES = 5_000_000


class NeedData(Exception):
    """The provider needs something not fetched yet; the driver awaits ``key`` and retries."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class Knowledge:
    """What the resolver knows, and the fetches under way. Options:

    ``downloads`` (install, not dry runs): start the wheel of the version the crawl expects to be
    chosen (up to :data:`DOWNLOAD_AHEAD_MAX_BYTES`) and of every pinned candidate, so they are
    ready when resolution ends. Lockfile wheels are downloaded when pinned either way: their own
    Requires-Dist is checked against their entry's ``depends``.

    ``wheel_depends``: answer lockfile wheels already downloaded with their own Requires-Dist as
    well (:meth:`with_wheel_depends` gives that view of the same knowledge).
    """

    def __init__(
        self,
        client: IndexClient,
        files: WheelFiles,
        target: Target,
        distribution: Distribution,
        installed: Mapping[NormalizedName, InstalledDist],
        *,
        downloads: bool = False,
        wheel_depends: bool = False,
    ) -> None:
        self.client = client
        self.files = files
        self.target = target
        self.distribution = distribution
        self.installed = installed
        self._pages: dict[NormalizedName, ProjectPage | None] = {}
        self._choices: dict[NormalizedName, Choices] = {}
        self._metadata: dict[str, Metadata] = {}
        self._errors: dict[str, BaseException] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        # pages and metadata (what the resolver waits for) never queue behind wheel downloads
        self._limits = {
            "lookup": asyncio.Semaphore(MAX_CONCURRENT_LOOKUPS),
            "wheel": asyncio.Semaphore(MAX_CONCURRENT_DOWNLOADS),
        }
        self._crawled: set[str] = set()
        self.downloads = downloads
        # Lockfile entries name dependencies, and some leave out what their wheel requires
        # (Pyodide 314's rich lists none).
        self.wheel_depends = wheel_depends
        self._lock_only: set[str] = set()  # lockfile wheels answered from the lockfile alone

    # -- synchronous reads for the provider ----------------------------------------------------

    def choices(self, name: NormalizedName) -> Choices | None:
        """The index's candidates for ``name`` (None: no index has it); NeedData while unknown."""
        key = f"page:{name}"
        self._raise_if_failed(key)
        if name not in self._pages:
            self._start(key, lambda: self._fetch_page(name))
            raise NeedData(key)
        if self._pages[name] is None:
            return None
        if name not in self._choices:
            page = self._pages[name]
            assert page is not None
            self._choices[name] = page_choices(page, self.target)
        return self._choices[name]

    def metadata(self, candidate: Candidate) -> Metadata:
        """The dependencies of ``candidate``; NeedData while its metadata is being fetched."""
        if candidate.source == LOCKFILE and not (candidate.extras and _is_wheel_file(candidate)):
            return self._lockfile_metadata(
                candidate
            )  # extras need the wheel's own METADATA (below)
        if candidate.source == INSTALLED:
            return _installed_metadata(candidate)
        key = candidate.metadata_key
        self._raise_if_failed(f"meta:{key}")
        if key not in self._metadata:
            self._start(f"meta:{key}", lambda: self._fetch_metadata(candidate))
            raise NeedData(f"meta:{key}")
        return self._metadata[key]

    def with_wheel_depends(self) -> Knowledge:
        """This knowledge (the same caches and fetches), with ``wheel_depends`` on."""
        view = copy.copy(self)
        view.wheel_depends = True
        return view

    def new_run(self) -> None:
        """The resolver starts again from scratch: forget which answers came from lockfiles
        alone."""
        self._lock_only.clear()

    def _lockfile_metadata(self, candidate: Candidate) -> Metadata:
        locked = _locked_metadata(candidate)
        wheel = self.files.done(candidate.url or "") if self.wheel_depends else None
        if wheel is None:
            if _is_wheel_file(candidate):
                self._lock_only.add(candidate.url or "")
            return locked
        declared = self._wheel_metadata(candidate, wheel)
        named = {canonicalize_name(r.name) for r in declared.requires_dist}
        extra = tuple(r for r in locked.requires_dist if canonicalize_name(r.name) not in named)
        return replace(declared, requires_dist=declared.requires_dist + extra)

    def _wheel_metadata(self, candidate: Candidate, wheel: WheelFile) -> Metadata:
        """The downloaded wheel's own METADATA, read once (the key :meth:`_fetch_metadata` uses)."""
        key = candidate.metadata_key
        if key not in self._metadata:
            self._metadata[key] = metadata_from_wheel(wheel)
        return self._metadata[key]

    # -- asynchronous side ---------------------------------------------------------------------

    async def undeclared_requirements(self, chosen: Iterable[Candidate]) -> list[str]:
        """What the chosen lockfile wheels require (for this target) beyond their lockfile entry's
        ``depends``, as "rich 14.3.3 requires pygments>=2.13.0". Waits for those wheels, which
        have been downloading since the resolver pinned them; one that cannot be had is left to
        the install to report."""
        found = []
        for candidate in chosen:
            if (
                candidate.source != LOCKFILE
                or candidate.locked is None
                or candidate.url not in self._lock_only
            ):
                continue
            try:
                wheel = await self.wheel(candidate)
            except Exception:
                continue
            for requirement in self._wheel_metadata(candidate, wheel).requires_dist:
                if canonicalize_name(requirement.name) in candidate.locked.depends:
                    continue
                if self.target.marker_holds(requirement.marker):
                    found.append(f"{candidate.name} {candidate.version} requires {requirement}")
        return found

    async def wait(self, key: str) -> None:
        task = self._tasks.get(key)
        if task is not None:
            await asyncio.wait([task])

    def start_download(self, candidate: Candidate) -> None:
        """Begin fetching a pinned wheel right away (it is awaited at install time)."""
        if self.downloads or candidate.source == LOCKFILE:
            self._start_file(candidate)

    async def wheel(self, candidate: Candidate) -> WheelFile:
        """``candidate``'s file, downloaded, sha256-checked and validated."""
        self._start_file(candidate)
        wheel, _sha256 = await self.files.get(candidate.url or "")
        return wheel

    def prefetch(self, name: NormalizedName, hints: tuple[PackagingRequirement, ...] = ()) -> None:
        """Speculatively fetch ``name``'s page, its likely version's metadata, and onwards."""
        if name in self._crawled or self._covered_locally(name):
            return
        self._crawled.add(name)
        self._start(
            f"page:{name}",
            lambda: self._fetch_page(name),
            then=lambda: self._crawl_from_page(name, hints),
        )

    async def close(self) -> None:
        """Let speculative fetches finish quietly (their results are simply unused)."""
        pending = [t for t in self._tasks.values() if not t.done()]
        if pending:
            await asyncio.wait(pending)

    # -- internals -------------------------------------------------------------------------------

    def _covered_locally(self, name: NormalizedName) -> bool:
        return name in self.installed or self.distribution.get(name) is not None

    def _raise_if_failed(self, key: str) -> None:
        if key in self._errors:
            raise self._errors[key]

    def _start(
        self, key: str, work: Callable[[], Awaitable[None]], then: Callable[[], None] | None = None
    ) -> None:
        if key in self._tasks:
            if then is not None:
                self._tasks[key].add_done_callback(lambda _t: then())
            return

        async def run() -> None:
            try:
                async with self._limits["wheel" if key.startswith("wheel:") else "lookup"]:
                    await work()
            except Exception as exc:  # recorded and re-raised where the result is needed
                self._errors[key] = exc
                return
            if then is not None:
                then()

        self._tasks[key] = asyncio.ensure_future(run())

    async def _fetch_page(self, name: NormalizedName) -> None:
        self._pages[name] = await self.client.project(name)

    async def _fetch_metadata(self, candidate: Candidate) -> None:
        file = candidate.file
        where = candidate.filename or str(candidate.url)
        data = await self.client.metadata(file) if file is not None and file.has_metadata else None
        if data is not None:
            metadata = parse_metadata(data, where)
        else:  # no PEP 658 file: the whole wheel, validated before its metadata is trusted
            metadata = metadata_from_wheel(await self.wheel(candidate))
        self._metadata[candidate.metadata_key] = metadata

    def _start_file(self, candidate: Candidate) -> None:
        if not candidate.url or candidate.source == INSTALLED or not _is_wheel_file(candidate):
            return
        file = candidate.file
        self.files.start(
            candidate.url,
            filename=candidate.filename or candidate.url.rsplit("/", 1)[-1],
            what=candidate.filename or candidate.url,
            sha256=candidate.sha256 or None,
            size=file.size if file is not None else None,
            index_url=file.index_url if file is not None else None,
            pinned=candidate.source == LOCKFILE and bool(candidate.sha256),
            limit=self._limits["wheel"],
        )

    def _crawl_from_page(
        self, name: NormalizedName, hints: tuple[PackagingRequirement, ...]
    ) -> None:
        choices = self.choices_if_known(name)
        if choices is None:
            return
        likely = next(
            (
                c
                for c in choices.candidates
                if _fits_hints(c, hints) and c.file and not c.file.yanked
            ),
            None,
        )
        if likely is None:
            return
        key = f"meta:{likely.metadata_key}"
        self._start(
            key,
            lambda: self._fetch_metadata(likely),
            then=lambda: self._crawl_from_metadata(likely),
        )
        if self.downloads and (
            likely.file is None or (likely.file.size or 0) <= DOWNLOAD_AHEAD_MAX_BYTES
        ):
            self._start_file(likely)  # most likely chosen: ready by the time resolution ends

    def _crawl_from_metadata(self, candidate: Candidate) -> None:
        metadata = self._metadata.get(candidate.metadata_key)
        if metadata is None:
            return
        for requirement in metadata.requires_dist:
            if self.target.marker_holds(requirement.marker):
                self.prefetch(canonicalize_name(requirement.name), (requirement,))

    def page_known(self, name: NormalizedName) -> bool:
        return name in self._pages

    def ready(self, name: NormalizedName) -> bool:
        """Whether the resolver can consider ``name`` without waiting for the network."""
        return name in self._pages or self._covered_locally(name)

    def choices_if_known(self, name: NormalizedName) -> Choices | None:
        try:
            return self.choices(name)
        except Exception:  # not fetched yet, or failed: nothing to crawl
            return None


def _is_wheel_file(candidate: Candidate) -> bool:
    return (candidate.filename or "").endswith(".whl")


def _fits_hints(candidate: Candidate, hints: tuple[PackagingRequirement, ...]) -> bool:
    return all(h.specifier.contains(candidate.version, prereleases=True) for h in hints)


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
    try:
        dist = distribution(installed.display_name)
        requires = tuple(PackagingRequirement(text) for text in dist.requires or [])
        requires_python = dist.metadata.get("Requires-Python")
    except PackageNotFoundError:
        requires, requires_python = (), None
    return Metadata(installed.name, candidate.version, requires, requires_python, frozenset())
