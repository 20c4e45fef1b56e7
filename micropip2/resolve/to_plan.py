"""A resolution turned into the :class:`~micropip2.plan.Plan` the executor runs."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import replace

from packaging.utils import NormalizedName, canonicalize_name

from ..errors import InstallConflictError
from ..installed import InstalledDist
from ..plan import Action, Plan, PlanItem, Source, kind_of
from ..target import Target
from .candidates import INSTALLED, PYTHON, URL, Candidate
from .driver import Resolved
from .metadata import Metadata
from .modifiers import Modifiers, adjustments


def plan_install(
    resolved: Resolved,
    installed: Mapping[NormalizedName, InstalledDist],
    requested: Collection[NormalizedName],
    *,
    reinstall: bool = False,
) -> Plan:
    """One item per project (extras identifiers fold into their project): kept when the installed
    version was chosen, else installed, loaded (Pyodide's own non-wheel packages) or replacing
    the installed version. A wheel the user gave by URL replaces another installed version only
    with ``reinstall=True`` (as micropip); an upgrade the resolver needs goes ahead."""
    chosen: dict[NormalizedName, Candidate] = {}
    why: dict[NormalizedName, list[str]] = {}
    for identifier, candidate in resolved.candidates.items():
        if candidate.name == PYTHON:
            continue
        chosen.setdefault(candidate.name, candidate)
        own = f"{candidate.name} {candidate.version}"
        for parent in resolved.required_by.get(identifier, ()):
            if parent not in why.setdefault(candidate.name, []) and parent != own:
                why[candidate.name].append(parent)
    items = [
        _item(candidate, installed.get(name), tuple(why.get(name, ())) or ("you",), requested)
        for name, candidate in sorted(chosen.items())
    ]
    for item, candidate in zip(items, (chosen[name] for name in sorted(chosen)), strict=True):
        if item.action is Action.REPLACE and candidate.source == URL and not reinstall:
            current = installed[candidate.name]
            if current.version != item.version:
                raise InstallConflictError(
                    f"cannot install {candidate.name} {candidate.version}: {current.display_name} "
                    f"{current.version} is installed ({current.source}); pass reinstall=True to "
                    "replace it; nothing was installed",
                    project=current.display_name,
                    url=item.url,
                )
    return Plan(tuple(items))


def _item(
    candidate: Candidate,
    current: InstalledDist | None,
    required_by: tuple[str, ...],
    requested: Collection[NormalizedName],
) -> PlanItem:
    if candidate.source == INSTALLED:
        assert current is not None
        return PlanItem(
            name=current.display_name,
            version=current.version,
            action=Action.KEEP,
            source=Source.INSTALLED,
            required_by=required_by,
            requested=candidate.name in requested,
        )
    filename = candidate.filename or ""
    kind = kind_of(filename, candidate.locked.package_type if candidate.locked else "package")
    if kind != "wheel":
        action = Action.LOAD  # Pyodide loads it; it is never removed by a replacement
    else:
        action = Action.REPLACE if current is not None else Action.INSTALL
    file = candidate.file
    return PlanItem(
        name=candidate.locked.display_name if candidate.locked else candidate.name,
        version=str(candidate.version),
        action=action,
        source=Source(candidate.source),
        url=candidate.url or "",
        filename=filename,
        sha256=candidate.sha256 or None,
        size=file.size if file is not None else None,
        kind=kind,
        index_url=file.index_url if file is not None and candidate.source == "index" else None,
        required_by=required_by,
        requested=candidate.name in requested,
        replaces=current.version if current is not None and action is Action.REPLACE else None,
    )


def mark_modified(
    plan: Plan,
    resolved: Resolved,
    metadata_of: Callable[[Candidate], Metadata],
    target: Target,
    modifiers: Modifiers,
) -> Plan:
    """``plan`` with each changed package's ``overrides`` and ``excluded``: which of its
    requirements the user's overrides replaced or exclusions dropped (kept for freeze)."""
    if not modifiers:
        return plan
    changed: dict[NormalizedName, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for candidate in resolved.candidates.values():
        if candidate.name == PYTHON or candidate.source == INSTALLED:
            continue
        found = adjustments(
            metadata_of(candidate).requires_dist, candidate.extras, target, modifiers
        )
        before = changed.get(candidate.name, ((), ()))
        changed[candidate.name] = (
            tuple(dict.fromkeys(before[0] + found[0])),
            tuple(dict.fromkeys(before[1] + found[1])),
        )
    items = []
    for item in plan.items:
        overrides, excluded = changed.get(canonicalize_name(item.name), ((), ()))
        items.append(replace(item, overrides=overrides, excluded=excluded))
    return replace(plan, items=tuple(items))
