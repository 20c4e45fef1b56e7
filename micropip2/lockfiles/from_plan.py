"""A resolution (a :class:`~micropip2.plan.Plan`) written down as a :class:`~.model.Lock`.

* Packages from the Pyodide distribution keep their distribution entry as it is (package_type,
  install_dir, imports, depends, size when given), with the file URL made absolute against the
  distribution's URL (the ``dist_url``), so a browser can fetch it.
* Packages from an index or a URL get ``package_type = "package"``, ``install_dir = "site"``,
  the file's size when the index gives it (PEP 700), ``depends`` = the names of the planned
  packages they required (from the resolution's "required by" records), and ``imports = ()``:
  the top-level modules of a wheel are only known once the wheel is downloaded, and locking
  reads metadata only (PEP 658). Pyodide uses ``imports`` only for ``loadPackagesFromImports``;
  installing from the lock by name needs none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from packaging.utils import NormalizedName, canonicalize_name

from ..locations import join
from ..plan import Plan, PlanItem
from ..target import Target
from .model import Format, Lock, LockedFile, LockEntry
from .pyodide_lock_format import entry_from_dict


def lock_from_plan(
    plan: Plan,
    target: Target,
    info: Mapping[str, Any] | None,
    *,
    distribution_lock: Mapping[str, Any] | None = None,
    dist_url: str = "",
    format: Format = "pyodide-lock",
    source: str = "micropip2 lock",
) -> Lock:
    """The lock of ``plan`` for ``target``. ``info`` is the pyodide-lock.json ``info`` of the
    target's distribution (``None``: derived from ``target``); ``distribution_lock`` is that
    distribution's pyodide-lock.json, whose file names are relative to ``dist_url``."""
    dist_entries = _by_name((distribution_lock or {}).get("packages", {}))
    depends = _depends(plan)
    entries = []
    for item in plan.wanted:
        name = canonicalize_name(item.name)
        raw = dist_entries.get(name) if item.source == "lockfile" else None
        entries.append(
            _from_distribution(raw, dist_url)
            if raw is not None
            else _from_index(name, item, depends.get(name, ()))
        )
    return Lock(
        format=format,
        info=dict(info) if info is not None else info_for(target),
        packages=tuple(sorted(entries, key=lambda e: e.name)),
        base_url="",
        source=source,
    )


def info_for(target: Target) -> dict[str, str]:
    """A pyodide-lock.json ``info`` section describing ``target``."""
    return {
        "abi_version": target.platform_version,
        "arch": "wasm32",
        "platform": "emscripten_" + target.emscripten_version.replace(".", "_"),
        "python": target.python_version,
    }


def _by_name(packages: Mapping[str, Any]) -> dict[NormalizedName, Mapping[str, Any]]:
    return {
        canonicalize_name(str(entry.get("name", key))): entry for key, entry in packages.items()
    }


def _depends(plan: Plan) -> dict[NormalizedName, tuple[str, ...]]:
    """Who needs whom, inverted from each item's ``required_by`` ("rich 14.0.0")."""
    parents = {
        f"{canonicalize_name(i.name)} {i.version}": canonicalize_name(i.name) for i in plan.wanted
    }
    found: dict[NormalizedName, list[str]] = {}
    for item in plan.wanted:
        for why in item.required_by:
            parent = parents.get(why)
            if parent is not None and parent != canonicalize_name(item.name):
                found.setdefault(parent, [])
                if item.name not in found[parent]:
                    found[parent].append(item.name)
    return {name: tuple(sorted(children)) for name, children in found.items()}


def _from_distribution(raw: Mapping[str, Any], dist_url: str) -> LockEntry:
    entry = entry_from_dict(raw)
    return replace(entry, files=tuple(replace(f, url=join(dist_url, f.url)) for f in entry.files))


def _from_index(name: NormalizedName, item: PlanItem, depends: tuple[str, ...]) -> LockEntry:
    return LockEntry(
        name=name,
        display_name=item.name,
        version=item.version,
        files=(
            LockedFile(
                item.url,
                item.filename or item.url.rsplit("/", 1)[-1],
                (item.sha256 or "").lower(),
                item.size,
            ),
        ),
        package_type="package",
        install_dir="site",
        depends=depends,
        imports=(),
        overrides=item.overrides,
        excluded=item.excluded,
    )
