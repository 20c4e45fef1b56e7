"""What a resolution has tried so far, by project, and the bound on it
(``install(max_versions_tried=...)``).

A version is *tried* when the resolver asks for its dependencies, or finds it a dead end
(:mod:`.dead_ends`); each counts once however often a restarted run asks again. The count
measures the resolution's real cost, one metadata file per version, independent of the
machine's speed, so the bound stops the same resolution at the same point everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from packaging.version import Version

from ..errors import ResolutionLimitError
from .candidates import PYTHON, Candidate

SHOWN = 5


@dataclass
class Explored:
    """The versions tried, by project; ``limit`` (None: no bound) stops the resolution."""

    limit: int | None = None  # install's default: operations.InstallOptions.max_versions_tried
    target: str = ""  # the target's description, for the error
    _tried: dict[str, set[Version]] = field(default_factory=dict)
    _count: int = 0

    def tried(self, candidate: Candidate) -> None:
        """Count ``candidate`` (once); past the limit, stop with what was being explored."""
        if candidate.name == PYTHON:
            return
        versions = self._tried.setdefault(candidate.name, set())
        if candidate.version in versions:
            return
        versions.add(candidate.version)
        self._count += 1
        if self.limit is not None and self._count > self.limit:
            raise ResolutionLimitError(
                f"gave up resolving for {self.target} after trying more than {self.limit} "
                f"versions ({self.summary()}); nothing was changed. The resolver was "
                "backtracking through these projects' versions: pin the ones you know work "
                f"(for example {self._busiest()}==<version>), add a constraint, or allow more with "
                "max_versions_tried=<number> (None: no limit)",
                limit=self.limit,
                tried=self.counts(),
                project=self._busiest(),
            )

    @property
    def count(self) -> int:
        return self._count

    def counts(self) -> dict[str, int]:
        return {name: len(versions) for name, versions in self._busiest_first()}

    def summary(self) -> str:
        """ "sphinx: 150 versions, 8.2.3 down to 1.2; jinja2: 31 versions, ..." (busiest
        first)."""
        parts = []
        for name, versions in self._busiest_first()[:SHOWN]:
            if len(versions) == 1:
                parts.append(f"{name} {next(iter(versions))}")
            else:
                parts.append(
                    f"{name}: {len(versions)} versions, {max(versions)} down to {min(versions)}"
                )
        rest = len(self._tried) - SHOWN
        more = f"; and {rest} more projects" if rest > 0 else ""
        return f"{self._count} versions of {len(self._tried)} projects tried: " + (
            "; ".join(parts) + more
        )

    def _busiest_first(self) -> list[tuple[str, set[Version]]]:
        return sorted(self._tried.items(), key=lambda item: (-len(item[1]), item[0]))

    def _busiest(self) -> str:
        ordered = self._busiest_first()
        return ordered[0][0] if ordered else ""
