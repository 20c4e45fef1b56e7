"""When a stored project page may be used again: HTTP caching rules for the persistent cache.

Project pages change (a release adds files), so unlike wheels they are kept with what their
answer said about caching, read as a private cache reads it (RFC 9111):

* ``Cache-Control: max-age=N`` (less the answer's ``Age``) is how long the page is *fresh*: used
  again without a request;
* after that, its ``ETag`` / ``Last-Modified`` make the next request conditional
  (``If-None-Match`` / ``If-Modified-Since``); a ``304`` renews the stored page, a ``200``
  replaces it;
* ``no-store`` pages are never stored, ``no-cache`` ones are always revalidated, and a page with
  neither a lifetime nor a validator is not stored (no heuristic freshness).

A stored page is one blob: a JSON line (where it came from, its caching headers, when it was
received, its body's size and sha256) and the body. A blob that is not whole or whose body does
not match is not a page (:func:`decode` gives None).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from .runtime import Response

_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)\"?", re.IGNORECASE)


@dataclass(frozen=True)
class StoredPage:
    response: Response  # status 200, with its caching headers
    received: float  # seconds since the epoch, when the request that got it was sent

    def fresh(self, now: float) -> bool:
        return now - self.received < lifetime(self.response.headers)

    def conditional_headers(self) -> dict[str, str]:
        """What makes the next request for this page conditional."""
        found = self.response.headers
        ask = {}
        if "etag" in found:
            ask["If-None-Match"] = found["etag"]
        if "last-modified" in found:
            ask["If-Modified-Since"] = found["last-modified"]
        return ask

    def renewed(self, not_modified: Response, now: float) -> StoredPage:
        """This page after a ``304``: the same body, the 304's caching headers, received now."""
        kept = {k: v for k, v in self.response.headers.items() if k != "age"}  # the old answer's
        headers = {**kept, **not_modified.headers}
        return StoredPage(replace(self.response, headers=headers), now)


def page_key(url: str, headers: Mapping[str, str] | None) -> str:
    """The store key of the page at ``url`` asked for with these headers' ``Accept``."""
    accept = next((v for k, v in (headers or {}).items() if k.lower() == "accept"), "")
    return "page-" + hashlib.sha256(f"{url}\n{accept}".encode()).hexdigest()


def _directives(headers: Mapping[str, str]) -> set[str]:
    value = headers.get("cache-control", "")
    return {part.split("=", 1)[0].strip().lower() for part in value.split(",") if part.strip()}


def lifetime(headers: Mapping[str, str]) -> float:
    """Seconds the answer stays fresh after it was received (0: always revalidate)."""
    if _directives(headers) & {"no-cache", "no-store"}:
        return 0.0
    found = _MAX_AGE.search(headers.get("cache-control", ""))
    if found is None:
        return 0.0
    age = headers.get("age", "0").strip()
    return max(0.0, int(found.group(1)) - (int(age) if age.isdigit() else 0))


def storable(response: Response) -> bool:
    """A 200 page worth keeping: not ``no-store``, and fresh for a while or revalidatable."""
    headers = response.headers
    if response.status != 200 or "no-store" in _directives(headers):
        return False
    return lifetime(headers) > 0 or "etag" in headers or "last-modified" in headers


def encode(page: StoredPage) -> bytes:
    response = page.response
    head = {
        "url": response.url,
        "content_type": response.content_type,
        "headers": dict(response.headers),
        "received": page.received,
        "size": len(response.body),
        "sha256": hashlib.sha256(response.body).hexdigest(),
    }
    return json.dumps(head).encode() + b"\n" + response.body


def decode(data: bytes) -> StoredPage | None:
    """The page in a stored blob; None when the blob is not a whole, matching page."""
    line, _, body = data.partition(b"\n")
    try:
        head = json.loads(line)
        whole = len(body) == head["size"] and hashlib.sha256(body).hexdigest() == head["sha256"]
        if not whole:
            return None
        headers = {str(k): str(v) for k, v in head["headers"].items()}
        response = Response(str(head["url"]), 200, str(head["content_type"]), body, headers)
        return StoredPage(response, float(head["received"]))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
