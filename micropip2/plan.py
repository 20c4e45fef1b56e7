"""The Plan: the resolved set of files to install, where each comes from, and why it is needed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlannedItem:
    name: str
    version: str
    source: str  # "index", "lockfile" (the Pyodide distribution) or "url"
    url: str
    sha256: str | None
    filename: str
    index_url: str | None  # the index that listed the file (source "index")
    required_by: tuple[str, ...]  # "you", or "rich 14.0.0", ...

    def __str__(self) -> str:
        why = ", ".join(self.required_by)
        return f"{self.name} {self.version} from {self.source} ({self.filename}; required by {why})"


@dataclass(frozen=True)
class Plan:
    items: tuple[PlannedItem, ...]  # to install
    satisfied: tuple[str, ...]  # "name==version" already installed and kept

    def __str__(self) -> str:
        lines = [str(item) for item in self.items]
        lines += [f"already installed: {text}" for text in self.satisfied]
        return "\n".join(lines) or "nothing to do"
