"""Dependency hints from the PyPI JSON API, for fetching the next level of a tree early.

A simple page (PEP 503/691) lists files but not what they require, so learning a project's
dependencies takes a second round trip (its PEP 658 metadata file) before their pages can be
asked for. PyPI's JSON API (``/pypi/<name>/json``, on an index whose simple API is at
``/simple``) also gives ``info.requires_dist`` of the newest release, so asking for it together
with the simple page lets the crawl start the next level's pages one round trip sooner.

A hint is only a guess about which version will be chosen and what it requires: the resolver
never reads it, and the chosen file's own metadata stays the authority. A wrong or missing hint
costs requests, never correctness; any answer that is not a readable document is no hint.

Bytes: the document also lists every release's files (3.8 MB for botocore, 3.3 MB for boto3,
uncompressed), while ``info`` comes first and is small (6-140 KB on popular projects). The body
is read only until ``info`` is whole (:func:`info_complete`), and the rest of the transfer is
cancelled.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from packaging.utils import NormalizedName

from .urls import IndexURL

MAX_HINT_BYTES = 512 * 1024  # past this, stop reading: no hint is worth more
_START = re.compile(r'\s*\{\s*"info"\s*:\s*')  # PyPI puts ``info`` first
_decoder = json.JSONDecoder()


@dataclass(frozen=True)
class Hint:
    """The newest release of a project as the JSON API describes it."""

    version: str
    requires_dist: tuple[str, ...]


def json_api_url(index: IndexURL, name: NormalizedName) -> str | None:
    """Where ``index`` would serve ``name``'s JSON API document: beside its ``/simple`` path,
    as PyPI and its mirrors do; None for any other kind of index."""
    if index.kind != "simple" or index.is_template:
        return None
    parts = urlsplit(index.url)
    path = parts.path.rstrip("/")
    if not path.endswith("/simple"):
        return None
    api_path = f"{path.removesuffix('/simple')}/pypi/{name}/json"
    return urlunsplit((parts.scheme, parts.netloc, api_path, "", ""))


def info_complete(prefix: bytes) -> bool:
    """Whether a body prefix holds the whole ``info`` object (or is too long to be worth more)."""
    return len(prefix) >= MAX_HINT_BYTES or _info(prefix) is not None


def parse_hint(body: bytes) -> Hint | None:
    """The hint in a JSON API document or a prefix of one; None if there is none to read."""
    info = _info(body)
    if info is None:
        return None
    version = info.get("version")
    requires = info.get("requires_dist") or []
    if not isinstance(version, str) or not isinstance(requires, list):
        return None
    return Hint(version, tuple(text for text in requires if isinstance(text, str)))


def _info(prefix: bytes) -> dict[str, Any] | None:
    """The ``info`` object of a document that starts with it, if the prefix holds all of it."""
    text = prefix.decode("utf-8", errors="replace")
    start = _START.match(text)
    if start is None:
        return None
    try:
        value, _end = _decoder.raw_decode(text, start.end())
    except (ValueError, RecursionError):  # not JSON, or nested too deeply to read: no hint
        return None
    return value if isinstance(value, dict) else None
