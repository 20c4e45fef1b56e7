"""pip-style requirements files (``-r``) and constraints files (``-c``), the common subset.

One requirement a line; ``#`` comments; ``\\`` continues a line; inside a file, ``-r FILE`` /
``-c FILE`` (relative to that file), ``-i``/``--index-url URL``, ``--extra-index-url URL`` and
``--pre``. Other options (``--hash``, ``-e``, ``--find-links``, ...) are refused by name.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InvalidRequirementError


@dataclass
class Collected:
    requirements: list[str] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)
    index_urls: list[str] = field(default_factory=list)
    pre: bool = False


def read_requirements(
    path: str,
    collected: Collected,
    *,
    as_constraints: bool = False,
    _seen: frozenset[Path] = frozenset(),
) -> Collected:
    """Add the lines of ``path`` to ``collected`` (as constraints for a ``-c`` file)."""
    file = Path(path)
    if file.resolve() in _seen:
        raise InvalidRequirementError(f"{path} includes itself")
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidRequirementError(
            f"cannot read the requirements file {path}: {exc.strerror}"
        ) from None
    seen = _seen | {file.resolve()}
    for number, line in _logical_lines(text):
        where = f"{path}:{number}"
        if not line.startswith("-"):
            (collected.constraints if as_constraints else collected.requirements).append(line)
            continue
        words = shlex.split(line)
        option, value = _option(words, where)
        if option in ("-r", "--requirement", "-c", "--constraint"):
            nested = str(file.parent / value)
            read_requirements(
                nested,
                collected,
                as_constraints=as_constraints or option in ("-c", "--constraint"),
                _seen=seen,
            )
        elif option in ("-i", "--index-url"):
            collected.index_urls.insert(0, value)
        elif option == "--extra-index-url":
            collected.index_urls.append(value)
        elif option == "--pre":
            collected.pre = True
        else:
            raise InvalidRequirementError(
                f"{where}: micropip2 does not support the option {option}"
            )
    return collected


def _logical_lines(text: str) -> list[tuple[int, str]]:
    lines, pending, start = [], "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        line = raw.split(" #", 1)[0].split("\t#", 1)[0]
        if line.lstrip().startswith("#"):
            line = ""
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = (pending + line).strip()
        pending = ""
        if line:
            lines.append((start, line))
    return lines


def _option(words: list[str], where: str) -> tuple[str, str]:
    first = words[0]
    if "=" in first and first.startswith("--"):
        option, _, value = first.partition("=")
        return option, value
    if first == "--pre":
        return first, ""
    if len(words) < 2:
        raise InvalidRequirementError(f"{where}: {first} needs a value")
    return first, words[1]
