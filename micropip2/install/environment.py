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
        paths = scheme_paths()
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
        return Ownership(self).owns(str(path))


class Ownership:
    """:meth:`Environment.owns` for many paths at once: the roots and each directory are
    resolved once, so checking a distribution's files costs one ``lstat`` per file and per new
    directory, however deep (``os.path.realpath`` of every path cost a walk of every level)."""

    def __init__(self, env: Environment) -> None:
        self._writable = [
            os.path.realpath(root) for root in (env.purelib, env.platlib, env.scripts, env.include)
        ]
        self._forbidden = [os.path.realpath(env.stdlib)] + [
            os.path.realpath(p) for p in _NEVER_OWNED
        ]
        self._data = os.path.realpath(env.data)
        self._real_dirs: dict[str, str] = {}

    def owns(self, path: str) -> bool:
        real = self.realpath(path)
        if any(_inside(real, root) for root in self._writable):
            return True
        if any(_inside(real, root) for root in self._forbidden):
            return False
        return _inside(real, self._data)

    def realpath(self, path: str) -> str:
        """``os.path.realpath(path)`` for an absolute, normalized ``path``."""
        directory, name = os.path.split(path)
        if not name or os.path.islink(path):
            return os.path.realpath(path)
        return os.path.join(self._real_dir(directory), name)

    def _real_dir(self, directory: str) -> str:
        unresolved: list[str] = []
        current = directory
        while current not in self._real_dirs:
            parent, name = os.path.split(current)
            if not name or os.path.islink(current):
                self._real_dirs[current] = os.path.realpath(current)
                break
            unresolved.append(current)
            current = parent
        for path in reversed(unresolved):
            parent, name = os.path.split(path)
            self._real_dirs[path] = os.path.join(self._real_dirs[parent], name)
        return self._real_dirs[directory]


def scheme_paths() -> dict[str, str]:
    """``sysconfig.get_paths()``, filled in from the interpreter's own facts when the scheme
    needs no others: ``sysconfig`` reads every build variable first, which costs ~20 ms inside
    Pyodide (tests/test_target.py checks that both give the same paths there)."""
    version = sys.version_info
    facts = {
        "base": sys.prefix,
        "platbase": sys.exec_prefix,
        "installed_base": sys.base_prefix,
        "installed_platbase": sys.base_exec_prefix,
        "platlibdir": sys.platlibdir,
        "implementation_lower": "pypy" if sys.implementation.name == "pypy" else "python",
        "py_version_short": f"{version[0]}.{version[1]}",
        "py_version_nodot": f"{version[0]}{version[1]}",
        "abiflags": sys.abiflags,
        "abi_thread": "t" if "t" in sys.abiflags else "",
    }
    try:
        return {
            key: os.path.normpath(os.path.expanduser(template).format_map(facts))
            for key, template in sysconfig.get_paths(expand=False).items()
        }
    except (KeyError, ValueError, IndexError):  # a scheme that names another build variable
        return sysconfig.get_paths()


def _clean(path: str) -> Path:
    return Path(os.path.normpath(path.replace("//", "/")))


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def python_for_scripts() -> str:
    """The interpreter a ``#!python`` script line is rewritten to."""
    return sys.executable or "python3"
