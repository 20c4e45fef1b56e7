"""Removing installed distributions: exactly what their RECORD lists, inside the environment
only."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from packaging.utils import NormalizedName

from ..errors import UninstallError
from ..installed import InstalledDist, installed_distributions
from .environment import Environment
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
    base = dist.dist_info.parent
    paths: list[Path] = []
    outside: list[str] = []
    for entry in dist.record_files():
        path = Path(os.path.normpath(base / entry))
        if not env.owns(path):
            outside.append(entry)
            continue
        paths.append(path)
        if path.suffix == ".py":
            paths.extend(path.parent.joinpath("__pycache__").glob(f"{path.stem}.*.pyc"))
    if outside:
        raise UninstallError(
            f"refusing to uninstall {dist.display_name} {dist.version}: its RECORD lists "
            f"{len(outside)} path(s) outside the environment, e.g. {outside[0]!r}; "
            "nothing was removed",
            project=dist.display_name,
        )
    if dist.dist_info.is_dir():
        paths.extend(p for p in dist.dist_info.rglob("*") if p.is_file() or p.is_symlink())
    return sorted({p for p in paths if p.is_file() or p.is_symlink()})


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


def remove_with(dist: InstalledDist, env: Environment, journal: Journal) -> None:
    """Remove ``dist``'s files through ``journal`` (which can undo it), and the directories left
    empty."""
    assert dist.dist_info is not None
    paths = files_to_remove(dist, env)
    base = dist.dist_info.parent
    for path in paths:
        journal.remove(path)
    for directory in sorted({p.parent for p in paths}, key=lambda p: -len(p.parts)):
        journal.remove_empty_dirs(directory, base if directory.is_relative_to(base) else env.data)


def remove(dists: list[InstalledDist], env: Environment) -> None:
    """Remove ``dists`` all together; any failure restores every file."""
    for dist in dists:
        files_to_remove(dist, env)  # refuse before touching anything
    journal = Journal()
    try:
        for dist in dists:
            remove_with(dist, env, journal)
    except OSError as exc:
        problems = journal.rollback()
        restored = (
            "nothing was removed" if not problems else "restoring failed: " + "; ".join(problems)
        )
        raise UninstallError(f"uninstalling failed ({exc}); {restored}") from exc
    finally:
        importlib.invalidate_caches()
