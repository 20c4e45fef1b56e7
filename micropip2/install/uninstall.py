"""Removing installed distributions: exactly what their RECORD lists, inside the environment
only.

Linear in the files removed: each path is resolved from its directory's resolved path, each
``__pycache__`` directory is listed once, and each directory is checked for emptiness once
(deepest first), instead of a glob, a ``realpath`` and a walk up the tree per file.
"""

from __future__ import annotations

import heapq
import importlib
import os
from collections.abc import Iterable
from pathlib import Path

from packaging.utils import NormalizedName

from ..errors import UninstallError
from ..installed import InstalledDist, installed_distributions
from .environment import Environment, Ownership
from .journal import Journal


def files_to_remove(dist: InstalledDist, env: Environment) -> list[Path]:
    """RECORD's files, their cached bytecode and the .dist-info contents; refuse paths outside
    ``env``."""
    if dist.dist_info is None:
        raise UninstallError(
            f"cannot uninstall {dist.display_name} {dist.version}: it is not installed as a "
            ".dist-info directory, so there is no RECORD saying which files are its own",
            project=dist.display_name,
        )
    base = str(dist.dist_info.parent)
    ownership = Ownership(env)
    found: dict[str, None] = {}  # an ordered set
    sources: dict[str, list[str]] = {}  # directory -> stems of its .py files
    outside: list[str] = []
    for entry in dist.record_files():
        path = os.path.normpath(os.path.join(base, entry))
        if not ownership.owns(path):
            outside.append(entry)
            continue
        found[path] = None
        directory, name = os.path.split(path)
        stem, suffix = os.path.splitext(name)
        if suffix == ".py":
            sources.setdefault(directory, []).append(stem)
    if outside:
        raise UninstallError(
            f"refusing to uninstall {dist.display_name} {dist.version}: its RECORD lists "
            f"{len(outside)} path(s) outside the environment, e.g. {outside[0]!r}; "
            "nothing was removed",
            project=dist.display_name,
        )
    for directory, stems in sources.items():
        found.update(dict.fromkeys(_bytecode(directory, stems)))
    found.update(dict.fromkeys(_tree_files(str(dist.dist_info))))
    return [Path(p) for p in sorted(p for p in found if os.path.isfile(p) or os.path.islink(p))]


def _bytecode(directory: str, stems: list[str]) -> Iterable[str]:
    """The cached bytecode of the modules ``stems`` in ``directory``: the names
    ``__pycache__/<stem>.<anything>.pyc``, from one listing of ``__pycache__``."""
    cache = os.path.join(directory, "__pycache__")
    try:
        names = os.listdir(cache)
    except OSError:
        return
    by_stem: dict[str, list[str]] = {}
    for name in names:
        if not name.endswith(".pyc"):
            continue
        head = name[: -len(".pyc")]
        dot = head.find(".")
        while dot >= 0:  # every "<stem>." this name starts with
            by_stem.setdefault(head[:dot], []).append(name)
            dot = head.find(".", dot + 1)
    for stem in stems:
        for name in by_stem.get(stem, ()):
            yield os.path.join(cache, name)


def _tree_files(root: str) -> Iterable[str]:
    """Every file and link below ``root`` (links are not followed)."""
    for directory, dirnames, filenames in os.walk(root):
        for name in filenames:
            yield os.path.join(directory, name)
        for name in dirnames:
            path = os.path.join(directory, name)
            if os.path.islink(path):
                yield path


def owner_of(
    path: Path, env: Environment, ignore: NormalizedName | None = None
) -> InstalledDist | None:
    """The installed distribution whose RECORD lists ``path``, if any (``ignore`` is skipped)."""
    for dist in installed_distributions().values():
        if dist.name == ignore or dist.dist_info is None:
            continue
        base = dist.dist_info.parent
        if any(Path(os.path.normpath(base / entry)) == path for entry in dist.record_files()):
            return dist
    return None


def remove_with(
    dist: InstalledDist, env: Environment, journal: Journal, paths: list[Path] | None = None
) -> None:
    """Remove ``dist``'s files (``paths``, else :func:`files_to_remove`) through ``journal``
    (which can undo it), and the directories left empty."""
    assert dist.dist_info is not None
    if paths is None:
        paths = files_to_remove(dist, env)
    for path in paths:
        journal.remove(path)
    _remove_empty_dirs({str(p.parent) for p in paths}, str(dist.dist_info.parent), env, journal)


def _remove_empty_dirs(starts: set[str], base: str, env: Environment, journal: Journal) -> None:
    """Remove the directories of ``starts`` left empty, and their parents while empty, deepest
    first, each looked at once. Never ``base`` (site-packages) or above for a directory inside
    it, never the data root or above for one outside."""
    data = str(env.data)
    queue = [(-_depth(d), d) for d in starts]
    heapq.heapify(queue)
    seen = set(starts)
    while queue:
        _, directory = heapq.heappop(queue)
        stop = base if _strictly_inside(directory, base) or directory == base else data
        if not _strictly_inside(directory, stop) or not journal.remove_dir_if_empty(directory):
            continue
        parent = os.path.dirname(directory)
        if parent not in seen:
            seen.add(parent)
            heapq.heappush(queue, (-_depth(parent), parent))


def _depth(path: str) -> int:
    return path.rstrip("/").count("/")


def _strictly_inside(path: str, root: str) -> bool:
    return path != root and path.startswith(root.rstrip("/") + "/")


def remove(dists: list[InstalledDist], env: Environment) -> None:
    """Remove ``dists`` all together; any failure restores every file."""
    planned = [(dist, files_to_remove(dist, env)) for dist in dists]  # refuse before touching
    journal = Journal()
    try:
        for dist, paths in planned:
            remove_with(dist, env, journal, paths)
    except OSError as exc:
        problems = journal.rollback()
        restored = (
            "nothing was removed" if not problems else "restoring failed: " + "; ".join(problems)
        )
        raise UninstallError(f"uninstalling failed ({exc}); {restored}") from exc
    finally:
        importlib.invalidate_caches()
