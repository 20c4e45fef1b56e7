"""What a person sees of an install's progress: one live display in a notebook cell's output
(IPython and Jupyter(Lite): packages resolved, bytes downloaded of the total, the file in
flight), ending as a short summary; elsewhere the same summary as text lines when asked for.

The summary::

    Resolved 9 packages, downloaded 4.2 MB, installed 9 in 1.3 s
     + rich==14.0.0
     + pygments==2.19.1
"""

from __future__ import annotations

import asyncio
import importlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .progress import (
    Download,
    Downloaded,
    DownloadFailed,
    Event,
    Failed,
    Finished,
    Listener,
    Loading,
    Progress,
    Resolved,
    Resolving,
    Writing,
    listener_for,
)

Say = Callable[[str], None]
REFRESH_S = 0.1  # the live display is redrawn at most this often


CONSOLE = "console"  # progress="console": the notebook display, else lines on the JS console


def progress_for(progress: object, say: Say) -> Progress:
    """The Progress of one call: ``progress=None`` (the default) shows the notebook display
    where there is one; ``True`` shows it, or prints the summary elsewhere; ``"console"`` shows
    it, or writes :class:`ConsoleLines` elsewhere; ``False`` shows nothing; a function gets the
    events (and nothing is shown)."""
    if progress is False:
        return Progress()
    console = isinstance(progress, str) and progress == CONSOLE
    if progress is None or progress is True or console:
        shown = NotebookDisplay.open()
        if shown is not None:
            return Progress([shown])
        if console:
            return Progress([ConsoleLines(console_log)])
        return Progress([TextSummary(say)] if progress is True else [])
    return Progress([listener_for(progress)])


def size_text(count: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} B"


def packages(count: int) -> str:
    return f"{count} package" if count == 1 else f"{count} packages"


@dataclass
class State:
    """What the display shows, kept up to date from the events."""

    resolved: int | None = None
    projects: int = 0
    received: dict[str, int] = field(default_factory=dict)  # per file URL
    totals: dict[str, int] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # file name per file URL
    done: set[str] = field(default_factory=set)
    in_flight: str = ""
    step: str = "Resolving"
    summary: list[str] | None = None
    failed: str | None = None

    def take(self, event: Event) -> None:
        if isinstance(event, Resolving):
            self.projects = event.projects
        elif isinstance(event, Resolved):
            self.resolved = event.packages
            self.step = "Downloading"
        elif isinstance(event, Download):
            self._download(event)
        elif isinstance(event, Writing):
            self.step, self.in_flight = "Installing", f"{event.name} {event.version}"
        elif isinstance(event, Loading):
            self.step, self.in_flight = "Loading libraries", ", ".join(event.names)
        elif isinstance(event, Finished):
            self.summary = summary_lines(event, self.resolved)
        elif isinstance(event, Failed):
            self.failed = f"{event.error}: {event.message}"

    def _download(self, event: Download) -> None:
        self.names[event.url] = event.filename
        if event.total is not None:
            self.totals[event.url] = event.total
        if isinstance(event, (Downloaded, DownloadFailed)):
            self.done.add(event.url)
            self.received[event.url] = self.totals.get(event.url, event.received)
        else:
            self.received[event.url] = event.received

    def line(self) -> str:
        if self.failed is not None:
            return f"Failed, nothing was changed: {self.failed}"
        if self.summary is not None:
            return self.summary[0]
        if self.resolved is None:
            return f"Resolving: {self.projects} projects asked"
        got, total = sum(self.received.values()), sum(self.totals.values())
        files = f"{len(self.done)} of {len(self.received)} files"
        size = f"{size_text(got)} of {size_text(max(total, got))}" if total else size_text(got)
        # wheels are written as they arrive: while one is still coming, that is the news
        waiting = [name for url, name in self.names.items() if url not in self.done]
        step, doing = ("Downloading", waiting[0]) if waiting else (self.step, self.in_flight)
        now = f" · {doing}" if doing else ""
        return f"Resolved {packages(self.resolved)} · {step}: {files}, {size}{now}"

    def lines(self) -> list[str]:
        return [self.line(), *(self.summary or [])[1:]]


