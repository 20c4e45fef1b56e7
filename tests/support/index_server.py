"""A real HTTP package index on loopback, for tests.

``IndexServer`` serves real wheel files over HTTP from ``127.0.0.1`` on a random free port,
in a daemon thread, using only the standard library.  It speaks:

* the Simple Repository API: PEP 503 HTML and PEP 691 JSON, negotiated on ``Accept``
  (or a ``?format=`` query parameter), with PEP 592 yanking, PEP 658/714 core metadata,
  PEP 700 ``versions``/``size``/``upload-time``, and 301 redirects to normalized names;
* a JSON API shaped like the well-known ``/pypi/<project>/json`` and
  ``/pypi/<project>/<version>/json`` endpoints;
* static files: the wheels and their ``.metadata`` files under ``/files/``, anything added with
  :meth:`IndexServer.add_file` or already present under ``root``, and whole directory trees
  mounted under a URL prefix (:meth:`IndexServer.mount`, e.g. a Pyodide distribution for
  browser tests).

Every response carries CORS headers and ``Cache-Control: no-store``; ``OPTIONS`` preflights are
answered; ``HEAD`` and single ``Range`` requests (206/416) work for static files.

Tests can inject latency and faults (:meth:`fail`, :meth:`truncate`, :meth:`corrupt`,
:meth:`delay`), require HTTP Basic auth on some paths (:meth:`require_auth`), and inspect a
thread-safe log of every request (:attr:`requests`, :meth:`find`, :meth:`count`).

Path patterns (``path_or_glob`` arguments) are URL paths such as ``/files/a-1.0-py3-none-any.whl``
or :func:`fnmatch` globs such as ``/files/*.whl`` or ``*.metadata`` (``*`` also matches ``/``).
A pattern that starts with neither ``/`` nor ``*`` gets a leading ``/``; a full URL on this server
is reduced to its path.  Patterns are matched against the percent-decoded path, without the query.

Example::

    with IndexServer() as index:
        index.add_wheel(wheel_bytes, "demo-1.0-py3-none-any.whl")
        index.fail("/files/demo-*.whl", status=503, times=1)
        ...  # point the installer at index.simple_url
        assert index.count("/files/demo-1.0-py3-none-any.whl") == 2
"""

from __future__ import annotations

import base64
import binascii
import email
import email.message
import fnmatch
import hashlib
import html
import io
import json
import mimetypes
import posixpath
import re
import shutil
import socket
import sys
import tempfile
import threading
import time
import traceback
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import parse_qs, quote, unquote, urlsplit

__all__ = ["Fault", "IndexServer", "RequestRecord", "normalize_name"]

JSON_V1 = "application/vnd.pypi.simple.v1+json"
HTML_V1 = "application/vnd.pypi.simple.v1+html"
TEXT_HTML = "text/html"

_BASE_UPLOAD_TIME = datetime(2024, 1, 1, tzinfo=UTC)
_CONTENT_TYPES = {
    ".wasm": "application/wasm",
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".json": "application/json",
    ".html": "text/html",
    ".zip": "application/zip",
    ".whl": "application/octet-stream",
    ".metadata": "application/octet-stream",
}


def normalize_name(name: str) -> str:
    """PEP 503 normalization: runs of ``-``, ``_`` and ``.`` become ``-``, lower case."""
    return re.sub(r"[-_.]+", "-", name).lower()


# --------------------------------------------------------------------------- versions
# A compact PEP 440 ordering (stdlib only), used to sort versions and pick the "latest" one.

_VERSION_RE = re.compile(
    r"""^\s*v?
    (?:(?P<epoch>[0-9]+)!)?
    (?P<release>[0-9]+(?:\.[0-9]+)*)
    (?P<pre>[-_.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?P<pre_n>[0-9]+)?)?
    (?P<post>(?:-(?P<post_n1>[0-9]+))|(?:[-_.]?(?:post|rev|r)[-_.]?(?P<post_n2>[0-9]+)?))?
    (?P<dev>[-_.]?dev[-_.]?(?P<dev_n>[0-9]+)?)?
    (?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?
    \s*$""",
    re.VERBOSE | re.IGNORECASE,
)
_PRE_RANK = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}


def _version_key(version: str) -> tuple[object, ...]:
    m = _VERSION_RE.match(version)
    if m is None:  # not PEP 440: sorts below every valid version
        return (0, version)
    release = [int(p) for p in m["release"].split(".")]
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    if m["pre"]:
        pre: tuple[int, ...] = (1, _PRE_RANK[m["pre_l"].lower()], int(m["pre_n"] or 0))
    elif m["dev"] and not m["post"]:
        pre = (0,)  # 1.0.dev0 < 1.0a0
    else:
        pre = (2,)
    post = (1, int(m["post_n1"] or m["post_n2"] or 0)) if m["post"] else (0,)
    dev = (0, int(m["dev_n"] or 0)) if m["dev"] else (1,)
    local: tuple[object, ...] = (0,)
    if m["local"]:
        parts = re.split(r"[-_.]", m["local"].lower())
        local = (1, tuple((1, int(p), "") if p.isdigit() else (0, 0, p) for p in parts))
    return (1, int(m["epoch"] or 0), tuple(release), pre, post, dev, local)


