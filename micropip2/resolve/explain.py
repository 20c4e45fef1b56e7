"""Explaining a failed resolution as facts a person can act on: who asked for what, what exists, why
it does not fit."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from packaging.utils import NormalizedName
from packaging.version import Version

from ..installed import MOCK_INSTALLER
from .candidates import PYTHON, Candidate, Requirement
from .dead_ends import DeadEnds
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
        lines += [f"  needs {text}" for text in asked[:MAX_LISTED]]
        if len(asked) > MAX_LISTED:
            lines.append(f"  ... and {len(asked) - MAX_LISTED} more requirements on {name}")
        lines += [f"  {fact}" for fact in available(name, knowledge)]
    return "\n".join(lines)


def available(name: NormalizedName, knowledge: Knowledge) -> list[str]:
    """What exists of ``name`` for this target, and why the rest does not fit."""
    facts = []
    installed = knowledge.installed.get(name)
    if installed is not None:
        mock = installed.installer == MOCK_INSTALLER
        facts.append(
            f"installed: {installed.version}"
            + (" (a mock package: remove_mock_package() it to install another)" if mock else "")
        )
    locked = knowledge.pyodide_packages.get(name)
    if locked is not None:
        facts.append(f"the Pyodide distribution has {locked.version}")
    choices = knowledge.choices_if_known(name)
    page_known = knowledge.page_known(name)
    if page_known and choices is None:
        facts.append(
            f"no index has a project named {name!r} (asked: "
            f"{knowledge.lookups.client.asked_for(name)})"
        )
    elif choices is not None:
        versions = _versions(choices.candidates)
        if versions:
            facts.append(f"compatible versions on the index: {versions}")
        elif not choices.rejected:
            facts.append(
                f"the index's page of {name} lists no files at all (asked: "
                f"{knowledge.lookups.client.asked_for(name)}); a page without file links "
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


# -- dead ends: a project with no file for the target, and the chain that needs it -------------

Cause = tuple[Requirement, str | None]  # a requirement and who asked ("sphinx 8.2.3"; None: you)


@dataclass(frozen=True)
class Explanation:
    text: str
    projects: tuple[str, ...]  # the projects at the root of the failure


def explain_failure(
    causes: Iterable[Cause], knowledge: Knowledge, dead_ends: DeadEnds | None = None
) -> Explanation:
    """What resolvelib's causes mean. Causes that are dead ends (:mod:`.dead_ends`) are
    followed down to what ended them, so the explanation names the project at the root (one
    with no file for the target first, and what to try), then every requirement involved."""
    causes = list(causes)
    expanded = _followed(causes, dead_ends) if dead_ends is not None else causes
    roots = _roots(expanded, dead_ends) if dead_ends is not None else []
    no_file = [name for name in roots if _has_no_file(name, knowledge)]
    head = [_no_file_paragraph(name, expanded, knowledge) for name in no_file]
    body = explain_conflict(expanded, knowledge)
    projects = roots or [requirement.name for requirement, _ in causes]
    return Explanation("\n".join([*head, body]), tuple(projects))


def _followed(causes: list[Cause], dead_ends: DeadEnds) -> list[Cause]:
    """``causes`` and, for each dead one, what ruled out each of its candidates (recursively)."""
    found = list(causes)
    seen = {(str(r), r.name, p) for r, p in found}
    index = 0
    while index < len(found):
        requirement, _parent = found[index]
        index += 1
        offered = dead_ends.offered_if_dead(requirement)
        for candidate in offered if offered is not None else dead_ends.dead_matching(requirement):
            death = dead_ends.reason(candidate)
            if death is None:
                continue
            cause = (death.requirement, f"{candidate.name} {candidate.version}")
            key = (str(cause[0]), cause[0].name, cause[1])
            if key not in seen:
                seen.add(key)
                found.append(cause)
    return found


def _roots(causes: list[Cause], dead_ends: DeadEnds) -> list[NormalizedName]:
    """Projects of dead requirements that no candidate at all could meet."""
    roots: list[NormalizedName] = []
    for requirement, _parent in causes:
        if requirement.name == PYTHON or requirement.name in roots:
            continue
        if dead_ends.offered_if_dead(requirement) == ():
            roots.append(requirement.name)
    return roots


def _has_no_file(name: NormalizedName, knowledge: Knowledge) -> bool:
    """The index has the project, but no file of it fits the target, and neither the Pyodide
    distribution nor the environment has it."""
    if knowledge.covered_locally(name):
        return False
    choices = knowledge.choices_if_known(name)
    return choices is not None and not choices.candidates


def _no_file_paragraph(name: NormalizedName, causes: list[Cause], knowledge: Knowledge) -> str:
    target = knowledge.target
    choices = knowledge.choices_if_known(name)
    files = len(choices.rejected) if choices is not None else 0
    chain = _chain(name, causes)
    first = chain[0][0] if chain else name
    return (
        f"{name} has no file for {target.describe()}: the index lists {files} files of it and "
        f"none is a wheel this interpreter can use (see below), the Pyodide distribution has "
        f"no {name}, and it is not installed. {_needed(name, chain)}\n"
        f"Packages like {name}, with compiled code, usually come from Pyodide's own "
        "distribution (its pyodide-lock.json), not from PyPI: use a Pyodide release whose "
        f"distribution includes {name}, or give install(lockfile=...) a lock with a {name} wheel "
        f"built for {target.platform_tag}; if {first} works without it here, pass "
        f"exclude=[{name!r}] (or overrides=[...] to ask for other versions)."
    )


def _needed(name: str, chain: list[tuple[str, set[str]]]) -> str:
    """ "It is required by each version of jinja2 tried (28: 3.1.6 down to 2.8), which each
    version of sphinx tried requires (165: ...); you asked for sphinx." """
    if not chain:
        return "You asked for it."
    steps = []
    below = name
    for project, versions in chain:
        if project == "":
            break
        steps.append((project, versions, below))
        below = project
    if not steps:
        return "You asked for it."
    first, versions, _ = steps[0]
    text = f"It is required by {_versions_tried(first, versions)}"
    for project, versions, needs in steps[1:]:
        text += f", which {_versions_tried(project, versions)} requires ({needs})"
    asked = chain[-1][0] == ""
    return text + (f"; you asked for {steps[-1][0]}." if asked else ".")


def _versions_tried(project: str, versions: set[str]) -> str:
    if len(versions) == 1:
        return f"{project} {next(iter(versions))}"
    ordered = sorted(versions, key=_sort_key)
    return f"each version of {project} tried ({len(versions)}: {ordered[-1]} down to {ordered[0]})"


def _chain(name: NormalizedName, causes: list[Cause]) -> list[tuple[str, set[str]]]:
    """From ``name`` up to the user: at each step the project whose versions require the one
    below, and those versions ("" and no versions: the user)."""
    requirers: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for requirement, parent in causes:
        project, _, version = (parent or "").partition(" ")
        requirers[requirement.name][project].add(version)
    chain: list[tuple[str, set[str]]] = []
    current, seen = str(name), {str(name)}
    while True:
        above = {p: v for p, v in requirers.get(current, {}).items() if p not in seen}
        if not above:
            return chain
        project = max(above, key=lambda p: (len(above[p]), p))
        chain.append((project, above[project]))
        if project == "":
            return chain
        seen.add(project)
        current = project


def _sort_key(text: str) -> tuple[int, Version | str]:
    try:
        return (1, Version(text))
    except ValueError:
        return (0, text)
