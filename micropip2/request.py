"""The user's request (requirement strings, constraints, hashes) turned into resolver
requirements.

Whatever reaches a request is checked for its type here (requirements, constraints, ``hashes``):
a wrong one is an :class:`InvalidOptionError` naming it, never a raw ``TypeError``, for every
caller of :mod:`micropip2.operations` (by :mod:`micropip2.arguments`, the rule the public
functions use for their list arguments, JS arrays included). Credentials written in a wheel URL
are taken out of the requirement here (:func:`micropip2.fetch.without_url_credentials`): nothing
downstream (the plan, the report, the records, freeze) ever holds them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as PackagingRequirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name, parse_wheel_filename

from .arguments import short, texts
from .direct_reference import DirectWheel, parse_direct
from .errors import (
    IncompatibleWheelError,
    InvalidOptionError,
    InvalidRequirementError,
    Micropip2Error,
)
from .fetch import without_url_credentials
from .index.models import ProjectFile
from .locations import split_credentials
from .resolve.candidates import URL, Candidate, Requirement
from .resolve.modifiers import NONE, Modifiers
from .target import Target
from .wheel_fit import check_wheel_tags


@dataclass(frozen=True)
class Request:
    requirements: tuple[Requirement, ...]
    url_candidates: Mapping[NormalizedName, Candidate]
    constraints: Mapping[NormalizedName, SpecifierSet]
    # what was left out, as pip does: requirements and constraints whose PEP 508 marker does not
    # hold for the target ("Ignoring x: ...")
    ignored: tuple[str, ...] = ()

    @property
    def user_names(self) -> set[NormalizedName]:
        return {r.name for r in self.requirements}


# -- the public functions' arguments -------------------------------------------------------------


def requirement_texts(value: Any, what: str = "requirements") -> list[str]:
    """``install``'s requirements: one string, or an iterable (a list, a JS array) of strings;
    credentials in wheel URLs taken out."""
    return [without_credentials(text) for text in texts(value, what, "'rich' or ['rich>=13']")]


def constraint_texts(value: Any, what: str = "constraints") -> list[str]:
    """Constraints: ``None``, one string, or an iterable of strings."""
    return [] if value is None else texts(value, what, "['dep<2']")


def caller_hashes(value: Any, what: str = "hashes") -> dict[str, str] | None:
    """``hashes``: ``None``, or a mapping of a wheel URL, file name or project name to a
    sha256 hex digest (URLs compared without their credentials)."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise InvalidOptionError(
            f"{what} must map wheel URLs, file names or project names to sha256 hex strings, "
            f"like {{'rich': '<64 hex digits>'}}; got {type(value).__name__} {short(value)}"
        )
    return {split_credentials(k)[0]: v for k, v in value.items()}


def without_credentials(text: str) -> str:
    """A requirement with the ``user:password@`` of its wheel URL taken out (and handed to the
    fetch layer, which sends it to that URL only); others unchanged."""
    direct = parse_direct(text)
    if direct is None or split_credentials(direct.url)[1] is None:
        return text
    return text.strip().replace(direct.url, without_url_credentials(direct.url), 1)


# -- the request ----------------------------------------------------------------------------------


def build_request(
    texts: Iterable[str],
    constraints: Iterable[str],
    hashes: Mapping[str, str] | None,
    target: Target,
    modifiers: Modifiers = NONE,
) -> Request:
    """The resolver's requirements. ``modifiers``' overrides replace the user's own
    requirements on a project too (overrides win, as uv's); asking for an excluded project
    is an error."""
    requirements: list[Requirement] = []
    url_candidates: dict[NormalizedName, Candidate] = {}
    hashes = caller_hashes(hashes)
    ignored: list[str] = []
    for text in requirement_texts(texts):
        direct = parse_direct(text)
        if direct is None:
            named = _named(text)
            if not _marker_holds(text, target):
                ignored.append(_ignoring(text, target))
            elif modifiers.replaces(named.name):
                requirements += _modified(named, text, modifiers, target)
            else:
                requirements.append(named)
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
    kept_constraints = []
    for text in constraint_texts(constraints):
        if _marker_holds(text, target):
            kept_constraints.append(text)
        else:
            ignored.append(_ignoring(text, target))
    return Request(
        tuple(requirements), url_candidates, _constraints(kept_constraints), tuple(ignored)
    )


def _modified(
    named: Requirement, text: str, modifiers: Modifiers, target: Target
) -> list[Requirement]:
    if named.name in modifiers.excluded:
        raise InvalidOptionError(
            f"{text!r} asks for {named.name}, which exclude= drops; ask for it or exclude it",
            requirement=text,
            project=named.name,
        )
    return [
        Requirement(
            named.name,
            frozenset(canonicalize_name(e) for e in override.extras),
            override.specifier,
            text=f"{override} (your override of {text})",
        )
        for override in modifiers.apply(PackagingRequirement(text), target)
    ]


def _marker_holds(text: str, target: Target) -> bool:
    """Whether a named requirement's PEP 508 marker holds for ``target`` (no marker: it does)."""
    return target.marker_holds(PackagingRequirement(text).marker)


def _ignoring(text: str, target: Target) -> str:
    marker = PackagingRequirement(text).marker
    return f"ignoring {text!r}: its marker '{marker}' does not hold for {target.describe()}"


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
    for text in constraint_texts(texts):
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