def _is_prerelease(version: str) -> bool:
    m = _VERSION_RE.match(version)
    return bool(m and (m["pre"] or m["dev"]))


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class RequestRecord:
    """One request the server answered.

    Appended just before the response is written, so once a client has a response, its
    record is in :attr:`IndexServer.requests`.
    """

    method: str
    path: str  # percent-decoded, without the query
    query: str
    headers: Mapping[str, str]  # lower-case names; repeated headers joined with ", "
    status: int  # 0 if the handler crashed before choosing one
    time: float  # time.monotonic() when the request line was read
    end: float  # time.monotonic() just before the response was written (after any delay)
    delay: float  # seconds the server slept on purpose (latency + delay faults)
    bytes_sent: int  # body bytes in the response (HEAD: 0; truncate: the cut length)
    auth: tuple[str, str] | None  # (user, password) from an Authorization: Basic header

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


FaultKind = Literal["status", "truncate", "corrupt", "delay", "stall"]


@dataclass
class Fault:
    """An injected fault; returned by :meth:`IndexServer.fail` and friends.

    ``hits`` counts the requests it applied to; ``times`` is how many it may still apply to
    (``None``: unlimited).
    """

    kind: FaultKind
    pattern: str
    times: int | None
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    nbytes: int = 0
    close_early: bool = False
    seconds: float = 0.0
    hits: int = 0

    @property
    def active(self) -> bool:
        return self.times is None or self.times > 0

    def _consume(self) -> None:
        self.hits += 1
        if self.times is not None:
            self.times -= 1


@dataclass
class _Dist:
    filename: str
    project: str  # normalized
    version: str
    packagetype: Literal["bdist_wheel", "sdist"]
    python_version: str
    size: int
    sha256: str
    md5: str
    blake2b_256: str
    hashes: dict[str, str]  # what listings show
    metadata_sha256: str | None
    metadata: email.message.Message | None
    requires_python: str | None
    yanked: str | bool
    upload_time: str  # PEP 700 format, "...Z"
    serial: int


@dataclass
class _Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    declared_length: int | None = None  # Content-Length to announce if not len(body)
    close: bool = False
    pause_after: int | None = None  # send this many body bytes, then pause ``pause`` seconds
    pause: float = 0.0


@dataclass
class _AuthRule:
    user: str
    password: str
    pattern: str


# --------------------------------------------------------------------------- server


