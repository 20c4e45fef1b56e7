"""The one boundary between micropip2 and the JavaScript runtime it runs in.

Everything that touches Pyodide's JS side (fetch, reading host files on Node, dlopen,
``loadedPackages``) goes through a :class:`Runtime`. Inside Pyodide that is
:class:`~micropip2.runtime.pyodide.PyodideRuntime`; on a plain CPython host (ahead-of-time
locking, unit tests of pure logic) it is :class:`~micropip2.runtime.host.HostRuntime`.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..store import Store

CACHING_HEADERS = ("cache-control", "etag", "last-modified", "age")
Enough = Callable[[bytes], bool]  # has a body prefix all that the reader needs?


@dataclass(frozen=True)
class Response:
    """An HTTP answer of any status."""

    url: str  # after redirects
    status: int
    content_type: str  # without parameters, lower case ("text/html")
    body: bytes
    # The answer's HTTP caching headers (CACHING_HEADERS present, names in lower case).
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Runtime(Protocol):
    """What micropip2 needs from the JavaScript side."""

    async def get(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        credentials: str | None = None,
        *,
        enough: Enough | None = None,
    ) -> Response:
        """GET ``url`` and return the answer whatever its status; raise DownloadError only when
        no answer came (network error, CORS refusal, broken transfer). ``credentials`` is the Fetch
        API's mode ("omit", "same-origin", "include"), for browsers. With ``enough``, the body is
        read in chunks and the transfer is cancelled once ``enough(body so far)`` is true: the
        answer's body is then that prefix."""
        ...

    async def fetch(
        self, url: str, headers: Mapping[str, str] | None = None, credentials: str | None = None
    ) -> bytes:
        """GET ``url`` (absolute, or relative to the page/process); raise DownloadError on
        failure."""
        ...

    def start_fetch(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        credentials: str | None = None,
    ) -> Awaitable[bytes]:
        """Send the request for ``url`` before returning (so many can go out at once) and give an
        awaitable of its bytes, with :meth:`fetch`'s errors."""
        ...

    async def read_host_file(self, path: str) -> bytes:
        """Read a file of the host machine (Node's file system); raise DownloadError on failure."""
        ...

    async def load_dynlib(self, path: str) -> None:
        """dlopen the shared library at ``path`` (in the Emscripten file system) ahead of import."""
        ...

    def distribution_lock(self) -> tuple[dict[str, Any], str]:
        """The Pyodide distribution's lockfile (as a dict) and the base its file names are relative
        to."""
        ...

    async def load_distribution_packages(self, names: list[str]) -> None:
        """Have Pyodide load lockfile packages that are not wheels (shared libraries); raise if any
        did not load."""
        ...

    def loaded_packages(self) -> dict[str, str]:
        """Pyodide's ``loadedPackages``: distribution name -> where it came from."""
        ...

    def set_loaded_package(self, name: str, source: str | None) -> None:
        """Record ``name`` as loaded from ``source``; ``None`` removes the entry."""
        ...

    @property
    def has_http_cache(self) -> bool:
        """Whether the runtime's fetch keeps an HTTP cache and revalidates through it (browsers,
        where a request of ours with ``If-None-Match`` would also cost a CORS preflight)."""
        ...

    def host_environ(self) -> Mapping[str, str]:
        """The environment variables of the process hosting the interpreter (Node's
        ``process.env``, a plain host's ``os.environ``; a browser has none)."""
        ...

    def open_store(self, directory: str, max_bytes: int) -> Store | None:
        """The persistent cache's storage: ``directory`` on the host (Node, a plain host), Cache
        Storage in a browser or worker; ``None`` where there is none (not a secure context)."""
        ...


_current: Runtime | None = None


def current_runtime() -> Runtime:
    """The runtime this interpreter runs in (created once)."""
    global _current
    if _current is None:
        if sys.platform == "emscripten":
            from .pyodide import PyodideRuntime

            _current = PyodideRuntime()
        else:
            from .host import HostRuntime

            _current = HostRuntime()
    return _current


if sys.platform == "emscripten":  # load the JS bridge with micropip2, not mid-install
    from . import pyodide as _pyodide  # noqa: F401
