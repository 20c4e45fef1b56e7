"""How much micropip2 accepts from a wheel or a metadata file before it refuses to go on.

A hostile or broken file must not exhaust memory or time: a zip bomb, a wheel of a million
members, a path thousands of directories deep, a metadata file of a million requirements. Each
limit is checked before the bytes it guards are inflated or parsed, and exceeding one raises
:class:`~micropip2.errors.LimitExceededError`, which names the limit and how to raise it.

The defaults lie far above every real wheel measured (see docs/security.md#limits): for a
trusted file that needs more, raise one for the running interpreter::

    import micropip2.limits

    micropip2.limits.set_limits(wheel_size=4 * 2**30)  # returns the new Limits
    micropip2.limits.reset_limits()  # back to the defaults
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .errors import InvalidOptionError, LimitExceededError

MiB = 1 << 20
GiB = 1 << 30


@dataclass(frozen=True)
class Limits:
    """Upper bounds on what one file may hold. Sizes are bytes; a path's lengths are counted in
    UTF-8 bytes, as file systems count them."""

    wheel_size: int = GiB
    """Total uncompressed size of a wheel's members, as its zip directory declares them."""
    wheel_members: int = 200_000
    """Entries (files and directories) in a wheel's zip directory."""
    compression_ratio: int = 200
    """Total uncompressed size over the archive's size, for wheels inflating to more than
    :data:`RATIO_APPLIES_ABOVE` bytes (a smaller wheel cannot exhaust anything)."""
    path_depth: int = 64
    """Components of a member's path inside the wheel (``a/b/c.py`` has 3)."""
    path_length: int = 1024
    """Bytes of a member's path inside the wheel."""
    name_length: int = 255
    """Bytes of one component of a member's path (NAME_MAX of Linux file systems)."""
    metadata_size: int = 10 * MiB
    """Bytes of a core metadata file: a wheel's METADATA and WHEEL, a PEP 658 ``.metadata``."""
    requirements: int = 10_000
    """``Requires-Dist`` entries of one metadata file."""
    page_size: int = 64 * MiB
    """Bytes of an index page (for the fetch layer)."""


RATIO_APPLIES_ABOVE = 16 * MiB

DEFAULT_LIMITS = Limits()

_DESCRIPTIONS = {
    "wheel_size": "total uncompressed size",
    "wheel_members": "number of archive members",
    "compression_ratio": "compression ratio (uncompressed size / archive size)",
    "path_depth": "path depth (directories + file name)",
    "path_length": "path length in bytes",
    "name_length": "file or directory name length in bytes",
    "metadata_size": "metadata file size",
    "requirements": "number of Requires-Dist entries",
    "page_size": "index page size",
}

_current = DEFAULT_LIMITS


def current() -> Limits:
    """The limits in force in this interpreter."""
    return _current


def set_limits(**changes: int) -> Limits:
    """Change some limits for this interpreter (the others keep their values); returns the limits
    now in force. Each value must be a positive whole number."""
    global _current
    known = {field.name for field in dataclasses.fields(Limits)}
    for name, value in changes.items():
        if name not in known:
            raise InvalidOptionError(
                f"set_limits() got {name!r}, which is not a limit; the limits are: "
                + ", ".join(sorted(known))
            )
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise InvalidOptionError(
                f"set_limits({name}=...) needs a positive whole number, not {value!r}"
            )
    _current = dataclasses.replace(_current, **changes)
    return _current


def reset_limits() -> Limits:
    """Put every limit back to its default; returns the defaults."""
    global _current
    _current = DEFAULT_LIMITS
    return _current


def exceeded(
    subject: str, name: str, found: int | float, detail: str = "", *, file: str | None = None
) -> LimitExceededError:
    """The error for ``subject`` (what was refused: a wheel's file name, "the metadata of ...")
    exceeding limit ``name`` with ``found``. ``detail`` says where (a member's path), if that
    helps; ``file`` is the file name (default: ``subject``)."""
    value = getattr(_current, name)
    description = _DESCRIPTIONS[name]
    how = f"micropip2.limits.set_limits({name}={_suggestion(found)})"
    where = f" ({detail})" if detail else ""
    return LimitExceededError(
        f"{subject} was refused: its {description} is {_amount(name, found)}{where}, over "
        f"micropip2's limit of {_amount(name, value)} ({name}); it was refused before being "
        "unpacked or parsed, and nothing was "
        f"installed. If you trust this file, raise the limit with {how} and try again",
        limit=name,
        value=value,
        found=found,
        how=how,
        file=subject if file is None else file,
    )


_SIZES = ("wheel_size", "metadata_size", "page_size")


def _amount(name: str, amount: int | float) -> str:
    if isinstance(amount, float):
        return f"{amount:.0f}"
    if name in _SIZES:
        return f"{amount} bytes ({amount / MiB:.1f} MiB)" if amount >= MiB else f"{amount} bytes"
    return str(amount)


def _suggestion(found: int | float) -> int:
    """A value that admits ``found``: the next power of two at or above it."""
    needed = max(1, int(found) + (0 if float(found).is_integer() else 1))
    return 1 << (needed - 1).bit_length()
