"""Requirements that name a wheel file directly: URLs, paths and ``name @ url`` (PEP
440/508/610)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

from .errors import InvalidRequirementError
from .locations import scheme_of, split_url

_SCHEMES = ("http", "https", "file", "emfs")
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


@dataclass(frozen=True)
class DirectWheel:
    """A wheel named by location, as the user wrote it."""

    text: str  # the requirement as given
    url: str  # without the #fragment
    filename: str
    name: NormalizedName | None  # from "name @ url"; checked against the wheel
    extras: frozenset[str]
    sha256: str | None  # from "#sha256=..." or the caller


def parse_direct(text: str) -> DirectWheel | None:
    """A :class:`DirectWheel` if ``text`` points at a file; ``None`` for a by-name requirement."""
    text = text.strip()
    if _looks_like_location(text):
        return _from_location(text, text, None, frozenset())
    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        raise InvalidRequirementError(
            f"cannot understand the requirement {text!r}: {exc}", requirement=text
        ) from None
    if requirement.url is None:
        return None
    return _from_location(
        text, requirement.url, canonicalize_name(requirement.name), frozenset(requirement.extras)
    )


def _looks_like_location(text: str) -> bool:
    if " @ " in text or text.startswith("@"):
        return False
    path = text.split("#", 1)[0].split("?", 1)[0]
    scheme = scheme_of(path)
    return path.endswith(".whl") or scheme in _SCHEMES or path.startswith(("./", "../", "/"))


def _from_location(
    text: str, location: str, name: NormalizedName | None, extras: frozenset[str]
) -> DirectWheel:
    url, _, fragment = location.partition("#")
    parts = split_url(url)
    if parts is None:
        raise InvalidRequirementError(
            f"cannot install {text!r}: {url!r} is not a valid URL (a host in [...] must be a "
            "complete IPv6 address, a port a number)",
            requirement=text,
        )
    scheme = parts.scheme
    if scheme and scheme not in _SCHEMES:
        raise InvalidRequirementError(
            f"cannot install {text!r}: the {scheme!r} scheme is not supported (use http, https, "
            "file, emfs or a relative URL)",
            requirement=text,
        )
    filename = unquote(parts.path.rsplit("/", 1)[-1])
    if not filename.endswith(".whl"):
        raise InvalidRequirementError(
            f"cannot install {text!r}: {filename or url!r} is not a wheel (.whl); micropip2 "
            "installs wheels only",
            requirement=text,
            file=filename or None,
        )
    return DirectWheel(text, url, filename, name, extras, _sha256_from_fragment(text, fragment))


def _sha256_from_fragment(text: str, fragment: str) -> str | None:
    """PEP 503-style ``#sha256=<hex>``; any other hash name is refused rather than ignored."""
    if not fragment:
        return None
    for part in fragment.split("&"):
        algorithm, _, value = part.partition("=")
        if algorithm == "sha256":
            if not _SHA256.match(value):
                raise InvalidRequirementError(
                    f"{text!r}: {value!r} is not a sha256 hex digest", requirement=text
                )
            return value.lower()
        if algorithm in ("md5", "sha1", "sha224", "sha384", "sha512"):
            raise InvalidRequirementError(
                f"{text!r}: only #sha256= hashes are checked; give the file's sha256 instead of "
                f"{algorithm}",
                requirement=text,
            )
    return None
