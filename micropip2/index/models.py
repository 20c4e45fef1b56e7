"""What an index says about a project: its files, with the facts installers decide by."""

from __future__ import annotations

from dataclasses import dataclass

from packaging.utils import NormalizedName


@dataclass(frozen=True)
class ProjectFile:
    """One distribution file listed by an index (PEP 503/691/700, PyPI JSON API)."""

    filename: str
    url: str  # absolute, without the #fragment
    sha256: str | None
    requires_python: str | None
    yanked: str | None  # None: not yanked; otherwise the reason ("" when none given), PEP 592
    metadata_sha256: str | None  # PEP 658/714 core-metadata hash; None when unknown
    has_metadata: bool  # the index serves <url>.metadata (PEP 658/714)
    size: int | None = None  # PEP 700
    upload_time: str | None = None  # PEP 700
    index_url: str = ""  # the index that listed it

    @property
    def is_wheel(self) -> bool:
        return self.filename.endswith(".whl")


@dataclass(frozen=True)
class RefusedFile:
    """A file an index listed at a location it may not point to (a local file, a device, a
    ``javascript:`` URL, plain http from an https page: micropip2.locations decides). Never a
    candidate; kept so that an error can say why nothing fits."""

    filename: str
    url: str  # as the page gave it (made absolute when it could be), without credentials
    reason: str


@dataclass(frozen=True)
class ProjectPage:
    """A project's files on one index (or several, with the "all indexes" strategy)."""

    name: NormalizedName
    files: tuple[ProjectFile, ...]
    index_urls: tuple[str, ...]  # where the files came from
    refused: tuple[RefusedFile, ...] = ()  # files listed where an index may not point
