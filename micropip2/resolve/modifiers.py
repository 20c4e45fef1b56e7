"""Overrides and exclusions: requirements the user puts in place of what packages declare.

* ``overrides=["lib==1.0"]`` has uv's ``override-dependencies`` meaning: every requirement on
  ``lib`` (from any package, and from the user's own request: overrides win) is replaced by the
  override. An override's own PEP 508 marker is evaluated for the target: overrides of one
  project whose markers do not hold replace the requirement by nothing. A requirement whose own
  marker does not hold is not replaced (it does not apply in the first place).
* ``exclude=["markupsafe"]``: requirements on ``markupsafe`` are dropped from every package's
  dependencies (for packages that declare a dependency they do not need in Pyodide). Asking
  for an excluded project directly is an error.

Both are applied where the resolver reads dependencies (the provider) and to the user's
requirements (the request), so the Plan, a lock and ``micropip2 lock --check`` agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as PackagingRequirement
from packaging.utils import InvalidName, NormalizedName, canonicalize_name

from ..errors import InvalidOptionError, InvalidRequirementError
from ..target import Target


@dataclass(frozen=True)
class Modifiers:
    """The overrides (by project) and exclusions of one resolution."""

    overrides: Mapping[NormalizedName, tuple[PackagingRequirement, ...]] = field(
        default_factory=dict
    )
    excluded: frozenset[NormalizedName] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.overrides or self.excluded)

    def replaces(self, name: NormalizedName) -> bool:
        """Whether requirements on ``name`` are overridden or excluded."""
        return name in self.overrides or name in self.excluded

    def apply(
        self, requirement: PackagingRequirement, target: Target
    ) -> tuple[PackagingRequirement, ...]:
        """What stands in place of ``requirement`` (already known to apply to ``target``):
        itself, its overrides whose markers hold, or nothing when excluded."""
        name = canonicalize_name(requirement.name)
        if name in self.excluded:
            return ()
        overrides = self.overrides.get(name)
        if overrides is None:
            return (requirement,)
        return tuple(o for o in overrides if target.marker_holds(o.marker))

    @property
    def override_texts(self) -> tuple[str, ...]:
        return tuple(str(o) for name in sorted(self.overrides) for o in self.overrides[name])

    @property
    def excluded_names(self) -> tuple[str, ...]:
        return tuple(sorted(self.excluded))


NONE = Modifiers()


def parse_modifiers(overrides: Iterable[str], exclude: Iterable[str]) -> Modifiers:
    """``overrides``: PEP 508 requirements (no URLs); ``exclude``: project names."""
    by_name: dict[NormalizedName, list[PackagingRequirement]] = {}
    for text in overrides:
        requirement = _override(text)
        by_name.setdefault(canonicalize_name(requirement.name), []).append(requirement)
    excluded = frozenset(_project_name(text) for text in exclude)
    both = sorted(excluded & set(by_name))
    if both:
        raise InvalidOptionError(
            f"{', '.join(both)} is both overridden and excluded; give it in one of overrides= "
            "(to replace requirements on it) or exclude= (to drop them)",
            project=both[0],
        )
    return Modifiers({name: tuple(found) for name, found in by_name.items()}, excluded)


def _override(text: str) -> PackagingRequirement:
    try:
        requirement = PackagingRequirement(text)
    except InvalidRequirement as exc:
        raise InvalidRequirementError(
            f"cannot understand the override {text!r}: {exc}", requirement=text
        ) from None
    if requirement.url:
        raise InvalidRequirementError(
            f"the override {text!r} is a direct reference; overrides name versions "
            "(like 'lib==1.0'): give the wheel URL as a requirement instead",
            requirement=text,
        )
    return requirement


def _project_name(text: str) -> NormalizedName:
    try:
        return canonicalize_name(text.strip(), validate=True)
    except InvalidName:
        raise InvalidOptionError(
            f"exclude= takes project names (like 'markupsafe'), not {text!r}"
        ) from None


def adjustments(
    requires_dist: Iterable[PackagingRequirement],
    extras: frozenset[str],
    target: Target,
    modifiers: Modifiers,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Which of a package's requirements (for ``target``, with ``extras``) ``modifiers``
    changed: the overrides that replaced one, and the names of those dropped (excluded, or
    overridden only by overrides whose markers do not hold)."""
    overrides: list[str] = []
    excluded: list[str] = []
    for requirement in requires_dist:
        name = canonicalize_name(requirement.name)
        if not modifiers.replaces(name) or not any(
            target.marker_holds(requirement.marker, extra) for extra in ("", *sorted(extras))
        ):
            continue
        replaced = modifiers.apply(requirement, target)
        if not replaced:  # excluded, or overrides none of whose markers hold: dropped
            excluded.append(name)
        overrides += [str(o) for o in replaced]
    return tuple(dict.fromkeys(overrides)), tuple(dict.fromkeys(excluded))
