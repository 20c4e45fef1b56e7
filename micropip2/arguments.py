"""What the public functions accept where they take strings: one string, or any iterable of
strings, a JS array (a ``JsProxy``, as micropip's callers pass from JavaScript) included.
A wrong type is an :class:`~micropip2.errors.InvalidOptionError` that names the argument, never a
raw ``TypeError``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import InvalidOptionError


def from_js(value: Any) -> Any:
    """A JS value as Python (``JsProxy.to_py()``: a JS array becomes a list); Python values and
    JS strings (which arrive as ``str``) as they are."""
    to_py = getattr(value, "to_py", None)
    return to_py() if callable(to_py) else value


def texts(value: Any, what: str, example: str = "['name']") -> list[str]:
    """``value`` as a list of strings, or an error naming ``what`` with an ``example``."""
    value = from_js(value)
    if isinstance(value, str):
        return [value]
    if value is None or isinstance(value, bytes | bytearray | Mapping) or not _iterable(value):
        raise InvalidOptionError(
            f"{what} must be a string or a list of strings, like {example}; got "
            f"{type(value).__name__} {short(value)}"
        )
    found = list(value)
    wrong = [item for item in found if not isinstance(item, str)]
    if wrong:
        raise InvalidOptionError(
            f"{what} must be strings, like {example}; got {type(wrong[0]).__name__} "
            f"{short(wrong[0])}"
        )
    return found


def short(value: Any) -> str:
    """``repr(value)``, cut for an error message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _iterable(value: Any) -> bool:
    try:
        iter(value)
    except TypeError:
        return False
    return True
