"""The Plan: the resolved set of files to install, where each comes from, and why it is needed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.utils import NormalizedName

from .resolve.candidates import INSTALLED, PYTHON, Candidate

if TYPE_CHECKING:
    from .install.installed import InstalledDist
    from .resolve.driver import Resolved


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
    size: int | None = None  # bytes of the file, when the index says (PEP 700)

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


def make_plan(
    resolved: Resolved, installed: Mapping[NormalizedName, InstalledDist]
) -> tuple[Plan, list[Candidate]]:
    """One planned file per project (extras identifiers fold into their project)."""
    chosen: dict[NormalizedName, Candidate] = {}
    why: dict[NormalizedName, list[str]] = {}
    for identifier, candidate in resolved.candidates.items():
        if candidate.name == PYTHON:
            continue
        chosen.setdefault(candidate.name, candidate)
        for parent in resolved.required_by.get(identifier, ()):
            if (
                parent not in why.setdefault(candidate.name, [])
                and parent != f"{candidate.name} {candidate.version}"
            ):
                why[candidate.name].append(parent)
    items, satisfied, to_install = [], [], []
    for name, candidate in sorted(chosen.items()):
        if candidate.source == INSTALLED:
            satisfied.append(f"{installed[name].display_name}=={installed[name].version}")
            continue
        to_install.append(candidate)
        items.append(
            PlannedItem(
                name=candidate.locked.display_name if candidate.locked else name,
                version=str(candidate.version),
                source=candidate.source,
                url=candidate.url or "",
                sha256=candidate.sha256,
                filename=candidate.filename or "",
                index_url=candidate.file.index_url
                if candidate.file and candidate.source == "index"
                else None,
                required_by=tuple(why.get(name, ())) or ("you",),
                size=candidate.file.size if candidate.file else None,
            )
        )
    return Plan(tuple(items), tuple(satisfied)), to_install
