"""Project sources asked before the configured indexes: something other than an index URL that
may list a project's files (piplite's ``all.json`` indexes in JupyterLite, through the
``micropip`` shim: :mod:`micropip2.micropip_package_index`).

A source answers for one project at a time: its files (then no index is asked, as with the
"first-index" strategy), or nothing, and whether the indexes may be asked after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from packaging.utils import NormalizedName

from ..fetch import Fetcher
from .models import ProjectPage


@dataclass(frozen=True)
class SourceAnswer:
    """What a source says about one project."""

    page: ProjectPage | None  # its files, when the source has the project
    ask_indexes: bool = True  # without a page: whether the configured indexes may be asked
    note: str = ""  # without a page: why, for an explanation ("PyPI fallback is disabled")


class ProjectSource(Protocol):
    """Asked for each project before the indexes, with the operation's fetcher."""

    @property
    def label(self) -> str:
        """How messages name it, and :attr:`ProjectFile.index_url` of the files it lists."""
        ...

    async def project(self, name: NormalizedName, fetcher: Fetcher) -> SourceAnswer: ...
