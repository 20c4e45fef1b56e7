"""File-system changes that can be undone: the all-or-nothing part of an install or uninstall.

Every write and removal goes through a :class:`Journal`, which remembers what it created and
keeps the bytes of what it replaced or removed, so :meth:`Journal.rollback` can put the tree back
exactly as it was.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

_UMASK = os.umask(0o022)
os.umask(_UMASK)
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)


@dataclass
class _Saved:
    data: bytes
    mode: int


@dataclass
class Journal:
    created_files: list[str] = field(default_factory=list)
    created_dirs: list[Path] = field(default_factory=list)
    saved: dict[Path, _Saved] = field(default_factory=dict)
    _existing_dirs: set[str] = field(default_factory=set)
    _new_dirs: set[str] = field(default_factory=set)
    _new_files: set[str] = field(default_factory=set)

    def exists(self, path: str) -> bool:
        """Whether ``path`` exists; no stat for a path in a directory this journal created."""
        if path in self._new_files:
            return True
        return os.path.dirname(path) not in self._new_dirs and os.path.lexists(path)

    def write(
        self, path: str, data: bytes, mode: int = 0o644, *, exists: bool | None = None
    ) -> None:
        """Write ``path`` (saving what it replaces). The hot loop of an install: plain os calls;
        ``exists`` spares a stat when the caller already knows."""
        parent = os.path.dirname(path)
        if parent not in self._existing_dirs:
            self._make_parents(Path(parent))
            self._existing_dirs.add(parent)
        if os.path.lexists(path) if exists is None else exists:
            self._save(Path(path))
            os.unlink(path)
        self.created_files.append(path)
        self._new_files.add(path)
        descriptor = os.open(path, _NEW_FILE, mode)  # created with mode & ~umask
        try:
            written = 0
            while written < len(data):
                written += os.write(descriptor, memoryview(data)[written:])
        finally:
            os.close(descriptor)
        if mode & _UMASK:
            os.chmod(path, mode)

    def remove(self, path: Path) -> None:
        if not (path.is_symlink() or path.exists()):
            return
        self._save(path)
        path.unlink()

    def remove_dir_if_empty(self, directory: str) -> bool:
        """Remove ``directory`` if it is an empty directory (not a link); whether it was."""
        if os.path.islink(directory) or not os.path.isdir(directory) or os.listdir(directory):
            return False
        os.rmdir(directory)
        self.saved.setdefault(Path(directory), _Saved(b"", -1))  # -1: a directory to recreate
        return True

    def rollback(self) -> list[str]:
        """Undo everything; returns the problems met (empty when the tree is fully restored)."""
        problems: list[str] = []
        for created in reversed(self.created_files):
            _try(problems, f"remove {created}", lambda p=created: Path(p).unlink(missing_ok=True))
        for directory in reversed(self.created_dirs):
            _try(problems, f"remove directory {directory}", lambda d=directory: _rmdir_if_empty(d))
        for path in sorted(
            (p for p, s in self.saved.items() if s.mode == -1), key=lambda p: len(p.parts)
        ):
            _try(problems, f"recreate directory {path}", lambda p=path: p.mkdir(exist_ok=True))
        for path, saved in self.saved.items():
            if saved.mode != -1:
                _try(problems, f"restore {path}", lambda p=path, s=saved: _restore(p, s))
        return problems

    def _save(self, path: Path) -> None:
        if path not in self.saved:
            self.saved[path] = _Saved(path.read_bytes(), path.stat().st_mode & 0o7777)

    def _make_parents(self, directory: Path) -> None:
        missing = []
        while not directory.exists():
            missing.append(directory)
            directory = directory.parent
        for path in reversed(missing):
            path.mkdir()
            self.created_dirs.append(path)
            self._new_dirs.add(str(path))


def _restore(path: Path, saved: _Saved) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(saved.data)
    path.chmod(saved.mode)


def _rmdir_if_empty(directory: Path) -> None:
    if directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()


def _try(problems: list[str], what: str, action) -> None:  # type: ignore[no-untyped-def]
    try:
        action()
    except OSError as exc:
        problems.append(f"could not {what}: {exc.strerror or exc}")
