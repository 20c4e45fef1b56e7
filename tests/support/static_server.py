"""A small threaded static file server on 127.0.0.1 for the tests.

It serves a few directories under fixed URL prefixes (the conftest mounts
``/dist/<version>/`` -> ``build/dist/<version>/``, ``/support/`` -> ``tests/support/`` and
``/wheels/`` -> ``build/wheels/``), sends ``Access-Control-Allow-Origin: *`` on every
answer, and never caches. It is for the runtime harness only; package-index behaviour
belongs to the separate index server.

    with StaticServer({"/support/": Path("tests/support")}) as srv:
        srv.url("/support/harness.html")
"""

from __future__ import annotations

import http.server
import mimetypes
import os
import posixpath
import threading
import urllib.parse
from pathlib import Path

_TYPES = {
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".wasm": "application/wasm",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".whl": "application/octet-stream",
    ".zip": "application/zip",
    ".ts": "text/plain; charset=utf-8",
}


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # quiet; the tests assert on behaviour, not logs
        if os.environ.get("MICROPIP2_STATIC_SERVER_LOG"):
            super().log_message(format, *args)

    def _resolve(self) -> Path | None:
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        path = posixpath.normpath(path) + ("/" if path.endswith("/") else "")
        for prefix, root in self.server.mounts:
            if path.startswith(prefix):
                rel = path[len(prefix) :]
                target = (root / rel).resolve()
                if target != root and root not in target.parents:
                    return None
                return target
        return None

    def _send_headers(self, status: int, length: int, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(length))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()

    def _error(self, status: int, text: str) -> None:
        body = text.encode()
        self._send_headers(status, len(body), "text/plain; charset=utf-8")
        if self.command != "HEAD":
            self.wfile.write(body)

    def _serve(self) -> None:
        target = self._resolve()
        if target is None or not target.is_file():
            self._error(404, f"not found: {self.path}\n")
            return
        ctype = _TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0]
        data = target.read_bytes()
        self._send_headers(200, len(data), ctype or "application/octet-stream")
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_GET(self):
        self._serve()

    def do_HEAD(self):
        self._serve()

    def do_OPTIONS(self):
        self.send_response(204)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "*")
        self.send_header("Content-Length", "0")
        self.end_headers()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    mounts: list[tuple[str, Path]]


class StaticServer:
    """Serve ``mounts`` ({"/prefix/": directory}) on 127.0.0.1 at a free port."""

    def __init__(self, mounts: dict[str, Path | str]):
        self._mounts = {}
        for prefix, root in mounts.items():
            if not (prefix.startswith("/") and prefix.endswith("/")):
                raise ValueError(f"mount prefix must start and end with '/': {prefix!r}")
            self._mounts[prefix] = Path(root).resolve()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> StaticServer:
        server = _Server(("127.0.0.1", 0), _Handler)
        # longest prefix first, so that /dist/x/ wins over /dist/
        server.mounts = sorted(self._mounts.items(), key=lambda kv: -len(kv[0]))
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name="static-server", daemon=True
        )
        self._thread.start()
        return self

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` (e.g. "/wheels/six-1.17.0-py2.py3-none-any.whl")."""
        return self.base_url + ("" if path.startswith("/") else "/") + path

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> StaticServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
