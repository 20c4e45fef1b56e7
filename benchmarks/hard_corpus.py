"""The corpus of hard (backtracking) requirement sets: recorded index metadata, no wheels.

A backtracking resolution reads the METADATA of many versions but installs few wheels, so for
these sets (``[hard.<set>]`` in ``benchmarks/corpus.toml``) the record holds what a resolver
reads, not wheels: each project page's file list (filename, sha256, size, requires-python,
yanked, upload time; the wheels any Pyodide target can install, and the sdists) and the PEP 658
``.metadata`` files of the versions resolvers visited, plus the JSON API's newest-release hint.
One xz-compressed JSON file per set: ``tests/fixtures/hard/<set>.json.xz``.

:class:`HardIndex` serves a record as PyPI does: PEP 691 JSON or PEP 503 HTML pages announcing
``core-metadata`` for every wheel, ``<file>.metadata``, ``/pypi/<name>/json`` (``info`` only),
with injected latency and a request log (:mod:`benchmarks.metrics` reads it). Wheels are
answered 404 (the benchmark runs dry runs). With ``upstream`` set (recording, by
``python -m benchmarks.hard_bench --record``) whatever is missing is fetched from PyPI and
kept, so the record is the union of what every client run through it asked for.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import lzma
import re
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from benchmarks.corpus import REPO

HARD_DIR = REPO / "tests" / "fixtures" / "hard"
PYPI = "https://pypi.org"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
_PROJECT = re.compile(r"^/simple/([^/]+)/?$")
_API = re.compile(r"^/pypi/([^/]+)/json$")
_FILE = re.compile(r"^/files/([^/]+)$")


def hard_path(name: str) -> Path:
    return HARD_DIR / f"{name}.json.xz"


@dataclass
class HardRecord:
    """``pages``: project -> its files (dicts as PEP 691 lists them, without URLs);
    ``absent``: projects the index does not have; ``metadata``: wheel filename -> METADATA text;
    ``hints``: project -> {"version", "requires_dist"} of the JSON API."""

    name: str
    pages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    absent: set[str] = field(default_factory=set)
    metadata: dict[str, str] = field(default_factory=dict)
    hints: dict[str, dict[str, Any]] = field(default_factory=dict)

    def save(self) -> Path:
        path = hard_path(self.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "set": self.name,
            "pages": {k: self.pages[k] for k in sorted(self.pages)},
            "absent": sorted(self.absent),
            "hints": {k: self.hints[k] for k in sorted(self.hints)},
            "metadata": {k: self.metadata[k] for k in sorted(self.metadata)},
        }
        text = json.dumps(doc, indent=0, sort_keys=False).encode()
        path.write_bytes(lzma.compress(text, preset=9 | lzma.PRESET_EXTREME))
        return path

    @classmethod
    def load(cls, name: str) -> HardRecord:
        path = hard_path(name)
        if not path.exists():
            return cls(name)
        doc = json.loads(lzma.decompress(path.read_bytes()))
        return cls(name, doc["pages"], set(doc["absent"]), doc["metadata"], doc["hints"])


def _usable(filename: str) -> bool:
    from scripts.record_corpus import usable

    return filename.endswith((".tar.gz", ".zip")) or usable(filename)


def _get(url: str, accept: str | None = None) -> bytes | None:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    for attempt in range(3):
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return bytes(response.read())
        except urllib.error.HTTPError as exc:
            if exc.code in (404, 410):
                return None
            if attempt == 2:
                raise
        except OSError:
            if attempt == 2:
                raise
        time.sleep(1)
    return None


class _RangeFile(io.RawIOBase):
    """A remote file read with HTTP range requests in 64 KiB blocks (for :mod:`zipfile`)."""

    BLOCK = 65536

    def __init__(self, url: str) -> None:
        self.url = url
        self.pos = 0
        self.blocks: dict[int, bytes] = {}
        request = urllib.request.Request(url, headers={"Range": "bytes=0-0"})
        with urllib.request.urlopen(request, timeout=60) as response:
            if response.status == 206:
                self.size = int(response.headers["Content-Range"].rsplit("/", 1)[1])
            else:  # the host ignored the range: the whole file, as one block
                data = bytes(response.read())
                self.size, self.BLOCK = len(data), max(len(data), 1)
                self.blocks[0] = data

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = {0: offset, 1: self.pos + offset, 2: self.size + offset}[whence]
        return self.pos

    def _block(self, n: int) -> bytes:
        if n not in self.blocks:
            start = n * self.BLOCK
            end = min(start + self.BLOCK, self.size) - 1
            request = urllib.request.Request(self.url, headers={"Range": f"bytes={start}-{end}"})
            with urllib.request.urlopen(request, timeout=60) as response:
                data = bytes(response.read())
            # a host that ignores the range sends the whole file
            self.blocks[n] = data if response.status == 206 else data[start : end + 1]
        return self.blocks[n]

    def read(self, size: int = -1) -> bytes:
        end = self.size if size < 0 else min(self.size, self.pos + size)
        out = bytearray()
        while self.pos < end:
            block = self._block(self.pos // self.BLOCK)
            start = self.pos % self.BLOCK
            chunk = block[start : start + end - self.pos]
            out += chunk
            self.pos += len(chunk)
        return bytes(out)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _metadata_by_ranges(url: str) -> bytes | None:
    """A wheel's ``*.dist-info/METADATA`` read with range requests, when the files host has
    no ``.metadata`` file for it (this machine's PyPI mirror lacks some); the same bytes
    PyPI's PEP 658 file holds."""
    import zipfile

    with zipfile.ZipFile(_RangeFile(url)) as wheel:
        names = [n for n in wheel.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)]
        return wheel.read(names[0]) if len(names) == 1 else None


