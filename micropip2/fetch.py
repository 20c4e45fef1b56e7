"""The fetch layer: every byte micropip2 downloads goes through one :class:`Fetcher`.

Project pages and metadata files (:meth:`Fetcher.get`, any HTTP status, for the index client to
read) and files (:meth:`Fetcher.file`: wheels, lockfiles, distribution files, checked against
the sha256 and size they were promised). It owns:

* the request: ``http(s)://``, a URL relative to the page (on Node, a path of the host),
  ``file:`` (a host file, on Node) and ``emfs:`` (the Emscripten file system);
* one request per URL for files: a second caller of the same URL shares the first download;
* time and size limits for every request (:class:`Network`): an answer must start within
  ``timeout`` seconds and its body may not pause longer than that; a page or metadata file may
  not exceed :mod:`micropip2.limits`' ``page_size``, a file the size it was promised (else
  ``MAX_FILE_BYTES``);
* retries: a GET that got no answer, hit a time limit, or was answered 408, 429 or 5xx is sent
  again, up to ``attempts`` tries in all, after a backoff (or the server's ``Retry-After``, up to
  a cap); cancelling a download aborts its request;
* verification: size first (a clear "got N bytes" message), then sha256;
* the Fetch API's ``credentials`` mode (cookies, in browsers) for every request;
* events (:class:`FetchEvent`: started, progress (bytes so far), done, failed, cached) for
  whoever watches: the verbose printer, :mod:`micropip2.progress`;
* the persistent cache (:mod:`micropip2.cache`): a file promised a sha256 is looked up in the
  store first and kept there once verified; an entry is hashed again when read and dropped if
  it does not match; project pages are kept and reused by HTTP's caching rules
  (:meth:`Fetcher.page`); nothing fetched with credentials (an ``Authorization`` header, or the
  ``include`` credentials mode) is stored. A store that fails is treated as empty;
* credentials written in a URL (``https://user:password@host/...``, which the Fetch API refuses
  and which must never be shown or recorded): :func:`without_url_credentials` takes them out
  where the URL enters micropip2 and every request for exactly that URL (or its PEP 658
  ``.metadata``) carries them as ``Authorization: Basic``. They stay in this interpreter's
  memory only; a URL that still holds credentials when it reaches the fetch layer is treated
  the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from . import limits
from .errors import DownloadError, HashMismatchError, InvalidOptionError, LimitExceededError
from .locations import basic_authorization, is_remote, scheme_of, split_credentials
from .page_cache import StoredPage, decode, encode, page_key, storable
from .runtime import Enough, Response, Runtime, Transfer
from .store import Store, key_for

FETCH_CREDENTIALS_MODES = ("omit", "same-origin", "include")  # the Fetch API's ``credentials``
RETRIED_STATUSES = frozenset({408, 429}) | frozenset(range(500, 600))
MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024  # a file of unknown size (the wasm32 heap is 4 GB)


@dataclass(frozen=True)
class Network:
    """The time limits and retries of every request of an operation."""

    timeout: float = 15.0  # seconds to the answer's headers, and that a body may pause
    attempts: int = 3  # tries of one GET in all (no answer, a time limit, 408, 429, 5xx)
    backoff: float = 0.5  # seconds before the second try; doubled before each next one
    max_retry_after: float = 10.0  # a server's Retry-After is waited for up to this

    def pause(self, attempt: int, response: Response | None) -> float:
        """Seconds to wait before the try after ``attempt`` (1 for the first)."""
        asked = _retry_after(response) if response is not None else None
        if asked is not None:
            return float(min(asked, self.max_retry_after))
        return float(self.backoff * 2.0 ** (attempt - 1))


DEFAULT_NETWORK = Network()


@dataclass(frozen=True)
class FetchEvent:
    """One step of one download, for progress display."""

    kind: Literal["started", "progress", "done", "failed", "cached"]
    url: str
    size: int | None = None  # bytes: received ("progress", "done", "cached"), or expected
    total: int | None = None  # bytes expected (the promised size, else Content-Length)
    page: bool = False  # a project page from the cache: said in verbose output, not a download


@dataclass(frozen=True)
class Fetched:
    """A file's bytes and their sha256 (hex)."""

    data: bytes
    sha256: str


