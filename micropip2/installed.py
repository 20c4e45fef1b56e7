"""The distributions already installed: what they are, where they came from, which files they
own."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from importlib.metadata import Distribution, PathDistribution, distributions
from pathlib import Path

from packaging.utils import NormalizedName, canonicalize_name

from .headers import Headers, parse_headers
from .record import read_rows

INSTALLER_NAME = "micropip2"
MOCK_INSTALLER = "micropip2 mock package"  # INSTALLER of add_mock_package's distributions
SOURCE_FILE = "micropip2.json"  # our provenance record inside .dist-info (kind, url, sha256, size)


@dataclass(frozen=True)
class InstalledDist:
    """An installed distribution. Name and version come from the ``.dist-info`` directory's name
    (cheap); the rest is read from its files when first asked for."""

    name: NormalizedName
    version: str
    dist_info: Path | None  # None for distributions not stored as a .dist-info directory
    dist: Distribution = field(compare=False, repr=False)

    @cached_property
    def headers(self) -> Headers:
        """METADATA's header fields, read once (``importlib.metadata`` parses the whole file
        with ``email`` again for each thing asked, which is slow inside Pyodide)."""
        text = self.dist.read_text("METADATA") or self.dist.read_text("PKG-INFO") or ""
        return parse_headers(text)

    @cached_property
    def display_name(self) -> str:
        """The name as METADATA spells it (read it before the files are removed)."""
        return self.headers.get("Name") or self.name

    @cached_property
    def requires(self) -> list[str]:
        """Its Requires-Dist texts, as written (an ``.egg-info`` keeps them in requires.txt,
        which ``importlib.metadata`` reads)."""
        if self.dist_info is None:
            return list(self.dist.requires or [])
        return self.headers.get_all("Requires-Dist")

    @cached_property
    def installer(self) -> str:
        return (self.dist.read_text("INSTALLER") or "").strip()

    @cached_property
    def source(self) -> str:
        return _source(self.dist, self.installer)

    def record_files(self) -> list[str]:
        """RECORD's paths, as written (relative to the directory holding .dist-info)."""
        if self.dist_info is None:
            return []
        record = self.dist_info / "RECORD"
        if not record.exists():
            return []
        rows = read_rows(record.read_text("utf-8"))
        return [row[0] for row in rows if row]


def installed_distributions(
    path: list[str] | None = None,
) -> dict[NormalizedName, InstalledDist]:
    """Every distribution ``importlib.metadata`` sees on ``path`` (default ``sys.path``), the
    first of a name winning."""
    found: dict[NormalizedName, InstalledDist] = {}
    for dist in distributions() if path is None else distributions(path=path):
        item = describe(dist)
        if item is not None:
            found.setdefault(item.name, item)
    return found


def describe(dist: Distribution) -> InstalledDist | None:
    path = getattr(dist, "_path", None) if isinstance(dist, PathDistribution) else None
    dist_info = Path(path) if path is not None and str(path).endswith(".dist-info") else None
    if dist_info is not None:
        name, _, version = dist_info.name.removesuffix(".dist-info").rpartition("-")
        if name and version:
            return InstalledDist(canonicalize_name(name), version, dist_info, dist)
    display = dist.metadata["Name"] if dist.metadata else None
    if not display:
        return None
    return InstalledDist(canonicalize_name(display), dist.version, dist_info, dist)


def _source(dist: Distribution, installer: str) -> str:
    """Where a distribution came from, as precisely as its metadata tells."""
    if installer == MOCK_INSTALLER:
        return "mock package" if isinstance(dist, PathDistribution) else "mock package (in memory)"
    if installer == INSTALLER_NAME:
        record = json.loads(dist.read_text(SOURCE_FILE) or "{}")
        return f"{record.get('kind', 'url')}: {record.get('url', 'unknown')}"
    if installer == "pyodide.loadPackage":
        channel = (dist.read_text("PYODIDE_SOURCE") or "").strip()
        return (
            "pyodide distribution"
            if channel in ("", "pyodide")
            else f"pyodide distribution: {channel}"
        )
    direct_url = dist.read_text("direct_url.json")
    if direct_url:
        url = json.loads(direct_url).get("url", "unknown")
        return f"{installer or 'unknown installer'}: {url}"
    if installer:
        return f"installer: {installer}"
    return "unknown"
