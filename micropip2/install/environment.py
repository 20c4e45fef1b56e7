"""Where a wheel's files go (the install scheme) and which paths belong to the environment."""

from __future__ import annotations

import os
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

# Paths no installer writes into, even when the data scheme's root (sys.prefix) is "/" as in
# Pyodide.
_NEVER_OWNED = ("/dev", "/proc", "/sys", "/tmp", "/home")


@dataclass(frozen=True)
class Environment:
    """The scheme directories of one Python environment (PEP 427's purelib, platlib, ...)."""

    purelib: Path
    platlib: Path
    scripts: Path
    include: Path
    data: Path
    stdlib: Path

    @classmethod
    def current(cls) -> Environment:
        paths = sysconfig.get_paths()
        return cls(
            purelib=_clean(paths["purelib"]),
            platlib=_clean(paths["platlib"]),
            scripts=_clean(paths["scripts"]),
            include=_clean(paths["include"]),
            data=_clean(paths["data"]),
            stdlib=_clean(paths["stdlib"]),
        )

    @property
    def site_packages(self) -> Path:
        return self.purelib

    def scheme_dir(self, scheme: str, project: str) -> Path:
        """The directory a ``.data/<scheme>/`` (or root) file is written below."""
        if scheme == "headers":
            return self.include / project
        return {
            "purelib": self.purelib,
            "platlib": self.platlib,
            "scripts": self.scripts,
            "data": self.data,
        }[scheme]

    def owns(self, path: Path) -> bool:
        """Whether ``path`` is a place an installer may write or remove.

        Inside a scheme directory, but never the standard library (apart from site-packages),
        nor the user's files, temporary files or devices.
        """
        path = Path(os.path.realpath(path))
        if any(
            _inside(path, root) for root in (self.purelib, self.platlib, self.scripts, self.include)
        ):
            return True
        if _inside(path, self.stdlib) or any(_inside(path, Path(p)) for p in _NEVER_OWNED):
            return False
        return _inside(path, self.data)


def _clean(path: str) -> Path:
    return Path(os.path.normpath(path.replace("//", "/")))


def _inside(path: Path, root: Path) -> bool:
    root = Path(os.path.realpath(root))
    return path == root or root in path.parents


def python_for_scripts() -> str:
    """The interpreter a ``#!python`` script line is rewritten to."""
    return sys.executable or "python3"
