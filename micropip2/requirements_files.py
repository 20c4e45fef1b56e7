"""pip's requirements-file format (``pip install -r``), the part that fits an installer of
wheels, read the same way by ``install(requirements_file=...)`` and the CLI's ``-r``/``-c``.

One requirement a line (PEP 508, markers included, or a wheel URL); ``#`` comments (a ``#`` at
the start of a line, or after whitespace); a ``\\`` at the end of a line continues it; inside a
file, ``-r``/``--requirement FILE`` and ``-c``/``--constraint FILE`` (relative to that file),
``-i``/``--index-url URL`` (the last one wins), ``--extra-index-url URL`` and ``--pre``; after a
requirement, ``--hash=sha256:<hex>`` (repeatable). Other options (``-e``, ``--find-links``, ...)
are refused by name rather than ignored.

A requirement with a ``--hash`` turns on pip's hash-checking mode for the whole install: every
requirement must then carry hashes and be pinned with ``==`` (or be a wheel URL), and every file
the install would write or load, dependencies included, must have one of its project's hashes
(:func:`check_plan_hashes`, on the resolved plan, before anything is written).

The reading is a generator that asks for the text of each file it meets (:func:`walk`), so the
CLI reads host files synchronously (:func:`read_sync`) and ``install`` reads URLs and paths
through the runtime (:func:`read_async`) with the same parser.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass, field, replace

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

from .direct_reference import parse_direct
from .errors import (
    HashMismatchError,
    InvalidOptionError,
    InvalidRequirementError,
    without_credentials,
)
from .fetch import Fetcher, without_url_credentials
from .locations import folder_of, has_scheme, join, split_credentials
from .plan import Plan, PlanItem
from .runtime import Runtime

__all__ = [
    "Collected",
    "check_plan_hashes",
    "read_async",
    "read_sync",
    "walk",
]

_HASH_OPTION = re.compile(r"(?:^|\s)--hash(?:=|\s+)(\S+)")
_OTHER_OPTION = re.compile(r"(?:^|\s)(--?[A-Za-z][\w-]*)")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_NESTED = {"-r": False, "--requirement": False, "-c": True, "--constraint": True}
_VALUED = {*_NESTED, "-i", "--index-url", "--extra-index-url"}  # the options given a value
MAX_NESTING = 32  # files inside files (-r/-c): past this, a chain that never ends (a server's)

# A reader: yields the location of each file it needs and is sent that file's text.
Walk = Generator[str, str, None]


@dataclass
class Collected:
    """What requirements files asked for."""

    requirements: list[str] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)
    index_url: str | None = None  # -i / --index-url: replaces the default index
    extra_index_urls: list[str] = field(default_factory=list)
    pre: bool = False
    hashes: dict[NormalizedName, set[str]] = field(default_factory=dict)  # --hash, sha256 hex
    unhashed: list[str] = field(default_factory=list)  # requirement lines without --hash
    url_hashes: dict[str, str] = field(default_factory=dict)  # a wheel URL's one --hash

    @property
    def index_urls(self) -> list[str]:
        """``--index-url`` first, then every ``--extra-index-url``."""
        return ([self.index_url] if self.index_url else []) + self.extra_index_urls

    @property
    def hash_checking(self) -> bool:
        """pip's hash-checking mode: on as soon as one requirement carries a ``--hash``."""
        return bool(self.hashes) or bool(self.url_hashes)

    def applicable(self, holds: Callable[[Marker | None], bool]) -> Collected:
        """A copy without the lines whose PEP 508 marker does not hold (``holds``: the target's
        marker evaluation), as pip skips them."""
        return replace(
            self,
            requirements=[text for text in self.requirements if holds(_marker_of(text))],
            constraints=[text for text in self.constraints if holds(_marker_of(text))],
            unhashed=[text for text in self.unhashed if holds(_marker_of(text))],
        )


