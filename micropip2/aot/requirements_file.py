"""The CLI's ``-r``/``-c`` files: pip's requirements-file format as
:mod:`micropip2.requirements_files` reads it for ``install``, with the files read from the host.

``micropip2 lock`` does not check ``--hash`` values (a lock carries every file's sha256), so a
file that gives them is refused rather than silently not checked.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InvalidRequirementError
from ..requirements_files import Collected, read_sync

__all__ = ["Collected", "read_requirements"]


def read_requirements(
    path: str, collected: Collected, *, as_constraints: bool = False
) -> Collected:
    """Add the lines of ``path`` to ``collected`` (as constraints for a ``-c`` file)."""
    read_sync(path, collected, _read_host_file, as_constraints=as_constraints)
    if collected.hash_checking:
        raise InvalidRequirementError(
            f"{path} gives --hash values; micropip2 lock does not check them (the lock it "
            "writes records every file's sha256): remove them, or install with "
            "micropip2.install(requirements_file=...), which checks them"
        )
    return collected


def _read_host_file(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidRequirementError(
            f"cannot read the requirements file {path}: {exc.strerror}"
        ) from None
    except UnicodeDecodeError as exc:
        raise InvalidRequirementError(
            f"the requirements file {path} is not UTF-8 text ({exc})"
        ) from None