class IndexServer:
    """A package index on ``http://127.0.0.1:<random port>``; see the module docstring.

    ``root`` is the directory served at ``/`` (wheels are written to ``root/files/``); a
    temporary directory, removed by :meth:`stop`, when ``None``.

    Settable attributes (take effect on the next request):

    * ``latency``: seconds slept before every response, ``OPTIONS`` included;
    * ``force_html``: answer Simple API requests with ``text/html`` whatever was asked;
    * ``absolute_urls``: Simple API file URLs are absolute (default: relative,
      ``../../files/<name>``); the ``/pypi/`` JSON API always uses absolute URLs;
    * ``files_base_url``: when set, listings point files at ``files_base_url + <quoted name>``
      (e.g. another server's ``url + "/files/"``, to model a separate file host);
    * ``api_version``: PEP 691 ``meta.api-version`` and the PEP 629 HTML meta tag;
    * ``verbose``: log each request to stderr;
    * ``page_max_age``: when set, PyPI's caching headers: project pages (``/simple/``, ``/pypi/``)
      carry ``Cache-Control: max-age=<page_max_age>`` and an ``ETag``, and a request whose
      ``If-None-Match`` names the current ETag is answered ``304``; files are cacheable for a
      year (``immutable``). Unset (the default), every response says ``no-store``;
    * ``json_api_requires``: normalized name -> the ``info.requires_dist`` the JSON API gives
      instead of the newest wheel's (a JSON API that disagrees with the files' metadata).

    Read-only counters: ``in_flight`` (requests read but not yet answered) and
    ``max_in_flight`` (the most at once since creation or :meth:`clear_requests`; meant for
    upper-bound checks on a client's concurrency).
    """

    def __init__(
        self,
        root: Path | str | None = None,
        *,
        latency: float = 0.0,
        force_html: bool = False,
        absolute_urls: bool = False,
        files_base_url: str | None = None,
        api_version: str = "1.1",
        verbose: bool = False,
    ) -> None:
        self._tmpdir: str | None = None
        if root is None:
            self._tmpdir = tempfile.mkdtemp(prefix="index-server-")
            root = self._tmpdir
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.latency = latency
        self.force_html = force_html
        self.absolute_urls = absolute_urls
        self.files_base_url = files_base_url
        self.api_version = api_version
        self.verbose = verbose
        self.page_max_age: int | None = None
        self.json_api_requires: dict[str, list[str]] = {}

        self._lock = threading.RLock()
        self._projects: dict[str, dict[str, _Dist]] = {}
        self._display_names: dict[str, str] = {}
        self._serial = 0
        self._faults: list[Fault] = []
        self._auth_rules: list[_AuthRule] = []
        self._redirects: dict[str, tuple[int, str]] = {}
        self._content_types: dict[str, str] = {}
        self._mounts: list[tuple[str, Path]] = []
        self._requests: list[RequestRecord] = []
        self._in_flight = 0
        self.max_in_flight = 0
        self._stopped = False
        self._thread: threading.Thread | None = None
        # Bound (and listening) right away so that ``url`` is known before start().
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Serve in a daemon thread.  A stopped server cannot be started again."""
        if self._stopped:
            raise RuntimeError("IndexServer was stopped; make a new one")
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"IndexServer:{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the socket, remove the temporary root (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()
        self._httpd.close_connections()
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def simple_url(self) -> str:
        """The Simple API root, ``<url>/simple/``."""
        return f"{self.url}/simple/"

    @property
    def json_api_url(self) -> str:
        """``<url>/pypi/{package_name}/json``: a template with a ``{package_name}`` placeholder."""
        return f"{self.url}/pypi/{{package_name}}/json"

    def url_for(self, filename: str) -> str:
        """Absolute URL of a file added with add_wheel/add_sdist on this server."""
        return f"{self.url}/files/{quote(filename)}"

    # ------------------------------------------------------------------ content

    def add_file(self, relpath: str, data: bytes, *, content_type: str | None = None) -> str:
        """Serve ``data`` at ``/relpath`` (written under root); returns its absolute URL."""
        rel = _safe_relpath(relpath)
        if rel is None or rel == "":
            raise ValueError(f"bad relative path: {relpath!r}")
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        with self._lock:
            if content_type is None:
                self._content_types.pop("/" + rel, None)
            else:
                self._content_types["/" + rel] = content_type
        return f"{self.url}/{quote(rel)}"

    def mount(self, prefix: str, directory: Path | str) -> str:
        """Serve the tree at ``directory`` under URL ``/prefix/``; returns ``<url>/prefix/``.

        Symbolic links inside the tree are followed; ``..`` segments are refused.
        A directory URL answers with its ``index.html`` if present, else 404.
        """
        norm = "/" + prefix.strip("/")
        if norm == "/":
            raise ValueError("mount prefix must not be empty; use root for /")
        with self._lock:
            self._mounts = [(p, d) for p, d in self._mounts if p != norm]
            self._mounts.append((norm, Path(directory)))
            self._mounts.sort(key=lambda m: len(m[0]), reverse=True)
        return f"{self.url}{quote(norm)}/"

    def add_redirect(self, path: str, location: str, status: int = 302) -> None:
        """Answer requests for exactly ``path`` with a redirect to ``location``."""
        with self._lock:
            self._redirects[self._pattern(path)] = (status, location)

    def add_project(self, name: str) -> None:
        """Make a project exist (an empty listing) even before it has files."""
        with self._lock:
            norm = normalize_name(name)
            self._projects.setdefault(norm, {})
            self._display_names.setdefault(norm, name)

    def add_wheel(
        self,
        path_or_bytes: Path | str | bytes,
        filename: str | None = None,
        *,
        project: str | None = None,
        metadata: bool | bytes = True,
        yanked: str | bool = False,
        requires_python: str | None = None,
        upload_time: str | None = None,
        hashes: dict[str, str] | None = None,
    ) -> str:
        """Store a wheel under ``/files/<filename>`` and list it in its project.

        ``filename`` defaults to the basename of a path (required with bytes).  The project is
        the PEP 503-normalized name from the filename unless ``project`` is given.

        ``metadata``: ``True`` extracts ``<name>.dist-info/METADATA`` from the zip and serves it
        at ``/files/<filename>.metadata`` (PEP 658/714); ``bytes`` serves those bytes instead
        (to model metadata that disagrees with the wheel); ``False`` serves none.

        ``requires_python``: ``None`` takes ``Requires-Python`` from the metadata (as an index
        does on upload); ``""`` lists none.  ``yanked``: ``True`` or a reason string.
        ``upload_time``: PEP 700 string; default: 2024-01-01T00:00:00Z plus one minute per
        file added, so upload order is deterministic.  ``hashes``: what listings show instead of
        the real ``{"sha256": ...}`` (``{}`` lists no hash, a wrong value models a bad index).

        Returns the absolute URL of the file on this server.
        """
        data, filename = _read_input(path_or_bytes, filename)
        if not filename.endswith(".whl"):
            raise ValueError(f"not a wheel filename: {filename!r}")
        parts = filename[: -len(".whl")].split("-")
        if len(parts) not in (5, 6):
            raise ValueError(f"not a wheel filename: {filename!r}")
        name, version, python_tag = parts[0], parts[1], parts[-3]
        meta_bytes: bytes | None
        if metadata is True:
            meta_bytes = _wheel_metadata(data, name, version, filename)
        elif metadata is False:
            meta_bytes = None
        else:
            meta_bytes = bytes(metadata)
        return self._add_dist(
            data,
            filename,
            project or name,
            version,
            "bdist_wheel",
            python_tag,
            meta_bytes,
            yanked,
            requires_python,
            upload_time,
            hashes,
        )

    def add_sdist(
        self,
        path_or_bytes: Path | str | bytes,
        filename: str | None = None,
        *,
        project: str | None = None,
        version: str | None = None,
        yanked: str | bool = False,
        requires_python: str | None = None,
        upload_time: str | None = None,
        hashes: dict[str, str] | None = None,
    ) -> str:
        """List a source distribution (served as a plain file, no metadata file).

        ``project``/``version`` default to the parts of ``<name>-<version>.tar.gz`` (or
        ``.zip``, ``.tar.bz2``, ...).  ``requires_python=None`` lists none.
        """
        data, filename = _read_input(path_or_bytes, filename)
        stem = re.sub(r"\.(tar\.gz|tar\.bz2|tar\.xz|tgz|zip|tar)$", "", filename)
        if stem == filename or "-" not in stem:
            if project is None or version is None:
                raise ValueError(f"cannot parse sdist filename {filename!r}: pass project/version")
            name, ver = project, version
        else:
            name, ver = stem.rsplit("-", 1)
        return self._add_dist(
            data,
            filename,
            project or name,
            version or ver,
            "sdist",
            "source",
            None,
            yanked,
            requires_python if requires_python is not None else "",
            upload_time,
            hashes,
        )

    def _add_dist(
        self,
        data: bytes,
        filename: str,
        project: str,
        version: str,
        packagetype: Literal["bdist_wheel", "sdist"],
        python_version: str,
        meta_bytes: bytes | None,
        yanked: str | bool,
        requires_python: str | None,
        upload_time: str | None,
        hashes: dict[str, str] | None,
    ) -> str:
        if _safe_relpath("files/" + filename) != "files/" + filename:
            raise ValueError(f"bad filename: {filename!r}")
        files = self.root / "files"
        files.mkdir(parents=True, exist_ok=True)
        (files / filename).write_bytes(data)
        meta_path = files / (filename + ".metadata")
        parsed: email.message.Message | None = None
        if meta_bytes is not None:
            meta_path.write_bytes(meta_bytes)
            parsed = email.message_from_bytes(meta_bytes)
        elif meta_path.exists():
            meta_path.unlink()
        if requires_python is None and parsed is not None:
            requires_python = parsed.get("Requires-Python")
        sha256 = hashlib.sha256(data).hexdigest()
        norm = normalize_name(project)
        with self._lock:
            self._serial += 1
            if upload_time is None:
                when = _BASE_UPLOAD_TIME + timedelta(minutes=self._serial)
                upload_time = when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            dist = _Dist(
                filename=filename,
                project=norm,
                version=version,
                packagetype=packagetype,
                python_version=python_version,
                size=len(data),
                sha256=sha256,
                md5=hashlib.md5(data).hexdigest(),
                blake2b_256=hashlib.blake2b(data, digest_size=32).hexdigest(),
                hashes=dict(hashes) if hashes is not None else {"sha256": sha256},
                metadata_sha256=hashlib.sha256(meta_bytes).hexdigest() if meta_bytes else None,
                metadata=parsed,
                requires_python=requires_python or None,
                yanked=yanked,
                upload_time=upload_time,
                serial=self._serial,
            )
            self._projects.setdefault(norm, {})[filename] = dist
            if parsed is not None and parsed.get("Name"):
                self._display_names[norm] = str(parsed["Name"])
            else:
                self._display_names.setdefault(norm, project)
        return self.url_for(filename)

    # ------------------------------------------------------------------ faults & auth

    def fail(
        self,
        path_or_glob: str,
        status: int = 500,
        times: int | None = None,
        body: bytes = b"injected failure\n",
        headers: Mapping[str, str] | None = None,
    ) -> Fault:
        """The next ``times`` requests (``None``: all) to matching paths get ``status``.

        ``headers`` are added to the failure response (e.g. ``{"Retry-After": "0"}``).
        """
        return self._add_fault(
            Fault(
                "status",
                self._pattern(path_or_glob),
                times,
                status=status,
                body=body,
                headers=dict(headers or {}),
            )
        )

    def truncate(
        self,
        path_or_glob: str,
        nbytes: int,
        *,
        times: int | None = None,
        close_early: bool = False,
    ) -> Fault:
        """Successful responses to matching paths carry only their first ``nbytes`` bytes.

        By default the status is still 200 and ``Content-Length`` says ``nbytes``: a clean
        but short download only a size/hash check can catch.  ``close_early=True`` announces
        the full length and closes the connection after ``nbytes``: the client sees a
        network error mid-body.
        """
        return self._add_fault(
            Fault(
                "truncate",
                self._pattern(path_or_glob),
                times,
                nbytes=nbytes,
                close_early=close_early,
            )
        )

    def corrupt(self, path_or_glob: str, *, times: int | None = None) -> Fault:
        """Successful responses to matching paths have some bytes flipped (same length)."""
        return self._add_fault(Fault("corrupt", self._pattern(path_or_glob), times))

    def delay(self, path_or_glob: str, seconds: float, *, times: int | None = None) -> Fault:
        """Sleep ``seconds`` (on top of ``latency``) before answering matching paths."""
        return self._add_fault(Fault("delay", self._pattern(path_or_glob), times, seconds=seconds))

    def stall(
        self, path_or_glob: str, nbytes: int, seconds: float, *, times: int | None = None
    ) -> Fault:
        """Successful responses to matching paths send their headers and first ``nbytes``
        body bytes, then nothing for ``seconds``, then the rest (a body that stops mid-way)."""
        return self._add_fault(
            Fault("stall", self._pattern(path_or_glob), times, nbytes=nbytes, seconds=seconds)
        )

    def reset_faults(self) -> None:
        """Remove every fault (latency and auth rules are kept)."""
        with self._lock:
            self._faults.clear()

    def require_auth(self, user: str, password: str, path_glob: str = "/*") -> None:
        """Matching paths answer 401 unless ``Authorization: Basic`` carries these credentials.

        ``OPTIONS`` preflights are never challenged (browsers send them without credentials).
        """
        with self._lock:
            self._auth_rules.append(_AuthRule(user, password, self._pattern(path_glob)))

    def clear_auth(self) -> None:
        with self._lock:
            self._auth_rules.clear()

    def _add_fault(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    # ------------------------------------------------------------------ request log

    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot of every answered request, oldest first."""
        with self._lock:
            return list(self._requests)

    @property
    def in_flight(self) -> int:
        """Requests read but not yet answered (OPTIONS included)."""
        with self._lock:
            return self._in_flight

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()
            self.max_in_flight = self._in_flight

    def find(self, path_or_glob: str, method: str | None = None) -> list[RequestRecord]:
        """Recorded requests to matching paths; ``method=None`` means all but ``OPTIONS``."""
        pattern = self._pattern(path_or_glob)
        return [
            r
            for r in self.requests
            if fnmatch.fnmatchcase(r.path, pattern)
            and (r.method != "OPTIONS" if method is None else r.method == method.upper())
        ]

    def count(self, path_or_glob: str, method: str | None = None) -> int:
        """How many requests matched (``method=None``: all methods but ``OPTIONS``)."""
        return len(self.find(path_or_glob, method))

    # ------------------------------------------------------------------ internals

    def _pattern(self, p: str) -> str:
        if p.startswith(("http://", "https://")):
            p = unquote(urlsplit(p).path) or "/"
        if not p.startswith(("/", "*")):
            p = "/" + p
        return p

    def _enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _leave(self, record: RequestRecord) -> None:
        with self._lock:
            self._in_flight -= 1
            self._requests.append(record)

    def _respond(
        self,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        auth: tuple[str, str] | None,
    ) -> _Response:
        with self._lock:
            latency = float(self.latency)
            if method == "OPTIONS":
                return self._preflight(headers, latency)
            delay = latency
            for rule in self._auth_rules:
                if fnmatch.fnmatchcase(path, rule.pattern) and auth != (rule.user, rule.password):
                    return _Response(
                        401,
                        b"authentication required\n",
                        {"WWW-Authenticate": 'Basic realm="index"', "Content-Type": "text/plain"},
                        delay,
                    )
            matching = [
                f for f in self._faults if f.active and fnmatch.fnmatchcase(path, f.pattern)
            ]
            for f in matching:
                if f.kind == "delay":
                    f._consume()
                    delay += f.seconds
            for f in matching:
                if f.kind == "status":
                    f._consume()
                    hdrs = {"Content-Type": "text/plain", **f.headers}
                    return _Response(f.status, f.body, hdrs, delay)
            resp = self._route(method, path, query, headers)
            resp.delay = delay
            if self.page_max_age is not None and resp.status == 200:
                resp = self._cacheable(path, headers, resp, self.page_max_age)
            if resp.status in (200, 206):
                for f in matching:
                    if f.kind == "truncate":
                        f._consume()
                        full = len(resp.body)
                        resp.body = resp.body[: f.nbytes]
                        if f.close_early:
                            resp.declared_length = full
                            resp.close = True
                        break
                    if f.kind == "corrupt":
                        f._consume()
                        resp.body = _flip(resp.body)
                        break
                    if f.kind == "stall":
                        f._consume()
                        resp.pause_after, resp.pause = f.nbytes, f.seconds
                        break
            return resp

    @staticmethod
    def _cacheable(
        path: str, headers: Mapping[str, str], resp: _Response, max_age: int
    ) -> _Response:
        if not path.startswith(("/simple/", "/pypi/")):
            resp.headers["Cache-Control"] = "max-age=31557600, immutable, public"
            return resp
        etag = '"' + hashlib.sha256(resp.body).hexdigest()[:32] + '"'
        resp.headers.update({"Cache-Control": f"max-age={max_age}, public", "ETag": etag})
        if headers.get("if-none-match") == etag:
            return _Response(
                304, b"", {"Cache-Control": resp.headers["Cache-Control"], "ETag": etag}, resp.delay
            )
        return resp

    def _preflight(self, headers: Mapping[str, str], latency: float) -> _Response:
        requested = headers.get("access-control-request-headers", "")
        allow_headers = ", ".join(h for h in ("*", "Authorization", requested) if h)
        hdrs = {
            "Access-Control-Allow-Methods": "*, GET, HEAD, OPTIONS",
            "Access-Control-Allow-Headers": allow_headers,
            "Content-Type": "text/plain",
        }
        if headers.get("access-control-request-private-network"):
            hdrs["Access-Control-Allow-Private-Network"] = "true"
        return _Response(204, b"", hdrs, latency)

    def _route(self, method: str, path: str, query: str, headers: Mapping[str, str]) -> _Response:
        if method not in ("GET", "HEAD"):
            return _Response(
                405,
                b"method not allowed\n",
                {"Allow": "GET, HEAD, OPTIONS", "Content-Type": "text/plain"},
                close=True,
            )
        qs = f"?{query}" if query else ""
        if path == "/simple":
            return _redirect(301, "/simple/" + qs)
        if path == "/simple/":
            return self._simple_index(headers, query)
        m = re.fullmatch(r"/simple/([^/]+)(/?)", path)
        if m:
            norm = normalize_name(m[1])
            if norm != m[1] or not m[2]:
                return _redirect(301, f"/simple/{quote(norm)}/{qs}")
            if norm not in self._projects:
                return _not_found()
            return self._simple_project(norm, headers, query)
        m = re.fullmatch(r"/pypi/([^/]+)/json/?", path)
        if m:
            return self._json_api(normalize_name(m[1]), None)
        m = re.fullmatch(r"/pypi/([^/]+)/([^/]+)/json/?", path)
        if m:
            return self._json_api(normalize_name(m[1]), m[2])
        if path in self._redirects:
            status, location = self._redirects[path]
            return _redirect(status, location)
        return self._static(path, headers)

    # --- Simple API

    def _negotiate(self, headers: Mapping[str, str], query: str) -> str | None:
        fmt = parse_qs(query).get("format")
        # A literal "+" in "?format=...v1+json" arrives as a space: put it back.
        accept = fmt[0].replace(" ", "+") if fmt else headers.get("accept")
        if self.force_html:
            return TEXT_HTML
        if not accept:
            return TEXT_HTML
        # Ties in q are broken by specificity: JSON, then v1 HTML, text/html, wildcards.
        ranks = {
            JSON_V1: (3, JSON_V1),
            "application/vnd.pypi.simple.latest+json": (3, JSON_V1),
            HTML_V1: (2, HTML_V1),
            "application/vnd.pypi.simple.latest+html": (2, HTML_V1),
            TEXT_HTML: (1, TEXT_HTML),
            "text/*": (0, TEXT_HTML),
            "*/*": (0, TEXT_HTML),
        }
        best: tuple[float, int, str] | None = None
        for item in accept.split(","):
            media, *params = (s.strip() for s in item.split(";"))
            q = 1.0
            for param in params:
                key, _, value = param.partition("=")
                if key.strip().lower() == "q":
                    try:
                        q = float(value)
                    except ValueError:
                        q = 0.0
            rank = ranks.get(media.lower())
            if rank is None or q <= 0:
                continue
            candidate = (q, rank[0], rank[1])
            if best is None or candidate[:2] > best[:2]:
                best = candidate
        return best[2] if best else None

    def _file_url(self, filename: str, *, absolute: bool) -> str:
        if self.files_base_url is not None:
            return self.files_base_url + quote(filename)
        if absolute:
            return self.url_for(filename)
        return "../../files/" + quote(filename)

    def _sorted_dists(self, norm: str) -> list[_Dist]:
        return sorted(
            self._projects[norm].values(), key=lambda d: (_version_key(d.version), d.filename)
        )

    def _versions(self, norm: str) -> list[str]:
        versions = {d.version for d in self._projects[norm].values()}
        return sorted(versions, key=_version_key)

    def _simple_index(self, headers: Mapping[str, str], query: str) -> _Response:
        ctype = self._negotiate(headers, query)
        if ctype is None:
            return _not_acceptable()
        names = sorted(self._projects)
        if ctype == JSON_V1:
            doc = {
                "meta": {"api-version": self.api_version, "_last-serial": self._serial},
                "projects": [{"name": self._display_names[n]} for n in names],
            }
            return _json_response(doc, JSON_V1, vary=True)
        links = "\n".join(
            f'    <a href="{html.escape(quote(n))}/">{html.escape(self._display_names[n])}</a>'
            for n in names
        )
        page = _html_page("Simple index", self.api_version, links)
        return _Response(200, page, {"Content-Type": ctype, "Vary": "Accept"})

    def _simple_project(self, norm: str, headers: Mapping[str, str], query: str) -> _Response:
        ctype = self._negotiate(headers, query)
        if ctype is None:
            return _not_acceptable()
        dists = self._sorted_dists(norm)
        if ctype == JSON_V1:
            files = []
            for d in dists:
                meta: dict[str, str] | bool = (
                    {"sha256": d.metadata_sha256} if d.metadata_sha256 else False
                )
                entry: dict[str, object] = {
                    "filename": d.filename,
                    "url": self._file_url(d.filename, absolute=self.absolute_urls),
                    "hashes": dict(d.hashes),
                }
                if d.requires_python is not None:
                    entry["requires-python"] = d.requires_python
                entry.update(
                    {
                        "yanked": d.yanked,
                        "core-metadata": meta,
                        "dist-info-metadata": meta,
                        "size": d.size,
                        "upload-time": d.upload_time,
                    }
                )
                files.append(entry)
            serial = max((d.serial for d in dists), default=0)  # the project's, as on PyPI
            doc = {
                "meta": {"api-version": self.api_version, "_last-serial": serial},
                "name": norm,
                "files": files,
                "versions": self._versions(norm),
            }
            return _json_response(doc, JSON_V1, vary=True)
        links = []
        for d in dists:
            href = self._file_url(d.filename, absolute=self.absolute_urls)
            if "sha256" in d.hashes:
                href += "#sha256=" + d.hashes["sha256"]
            elif d.hashes:
                algo, value = next(iter(d.hashes.items()))
                href += f"#{algo}={value}"
            attrs = [f'href="{html.escape(href)}"']
            if d.requires_python is not None:
                attrs.append(f'data-requires-python="{html.escape(d.requires_python)}"')
            if d.yanked is not False:
                reason = d.yanked if isinstance(d.yanked, str) else ""
                attrs.append(f'data-yanked="{html.escape(reason)}"')
            if d.metadata_sha256:
                attrs.append(f'data-core-metadata="sha256={d.metadata_sha256}"')
                attrs.append(f'data-dist-info-metadata="sha256={d.metadata_sha256}"')
            links.append(f"    <a {' '.join(attrs)}>{html.escape(d.filename)}</a><br />")
        page = _html_page(f"Links for {norm}", self.api_version, "\n".join(links))
        return _Response(200, page, {"Content-Type": ctype, "Vary": "Accept"})

    # --- JSON API

    def _json_api(self, norm: str, version: str | None) -> _Response:
        if norm not in self._projects:
            return _not_found()
        dists = self._sorted_dists(norm)
        by_version: dict[str, list[_Dist]] = {}
        for d in dists:
            by_version.setdefault(d.version, []).append(d)
        if version is None:
            chosen = self._latest(by_version)
        else:
            chosen = next((v for v in by_version if v == version), None)
            if chosen is None:
                chosen = next(
                    (
                        v
                        for v in by_version
                        if _version_key(v) == _version_key(version) and _VERSION_RE.match(version)
                    ),
                    None,
                )
            if chosen is None:
                return _not_found()
        files = by_version.get(chosen, []) if chosen is not None else []
        doc: dict[str, object] = {
            "info": self._json_info(norm, chosen, files),
            "last_serial": self._serial,
            "urls": [self._json_file(d) for d in files],
            "vulnerabilities": [],
        }
        if version is None:
            doc["releases"] = {v: [self._json_file(d) for d in ds] for v, ds in by_version.items()}
        return _json_response(doc, "application/json")

    @staticmethod
    def _latest(by_version: Mapping[str, list[_Dist]]) -> str | None:
        versions = sorted(by_version, key=_version_key, reverse=True)
        live = [v for v in versions if any(d.yanked is False for d in by_version[v])]
        final = [v for v in live if not _is_prerelease(v)]
        for group in (final, live, versions):
            if group:
                return group[0]
        return None

    def _json_info(self, norm: str, version: str | None, files: list[_Dist]) -> dict[str, object]:
        meta = next((d.metadata for d in files if d.metadata is not None), None)

        def field_(name: str) -> str | None:
            value = meta.get(name) if meta is not None else None
            return None if value is None else str(value)

        def fields(name: str) -> list[str]:
            return [str(v) for v in (meta.get_all(name) or [])] if meta is not None else []

        display = self._display_names.get(norm, norm)
        requires_python = field_("Requires-Python")
        if requires_python is None:
            requires_python = next((d.requires_python for d in files if d.requires_python), None)
        yanked = bool(files) and all(d.yanked is not False for d in files)
        reasons = [d.yanked for d in files if isinstance(d.yanked, str) and d.yanked]
        project_urls = {}
        for item in fields("Project-URL"):
            label, _, link = item.partition(",")
            project_urls[label.strip()] = link.strip()
        return {
            "author": field_("Author") or "",
            "author_email": field_("Author-email") or "",
            "classifiers": fields("Classifier"),
            "description": meta.get_payload() if meta is not None else "",
            "description_content_type": field_("Description-Content-Type"),
            "home_page": field_("Home-page") or "",
            "license": field_("License") or "",
            "name": display,
            "package_url": f"{self.url}/project/{norm}/",
            "project_url": f"{self.url}/project/{norm}/",
            "project_urls": project_urls or None,
            "provides_extra": fields("Provides-Extra") or None,
            "release_url": f"{self.url}/project/{norm}/{version}/" if version else None,
            "requires_dist": self.json_api_requires.get(norm, fields("Requires-Dist")) or None,
            "requires_python": requires_python or "",
            "summary": field_("Summary") or "",
            "version": version,
            "yanked": yanked,
            "yanked_reason": reasons[0] if yanked and reasons else None,
        }

    def _json_file(self, d: _Dist) -> dict[str, object]:
        return {
            "comment_text": "",
            "digests": {"blake2b_256": d.blake2b_256, "md5": d.md5, "sha256": d.sha256},
            "downloads": -1,
            "filename": d.filename,
            "has_sig": False,
            "md5_digest": d.md5,
            "packagetype": d.packagetype,
            "python_version": d.python_version,
            "requires_python": d.requires_python,
            "size": d.size,
            "upload_time": d.upload_time.split(".")[0].rstrip("Z"),
            "upload_time_iso_8601": d.upload_time,
            "url": self._file_url(d.filename, absolute=True),
            "yanked": d.yanked is not False,
            "yanked_reason": d.yanked if isinstance(d.yanked, str) and d.yanked else None,
        }

    # --- static files

    def _static(self, path: str, headers: Mapping[str, str]) -> _Response:
        target: Path | None = None
        for prefix, directory in self._mounts:
            if path == prefix:
                return _redirect(301, prefix + "/")
            if path.startswith(prefix + "/"):
                rel = _safe_relpath(path[len(prefix) + 1 :])
                if rel is None:
                    return _not_found()
                target = directory / rel if rel else directory
                break
        else:
            rel = _safe_relpath(path.lstrip("/"))
            if rel is None:
                return _not_found()
            target = self.root / rel if rel else self.root
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            return _not_found()
        data = target.read_bytes()
        ctype = self._content_types.get(path)
        if ctype is None:
            if path.startswith("/files/"):
                ctype = "application/octet-stream"
            else:
                suffix = target.suffix.lower()
                ctype = (
                    _CONTENT_TYPES.get(suffix)
                    or mimetypes.guess_type(target.name)[0]
                    or "application/octet-stream"
                )
        hdrs = {"Content-Type": ctype, "Accept-Ranges": "bytes"}
        byte_range = _parse_range(headers.get("range"), len(data))
        if byte_range is None:
            return _Response(200, data, hdrs)
        if byte_range == "unsatisfiable":
            hdrs["Content-Range"] = f"bytes */{len(data)}"
            return _Response(416, b"", hdrs)
        start, end = byte_range
        hdrs["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        return _Response(206, data[start : end + 1], hdrs)


# --------------------------------------------------------------------------- helpers


def _read_input(path_or_bytes: Path | str | bytes, filename: str | None) -> tuple[bytes, str]:
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        if filename is None:
            raise ValueError("filename is required when passing bytes")
        return bytes(path_or_bytes), filename
    path = Path(path_or_bytes)
    return path.read_bytes(), filename or path.name


def _wheel_metadata(data: bytes, name: str, version: str, filename: str) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            candidates = [n for n in zf.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)]
            want = normalize_name(f"{name}-{version}")
            candidates.sort(
                key=lambda n: normalize_name(n.split("/")[0][: -len(".dist-info")]) != want
            )
            if not candidates:
                raise ValueError(f"{filename}: no *.dist-info/METADATA (pass metadata=False)")
            return zf.read(candidates[0])
    except zipfile.BadZipFile as e:
        raise ValueError(f"{filename}: not a zip file (pass metadata=False): {e}") from None