def walk(
    location: str,
    collected: Collected,
    *,
    as_constraints: bool = False,
    text: str | None = None,
    _seen: frozenset[str] = frozenset(),
) -> Walk:
    """Add the lines of the file at ``location`` (or of ``text``, whose nested files are
    relative to ``location``'s folder) to ``collected``; a ``-c`` file's requirements are
    constraints, and so is everything a file inside it names."""
    if location in _seen:
        raise InvalidRequirementError(f"{location} includes itself (through -r or -c)")
    if len(_seen) >= MAX_NESTING:
        raise InvalidRequirementError(
            f"{location} is a requirements file inside {len(_seen)} others (through -r or -c); "
            f"micropip2 reads at most {MAX_NESTING} levels, so the chain looks endless: check "
            "the -r/-c lines (a relative path is relative to the file it is in)"
        )
    if text is None:
        text = yield location
    seen = _seen | {location}
    for number, line in _logical_lines(text):
        where = f"{location}:{number}"
        if not line.startswith("-"):
            _add_requirement(line, where, collected, as_constraints)
            continue
        option, value = _option(line, where)
        if option in _NESTED:
            try:
                nested = join(folder_of(location), value)
            except ValueError as exc:  # urljoin: "http://[::1/x" is no URL
                raise InvalidRequirementError(
                    f"{where}: {option} {value!r} does not name a file micropip2 can find "
                    f"from {location} ({exc})",
                    requirement=line,
                ) from None
            if "://" not in nested:  # a path: one spelling, so that a loop is seen
                nested = os.path.normpath(nested)
            yield from walk(
                nested,
                collected,
                as_constraints=as_constraints or _NESTED[option],
                _seen=seen,
            )
        elif option in ("-i", "--index-url"):
            collected.index_url = value
        elif option == "--extra-index-url":
            collected.extra_index_urls.append(value)
        elif option == "--pre":
            collected.pre = True
        else:
            raise InvalidRequirementError(
                f"{where}: micropip2 does not support the option {option} in a requirements "
                "file (it reads -r, -c, -i/--index-url, --extra-index-url, --pre and --hash)",
                requirement=line,
            )


def read_sync(
    location: str,
    collected: Collected,
    load: Callable[[str], str],
    *,
    as_constraints: bool = False,
) -> Collected:
    """:func:`walk` with files read by ``load`` (the CLI: host files)."""
    reader = walk(location, collected, as_constraints=as_constraints)
    try:
        needed = next(reader)
        while True:
            needed = reader.send(load(needed))
    except StopIteration:
        return collected


async def read_async(
    location: str,
    collected: Collected,
    load: Callable[[str], Awaitable[str]],
    *,
    text: str | None = None,
) -> Collected:
    """:func:`walk` with files read by ``await load(location)`` (``install``: URLs and paths
    through the runtime)."""
    reader = walk(location, collected, text=text)
    try:
        needed = next(reader)
        while True:
            needed = reader.send(await load(needed))
    except StopIteration:
        return collected


async def read_for_install(
    given: str, runtime: Runtime, marker_holds: Callable[[Marker | None], bool]
) -> Collected:
    """``install(requirements_file=)``: a requirements file given as its text (anything with a
    line break), a path in the Emscripten file system, or a URL (on Node, also a path of the
    host), with the files it names; the lines whose markers do not hold left out."""
    if not isinstance(given, str):
        raise InvalidOptionError(
            f"requirements_file is a URL, a path or the file's text; got {type(given).__name__}"
        )

    async def load(location: str) -> str:
        if not has_scheme(location) and os.path.isfile(location):
            with open(location, "rb") as file:
                data = file.read()
        else:
            url = without_url_credentials(location)
            data = (await Fetcher(runtime).file(url, what="the requirements file")).data
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidRequirementError(
                f"the requirements file {without_credentials(location)} is not UTF-8 text ({exc})"
            ) from None

    if "\n" in given:
        read = await read_async("<requirements text>", Collected(), load, text=given)
    else:
        read = await read_async(given, Collected(), load)
    return read.applicable(marker_holds)


def check_plan_hashes(plan: Plan, collected: Collected) -> None:
    """pip's hash-checking mode, on the resolved plan before anything is written: every
    requirement was given with hashes and pinned, and every file the plan installs or loads has
    one of its project's hashes. One error lists every problem; nothing is installed."""
    if not collected.hash_checking:
        return
    _check_requests(collected)
    mismatched: list[tuple[PlanItem, frozenset[str]]] = []
    missing: list[PlanItem] = []
    for item in plan.changes:
        allowed = _allowed(item, collected)
        if not allowed:
            missing.append(item)
        elif (item.sha256 or "").lower() not in allowed:
            mismatched.append((item, allowed))
    if mismatched:
        first, allowed = mismatched[0]
        raise HashMismatchError(
            "files do not have the hashes the requirements file gives:\n  "
            + "\n  ".join(
                [_mismatch(item, hashes) for item, hashes in mismatched]
                + [f"{_described(item)}: no --hash given" for item in missing]
            )
            + "\nnothing was installed; check the hashes and the pins in the file",
            expected=", ".join(sorted(allowed)),
            actual=first.sha256 or "",
            project=first.name,
            file=first.filename,
        )
    if missing:
        raise InvalidRequirementError(
            "hash checking is on, and these files to install have no --hash in the requirements "
            "file:\n  "
            + "\n  ".join(_described(item) for item in missing)
            + "\nnothing was installed; list every dependency, pinned with ==, with its hashes",
            project=missing[0].name,
        )