@dataclass
class Request:
    """One answered request (the attributes :mod:`benchmarks.metrics` reads)."""

    method: str
    path: str
    time: float
    end: float = 0.0
    bytes_sent: int = 0
    status: int = 200


class HardIndex:
    """A loopback index serving a :class:`HardRecord` (see the module docstring)."""

    def __init__(self, record: HardRecord, latency: float = 0.0, upstream: str | None = None):
        self.record = record
        self.latency = latency
        self.upstream = upstream
        self.requests: list[Request] = []
        self.missing: list[str] = []  # what was asked for and not recorded (replay only)
        self._upstream_urls: dict[str, str] = {}  # filename -> PyPI URL (recording)
        self._fetched_pages: set[str] = set()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> HardIndex:
        index = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                record = Request("GET", self.path, time.monotonic())
                status, ctype, body = index._route(self.path, self.headers.get("Accept", ""))
                if index.latency:
                    time.sleep(index.latency)
                record.end = time.monotonic()
                record.bytes_sent, record.status = len(body), status
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:  # the client went away (a cancelled speculative fetch)
                    pass
                with index._lock:
                    index.requests.append(record)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        ThreadingHTTPServer.request_queue_size = 128
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> HardIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def simple_url(self) -> str:
        return f"{self.url}/simple"

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()
            self.missing.clear()

    # -- routes --------------------------------------------------------------------------------

    def _route(self, path: str, accept: str) -> tuple[int, str, bytes]:
        path = path.split("?", 1)[0]
        if m := _PROJECT.match(path):
            return self._page(canonicalize_name(m.group(1)), accept)
        if m := _API.match(path):
            return self._hint(canonicalize_name(m.group(1)))
        if m := _FILE.match(path):
            name = m.group(1)
            if name.endswith(".metadata"):
                text = self._metadata(name.removesuffix(".metadata"))
                if text is not None:
                    return 200, "application/octet-stream", text.encode()
            with self._lock:
                self.missing.append(path)
            return 404, "text/plain", b"not recorded"
        return 404, "text/plain", b"not found"

    def _page(self, name: str, accept: str) -> tuple[int, str, bytes]:
        if self.upstream and name not in self._fetched_pages:
            self._record_page(name)
        if name in self.record.absent or name not in self.record.pages:
            if name not in self.record.absent:
                with self._lock:
                    self.missing.append(f"page:{name}")
            return 404, "text/plain", b"no such project"
        files = self.record.pages[name]
        if JSON_TYPE in accept or "application/json" in accept:
            doc = {
                "meta": {"api-version": "1.1"},
                "name": name,
                "files": [self._json_file(f) for f in files],
            }
            return 200, JSON_TYPE, json.dumps(doc).encode()
        links = "".join(self._html_file(f) for f in files)
        body = f"<!DOCTYPE html><html><body><h1>{name}</h1>{links}</body></html>"
        return 200, "text/html", body.encode()

    def _file_url(self, filename: str) -> str:
        return f"{self.url}/files/{filename}"

    def _metadata_hash(self, filename: str) -> dict[str, str] | bool:
        text = self.record.metadata.get(filename)
        if text is None:
            return True
        return {"sha256": hashlib.sha256(text.encode()).hexdigest()}

    def _json_file(self, f: dict[str, Any]) -> dict[str, Any]:
        out = {
            "filename": f["filename"],
            "url": self._file_url(f["filename"]),
            "hashes": {"sha256": f["sha256"]},
            "requires-python": f.get("requires-python"),
            "size": f["size"],
            "upload-time": f["upload-time"],
            "yanked": f.get("yanked", False),
        }
        if f["filename"].endswith(".whl"):
            out["core-metadata"] = self._metadata_hash(f["filename"])
            out["data-dist-info-metadata"] = out["core-metadata"]
        return out

    def _html_file(self, f: dict[str, Any]) -> str:
        attrs = ""
        if f.get("requires-python"):
            attrs += f' data-requires-python="{html.escape(f["requires-python"])}"'
        if f.get("yanked"):
            reason = f["yanked"] if isinstance(f["yanked"], str) else ""
            attrs += f' data-yanked="{html.escape(reason)}"'
        if f["filename"].endswith(".whl"):
            meta = self._metadata_hash(f["filename"])
            value = f"sha256={meta['sha256']}" if isinstance(meta, dict) else "true"
            attrs += f' data-core-metadata="{value}" data-dist-info-metadata="{value}"'
        url = f"{self._file_url(f['filename'])}#sha256={f['sha256']}"
        return f'<a href="{url}"{attrs}>{f["filename"]}</a><br/>'

    def _metadata(self, filename: str) -> str | None:
        text = self.record.metadata.get(filename)
        if text is None and self.upstream:
            url = self._upstream_urls.get(filename)
            try:
                data = (_get(url + ".metadata") or _metadata_by_ranges(url)) if url else None
            except Exception as exc:
                print(f"[hard] {filename}: {exc}", file=sys.stderr)
                data = None
            if data is not None:
                text = data.decode("utf-8")
                with self._lock:
                    self.record.metadata[filename] = text
        return text

    def _hint(self, name: str) -> tuple[int, str, bytes]:
        if name not in self.record.hints and self.upstream:
            data = _get(f"{self.upstream}/pypi/{name}/json", "application/json")
            if data is not None:
                info = json.loads(data)["info"]
                with self._lock:
                    self.record.hints[name] = {
                        "version": info["version"],
                        "requires_dist": info.get("requires_dist") or [],
                    }
        hint = self.record.hints.get(name)
        if hint is None:
            return 404, "text/plain", b"not found"
        doc = {"info": {"name": name, **hint}, "urls": []}
        return 200, "application/json", json.dumps(doc).encode()

    def _record_page(self, name: str) -> None:
        data = _get(f"{self.upstream}/simple/{name}/", JSON_TYPE)
        with self._lock:
            self._fetched_pages.add(name)
            if data is None:
                self.record.absent.add(name)
                return
            files = []
            for f in json.loads(data)["files"]:
                if not _usable(f["filename"]):
                    continue
                self._upstream_urls[f["filename"]] = f["url"]
                files.append(
                    {
                        "filename": f["filename"],
                        "sha256": f["hashes"]["sha256"],
                        "size": f.get("size"),
                        "requires-python": f.get("requires-python"),
                        "upload-time": f.get("upload-time"),
                        "yanked": f.get("yanked", False),
                    }
                )
            self.record.pages[name] = files

    def fill(self, name: str, filenames: list[str]) -> int:
        """Record the metadata of ``filenames`` of project ``name`` (recording only)."""
        import concurrent.futures

        if name not in self._fetched_pages:
            self._record_page(name)
        todo = [f for f in filenames if f not in self.record.metadata]
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(self._metadata, todo))
        return len(todo)
