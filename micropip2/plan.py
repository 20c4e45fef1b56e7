"""The Plan: what an install or a sync will do to each package, from which file, and why.

Every operation that changes the environment first makes a Plan (resolution for ``install``,
lock replay for ``sync``), and one executor (:mod:`micropip2.install.executor`) runs any Plan.
``dry_run=True`` returns the Plan instead of running it. This module is data only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from packaging.version import InvalidVersion, Version


class Action(StrEnum):
    """What happens to one package."""

    INSTALL = "install"  # download the wheel, check it and write it
    REPLACE = "replace"  # the same, in place of the installed version (``replaces``)
    LOAD = "load"  # Pyodide loads it from its own distribution (shared libraries, stdlib modules)
    KEEP = "keep"  # already installed at a version that fits: nothing to do
    REMOVE = "remove"  # installed and no longer wanted (sync)


class Source(StrEnum):
    """Where a package's file comes from. Candidates of the same version are preferred in this
    order: installed, lockfile, url, index."""

    INSTALLED = "installed"  # the environment already has it
    LOCKFILE = "lockfile"  # a lock: the Pyodide distribution's, or one the user gave
    URL = "url"  # a direct reference (a wheel URL, "name @ url")
    INDEX = "index"  # a package index


# "wheel" for wheels; otherwise the pyodide-lock.json package_type of a file Pyodide loads itself
Kind = Literal["wheel", "shared_library", "cpython_module", "package"]

CHANGES = (Action.INSTALL, Action.REPLACE, Action.LOAD)


def same_version(a: str, b: str) -> bool:
    """Whether two version texts name the same version (PEP 440; else the same text)."""
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def kind_of(filename: str, package_type: str) -> Kind:
    """A file's :data:`Kind` from its name and its pyodide-lock.json ``package_type``."""
    if filename.endswith(".whl"):
        return "wheel"
    if package_type == "shared_library":
        return "shared_library"
    if package_type == "cpython_module":
        return "cpython_module"
    return "package"


@dataclass(frozen=True)
class PlanItem:
    name: str  # as the project spells it
    version: str
    action: Action
    source: Source
    url: str = ""  # absolute; "" for an installed package
    filename: str = ""
    sha256: str | None = None  # promised before download (index, lock or URL fragment)
    size: int | None = None  # bytes, when the index or lock says (PEP 700)
    kind: Kind = "wheel"
    index_url: str | None = None  # the index that listed the file (source "index")
    required_by: tuple[str, ...] = ()  # "you", or "rich 14.0.0", ...
    requested: bool = False  # the user asked for it by name (PEP 376 REQUESTED)
    replaces: str | None = None  # the installed version it replaces (REPLACE)
    # what the user changed of its requirements: overrides that replaced one ("lib==1.0"),
    # and the projects excluded from them ("markupsafe")
    overrides: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.action is Action.KEEP:
            return f"{self.name} {self.version}: already installed"
        if self.action is Action.REMOVE:
            return f"{self.name} {self.version}: removed"
        why = f"; required by {', '.join(self.required_by)}" if self.required_by else ""
        instead = f", replacing {self.replaces}" if self.replaces else ""
        changed = "".join(
            [f"; its requirement replaced by your override {o}" for o in self.overrides]
            + [f"; its requirement on {e} excluded" for e in self.excluded]
        )
        return (
            f"{self.name} {self.version} from {self.source} "
            f"({self.filename}{why}{instead}{changed})"
        )


@dataclass(frozen=True)
class Plan:
    items: tuple[PlanItem, ...]  # one per project, by name

    def with_action(self, *actions: Action) -> tuple[PlanItem, ...]:
        return tuple(item for item in self.items if item.action in actions)

    @property
    def changes(self) -> tuple[PlanItem, ...]:
        """What is installed or loaded (new, or replacing another version)."""
        return self.with_action(*CHANGES)

    @property
    def kept(self) -> tuple[PlanItem, ...]:
        return self.with_action(Action.KEEP)

    @property
    def removals(self) -> tuple[PlanItem, ...]:
        return self.with_action(Action.REMOVE)

    @property
    def wanted(self) -> tuple[PlanItem, ...]:
        """Everything the environment holds afterwards, kept or changed."""
        return tuple(item for item in self.items if item.action is not Action.REMOVE)

    @property
    def overrides(self) -> tuple[str, ...]:
        """Every override that replaced a requirement of a planned package."""
        return tuple(dict.fromkeys(o for item in self.items for o in item.overrides))

    @property
    def excluded(self) -> tuple[str, ...]:
        """Every project excluded from a planned package's requirements."""
        return tuple(dict.fromkeys(e for item in self.items for e in item.excluded))

    @property
    def satisfied(self) -> tuple[str, ...]:
        """``name==version`` of what is kept."""
        return tuple(f"{item.name}=={item.version}" for item in self.kept)

    def __str__(self) -> str:
        lines = [str(item) for item in (*self.changes, *self.removals)]
        lines += [f"already installed: {text}" for text in self.satisfied]
        return "\n".join(lines) or "nothing to do"
