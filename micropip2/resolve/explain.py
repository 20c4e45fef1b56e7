"""Explaining a failed resolution as facts a person can act on: who asked for what, what exists, why
it does not fit."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from packaging.utils import NormalizedName

from .candidates import Candidate, Requirement
from .knowledge import Knowledge

MAX_LISTED = 8


def explain_conflict(causes: Iterable[tuple[Requirement, str | None]], knowledge: Knowledge) -> str:
    """``causes``: (requirement, parent) pairs from resolvelib's ResolutionImpossible."""
    by_name: dict[NormalizedName, list[str]] = defaultdict(list)
    for requirement, parent in causes:
        line = f"{requirement} (required by {parent or 'your request'})"
        if line not in by_name[requirement.name]:
            by_name[requirement.name].append(line)
    lines = []
    for name, asked in by_name.items():
        lines.append(f"{name}:")
        lines += [f"  needs {text}" for text in asked]
        lines += [f"  {fact}" for fact in available(name, knowledge)]
    return "\n".join(lines)


def available(name: NormalizedName, knowledge: Knowledge) -> list[str]:
    """What exists of ``name`` for this target, and why the rest does not fit."""
    facts = []
    installed = knowledge.installed.get(name)
    if installed is not None:
        facts.append(f"installed: {installed.version}")
    locked = knowledge.pyodide_packages.get(name)
    if locked is not None:
        facts.append(f"the Pyodide distribution has {locked.version}")
    choices = knowledge.choices_if_known(name)
    page_known = knowledge.page_known(name)
    if page_known and choices is None:
        facts.append(
            f"no index has a project named {name!r} (asked: "
            f"{', '.join(knowledge.lookups.client.index_urls)})"
        )
    elif choices is not None:
        versions = _versions(choices.candidates)
        if versions:
            facts.append(f"compatible versions on the index: {versions}")
        elif not choices.rejected:
            facts.append(
                f"the index's page of {name} lists no files at all (asked: "
                f"{', '.join(knowledge.lookups.client.index_urls)}); a page without file links "
                "may be a login or error page (a captive portal, a proxy) instead of the index"
            )
        else:
            facts.append(
                f"the index has no wheel of {name} that fits {knowledge.target.describe()}"
            )
        yanked = sorted(
            {str(c.version) for c in choices.candidates if c.file and c.file.yanked is not None}
        )
        if yanked:
            facts.append(f"yanked (used only when pinned with ==): {', '.join(yanked)}")
        for rejected in choices.rejected[:MAX_LISTED]:
            facts.append(f"{rejected.filename}: {rejected.reason}")
        if len(choices.rejected) > MAX_LISTED:
            facts.append(f"... and {len(choices.rejected) - MAX_LISTED} more files that do not fit")
    return facts


def _versions(candidates: Iterable[Candidate]) -> str:
    seen: list[str] = []
    for candidate in candidates:
        text = str(candidate.version)
        if text not in seen:
            seen.append(text)
    shown = ", ".join(seen[:MAX_LISTED])
    return shown + (f" (and {len(seen) - MAX_LISTED} older)" if len(seen) > MAX_LISTED else "")
