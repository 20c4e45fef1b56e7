"""Which files of a project page can be candidates for the target, and why the others cannot."""

from __future__ import annotations

from dataclasses import dataclass

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from ..index.models import ProjectPage
from ..target import Target
from ..wheel_fit import check_wheel_tags
from .candidates import INDEX, Candidate


@dataclass(frozen=True)
class Rejected:
    """A file of the index that can never be installed here, and why."""

    filename: str
    reason: str


@dataclass(frozen=True)
class Choices:
    candidates: tuple[Candidate, ...]  # best first: newest version, then best tag
    rejected: tuple[Rejected, ...]


def page_choices(page: ProjectPage, target: Target) -> Choices:
    """Every wheel of ``page`` that fits ``target`` as a candidate; every other file as a
    rejection."""
    candidates: list[Candidate] = []
    rejected = [Rejected(refused.filename, refused.reason) for refused in page.refused]
    for file in page.files:
        if not file.is_wheel:
            rejected.append(
                Rejected(file.filename, "a source distribution; micropip2 installs wheels only")
            )
            continue
        fit = check_wheel_tags(file.filename, target)
        if not fit.ok or fit.rank is None:
            rejected.append(Rejected(file.filename, fit.reason))
            continue
        if not target.python_fits(file.requires_python):
            rejected.append(
                Rejected(
                    file.filename,
                    f"requires Python {file.requires_python}; this is {target.python_version}",
                )
            )
            continue
        try:
            name, version, _, _ = parse_wheel_filename(file.filename)
        except InvalidWheelFilename:
            continue  # check_wheel_tags already rejects these
        candidates.append(Candidate(name, version, INDEX, file=file, tag_rank=fit.rank))
    ordered = sorted(
        candidates, key=lambda c: c.tag_rank
    )  # stable: best tag first within a version
    ordered.sort(key=lambda c: c.version, reverse=True)
    return Choices(tuple(ordered), tuple(rejected))