def summary_lines(done: Finished, resolved: int | None) -> list[str]:
    parts = [f"Resolved {packages(resolved)}"] if resolved is not None else []
    if done.downloaded:
        parts.append(f"downloaded {size_text(done.downloaded)}")
    if done.from_cache:
        parts.append(f"{size_text(done.from_cache)} from the cache")
    verb = f"installed {len(done.installed)}" if done.installed else "nothing to install"
    if done.removed:
        verb += f", removed {len(done.removed)}"
    parts.append(f"{verb} in {done.seconds:.1f} s")
    text = ", ".join(parts)
    return [
        text[0].upper() + text[1:],
        *(f" - {name}" for name in done.removed),
        *(f" + {name}" for name in done.installed),
    ]


class TextSummary:
    """The summary as printed lines, once the call has ended (no live updates: a log)."""

    def __init__(self, say: Say) -> None:
        self.say = say
        self.state = State()

    def __call__(self, event: Event) -> None:
        self.state.take(event)
        if isinstance(event, (Finished, Failed)):
            for line in self.state.lines():
                self.say(line)


class ConsoleLines:
    """The progress as a few log lines, where Pyodide logs its own package loading (PyScript
    turns the console lines of its ``packages`` install into ``py:progress`` events): the line
    once resolved, after each file and when libraries load, then the summary."""

    def __init__(self, say: Say) -> None:
        self.say = say
        self.state = State()
        self._last = ""

    def __call__(self, event: Event) -> None:
        self.state.take(event)
        if isinstance(event, (Finished, Failed)):
            for line in self.state.lines():
                self.say(line)
        elif isinstance(event, (Resolved, Downloaded, DownloadFailed, Loading)):
            line = self.state.line()
            if line != self._last:
                self._last = line
                self.say(line)


def console_log(line: str) -> None:
    """``console.log(line)`` of the JS runtime, looked up at each line (PyScript replaces it
    while it installs); stderr outside Pyodide."""
    if sys.platform != "emscripten":
        print(line, file=sys.stderr)
        return
    import js

    js.console.log(line)


class NotebookDisplay:
    """One display in the cell's output, updated in place (IPython's ``display_id``).

    Redrawn at most every ``REFRESH_S``; an event that comes sooner is drawn ``REFRESH_S``
    after the last redraw, so a pause (a stalled download) never leaves an old line up."""

    def __init__(self, display: Callable[..., Any]) -> None:
        self.state = State()
        self._handle = display(self, display_id=True)
        self._drawn = 0.0
        self._later: asyncio.TimerHandle | None = None

    @classmethod
    def open(cls) -> Listener | None:
        """A new display when running under IPython (Jupyter, JupyterLite), else None."""
        ipython = sys.modules.get("IPython")
        if ipython is None or getattr(ipython, "get_ipython", lambda: None)() is None:
            return None
        return cls(importlib.import_module("IPython.display").display)

    def __call__(self, event: Event) -> None:
        self.state.take(event)
        wait = REFRESH_S - (time.monotonic() - self._drawn)
        if isinstance(event, (Finished, Failed)) or wait <= 0:
            self._draw()
        elif self._later is None:
            try:
                self._later = asyncio.get_running_loop().call_later(wait, self._draw)
            except RuntimeError:  # no event loop: the next event draws
                pass

    def _draw(self) -> None:
        if self._later is not None:
            self._later.cancel()
            self._later = None
        self._drawn = time.monotonic()
        self._handle.update(self)

    def __repr__(self) -> str:
        return "\n".join(self.state.lines())

    def _repr_html_(self) -> str:
        import html  # here, not at the top: inside Pyodide it costs ~40 ms to import, and only
        # a notebook (whose IPython has imported it already) draws this display

        first, *rest = self.state.lines()
        colour = "#b00" if self.state.failed else "inherit"
        body = "".join(f"<div>{html.escape(line)}</div>" for line in rest)
        return (
            f'<div class="micropip2-progress" style="font-family: monospace; white-space: pre">'
            f'<div style="color: {colour}">{html.escape(first)}</div>{body}</div>'
        )
