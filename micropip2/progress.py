"""What an ``install`` or ``sync`` is doing, as typed events, for whoever watches.

``install(..., progress=callback)`` gives ``callback`` every event of the call, in order: a
plain function, a coroutine function (each call's coroutine is run as a task, and all of them
are awaited before the call returns) or a JS function (it receives a plain JS object:
``{kind: "download", filename: ..., received: ..., total: ...}``). Every event has a ``kind``:

* ``"resolve-start"`` (:class:`ResolveStarted`), then while resolving ``"resolving"``
  (:class:`Resolving`: what the resolver waited for, and the counts so far), ``"chosen"``
  (:class:`Chosen`) for each version pinned and ``"backtrack"`` (:class:`Backtracked`) for each
  one given up, then ``"resolved"`` (:class:`Resolved`);
* for each file: ``"download-start"``, ``"download"`` (bytes so far) and ``"download-done"``
  (also for a file served from the cache, with ``cached``), or ``"download-failed"`` (each a
  :class:`Download`);
* ``"write"`` (:class:`Writing`) for each wheel unpacked, ``"load"`` (:class:`Loading`) before
  shared libraries and distribution packages are loaded;
* at the end ``"done"`` (:class:`Finished`) or ``"failed"`` (:class:`Failed`: nothing was
  changed).

A watcher that raises is dropped for the rest of the call, with a warning: watching never fails
an install.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

from .fetch import FetchEvent


@dataclass(frozen=True)
class Event:
    kind: ClassVar[str] = ""

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **asdict(self)}


@dataclass(frozen=True)
class ResolveStarted(Event):
    kind: ClassVar[str] = "resolve-start"
    requirements: tuple[str, ...]


@dataclass(frozen=True)
class Resolving(Event):
    """The resolver waited for a project page or metadata file and now goes on."""

    kind: ClassVar[str] = "resolving"
    waited_for: str  # "page:rich", "metadata:rich 14.0.0", ...
    projects: int  # project pages read so far
    metadata: int  # metadata files read so far
    restarts: int


@dataclass(frozen=True)
class Chosen(Event):
    kind: ClassVar[str] = "chosen"
    name: str
    version: str


@dataclass(frozen=True)
class Backtracked(Event):
    kind: ClassVar[str] = "backtrack"
    name: str
    version: str


@dataclass(frozen=True)
class Resolved(Event):
    kind: ClassVar[str] = "resolved"
    packages: int  # in the resolution (those to install, load or keep)
    changes: int  # to install, replace or load
    seconds: float
    reused: bool = False  # a cached resolution, not resolved again


@dataclass(frozen=True)
class Download(Event):
    """One step of one file's download."""

    url: str
    filename: str
    received: int = 0  # bytes so far
    total: int | None = None  # the promised size, else the answer's Content-Length
    cached: bool = False  # served from the persistent cache


@dataclass(frozen=True)
class DownloadStarted(Download):
    kind: ClassVar[str] = "download-start"


@dataclass(frozen=True)
class Downloading(Download):
    kind: ClassVar[str] = "download"


@dataclass(frozen=True)
class Downloaded(Download):
    kind: ClassVar[str] = "download-done"


@dataclass(frozen=True)
class DownloadFailed(Download):
    kind: ClassVar[str] = "download-failed"


@dataclass(frozen=True)
class Writing(Event):
    kind: ClassVar[str] = "write"
    name: str
    version: str


@dataclass(frozen=True)
class Loading(Event):
    kind: ClassVar[str] = "load"
    names: tuple[str, ...]


@dataclass(frozen=True)
class Finished(Event):
    kind: ClassVar[str] = "done"
    installed: tuple[str, ...]  # "name==version", in plan order
    removed: tuple[str, ...]
    downloaded: int  # bytes over the network
    from_cache: int  # bytes from the persistent cache
    seconds: float


@dataclass(frozen=True)
class Failed(Event):
    kind: ClassVar[str] = "failed"
    error: str  # the exception's class name
    message: str
    seconds: float
    rolled_back: bool = True  # nothing was changed


Listener = Callable[[Event], object]
_DOWNLOAD_STEPS: dict[str, type[Download]] = {
    "started": DownloadStarted,
    "progress": Downloading,
    "done": Downloaded,
    "cached": Downloaded,
    "failed": DownloadFailed,
}
_DOING = {
    "resolve-start": "resolving",
    "resolved": "downloading",
    "write": "installing",
    "load": "loading libraries",
}


@dataclass
class Progress:
    """The events of one call, sent to its listeners (none: a no-op)."""

    listeners: list[Listener] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    downloaded: int = 0
    from_cache: int = 0
    _pending: list[asyncio.Future[Any]] = field(default_factory=list)
    _chosen: set[tuple[str, str]] = field(default_factory=set)
    _backtracked: set[tuple[str, str]] = field(default_factory=set)

    doing: str = "waiting for another change of the environment to end"
    # while resolving: what has been explored so far ("212 versions of 14 projects tried: ...")
    detail: Callable[[], str] | None = None

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    def emit(self, event: Event) -> None:
        self.doing = _DOING.get(event.kind, self.doing)
        for listener in list(self.listeners):
            try:
                result = listener(event)
                if inspect.isawaitable(result):
                    self._pending.append(asyncio.ensure_future(result))
            except Exception as exc:
                self._drop(listener, exc)

    def chosen(self, name: str, version: str) -> None:
        """Each version once, however often a replayed resolution pins it again."""
        if self.listeners and (name, version) not in self._chosen:
            self._chosen.add((name, version))
            self.emit(Chosen(name, version))

    def backtracked(self, name: str, version: str) -> None:
        if self.listeners and (name, version) not in self._backtracked:
            self._backtracked.add((name, version))
            self.emit(Backtracked(name, version))

    def on_fetch(self, event: FetchEvent) -> None:
        """A fetch layer observer: file downloads as :class:`Download` events (pages are not
        downloads: their bytes count nowhere)."""
        if event.page:
            return
        if event.kind == "done":
            self.downloaded += event.size or 0
        elif event.kind == "cached":
            self.from_cache += event.size or 0
        if not self.listeners:
            return
        step = _DOWNLOAD_STEPS[event.kind]
        self.emit(
            step(
                event.url,
                filename_of(event.url),
                event.size or 0,
                event.total,
                cached=event.kind == "cached",
            )
        )

    async def settle(self) -> None:
        """Wait for the listeners' coroutines still running."""
        while self._pending:
            pending, self._pending = self._pending, []
            for outcome in await asyncio.gather(*pending, return_exceptions=True):
                if isinstance(outcome, Exception):
                    warnings.warn(
                        f"micropip2: a progress listener failed: {outcome!r}", stacklevel=2
                    )

    def _drop(self, listener: Listener, exc: Exception) -> None:
        self.listeners.remove(listener)
        warnings.warn(
            f"micropip2: a progress listener raised {exc!r}; it gets no more events of this call",
            stacklevel=3,
        )


def filename_of(url: str) -> str:
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or url


def listener_for(callback: object) -> Listener:
    """``callback`` as a listener: JS functions receive each event as a plain JS object."""
    if sys.platform == "emscripten":
        from pyodide.ffi import JsProxy, to_js

        if isinstance(callback, JsProxy):
            import js

            js_callback: Any = callback

            def to_javascript(event: Event) -> object:
                return js_callback(to_js(event.as_dict(), dict_converter=js.Object.fromEntries))

            return to_javascript
    if not callable(callback):
        from .errors import InvalidOptionError

        raise InvalidOptionError(
            f"progress must be True, False, None or a function taking an event, "
            f"not {type(callback).__name__}"
        )
    return callback