Observer = Callable[[FetchEvent], None]

# URL (without credentials, without fragment) -> the Authorization value its URL carried.
_URL_AUTHORIZATION: dict[str, str] = {}
METADATA_SUFFIX = ".metadata"  # PEP 658: a file's metadata is at <file url>.metadata


def without_url_credentials(url: str) -> str:
    """``url`` without its ``user:password@``; the credentials are kept (in memory, for this
    interpreter) and sent as ``Authorization: Basic`` with every request for exactly that URL
    and its PEP 658 ``.metadata`` file, and nowhere else."""
    plain, user, password = split_credentials(url)
    if user is not None:
        _URL_AUTHORIZATION[plain.split("#", 1)[0]] = basic_authorization(user, password)
    return plain


def with_url_credentials(
    url: str, headers: Mapping[str, str] | None
) -> tuple[str, Mapping[str, str] | None]:
    """(``url`` without credentials, ``headers`` plus the ``Authorization`` its credentials
    make, if any); credentials in the URL itself take precedence over an index's."""
    url = without_url_credentials(url)
    bare = url.split("#", 1)[0]
    authorization = _URL_AUTHORIZATION.get(bare) or _URL_AUTHORIZATION.get(
        bare.removesuffix(METADATA_SUFFIX) if bare.endswith(METADATA_SUFFIX) else ""
    )
    if authorization is None:
        return url, headers
    others = {k: v for k, v in (headers or {}).items() if k.lower() != "authorization"}
    return url, {**others, "Authorization": authorization}


