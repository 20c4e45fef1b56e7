"""The installer's own distributions: micropip2 and everything it needs, which micropip2 does
not remove, nor replace unless the user asks for that very project: the running installer would
break (its next import fails, or a dependency changes under it). The one rule: ``sync`` leaves
them out of what it removes, ``uninstall`` refuses to remove one, and ``install`` and ``sync``
refuse a Plan that replaces one for the sake of another package, unless the replacement is a
newer release of the same major version that the installer's requirements accept. A version
the user asks for by name is theirs to choose (docs/resolution.md: the installer's
dependencies do not constrain the user; micropip2, already imported, keeps working in that
interpreter).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from packaging.utils import NormalizedName, canonicalize_name

from .errors import ProtectedPackageError
from .installed import InstalledDist

INSTALLER = "micropip2"  # the running installer's distribution name
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # a requirement's project name


def protected(installed: Mapping[NormalizedName, InstalledDist]) -> dict[NormalizedName, str]:
    """The running installer and everything it may require (its closure among ``installed``),
    each with the chain that needs it ("micropip2 -> resolvelib"). Markers are not evaluated:
    protecting a package the installer needs only elsewhere is harmless, and parsing every
    requirement would delay the first request."""
    chains: dict[NormalizedName, str] = {}
    todo = [(canonicalize_name(INSTALLER), INSTALLER)]
    while todo:
        name, chain = todo.pop(0)  # breadth first: the shortest chain is the one shown
        if name in chains or name not in installed:
            continue
        chains[name] = chain
        for text in installed[name].requires:
            match = _NAME.match(text)
            if match:
                needed = canonicalize_name(match.group())
                todo.append((needed, f"{chain} -> {needed}"))
    return chains


def refuse_removing(
    dists: Iterable[InstalledDist], installed: Mapping[NormalizedName, InstalledDist]
) -> None:
    """Raise :class:`ProtectedPackageError` if ``uninstall`` was asked to remove one of them."""
    chains = protected(installed)
    for dist in dists:
        if dist.name in chains:
            raise ProtectedPackageError(
                f"cannot uninstall {dist.display_name} {dist.version}: {_needed(dist, chains)}, "
                "and the installer that is running would break without it; nothing was "
                "removed. To be rid of it, start an interpreter that does not load micropip2",
                project=dist.display_name,
                chain=chains[dist.name],
                action="uninstall",
            )


def refuse_replacing(
    replacements: Iterable[tuple[str, str, tuple[str, ...], bool]],
    installed: Mapping[NormalizedName, InstalledDist],
) -> None:
    """Raise :class:`ProtectedPackageError` if a Plan replaces one of them without the user
    having asked for it, unless the new version is a safe step (:func:`_safe_step`);
    ``replacements`` holds (name, new version, who required it, whether the user asked for that
    project)."""
    chains = protected(installed)
    for name, version, required_by, requested in replacements:
        current = installed.get(canonicalize_name(name))
        if current is None or current.name not in chains or requested:
            continue
        if _safe_step(current, version, installed, chains):
            continue
        asked = f" (asked for by {', '.join(required_by)})" if required_by else ""
        raise ProtectedPackageError(
            f"cannot replace {current.display_name} {current.version} with {version}{asked}: "
            f"{_needed(current, chains)}, and the installer that is running could break; "
            "nothing was installed. Keep the installed version with "
            f"constraints=['{current.name}=={current.version}'] (the resolver then looks for "
            f"versions that accept it), or ask for {current.name} yourself (for example "
            f"'{current.name}=={version}' next to what you install) to replace it anyway",
            project=current.display_name,
            chain=chains[current.name],
            action="replace",
        )


def _safe_step(
    current: InstalledDist,
    version: str,
    installed: Mapping[NormalizedName, InstalledDist],
    chains: Mapping[NormalizedName, str],
) -> bool:
    """Whether ``version`` may replace ``current`` under the running installer: a newer release
    of the same major version that every requirement of the installer's distributions on it
    accepts (typing-extensions 4.15 -> 4.16 for pydantic; not packaging 26 -> 99)."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.version import InvalidVersion, Version

    try:
        old, new = Version(current.version), Version(version)
    except InvalidVersion:
        return False
    if new < old or new.release[0] != old.release[0]:
        return False
    for requirer in chains:
        for text in installed[requirer].requires:
            try:
                requirement = Requirement(text)
            except InvalidRequirement:
                return False
            if canonicalize_name(requirement.name) == current.name and not (
                requirement.specifier.contains(new, prereleases=True)
            ):
                return False
    return True


def _needed(dist: InstalledDist, chains: Mapping[NormalizedName, str]) -> str:
    chain = chains[dist.name]
    if dist.name == canonicalize_name(INSTALLER):
        return "it is the installer itself"
    return f"micropip2 needs it ({chain})"
