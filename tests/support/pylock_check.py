"""Checking a pylock.toml micropip2 wrote with packaging's own PEP 751 reader
(``packaging.pylock``, packaging >= 26.0), for tests: every lock micropip2 writes must be one
other tools (uv, pip) read."""

from __future__ import annotations

import tomllib
from typing import Any

from packaging.pylock import Pylock
from packaging.utils import canonicalize_name


def checked_pylock(text: str) -> dict[str, Any]:
    """``text`` parsed as TOML, after packaging's reader accepted it and every package name
    (and dependency name) was found normalized, as PEP 751 requires; the TOML document."""
    doc = tomllib.loads(text)
    lock = Pylock.from_dict(doc)  # raises PylockValidationError for a lock that breaks PEP 751
    for package in doc.get("packages", []):
        names = [package["name"], *(d["name"] for d in package.get("dependencies", []))]
        for name in names:
            assert name == canonicalize_name(name), f"{name!r} is not a normalized name (PEP 751)"
    assert [str(p.name) for p in lock.packages] == [p["name"] for p in doc.get("packages", [])]
    return doc
