"""Mock packages (micropip's ``add_mock_package``): a distribution with a name, a version and
modules but no wheel, which the resolver takes as installed, ``import`` loads and ``list()``
shows.

A mock lives in memory by default: a finder at the front of ``sys.meta_path`` gives its modules
and its metadata (``importlib.metadata`` asks every finder's ``find_distributions``), for this
interpreter only. With ``persistent=True`` it is written into site-packages as files with a
RECORD, so it lasts as long as that directory does (a mounted or snapshotted file system) and
``uninstall`` removes it like any other distribution. Either way its INSTALLER is
:data:`~.installed.MOCK_INSTALLER`.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import importlib.abc
import importlib.metadata
import importlib.util
import os
import re
import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib.machinery import ModuleSpec
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any

from packaging.utils import InvalidName, NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from .errors import Micropip2Error
from .install.environment import Environment
from .install.journal import Journal
from .install.uninstall import remove
from .installed import MOCK_INSTALLER, InstalledDist, installed_distributions

__all__ = [
    "MockPackageError",
    "ModuleSource",
    "add_mock",
    "in_memory",
    "in_memory_pins",
    "mock_names",
    "remove_mock",
    "without_in_memory_mocks",
]

# A module's source text, a function that fills the new module (in memory only), or None (empty).
ModuleSource = str | Callable[[ModuleType], None] | None


class MockPackageError(Micropip2Error):
    """A mock package cannot be added or removed as asked."""


@dataclass(frozen=True)
class MockSpec:
    """One mock package: its name as given, its version, its modules (dotted name -> source)."""

    name: str
    version: str
    modules: Mapping[str, ModuleSource]

    @property
    def key(self) -> NormalizedName:
        return canonicalize_name(self.name)

    def metadata_files(self) -> dict[str, str]:
        """The .dist-info files that describe it (no RECORD: that one lists written files)."""
        tops = sorted({module.split(".")[0] for module in self.modules})
        return {
            "METADATA": (
                "Metadata-Version: 2.1\n"
                f"Name: {self.name}\n"
                f"Version: {self.version}\n"
                "Summary: a mock package (add_mock_package): modules without a wheel\n"
            ),
            "INSTALLER": MOCK_INSTALLER + "\n",
            "top_level.txt": "".join(f"{top}\n" for top in tops),
        }


def add_mock(
    name: str,
    version: str,
    modules: Mapping[str, ModuleSource] | None,
    *,
    persistent: bool,
    environment: Environment,
) -> None:
    """Add a mock package; a mock of the same name is replaced, any other installed
    distribution of that name is left alone and the mock refused."""
    spec = _spec(name, version, modules)
    current = installed_distributions().get(spec.key)
    if current is not None and current.installer != MOCK_INSTALLER:
        raise MockPackageError(
            f"cannot add a mock of {name} {version}: {current.display_name} {current.version} "
            f"is installed ({current.source}) and a mock would hide it; uninstall it first",
            project=name,
        )
    if current is not None:
        remove_mock(spec.name, environment)
    if persistent:
        _write(spec, environment)
    else:
        _FINDER.add(spec)
    importlib.invalidate_caches()


def mock_names() -> list[str]:
    """The names of the mock packages, in memory or written, as they were given."""
    return sorted(
        dist.display_name
        for dist in installed_distributions().values()
        if dist.installer == MOCK_INSTALLER
    )


def without_in_memory_mocks() -> dict[NormalizedName, InstalledDist]:
    """The installed distributions apart from in-memory mocks: what ``sync`` may keep or
    remove (an in-memory mock has no files, so a lock neither lists nor removes it)."""
    return {
        name: dist for name, dist in installed_distributions().items() if name not in _FINDER.mocks
    }


def in_memory_pins() -> list[str]:
    """``name==version`` for each in-memory mock: constraints that keep the resolver from
    choosing another version of it (it has no files that could be replaced), so a requirement
    its version does not meet fails resolution and names it."""
    return [f"{spec.name}=={spec.version}" for spec, _dist in _FINDER.mocks.values()]


def in_memory(name: str) -> bool:
    """Whether ``name`` is a mock package held in memory (it has no files to uninstall)."""
    return canonicalize_name(name) in _FINDER.mocks


def remove_mock(name: str, environment: Environment) -> str:
    """Remove a mock package: its modules are dropped from ``sys.modules`` (in memory) or its
    files removed (written); anything that is not a mock is refused. Returns its name as it was
    given when added."""
    key = canonicalize_name(name)
    if key in _FINDER.mocks:
        removed = _FINDER.discard(key)
        importlib.invalidate_caches()
        return removed.name
    current = installed_distributions().get(key)
    if current is None:
        raise MockPackageError(
            f"there is no mock package named {name!r}; the mock packages are: "
            f"{', '.join(mock_names()) or 'none'}",
            project=name,
        )
    if current.installer != MOCK_INSTALLER:
        raise MockPackageError(
            f"{current.display_name} {current.version} is not a mock package "
            f"({current.source}); remove it with uninstall({name!r})",
            project=name,
        )
    remove([current], environment)
    return current.display_name


# -- checking what was asked ---------------------------------------------------------------


def _spec(name: str, version: str, modules: Mapping[str, ModuleSource] | None) -> MockSpec:
    if not isinstance(name, str) or not isinstance(version, str):
        raise MockPackageError(
            "a mock package's name and version are strings, like "
            f"add_mock_package('pkg', '1.0'); got {type(name).__name__} {name!r:.40} and "
            f"{type(version).__name__} {version!r:.40}",
            project=name if isinstance(name, str) else None,
        )
    try:
        canonicalize_name(name, validate=True)
    except InvalidName:
        raise MockPackageError(
            f"{name!r} is not a valid project name (letters, digits, '-', '_' and '.')",
            project=name,
        ) from None
    try:
        Version(version)
    except InvalidVersion:
        raise MockPackageError(
            f"{version!r} is not a valid version for the mock of {name} (PEP 440, e.g. '1.0')",
            project=name,
        ) from None
    chosen = dict(modules) if modules is not None else {name.replace("-", "_"): None}
    for module, source in chosen.items():
        if not isinstance(module, str) or not all(
            part.isidentifier() for part in module.split(".")
        ):
            raise MockPackageError(
                f"{module!r} is not a module name (dotted identifiers), in the mock of {name}",
                project=name,
            )
        if not (source is None or isinstance(source, str) or callable(source)):
            raise MockPackageError(
                f"the mock of {name}'s module {module!r} is given a {type(source).__name__}; "
                "give its source text, a function that fills the module, or None",
                project=name,
            )
    return MockSpec(name, version, chosen)


# -- in memory -----------------------------------------------------------------------------


class _MockDistribution(importlib.metadata.Distribution):
    """A distribution whose metadata files are strings held in memory."""

    def __init__(self, spec: MockSpec) -> None:
        self._files = spec.metadata_files()
        self._key = spec.key

    def read_text(self, filename: str) -> str | None:
        return self._files.get(filename)

    def locate_file(self, path: str | os.PathLike[str]) -> Path:
        return Path(PurePosixPath("/micropip2-mocks", self._key, os.fspath(path)))


class _MockFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports the modules of the in-memory mocks and tells importlib.metadata about them."""

    def __init__(self) -> None:
        self.mocks: dict[NormalizedName, tuple[MockSpec, _MockDistribution]] = {}
        self.modules: dict[str, ModuleSource] = {}

    def add(self, spec: MockSpec) -> None:
        self.mocks[spec.key] = (spec, _MockDistribution(spec))
        for module in _with_parents(spec.modules):
            self.modules.setdefault(module, None)
        self.modules.update(spec.modules)
        if self not in sys.meta_path:
            sys.meta_path.insert(0, self)

    def discard(self, key: NormalizedName) -> MockSpec:
        spec, _ = self.mocks.pop(key)
        still_used = {m for other, _ in self.mocks.values() for m in _with_parents(other.modules)}
        for module in _with_parents(spec.modules):
            if module in still_used:
                continue
            self.modules.pop(module, None)
            sys.modules.pop(module, None)
        return spec

    def find_spec(
        self,
        fullname: str,
        path: Iterable[str] | None = None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if fullname not in self.modules:
            return None
        return importlib.util.spec_from_loader(fullname, self, is_package=True)

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return None  # the default module

    def exec_module(self, module: ModuleType) -> None:
        source = self.modules.get(module.__name__)
        if callable(source):
            source(module)
        elif source:
            code = compile(textwrap.dedent(source), f"<mock module {module.__name__}>", "exec")
            exec(code, module.__dict__)

    def find_distributions(self, context: Any = None) -> Iterator[importlib.metadata.Distribution]:
        name = getattr(context, "name", None)
        for key, (_spec, dist) in self.mocks.items():
            if name is None or canonicalize_name(name) == key:
                yield dist


_FINDER = _MockFinder()


def _with_parents(modules: Iterable[str]) -> list[str]:
    """Every module and the packages above it (``a.b.c`` -> ``a``, ``a.b``, ``a.b.c``)."""
    found: dict[str, None] = {}
    for module in modules:
        parts = module.split(".")
        for end in range(1, len(parts) + 1):
            found[".".join(parts[:end])] = None
    return list(found)


# -- written into site-packages ------------------------------------------------------------


def _write(spec: MockSpec, environment: Environment) -> None:
    """Write the mock's modules (each a package's ``__init__.py``) and its .dist-info, with a
    RECORD; nothing is overwritten, and a failure leaves nothing behind."""
    site = environment.purelib
    files: dict[str, bytes] = {}
    for module, source in spec.modules.items():
        if callable(source):
            raise MockPackageError(
                f"the mock of {spec.name}'s module {module!r} is a function: a persistent mock "
                "is written as files, so give its source text (or persistent=False)",
                project=spec.name,
            )
        text = textwrap.dedent(source or "")
        files["/".join(module.split(".")) + "/__init__.py"] = text.encode()
    dist_info = f"{_escaped(spec.name)}-{Version(spec.version)}.dist-info"
    for filename, text in spec.metadata_files().items():
        files[f"{dist_info}/{filename}"] = text.encode()
    taken = [path for path in files if os.path.lexists(site / path)]
    if taken:
        raise MockPackageError(
            f"cannot write the mock of {spec.name} {spec.version}: {site / taken[0]} already "
            "exists (a module of another package?); nothing was written",
            project=spec.name,
        )
    record = "".join(f"{path},{_record_hash(data)},{len(data)}\n" for path, data in files.items())
    files[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()
    journal = Journal()
    try:
        for path, data in files.items():
            journal.write(str(site / path), data)
    except OSError as exc:
        problems = journal.rollback()
        undone = (
            "nothing was left" if not problems else "cleaning up failed: " + "; ".join(problems)
        )
        raise MockPackageError(
            f"writing the mock of {spec.name} {spec.version} into {site} failed ({exc}); {undone}",
            project=spec.name,
        ) from exc


def _escaped(name: str) -> str:
    """A project name as a .dist-info directory spells it (PEP 427: runs of -_. become _)."""
    return re.sub(r"[-_.]+", "_", name)


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"
