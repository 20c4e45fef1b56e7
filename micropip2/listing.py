"""The result of ``micropip2.list()``: installed distributions with their versions and sources."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from packaging.utils import canonicalize_name

from .installed import InstalledDist


@dataclass(frozen=True)
class InstalledPackage:
    name: str
    version: str
    source: str
    installer: str


class PackageList(dict[str, InstalledPackage]):
    """Normalized name -> :class:`InstalledPackage`; prints as a table.

    Lookups normalise the name they are given (PEP 503), as micropip's list does:
    ``"Typing_Extensions" in micropip2.list()`` and ``listing["Typing_Extensions"]`` find
    ``typing-extensions``."""

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(canonicalize_name(name))

    def __getitem__(self, name: str) -> InstalledPackage:
        return super().__getitem__(canonicalize_name(name))

    def get(self, name: str, default: InstalledPackage | None = None) -> InstalledPackage | None:  # type: ignore[override]
        return super().get(canonicalize_name(name), default)

    @classmethod
    def from_installed(cls, dists: Iterable[InstalledDist]) -> PackageList:
        listing = cls()
        for dist in sorted(dists, key=lambda d: d.name):
            listing[dist.name] = InstalledPackage(
                dist.display_name, dist.version, dist.source, dist.installer
            )
        return listing

    def __str__(self) -> str:
        rows = [("Name", "Version", "Source")] + [
            (p.name, p.version, p.source) for p in self.values()
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        lines = [
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)).rstrip()
            for row in rows
        ]
        lines.insert(1, "  ".join("-" * width for width in widths))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)
