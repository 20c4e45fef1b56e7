"""The user's request (requirement strings, constraints, hashes) turned into resolver
requirements."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as PackagingRequirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name, parse_wheel_filename

from .direct_reference import DirectWheel, parse_direct
from .errors import IncompatibleWheelError, InvalidRequirementError, Micropip2Error
from .index.models import ProjectFile
from .resolve.candidates import URL, Candidate, Requirement
from .target import Target
from .wheel_fit import check_wheel_tags


@dataclass(frozen=True)
class Request:
    requirements: tuple[Requirement, ...]
    url_candidates: Mapping[NormalizedName, Candidate]
    constraints: Mapping[NormalizedName, SpecifierSet]

    @property
    def user_names(self) -> set[NormalizedName]:
        return {r.name for r in self.requirements}


def build_request(
    texts: Iterable[str],
    constraints: Iterable[str],
    hashes: Mapping[str, str] | None,
    target: Target,
) -> Request:
    requirements: list[Requirement] = []
    url_candidates: dict[NormalizedName, Candidate] = {}
    for text in texts:
        direct = parse_direct(text)
        if direct is None:
            requirements.append(_named(text))
            continue
        direct = _with_caller_hash(direct, hashes)
        candidate = _url_candidate(direct, target)
        if candidate.name in url_candidates and url_candidates[candidate.name].url != candidate.url:
            raise InvalidRequirementError(
                f"{candidate.name} is asked for from two locations "
                f"({url_candidates[candidate.name].url} and {candidate.url}); ask for one",
                requirement=direct.text,
                project=candidate.name,
            )
        url_candidates[candidate.name] = candidate
        requirements.append(
            Requirement(
                candidate.name,
                direct.extras,
                SpecifierSet(),
                url=direct.url,
                sha256=direct.sha256,
                text=text,
            )
        )
    return Request(tuple(requirements), url_candidates, _constraints(constraints))


def _named(text: str) -> Requirement:
    try:
        parsed = PackagingRequirement(text)
    except InvalidRequirement as exc:
        raise InvalidRequirementError(
            f"cannot understand the requirement {text!r}: {exc}", requirement=text
        ) from None
    return Requirement(
        canonicalize_name(parsed.name),
        frozenset(canonicalize_name(e) for e in parsed.extras),
        parsed.specifier,
        text=text,
    )


def _constraints(texts: Iterable[str]) -> dict[NormalizedName, SpecifierSet]:
    """pip's ``-c`` semantics: a constraint narrows a project's versions if it is needed at all."""
    found: dict[NormalizedName, SpecifierSet] = {}
    for text in texts:
        requirement = _named(text)
        if requirement.extras:
            raise InvalidRequirementError(
                f"constraint {text!r}: constraints cannot name extras", requirement=text
            )
        found[requirement.name] = (
            found.get(requirement.name, SpecifierSet()) & requirement.specifier
        )
    return found


def _url_candidate(direct: DirectWheel, target: Target) -> Candidate:
    fit = check_wheel_tags(direct.filename, target)
    if not fit.ok or fit.rank is None:
        raise IncompatibleWheelError(
            f"cannot install {direct.text!r}: {direct.filename} is {fit.reason}",
            requirement=direct.text,
            file=direct.filename,
        )
    name, version, _, _ = parse_wheel_filename(direct.filename)
    if direct.name is not None and direct.name != name:
        raise InvalidRequirementError(
            f"{direct.text!r} asks for {direct.name}, but the file is {direct.filename} ({name})",
            requirement=direct.text,
            project=direct.name,
            file=direct.filename,
        )
    file = ProjectFile(direct.filename, direct.url, direct.sha256, None, None, None, False)
    return Candidate(name, version, URL, file=file, tag_rank=fit.rank)


def _with_caller_hash(direct: DirectWheel, hashes: Mapping[str, str] | None) -> DirectWheel:
    if not hashes:
        return direct
    by_name = {
        canonicalize_name(k): v
        for k, v in hashes.items()
        if "/" not in k and not k.endswith(".whl")
    }
    project = direct.name or parse_wheel_filename(direct.filename)[0]
    given = hashes.get(direct.url) or hashes.get(direct.filename) or by_name.get(project)
    if not given:
        return direct
    if direct.sha256 and direct.sha256 != given.lower():
        raise Micropip2Error(
            f"{direct.text!r}: its URL says sha256={direct.sha256}, but hashes= says {given}"
        )
    return replace(direct, sha256=given.lower())