def _safe_relpath(rel: str) -> str | None:
    """Normalize a URL-ish relative path; ``None`` if it escapes upward."""
    if "\\" in rel or "\0" in rel:
        return None
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        return None
    return posixpath.join(*parts) if parts else ""


def _parse_range(value: str | None, size: int) -> tuple[int, int] | Literal["unsatisfiable"] | None:
    """A single ``bytes=`` range; ``None`` means serve the whole body (absent/ignored)."""
    if not value:
        return None
    m = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", value)
    if not m or (not m[1] and not m[2]):
        return None  # malformed or multiple ranges: ignore, as RFC 9110 allows
    if m[1]:
        start = int(m[1])
        end = int(m[2]) if m[2] else size - 1
        if m[2] and end < start:
            return None
        if start >= size:
            return "unsatisfiable"
        return start, min(end, size - 1)
    suffix = int(m[2])
    if suffix == 0 or size == 0:
        return "unsatisfiable"
    return max(0, size - suffix), size - 1


def _flip(body: bytes) -> bytes:
    if not body:
        return body
    out = bytearray(body)
    for pos in sorted({len(out) // 3, len(out) // 2, (2 * len(out)) // 3, len(out) - 1}):
        out[pos] ^= 0xFF
    return bytes(out)


def _redirect(status: int, location: str) -> _Response:
    return _Response(
        status,
        f"redirect to {location}\n".encode(),
        {"Location": location, "Content-Type": "text/plain"},
    )


def _not_found() -> _Response:
    return _Response(404, b"not found\n", {"Content-Type": "text/plain"})


def _not_acceptable() -> _Response:
    return _Response(
        406,
        f"acceptable: {JSON_V1}, {HTML_V1}, {TEXT_HTML}\n".encode(),
        {"Content-Type": "text/plain", "Vary": "Accept"},
    )


def _json_response(doc: object, ctype: str, *, vary: bool = False) -> _Response:
    hdrs = {"Content-Type": ctype}
    if vary:
        hdrs["Vary"] = "Accept"
    return _Response(200, json.dumps(doc, indent=1).encode(), hdrs)


def _html_page(title: str, api_version: str, body: str) -> bytes:
    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        f'    <meta name="pypi:repository-version" content="{html.escape(api_version)}">\n'
        f"    <title>{html.escape(title)}</title>\n  </head>\n  <body>\n"
        f"    <h1>{html.escape(title)}</h1>\n{body}\n  </body>\n</html>\n"
    ).encode()


def _basic_auth(value: str | None) -> tuple[str, str] | None:
    if not value or value[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(value[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: IndexServer

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        self.closing = False

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conns_lock:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Cut kept-alive connections, so no client keeps talking to a stopped server."""
        self.closing = True
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        quiet = isinstance(exc, (ConnectionError, TimeoutError)) or (
            self.closing and isinstance(exc, OSError)
        )
        if quiet and not self.owner.verbose:
            return  # a client went away, or we cut it off: not a server bug
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer
    server_version = "IndexServer/1"
    _headers_buffer: list[bytes]

    def setup(self) -> None:
        super().setup()
        # Small writes on kept-alive connections would otherwise wait ~40 ms for delayed ACKs.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:
        if self.server.owner.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    def do_OPTIONS(self) -> None:
        self._handle("OPTIONS")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def _handle(self, method: str) -> None:
        owner = self.server.owner
        started = time.monotonic()
        owner._enter()
        split = urlsplit(self.path)
        path = unquote(split.path)
        headers: dict[str, str] = {}
        for key, value in self.headers.items():
            k = key.lower()
            headers[k] = f"{headers[k]}, {value}" if k in headers else value
        auth = _basic_auth(headers.get("authorization"))
        status, delay, recorded = 0, 0.0, False
        if method not in ("GET", "HEAD", "OPTIONS"):
            # Nothing here takes a body; drain it so a kept-alive connection stays in step.
            self.rfile.read(int(headers.get("content-length") or 0))
        try:
            try:
                resp = owner._respond(method, path, split.query, headers, auth)
            except Exception:
                body = traceback.format_exc().encode()
                if owner.verbose:
                    sys.stderr.write(body.decode())
                resp = _Response(500, body, {"Content-Type": "text/plain"})
            status, delay = resp.status, resp.delay
            if delay > 0:
                time.sleep(delay)
            self.send_response(resp.status)
            length = resp.declared_length if resp.declared_length is not None else len(resp.body)
            out = {
                "Cache-Control": "no-store",
                **resp.headers,
                "Content-Length": str(length),
                "Access-Control-Allow-Origin": "*",
                "Access-Control-Expose-Headers": "*",
            }
            for key, value in out.items():
                self.send_header(key, value)
            if resp.close:
                self.send_header("Connection", "close")
                self.close_connection = True
            body = resp.body if method != "HEAD" else b""
            # Log (and leave in_flight) before the response is written: a client that has
            # read a response must find it logged, and a sequential client never counts as 2.
            recorded = True
            owner._leave(
                RequestRecord(
                    method=method,
                    path=path,
                    query=split.query,
                    headers=headers,
                    status=status,
                    time=started,
                    end=time.monotonic(),
                    delay=delay,
                    bytes_sent=len(body),
                    auth=auth,
                )
            )
            # Headers and body in one write (end_headers() would send the headers alone).
            self._headers_buffer.append(b"\r\n")
            if resp.pause_after is None:
                self._headers_buffer.append(body)
                self.flush_headers()
            else:
                self._headers_buffer.append(body[: resp.pause_after])
                self.flush_headers()
                time.sleep(resp.pause)
                try:
                    self.wfile.write(body[resp.pause_after :])
                except OSError:  # the client gave up waiting
                    self.close_connection = True
        finally:
            if not recorded:
                owner._leave(
                    RequestRecord(
                        method=method,
                        path=path,
                        query=split.query,
                        headers=headers,
                        status=status,
                        time=started,
                        end=time.monotonic(),
                        delay=delay,
                        bytes_sent=0,
                        auth=auth,
                    )
                )