def _check_requests(collected: Collected) -> None:
    """With one --hash, every requirement needs hashes and an exact pin (pip's rule)."""
    problems = [
        f"{text}: no --hash (with one --hash, every requirement needs them)"
        for text in collected.unhashed
    ] + [
        f"{text}: not pinned with == (hash checking needs exact versions)"
        for text in collected.requirements
        if not _pinned(text)
    ]
    if problems:
        raise InvalidRequirementError(
            "the requirements file asks for hash checking, but:\n  "
            + "\n  ".join(problems)
            + "\nnothing was installed",
            requirement=problems[0].partition(": ")[0],
        )


def _allowed(item: PlanItem, collected: Collected) -> frozenset[str]:
    allowed = set(collected.hashes.get(canonicalize_name(item.name), ()))
    if item.url in collected.url_hashes:
        allowed.add(collected.url_hashes[item.url])
    return frozenset(allowed)


def _described(item: PlanItem) -> str:
    asked_by = ", ".join(item.required_by) or "you"
    return f"{item.name} {item.version} ({item.filename}; required by {asked_by})"


def _mismatch(item: PlanItem, allowed: frozenset[str]) -> str:
    return (
        f"{item.name} {item.version}: {item.filename} has sha256 "
        f"{item.sha256 or 'unknown before download'}, the file allows {', '.join(sorted(allowed))}"
    )


# -- lines ---------------------------------------------------------------------------------


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) of each line after joining ``\\`` continuations and removing
    comments (pip: ``#`` at the start, or after whitespace)."""
    lines: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        line = re.sub(r"(^|\s)#.*$", "", raw)
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = (pending + line).strip()
        pending = ""
        if line:
            lines.append((start, line))
    if pending.strip():
        lines.append((start, pending.strip()))
    return lines


def _option(line: str, where: str) -> tuple[str, str]:
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise InvalidRequirementError(f"{where}: cannot read {line!r} ({exc})") from None
    first = words[0]
    if first.startswith("--") and "=" in first:
        option, _, value = first.partition("=")
        return option, value
    if first == "--pre" or first not in _VALUED:
        return first, ""  # an option micropip2 does not read is refused by name, value or not
    if len(words) < 2:
        raise InvalidRequirementError(f"{where}: {first} needs a value", requirement=line)
    return first, words[1]


def _add_requirement(line: str, where: str, collected: Collected, as_constraint: bool) -> None:
    """A requirement line: the requirement (markers and all) and its ``--hash`` options."""
    digests = [_sha256_of(value, where) for value in _HASH_OPTION.findall(line)]
    text = _HASH_OPTION.sub(" ", line).strip()
    other = _OTHER_OPTION.search(" " + text)
    if other is not None and not _inside_marker(text, other.group(1)):
        raise InvalidRequirementError(
            f"{where}: micropip2 does not support the option {other.group(1)} after a "
            "requirement (only --hash)",
            requirement=line,
        )
    try:
        direct = parse_direct(text)
        name = None if direct is not None else canonicalize_name(Requirement(text).name)
    except InvalidRequirementError as exc:
        raise InvalidRequirementError(f"{where}: {exc}", requirement=text) from None
    except InvalidRequirement as exc:
        raise InvalidRequirementError(
            f"{where}: cannot understand the requirement {text!r}: {exc}", requirement=text
        ) from None
    if digests and direct is not None:
        if len(digests) > 1:
            raise InvalidRequirementError(
                f"{where}: a wheel URL names one file; give it one --hash", requirement=text
            )
        collected.url_hashes[split_credentials(direct.url)[0]] = digests[0]
    elif digests and name is not None:
        collected.hashes.setdefault(name, set()).update(digests)
    if as_constraint:
        collected.constraints.append(text)
        return
    collected.requirements.append(text)
    if not digests:
        collected.unhashed.append(text)


def _sha256_of(value: str, where: str) -> str:
    algorithm, _, digest = value.partition(":")
    digest = digest.lower()
    if algorithm != "sha256" or not _SHA256.fullmatch(digest):
        raise InvalidRequirementError(
            f"{where}: --hash={value} is not a sha256 hash (micropip2 checks "
            "--hash=sha256:<64 hex digits>)",
        )
    return digest


def _inside_marker(text: str, option: str) -> bool:
    """Whether ``option`` (something that looks like one) is inside the marker part."""
    marker = text.partition(";")[2]
    return bool(marker) and option in marker


def _marker_of(text: str) -> Marker | None:
    try:
        return Requirement(text).marker
    except InvalidRequirement:  # a bare wheel URL or path: no marker
        return None


def _pinned(text: str) -> bool:
    if parse_direct(text) is not None:
        return True
    specifiers = list(Requirement(text).specifier)
    return (
        len(specifiers) == 1
        and specifiers[0].operator in ("==", "===")
        and ("*" not in specifiers[0].version)
    )