class Fetcher:
    """Requests and downloads for one operation (an install, a sync, a lock check)."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        fetch_credentials: str | None = None,
        observers: tuple[Observer, ...] = (),
        store: Store | None = None,
        network: Network = DEFAULT_NETWORK,
    ) -> None:
        if fetch_credentials is not None and fetch_credentials not in FETCH_CREDENTIALS_MODES:
            raise InvalidOptionError(
                f"fetch_credentials must be one of {', '.join(FETCH_CREDENTIALS_MODES)}, "
                f"not {fetch_credentials!r}"
            )
        self.runtime = runtime
        self.fetch_credentials = fetch_credentials
        self.observers = observers
        self.store = store
        self.network = network
        self.requests: list[str] = []  # every URL actually requested, in order (retries included)
        # Project pages this fetcher answered (for :mod:`micropip2.resolutions`): the store key
        # and body sha256 of each kept one, and the URL of each that could not be kept.
        self.pages_read: dict[str, str] = {}
        self.pages_not_kept: list[str] = []
        self._files: dict[str, asyncio.Future[Fetched]] = {}
        self._writes: set[asyncio.Future[None]] = set()  # to the store, under way

    async def get(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        log: list[str] | None = None,
        *,
        enough: Enough | None = None,
    ) -> Response:
        """One GET of an http(s) URL (a page or a metadata file), whatever the final status;
        tried again as :class:`Network` says. Raises :class:`DownloadError` when the last try got
        no answer. Each try is also appended to ``log`` when given. ``enough``: read only a
        prefix of the body (:class:`~micropip2.runtime.Transfer`)."""
        url, headers = with_url_credentials(url, headers)
        page_size = limits.current().page_size
        try:
            return await self._tries(url, headers, self._transfer(page_size, enough=enough), log)
        except DownloadError as exc:
            if not exc.too_large:
                raise
            how = f"micropip2.limits.set_limits(page_size={page_size * 4})"
            raise LimitExceededError(
                f"{url} was refused: it is larger than micropip2's limit of {page_size} bytes "
                f"for an index page or metadata file (page_size). If you trust this index, "
                f"raise the limit with {how} and try again",
                limit="page_size",
                value=page_size,
                found=page_size + 1,
                how=how,
                url=url,
            ) from None

    async def _tries(
        self,
        url: str,
        headers: Mapping[str, str] | None,
        transfer: Transfer,
        log: list[str] | None = None,
        first: Awaitable[Response] | None = None,
    ) -> Response:
        """The answer to ``url`` after up to ``network.attempts`` tries (one for a path of the
        host: reading it again gives the same answer); ``first``: the first try, already sent."""
        attempts = self.network.attempts if is_remote(url) else 1
        for attempt in range(1, attempts + 1):
            if first is None:
                self.requests.append(url)
                if log is not None:
                    log.append(url)
                first = self.runtime.get(url, headers, self.fetch_credentials, transfer=transfer)
            sending, first = first, None
            try:
                response = await sending
            except DownloadError as exc:
                if exc.too_large:  # the same bytes again: not worth another try
                    raise
                if attempt == attempts:
                    raise _after_tries(exc, attempt) from exc
                await asyncio.sleep(self.network.pause(attempt, None))
                continue
            if response.status not in RETRIED_STATUSES or attempt == attempts:
                return response
            await asyncio.sleep(self.network.pause(attempt, response))
        raise AssertionError("unreachable")

    def _transfer(
        self, max_bytes: int, *, enough: Enough | None = None, on_bytes: Any = None
    ) -> Transfer:
        timeout = self.network.timeout
        return Transfer(timeout, timeout, max_bytes, enough, on_bytes)

    def start(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        sha256: str | None = None,
        size: int | None = None,
    ) -> None:
        """Send the request for ``url`` now, before returning (a caller starting many gets them
        all on the wire at once, not one per event-loop turn); :meth:`file` then waits for it
        rather than asking again. With a store and a promised ``sha256``, the store is asked
        first and the request goes out only if it has no such file."""
        if url in self._files:
            return
        sent, headers = with_url_credentials(url, headers)
        if self.store is not None and sha256:
            future = asyncio.ensure_future(self._stored_or_fetched(sent, headers, sha256, size))
        else:
            future = asyncio.ensure_future(self._fetched(sent, headers, size))
        future.add_done_callback(lambda done: self._forget_failure(url, done))
        self._files[url] = future

    async def page(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        log: list[str] | None = None,
        *,
        enough: Enough | None = None,
        decides: bool = True,
    ) -> Response:
        """:meth:`get` for a project page, through the persistent cache by HTTP's caching rules
        (:mod:`micropip2.page_cache`): a fresh stored page is the answer without a request; a
        stale one makes the request conditional (except where the runtime's own HTTP cache
        revalidates) and a ``304`` renews it; a storable ``200`` is kept. Pages asked for with
        credentials are neither read from nor kept in the store. ``decides``: the answer can
        change a resolution (a speculative hint cannot), so it is recorded in
        :attr:`pages_read` or :attr:`pages_not_kept`."""
        url, headers = with_url_credentials(url, headers)
        if self.store is None or self._credentialed(headers):
            self._note_not_kept(url, decides)
            return await self.get(url, headers, log, enough=enough)
        key = page_key(url, headers)
        blob = await self._read(key)
        stored = decode(blob) if blob is not None else None
        if blob is not None and stored is None:
            await self._drop(key)  # not a whole page: never used
        now = time.time()
        if stored is not None and stored.fresh(now):
            self._emit(FetchEvent("cached", url, len(stored.response.body), page=True))
            return self._note_read(key, stored.response, decides)
        ask = dict(headers or {})
        if stored is not None and not self.runtime.has_http_cache:
            ask.update(stored.conditional_headers())
        response = await self.get(url, ask, log, enough=enough)
        if response.status == 304 and stored is not None:
            renewed = stored.renewed(response, now)
            self.put(key, encode(renewed))
            return self._note_read(key, renewed.response, decides)
        if not storable(response):
            self._note_not_kept(url, decides)
            return response
        self.put(key, encode(StoredPage(response, now)))
        return self._note_read(key, response, decides)

    def _note_read(self, key: str, response: Response, decides: bool) -> Response:
        if decides:
            self.pages_read[key] = sha256_hex(response.body)
        return response

    def _note_not_kept(self, url: str, decides: bool) -> None:
        if decides:
            self.pages_not_kept.append(url)

    async def stored(self, sha256: str) -> bytes | None:
        """The store's file of this sha256, hashed again; None if absent or not matching."""
        key = key_for(sha256)
        data = await self._read(key)
        if data is not None and sha256_hex(data) != sha256.lower():
            await self._drop(key)  # corrupt or tampered: never used
            return None
        return data

    def keep(self, sha256: str, data: bytes, headers: Mapping[str, str] | None) -> None:
        """Store verified ``data`` (whose sha256 the caller checked), unless it was fetched with
        credentials (in the background: see :meth:`settle`)."""
        if not self._credentialed(headers):
            self.put(key_for(sha256), data)

    # A failing store is an empty one, and a full or failing store never fails an install.

    async def _read(self, key: str) -> bytes | None:
        try:
            return await self.store.read(key) if self.store is not None else None
        except Exception:
            return None

    def put(self, key: str, data: bytes) -> None:
        """Keep ``data`` under ``key`` in the background: no request or answer waits for the
        store, only :meth:`settle` does."""
        if self.store is None:
            return
        task = asyncio.ensure_future(self._written(self.store, key, data))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _written(self, store: Store, key: str, data: bytes) -> None:
        with contextlib.suppress(Exception):
            await store.write(key, data)

    async def settle(self) -> None:
        """Wait for the store writes still under way: every operation ends with this, so the
        cache holds what it fetched once it returns (a failed write is a file not kept)."""
        while self._writes:
            await asyncio.wait(set(self._writes))

    async def _drop(self, key: str) -> None:
        with contextlib.suppress(Exception):
            if self.store is not None:
                await self.store.drop(key)

    def _credentialed(self, headers: Mapping[str, str] | None) -> bool:
        return self.fetch_credentials == "include" or any(
            name.lower() == "authorization" for name in headers or {}
        )

    async def file(
        self,
        url: str,
        *,
        what: str,
        sha256: str | None = None,
        size: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Fetched:
        """The bytes at ``url`` (shared with any other caller of this URL), checked against
        ``size`` and ``sha256`` when given; ``what`` names the file in errors ("rich 14.0.0")."""
        self.start(url, headers, sha256, size)
        fetched = await asyncio.shield(self._files[url])
        _check(what, url, fetched, sha256, size)
        return fetched

    def _fetched(
        self, url: str, headers: Mapping[str, str] | None, size: int | None
    ) -> Awaitable[Fetched]:
        """The file at ``url``; an http(s) request is sent before this returns, local files are
        read when awaited."""
        scheme = scheme_of(url)
        if scheme == "emfs":
            return self._local(url, _read_emfs(unquote(urlsplit(url).path)))
        if scheme == "file":
            return self._local(url, self.runtime.read_host_file(unquote(urlsplit(url).path)))
        self._emit(FetchEvent("started", url, total=size))

        def on_bytes(received: int, declared: int | None) -> None:
            self._emit(FetchEvent("progress", url, received, size or declared))

        transfer = self._transfer(
            MAX_FILE_BYTES if size is None else size,
            on_bytes=on_bytes if self.observers else None,
        )
        self.requests.append(url)
        first = self.runtime.get(url, headers, self.fetch_credentials, transfer=transfer)
        return self._receive(url, self._tries(url, headers, transfer, first=first), size)

    async def _stored_or_fetched(
        self, url: str, headers: Mapping[str, str] | None, sha256: str, size: int | None
    ) -> Fetched:
        data = await self.stored(sha256)
        if data is not None:
            self._emit(FetchEvent("cached", url, len(data), size))
            return Fetched(data, sha256.lower())
        fetched = await self._fetched(url, headers, size)
        if fetched.sha256 == sha256.lower():
            self.keep(sha256, fetched.data, headers)
        return fetched

    async def _local(self, url: str, reading: Awaitable[bytes]) -> Fetched:
        self._emit(FetchEvent("started", url))
        data = await reading
        self._emit(FetchEvent("done", url, len(data), len(data)))
        return Fetched(data, sha256_hex(data))

    async def _receive(self, url: str, answer: Awaitable[Response], size: int | None) -> Fetched:
        try:
            try:
                response = await answer
            except DownloadError as exc:
                if not exc.too_large:
                    raise
                promised = f"the {size} bytes promised" if size is not None else "2 GiB"
                raise DownloadError(
                    f"could not fetch {url}: it sent more than {promised}; it was not used",
                    url=url,
                    too_large=True,
                ) from None
            if not response.ok:
                raise DownloadError(
                    f"could not fetch {url}: the server answered HTTP {response.status}"
                    + (f" (after {self.network.attempts} tries)" if _retried(response) else ""),
                    status=response.status,
                    url=url,
                )
        except BaseException:
            self._emit(FetchEvent("failed", url, total=size))
            raise
        data = response.body
        self._emit(FetchEvent("done", url, len(data), size or len(data)))
        return Fetched(data, sha256_hex(data))

    def cancel(self) -> None:
        """Stop every download still under way (their requests are aborted)."""
        for future in list(self._files.values()):
            future.cancel()

    def _forget_failure(self, url: str, done: asyncio.Future[Fetched]) -> None:
        """A failed download is not kept: the next caller asks again."""
        if (done.cancelled() or done.exception() is not None) and self._files.get(url) is done:
            del self._files[url]

    def _emit(self, event: FetchEvent) -> None:
        for observer in self.observers:
            observer(event)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _retried(response: Response) -> bool:
    return response.status in RETRIED_STATUSES


def _retry_after(response: Response) -> float | None:
    """A ``Retry-After`` of seconds (an HTTP date is read as "soon": not honoured)."""
    value = response.headers.get("retry-after", "").strip()
    return float(value) if value.isdigit() else None


def _after_tries(exc: DownloadError, tries: int) -> DownloadError:
    """``exc``, saying how many tries were made."""
    if tries == 1:
        return exc
    return DownloadError(
        f"{exc.message} (after {tries} tries)",
        status=exc.status,
        timed_out=exc.timed_out,
        url=exc.url,
    )


def _check(what: str, url: str, fetched: Fetched, sha256: str | None, size: int | None) -> None:
    received = len(fetched.data)
    if size is not None and received != size:
        raise HashMismatchError(
            f"{what}: the file from {url} has {received} bytes, but {size} were expected; "
            "it was not installed",
            url=url,
            expected=f"{size} bytes",
            actual=f"{received} bytes",
        )
    if sha256 is not None and fetched.sha256 != sha256.lower():
        raise HashMismatchError(
            f"{what}: the file from {url} has sha256 {fetched.sha256}, but {sha256} was expected "
            f"({received} bytes received); it was not installed",
            url=url,
            expected=sha256.lower(),
            actual=fetched.sha256,
        )


async def _read_emfs(path: str) -> bytes:
    try:
        if Path(path).exists() and not Path(path).is_file():  # a device would never end
            raise DownloadError(
                f"could not read {path!r} in the Emscripten file system: it is not a regular file",
                url=path,
            )
        return Path(path).read_bytes()
    except (OverflowError, MemoryError) as exc:
        raise DownloadError(
            f"could not read {path!r} in the Emscripten file system: too large "
            f"({type(exc).__name__})",
            url=path,
        ) from None
    except OSError as exc:
        raise DownloadError(
            f"could not read {path!r} in the Emscripten file system: {exc.strerror}", url=path
        ) from exc
