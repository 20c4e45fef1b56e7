"""The fetches one resolution makes, each once, and what they brought: project pages, metadata
files and wheels (the task memo).

resolvelib asks its provider synchronously and Pyodide has no threads, so a read here never
waits: it answers from what has arrived, or starts the fetch and raises :class:`NeedData`, which
the driver awaits before running the resolver again. A failed fetch is kept and raised again
where its result is needed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from packaging.utils import NormalizedName

from ..downloads import Declared, WheelFiles
from ..index.client import IndexClient
from ..index.hints import Hint
from ..index.models import ProjectPage
from ..wheel_file import WheelFile
from .candidates import INSTALLED, Candidate
from .metadata import Metadata, metadata_from_wheel, parse_metadata

MAX_CONCURRENT_LOOKUPS = 32  # project pages and metadata files (a backtracking batch at once)
MAX_CONCURRENT_DOWNLOADS = 6  # wheels

Then = Callable[[], None] | None  # what to do once a fetch has succeeded


class NeedData(Exception):
    """The provider needs something not fetched yet; the driver awaits ``key`` and retries.
    ``candidate``: whose metadata it is, for a metadata file."""

    def __init__(self, key: str, candidate: Candidate | None = None) -> None:
        super().__init__(key)
        self.key = key
        self.candidate = candidate
        self.resumable = False  # set by the driver when the resolver's state is intact


class Lookups:
    """Pages and metadata by key, the tasks fetching them, and their failures."""

    def __init__(self, client: IndexClient, files: WheelFiles) -> None:
        self.client = client
        self.files = files
        self._pages: dict[NormalizedName, ProjectPage | None] = {}
        self._metadata: dict[str, Metadata] = {}
        self._hints: dict[NormalizedName, Hint] = {}
        self._errors: dict[str, BaseException] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._batches: dict[str, tuple[str, ...]] = {}  # key -> the batch it was started in
        self.metadata_fetched = 0  # metadata files (or wheels for their metadata) fetched
        # pages and metadata (what the resolver waits for) never queue behind wheel downloads
        self._lookups = asyncio.Semaphore(MAX_CONCURRENT_LOOKUPS)
        self._downloads = asyncio.Semaphore(MAX_CONCURRENT_DOWNLOADS)

    # -- reads that never wait ---------------------------------------------------------------

    def page(self, name: NormalizedName) -> ProjectPage | None:
        """``name``'s project page (None: no index has it); NeedData while unknown."""
        key = _page_key(name)
        self._raise_if_failed(key)
        if name not in self._pages:
            self.start_page(name)
            raise NeedData(key)
        return self._pages[name]

    def has_page(self, name: NormalizedName) -> bool:
        return name in self._pages

    @property
    def pages_read(self) -> int:
        return len(self._pages)

    @property
    def metadata_read(self) -> int:
        return len(self._metadata)

    def metadata(self, candidate: Candidate) -> Metadata:
        """``candidate``'s metadata from the index (its PEP 658 file, or else its validated
        wheel); NeedData while it is being fetched."""
        key = _metadata_key(candidate)
        self._raise_if_failed(key)
        found = self._metadata.get(candidate.metadata_key)
        if found is None:
            self.start_metadata(candidate)
            raise NeedData(key, candidate)
        return found

    def hint_if_known(self, name: NormalizedName) -> Hint | None:
        """What the index's JSON API guesses about ``name``'s newest release, once arrived."""
        return self._hints.get(name)

    def metadata_if_known(self, candidate: Candidate) -> Metadata | None:
        return self._metadata.get(candidate.metadata_key)

    def wheel_if_done(self, candidate: Candidate) -> WheelFile | None:
        return self.files.done(candidate.url or "")

    def wheel_metadata(self, candidate: Candidate, wheel: WheelFile) -> Metadata:
        """The downloaded wheel's own METADATA, read once (under the key of the metadata file)."""
        key = candidate.metadata_key
        if key not in self._metadata:
            self._metadata[key] = metadata_from_wheel(wheel)
        return self._metadata[key]

    # -- starting fetches ----------------------------------------------------------------------

    def start_page(self, name: NormalizedName, then: Then = None) -> None:
        self._start(_page_key(name), lambda: self._fetch_page(name), then)

    def start_hint(self, name: NormalizedName, then: Then = None) -> None:
        self._start(f"hint:{name}", lambda: self._fetch_hint(name), then)

    def start_metadata(self, candidate: Candidate, then: Then = None) -> None:
        self._start(_metadata_key(candidate), lambda: self._fetch_metadata(candidate), then)

    def start_metadata_batch(self, candidates: list[Candidate]) -> None:
        """Fetch the metadata of ``candidates`` in parallel, as one batch: waiting for one of
        them waits for all (:meth:`wait`), so the resolver goes on with the whole batch."""
        keys = tuple(_metadata_key(c) for c in candidates if c.metadata_key not in self._metadata)
        for candidate in candidates:
            self.start_metadata(candidate)
        for key in keys:
            self._batches.setdefault(key, keys)

    def start_wheel(self, candidate: Candidate) -> None:
        """Begin downloading ``candidate``'s wheel (once), behind the download limit."""
        if not candidate.url or candidate.source == INSTALLED or not is_wheel_file(candidate):
            return
        file = candidate.file
        self.files.start(
            candidate.url,
            filename=candidate.filename or candidate.url.rsplit("/", 1)[-1],
            what=candidate.filename or candidate.url,
            sha256=candidate.sha256 or None,
            size=file.size if file is not None else None,
            index_url=file.index_url if file is not None else None,
            limit=self._downloads,
        )

    # -- waiting ---------------------------------------------------------------------------------

    async def wheel(self, candidate: Candidate) -> WheelFile:
        """``candidate``'s file, downloaded, sha256-checked and validated."""
        self.start_wheel(candidate)
        wheel, _sha256 = await self.files.get(candidate.url or "")
        return wheel

    async def wait(self, key: str) -> None:
        """Until ``key`` has arrived (or failed), and the rest of the batch it was started in."""
        keys = self._batches.get(key, (key,))
        tasks = [t for k in keys if (t := self._tasks.get(k)) is not None]
        if tasks:
            await asyncio.wait(tasks)

    def cancel(self) -> None:
        """Stop every fetch still under way (the operation failed or was cancelled)."""
        for task in self._tasks.values():
            task.cancel()

    async def close(self) -> None:
        """Let speculative fetches finish quietly (their results are simply unused)."""
        pending = [t for t in self._tasks.values() if not t.done()]
        if pending:
            await asyncio.wait(pending)

    # -- internals -------------------------------------------------------------------------------

    def _raise_if_failed(self, key: str) -> None:
        if key in self._errors:
            raise self._errors[key]

    def _start(self, key: str, work: Callable[[], Awaitable[None]], then: Then) -> None:
        if key in self._tasks:
            if then is not None:
                self._tasks[key].add_done_callback(lambda _t: then())
            return

        async def run() -> None:
            try:
                async with self._lookups:
                    await work()
            except Exception as exc:  # kept, and raised again where the result is needed
                self._errors[key] = exc
                return
            if then is not None:
                then()

        self._tasks[key] = asyncio.ensure_future(run())

    async def _fetch_page(self, name: NormalizedName) -> None:
        self._pages[name] = await self.client.project(name)

    async def _fetch_hint(self, name: NormalizedName) -> None:
        hint = await self.client.hint(name)
        if hint is not None:
            self._hints[name] = hint

    async def _fetch_metadata(self, candidate: Candidate) -> None:
        file = candidate.file
        where = candidate.filename or str(candidate.url)
        data = await self.client.metadata(file) if file is not None and file.has_metadata else None
        if data is not None:
            metadata = parse_metadata(data, where)
            if candidate.url:  # the wheel, once read, must say the same (PEP 658)
                declared = Declared(frozenset(str(r) for r in metadata.requires_dist))
                self.files.declare(candidate.url, declared)
        else:  # no PEP 658 file: the whole wheel, validated before its metadata is trusted
            metadata = metadata_from_wheel(await self.wheel(candidate))
        self._metadata[candidate.metadata_key] = metadata
        self.metadata_fetched += 1


def is_wheel_file(candidate: Candidate) -> bool:
    return (candidate.filename or "").endswith(".whl")


def _page_key(name: NormalizedName) -> str:
    return f"page:{name}"


def _metadata_key(candidate: Candidate) -> str:
    return f"meta:{candidate.metadata_key}"
