"""A lock, whatever its format: the packages it pins, their files and the interpreter it is for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from packaging.utils import NormalizedName

Format = Literal["pyodide-lock", "pylock"]
FORMATS: tuple[Format, ...] = ("pyodide-lock", "pylock")


@dataclass(frozen=True)
class LockedFile:
    """One file a locked package can be installed from."""

    url: str  # as written in the lock: absolute, or relative to the lock's base
    file_name: str  # the last path segment ("rich-14.0.0-py3-none-any.whl")
    sha256: str  # lower-case hex; "" when the lock gives none
    size: int | None = None  # bytes; sync asks for the largest files first


@dataclass(frozen=True)
class LockEntry:
    """One package of a lock."""

    name: NormalizedName
    display_name: str  # as the lock spells it
    version: str
    files: tuple[
        LockedFile, ...
    ]  # pyodide-lock.json: exactly one; pylock.toml: its wheels (or archive)
    package_type: str = "package"  # pyodide-lock's "package", "shared_library" or "cpython_module"
    install_dir: str = "site"  # "site", or "dynlib" for shared libraries
    depends: tuple[str, ...] = ()  # names of the packages this one needs (no specifiers)
    imports: tuple[str, ...] = ()  # top-level modules it provides
    marker: str | None = None  # PEP 751 packages.marker: install only where it is true
    requires_python: str | None = None  # PEP 751 packages.requires-python
    # the installer's overrides and exclusions that changed this package's requirements
    # (install(overrides=, exclude=)); written in the package's tool.micropip2 table
    overrides: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lock:
    """A lock as micropip2 reads and writes it."""

    format: Format
    # pyodide-lock.json's info section (abi_version, arch, platform, python); pylock.toml keeps
    # the same under [tool.micropip2.target]. None when the lock does not say.
    info: Mapping[str, str] | None
    packages: tuple[LockEntry, ...]
    base_url: str = ""  # what relative file URLs resolve against (the lock's own location)
    requires_python: str | None = None  # PEP 751 requires-python
    environments: tuple[str, ...] = ()  # PEP 751 environments (markers)
    source: str = "the lock"  # how error messages name it: a URL, path, or "the lock"
    extra: Mapping[str, object] = field(
        default_factory=dict
    )  # format-specific keys kept on round trips

    def get(self, name: NormalizedName) -> LockEntry | None:
        for entry in self.packages:
            if entry.name == name:
                return entry
        return None
