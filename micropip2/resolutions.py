"""Resolutions kept between interpreters: an install asked again in the same situation reuses
the Plan it got the first time, without resolving (and without importing the resolver).

*The same situation* is everything that decides the answer, hashed into the entry's key
(:func:`resolution_key`): micropip2's version, the requirements as given, the options that change
the answer (constraints, hashes, pre, deps, reinstall, keep_going, indexes and their strategy),
the target (Python, Emscripten and platform versions), the installed distributions and the
distribution's packages. Files are immutable (keyed by sha256), so what else can change the
answer is the project pages: an entry records each page the resolution read (its store key and
its body's sha256) and is used only while every one of them is still stored, still fresh and
unchanged (:mod:`micropip2.page_cache`). Otherwise the install resolves again, which revalidates
the pages, and its Plan replaces the entry.

A resolution is kept only when every page it read could be kept (so none was asked for with
credentials, or said ``no-store``) and it read nothing else that may change (a direct URL
without a hash).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from packaging.utils import NormalizedName

from .fetch import with_url_credentials
from .installed import InstalledDist
from .lockfiles.pyodide_packages import PyodidePackages
from .page_cache import decode
from .plan import Action, Plan, PlanItem, Source
from .store import Store
from .target import Target

FORMAT = 1  # of the stored entry; a different one is not read


@dataclass(frozen=True)
class StoredResolution:
    plan: Plan
    notes: tuple[str, ...]
    pages: Mapping[str, str]  # page store key -> sha256 of the body the resolution read


def resolution_key(
    requirements: Sequence[str],
    options: Mapping[str, Any],
    target: Target,
    installed: Mapping[NormalizedName, InstalledDist],
    pyodide_packages: PyodidePackages,
) -> str:
    """The store key of a resolution in this situation (see the module docstring)."""
    from . import __version__

    situation = {
        "format": FORMAT,
        "micropip2": __version__,
        "requirements": list(requirements),
        "options": dict(options),
        "target": [target.python_version, target.emscripten_version, target.platform_version],
        "installed": sorted(f"{name}=={dist.version}" for name, dist in installed.items()),
        "distribution": sorted(
            f"{name}=={p.version} {p.sha256}" for name, p in pyodide_packages.packages.items()
        ),
    }
    text = json.dumps(situation, sort_keys=True, default=str)
    return "resolution-" + hashlib.sha256(text.encode()).hexdigest()


async def reusable(store: Store, key: str) -> StoredResolution | None:
    """The stored resolution of ``key`` if every page it read is still fresh and unchanged
    (a store that fails has none)."""
    try:
        found = _decode(await store.read(key))
        if found is None:
            return None
        # read together: each read from Cache Storage is a round trip to the browser process
        bodies = await asyncio.gather(*(store.read(page_key) for page_key in found.pages))
    except Exception:  # a failing store (OSError on Node, a JS error from Cache Storage)
        return None
    now = time.time()
    for body, sha256 in zip(bodies, found.pages.values(), strict=True):
        page = decode(body or b"")
        if page is None or not page.fresh(now):
            return None
        if hashlib.sha256(page.response.body).hexdigest() != sha256:
            return None
    return found


def keepable(resolution: StoredResolution, *, not_kept: Sequence[str]) -> bytes | None:
    """The entry to store for ``resolution``, if it can be told apart from a changed one later:
    every page it read was kept (``not_kept`` is empty) and every file it installs is pinned by
    a sha256, on a URL without credentials; else None."""
    if not_kept or not all(_pinned(item) for item in resolution.plan.changes):
        return None
    return encode(resolution)


def _pinned(item: PlanItem) -> bool:
    """Pinned by a sha256, and fetched without credentials (in its URL, or given for it)."""
    _url, credentials = with_url_credentials(item.url, None)
    return bool(item.sha256) and credentials is None


def encode(resolution: StoredResolution) -> bytes:
    entry = {
        "format": FORMAT,
        "plan": [asdict(item) for item in resolution.plan.items],  # tuples become lists
        "notes": list(resolution.notes),
        "pages": dict(resolution.pages),
    }
    return json.dumps(entry).encode()


def _plan_item(raw: dict[str, Any]) -> PlanItem:
    fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
    fields.update(action=Action(raw["action"]), source=Source(raw["source"]))
    return PlanItem(**fields)


def _decode(data: bytes | None) -> StoredResolution | None:
    """The resolution in a stored blob; None when there is none or it is not a whole one."""
    if data is None:
        return None
    try:
        entry = json.loads(data)
        if entry["format"] != FORMAT:
            return None
        items = tuple(_plan_item(raw) for raw in entry["plan"])
        pages = {str(k): str(v) for k, v in entry["pages"].items()}
        return StoredResolution(Plan(items), tuple(map(str, entry["notes"])), pages)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
