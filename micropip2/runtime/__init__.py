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
KEPT_HEADERS = (*CACHING_HEADERS, "retry-after")  # what a Response keeps of the answer's headers
Enough = Callable[[bytes], bool]  # has a body prefix all that the reader needs?
BytesSeen = Callable[[int, "int | None"], None]  # (bytes received so far, Content-Length or None)


@dataclass(frozen=True)
class Transfer:
    """How one request may go: its time limits, its size limit, and who watches its bytes.

    ``first_byte_timeout``: seconds from sending to the answer's headers; ``idle_timeout``:
    seconds the body may go without a byte (0: no limit). ``max_bytes``: a larger body is
    refused (``None``: no limit). ``enough``: read only the prefix of the body that it accepts
    (the rest of the transfer is cancelled). ``on_bytes`` is called as the body arrives."""

    first_byte_timeout: float = 0
    idle_timeout: float = 0
    max_bytes: int | None = None
    enough: Enough | None = None
    on_bytes: BytesSeen | None = None


NO_LIMITS = Transfer()


@dataclass(frozen=True)
class Response:
    """An HTTP answer of any status."""

    url: str  # after redirects
    status: int
    content_type: str  # without parameters, lower case ("text/html")
    body: bytes
    # The answer's KEPT_HEADERS that were present, names in lower case.
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Runtime(Protocol):
    """What micropip2 needs from the JavaScript side."""

    def get(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        credentials: str | None = None,
        *,
        transfer: Transfer = NO_LIMITS,
    ) -> Awaitable[Response]:
        """Send a GET of ``url`` before returning (so many can go out at once), and give the
        answer whatever its status. ``url`` is absolute, or on Node a path of the host.
        ``credentials`` is the Fetch API's mode ("omit", "same-origin", "include"), for browsers.
        The awaitable raises DownloadError only when no whole answer came (network error, CORS
        refusal, broken transfer, a ``transfer`` limit: ``timed_out`` says whether it was a
        time limit); cancelling it aborts the request."""
        ...

    async def read_host_file(self, path: str) -> bytes:
        """Read a file of the host machine (Node's file system); raise DownloadError on failure."""
        ...

    async def load_dynlib(self, path: str) -> None:
        """dlopen the shared library at ``path`` (in the Emscripten file system) ahead of import."""
        ...

    def abi_version(self) -> str | None:
        """The running Pyodide's ABI version (``"2026_0"``: PEP 783's platform version), which its
        lockfile must match; ``None`` outside Pyodide."""
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
