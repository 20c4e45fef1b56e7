"""Asking package indexes for project pages and metadata files: index order, one request per URL,
credentials.

Every HTTP request goes through the fetch layer (:meth:`micropip2.fetch.Fetcher.get`). What is
fetched, and when:

* :meth:`IndexClient.project` fetches the project's page on each index it needs (see the
  strategies below), asking for PEP 691 JSON first and reading whatever content type comes back;
* :meth:`IndexClient.metadata` fetches ``<file url>.metadata`` (PEP 658/714) when the page said
  the index serves it, and checks its sha256 when the page gave one.

Identical requests made while one is in flight share it; results are kept for the client's life,
errors are not (the next call asks again). A request that gets no answer, hits a time limit or
is answered 408, 429 or 5xx is tried again by the fetch layer (:class:`~micropip2.fetch.Network`).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Literal, TypeVar, cast

from packaging.utils import NormalizedName, canonicalize_name

from ..errors import DownloadError, HashMismatchError, InvalidOptionError, InvalidRequirementError
from ..fetch import Fetcher
from ..runtime import Response
from .errors import IndexRequestError
from .hints import Hint, info_complete, json_api_url, parse_hint
from .models import ProjectFile, ProjectPage
from .pages import parse_project_page
from .sources import ProjectSource, SourceAnswer
from .urls import IndexURL, origin_of, parse_index_urls

Strategy = Literal["first-index", "all-indexes"]
STRATEGIES: tuple[Strategy, ...] = ("first-index", "all-indexes")

# "This index does not have it": try the next one (404 by PEP 503; 410 Gone says the same).
NOT_HERE_STATUSES = frozenset({404, 410})

_PROJECT_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)  # PEP 508
T = TypeVar("T")


class IndexClient:
    """Project pages and metadata files from an ordered list of package indexes.

    ``strategy``:

    * ``"first-index"`` (default): indexes are asked one after the other; the first that has the
      project (a 200 page, even one listing no files) supplies *all* its files, and later indexes
      are not asked. Files of one project never come from two indexes, so a name registered on a
      public index cannot shadow or join a private project of the same name (dependency
      confusion). A 404 (or 410) means "not here, ask the next index"; any other status, or no
      answer, is an :class:`IndexRequestError`: skipping a broken index could silently install
      another index's project of that name.
    * ``"all-indexes"``: every index is asked at once and the files are merged, one file per
      file name, the earlier index winning; :attr:`ProjectFile.index_url` says where each came
      from. An index that fails makes the call fail, as above.

    Every request goes through ``fetcher`` (its credentials mode and observers apply).

    ``sources`` (:mod:`micropip2.index.sources`) are asked for a project before the indexes, in
    order: the first that lists it supplies all its files; one may also say that the indexes are
    not to be asked for it (piplite's ``disablePyPIFallback``).
    """

    def __init__(
        self,
        fetcher: Fetcher,
        index_urls: str | Iterable[str] | None = None,
        *,
        strategy: Strategy = "first-index",
        sources: Iterable[ProjectSource] = (),
    ) -> None:
        if strategy not in STRATEGIES:
            raise InvalidOptionError(
                f"unknown index strategy {strategy!r}; use one of {', '.join(STRATEGIES)}"
            )
        self.fetcher = fetcher
        self.indexes: tuple[IndexURL, ...] = parse_index_urls(index_urls)
        self.strategy: Strategy = strategy
        self.sources = tuple(sources)
        self._notes: dict[NormalizedName, str] = {}  # why the indexes were not asked
        self.requests: list[str] = []  # every page and metadata URL fetched (retries included)
        self.cache_hits = 0  # calls answered by a finished or in-flight request
        self._results: dict[tuple[str, str], asyncio.Future[Any]] = {}

    @property
    def index_urls(self) -> tuple[str, ...]:
        """The configured indexes, without credentials."""
        return tuple(index.url for index in self.indexes)

    def asked_for(self, name: NormalizedName) -> str:
        """Where ``name`` was looked for, for a message: the sources, then the indexes (or why
        they were not asked)."""
        where = [source.label for source in self.sources]
        note = self._notes.get(name)
        where += [f"not the indexes: {note}"] if note is not None else list(self.index_urls)
        return ", ".join(where)

    # -- project pages -------------------------------------------------------------------------

    async def project(self, name: str) -> ProjectPage | None:
        """The files of project ``name`` from the first source that has it, else by the
        client's strategy; ``None`` when nobody has it."""
        project = _project_name(name)
        for source in self.sources:
            answer = await self._ask(source, project)
            if answer.page is not None:
                return answer.page
            if not answer.ask_indexes:
                self._notes[project] = answer.note or f"{source.label} said so"
                return None
        if self.strategy == "all-indexes":
            return await self._project_from_all(project)
        for index in self.indexes:
            page = await self._page(index, project)
            if page is not None:
                return page
        return None

    async def _ask(self, source: ProjectSource, project: NormalizedName) -> SourceAnswer:
        key = f"{source.label}:{project}"
        return await self._once("source", key, lambda: source.project(project, self.fetcher))

    async def _project_from_all(self, project: NormalizedName) -> ProjectPage | None:
        found = await asyncio.gather(
            *(self._page(i, project) for i in self.indexes), return_exceptions=True
        )
        for outcome in found:
            if isinstance(outcome, BaseException):
                raise outcome
        pages = [page for page in found if isinstance(page, ProjectPage)]
        return _merge(project, pages) if pages else None

    async def _page(self, index: IndexURL, project: NormalizedName) -> ProjectPage | None:
        url = index.project_url(project)
        return await self._once("page", url, lambda: self._fetch_page(index, project, url))

    async def _fetch_page(
        self, index: IndexURL, project: NormalizedName, url: str
    ) -> ProjectPage | None:
        headers = {"Accept": index.accept, **index.auth_headers(url)}
        response = await self._get(index.url, url, headers, page=True)
        if response.status in NOT_HERE_STATUSES:
            return None
        if response.status != 200:
            raise _status_error(index, url, response)
        return parse_project_page(
            project, response.url, response.content_type, response.body, index_url=index.url
        )

    # -- dependency hints (PyPI JSON API) --------------------------------------------------------

    async def hint(self, name: str) -> Hint | None:
        """The newest release's version and Requires-Dist from the first index with a PyPI JSON
        API (:mod:`micropip2.index.hints`); None when there is none, or on any failure: a hint
        is optional and never an error."""
        project = _project_name(name)
        if self.sources:  # a source may list it, or forbid asking the indexes: no guessing
            return None
        found = ((i, url) for i in self.indexes if (url := json_api_url(i, project)) is not None)
        index, url = next(found, (None, None))
        if index is None or url is None:
            return None
        return await self._once("hint", url, lambda: self._fetch_hint(index, url))

    async def _fetch_hint(self, index: IndexURL, url: str) -> Hint | None:
        headers = {"Accept": "application/json", **index.auth_headers(url)}
        try:
            response = await self.fetcher.page(
                url, headers, log=self.requests, enough=info_complete, decides=False
            )
        except DownloadError:
            return None
        return parse_hint(response.body) if response.status == 200 else None

    # -- metadata files ------------------------------------------------------------------------

    async def metadata(self, file: ProjectFile) -> bytes | None:
        """The file's core metadata from ``<url>.metadata`` (PEP 658/714), checked against
        :attr:`ProjectFile.metadata_sha256` when the page gave one; ``None`` when the index does
        not serve it (not announced on the page, or 404/410)."""
        if not file.has_metadata:
            return None
        url = file.url + ".metadata"
        return await self._once("metadata", url, lambda: self._fetch_metadata(file, url))

    async def _fetch_metadata(self, file: ProjectFile, url: str) -> bytes | None:
        if file.metadata_sha256:
            stored = await self.fetcher.stored(file.metadata_sha256)
            if stored is not None:
                return stored
        index = self._index_named(file.index_url)
        shown = index.url if index is not None else (file.index_url or origin_of(url))
        headers = self.auth_headers(url, file.index_url)
        response = await self._get(shown, url, headers)
        if response.status in NOT_HERE_STATUSES:
            return None
        if response.status != 200:
            raise _status_error(index, url, response, shown)
        _check_metadata_hash(file, url, response.body)
        if file.metadata_sha256:
            self.fetcher.keep(file.metadata_sha256, response.body, headers)
        return response.body

    # -- credentials ---------------------------------------------------------------------------

    def auth_headers(self, url: str, index_url: str | None) -> dict[str, str]:
        """``Authorization`` for ``url`` when the index ``index_url`` (as in
        :attr:`ProjectFile.index_url`) has credentials and ``url`` is on that index's origin;
        otherwise nothing. Use it for downloading the files an index listed."""
        index = self._index_named(index_url)
        return index.auth_headers(url) if index is not None else {}

    def _index_named(self, index_url: str | None) -> IndexURL | None:
        return next((index for index in self.indexes if index.url == index_url), None)

    # -- requests --------------------------------------------------------------------------------

    async def _once(self, kind: str, url: str, fetch: Callable[[], Awaitable[T]]) -> T:
        """``fetch()``'s result for this URL: shared while in flight, kept once done, forgotten
        on error. Callers that are cancelled do not cancel a request others wait for."""
        key = (kind, url)
        shared: asyncio.Future[Any] | None = self._results.get(key)
        if shared is None:
            shared = asyncio.ensure_future(fetch())
            self._results[key] = shared
            shared.add_done_callback(lambda done: self._forget_failure(key, done))
        else:
            self.cache_hits += 1
        return cast(T, await asyncio.shield(shared))

    def _forget_failure(self, key: tuple[str, str], done: asyncio.Future[Any]) -> None:
        if (done.cancelled() or done.exception() is not None) and self._results.get(key) is done:
            del self._results[key]

    async def _get(
        self, index_url: str, url: str, headers: dict[str, str], page: bool = False
    ) -> Response:
        """One GET (a project page's through the persistent cache), with the fetch layer's
        retries."""
        get = self.fetcher.page if page else self.fetcher.get
        try:
            return await get(url, headers, log=self.requests)
        except DownloadError as exc:
            problem = f"got no answer ({_reason(exc, url)})"
            raise IndexRequestError(index_url, url, problem, timed_out=exc.timed_out) from exc


def _project_name(name: str) -> NormalizedName:
    if not _PROJECT_NAME.match(name.strip()):
        raise InvalidRequirementError(
            f"{name!r} is not a valid project name (PEP 508), so no index can list it",
            requirement=name,
        )
    return canonicalize_name(name.strip())


def _merge(project: NormalizedName, pages: list[ProjectPage]) -> ProjectPage:
    """All pages' files, one per file name, the earlier index winning."""
    files: dict[str, ProjectFile] = {}
    for page in pages:
        for file in page.files:
            files.setdefault(file.filename, file)
    return ProjectPage(
        project,
        tuple(files.values()),
        tuple(url for page in pages for url in page.index_urls),
        tuple(refused for page in pages for refused in page.refused),
    )


def _check_metadata_hash(file: ProjectFile, url: str, body: bytes) -> None:
    if file.metadata_sha256 is None:
        return
    actual = hashlib.sha256(body).hexdigest()
    if actual != file.metadata_sha256:
        raise HashMismatchError(
            f"the metadata file {url} has sha256 {actual}, "
            f"but the index {file.index_url or '(unknown)'} "
            f"promised {file.metadata_sha256} (PEP 658); {len(body)} bytes received, not used",
            expected=file.metadata_sha256,
            actual=actual,
            url=url,
            file=file.filename,
        )


def _status_error(
    index: IndexURL | None, url: str, response: Response, shown: str = ""
) -> IndexRequestError:
    status = response.status
    problem = f"answered HTTP {status}" + _body_excerpt(response)
    if status in (401, 403):
        if index is not None and index.has_credentials:
            hint = "the credentials in the index URL were refused"
        else:
            hint = "the index wants credentials: put them in the index URL, https://user:password@host/..."
    elif status >= 500:
        hint = (
            "a server error (the request was tried again, and failed each time); micropip2 "
            "does not skip a failing index, since another index could "
            "list a different project of the same name: try again, or leave this index out"
        )
    else:
        hint = "only 200 (the page) and 404 (not on this index) are expected"
    return IndexRequestError(index.url if index is not None else shown, url, problem, hint)


def _body_excerpt(response: Response) -> str:
    if response.content_type not in ("text/plain", "application/json") or not response.body:
        return ""
    text = " ".join(response.body[:200].decode("utf-8", errors="replace").split())
    return f" ({text})" if text else ""


def _reason(exc: DownloadError, url: str) -> str:
    return str(exc).removeprefix(f"could not fetch {url}: ")
