"""The interpreter micropip2 installs for: its wheel tags (PEP 425, PEP 783) and marker environment
(PEP 508).

A :class:`Target` is built from the running Pyodide (:meth:`Target.current`), from a
pyodide-lock.json ``info`` section (:meth:`Target.from_lock_info`), or from a Pyodide release
number (:meth:`Target.for_pyodide`), so the same decisions can be made ahead of time on CPython.
"""

from __future__ import annotations

import sys
import sysconfig
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from packaging.markers import Marker
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag, compatible_tags, cpython_tags

from .errors import InvalidRequirementError, Micropip2Error

# The Pyodide releases whose facts we know, newest first: (release prefix, Python x.y.z,
# Emscripten version, PEP 783 platform version). A release matches the first row whose prefix
# it starts with.
_PYODIDE_RELEASES: tuple[tuple[str, str, str, str], ...] = (
    ("315.0.", "3.15.0", "6.0.5", "2026_5"),
    ("314.0.", "3.14.2", "5.0.3", "2026_0"),
    ("0.29.", "3.13.2", "4.0.9", "2025_0"),
    ("0.28.", "3.13.2", "4.0.9", "2025_0"),
    ("0.27.", "3.12.7", "3.1.58", "2024_0"),
    ("0.26.", "3.12.1", "3.1.58", "2024_0"),
)


def _build_variable(name: str) -> str | None:
    """A build variable of the running Emscripten CPython (``PYODIDE_ABI_VERSION`` before PEP
    783's name)."""
    value = sysconfig.get_config_var(name) or sysconfig.get_config_var("PYODIDE_ABI_VERSION")
    return str(value) if value else None


# The first platform year named ``pyemscripten_*`` by PEP 783 only; older years were also
# published under the ``pyodide_*`` spelling, which installers keep accepting for them.
_FIRST_YEAR_WITHOUT_ALIAS = (2026, 0)


class UnknownTargetError(Micropip2Error, ValueError):
    """The interpreter to install for could not be determined."""


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


@dataclass(frozen=True)
class Target:
    """A Pyodide interpreter: CPython version, Emscripten version and PEP 783 platform version."""

    python_version: str  # "3.14.2"
    emscripten_version: str  # "5.0.3"
    platform_version: str  # "2026_0"
    pyodide_version: str | None = field(default=None, compare=False)

    # -- construction -----------------------------------------------------------------------

    @classmethod
    def current(cls, abi_version: str | None = None) -> Target:
        """The running interpreter (inside Pyodide). ``abi_version`` is the running Pyodide's
        (:meth:`Runtime.abi_version`, which its lockfile must match), the same as the
        ``PYEMSCRIPTEN_PLATFORM_VERSION`` build variable; given, ``sysconfig``'s build variables
        are not read (their first read costs ~20 ms inside Pyodide)."""
        if sys.platform != "emscripten":
            raise UnknownTargetError(
                f"Target.current() describes a running Pyodide, but this is {sys.platform!r}; "
                "use Target.for_pyodide('314.0.7') or Target.from_lock_info(...) instead"
            )
        platform_version = abi_version or _build_variable("PYEMSCRIPTEN_PLATFORM_VERSION")
        if not platform_version:
            raise UnknownTargetError(
                "this Pyodide sets neither PYEMSCRIPTEN_PLATFORM_VERSION nor PYODIDE_ABI_VERSION"
            )
        info = getattr(sys, "_emscripten_info", None)
        if info is not None:
            emscripten_version = ".".join(str(n) for n in info.emscripten_version)
        else:  # sysconfig.get_platform() is "emscripten-5.0.3-wasm32"
            emscripten_version = sysconfig.get_platform().split("-")[1]
        python = ".".join(str(n) for n in sys.version_info[:3])
        pyodide_version = None
        try:
            import pyodide

            pyodide_version = pyodide.__version__
        except ImportError:
            pass
        return cls(python, emscripten_version, str(platform_version), pyodide_version)

    @classmethod
    def from_lock_info(cls, info: Mapping[str, Any] | Any) -> Target:
        """From a pyodide-lock.json ``info`` section (a dict or a ``pyodide_lock.InfoSpec``)."""
        get = info.get if isinstance(info, Mapping) else lambda key: getattr(info, key, None)
        missing = [k for k in ("abi_version", "platform", "python") if not get(k)]
        if missing:
            raise UnknownTargetError(f"lockfile info lacks {', '.join(missing)}: {dict(info)!r}")
        platform = str(get("platform"))  # "emscripten_5_0_3"
        if not platform.startswith("emscripten_"):
            raise UnknownTargetError(
                f"lockfile platform {platform!r} is not an Emscripten platform"
            )
        emscripten_version = platform.removeprefix("emscripten_").replace("_", ".")
        return cls(str(get("python")), emscripten_version, str(get("abi_version")))

    @classmethod
    def for_pyodide(cls, version: str) -> Target:
        """A Pyodide release by number, e.g. ``"314.0.7"`` or ``"0.29.5"``."""
        for prefix, python, emscripten, platform_version in _PYODIDE_RELEASES:
            if version.startswith(prefix):
                return cls(python, emscripten, platform_version, version)
        known = ", ".join(row[0] + "x" for row in _PYODIDE_RELEASES)
        raise UnknownTargetError(
            f"unknown Pyodide version {version!r}; known releases: {known}. "
            "Pass that release's pyodide-lock.json info instead"
        )

    # -- derived facts ----------------------------------------------------------------------

    @property
    def python_minor(self) -> tuple[int, int]:
        major, minor = _version_tuple(self.python_version)[:2]
        return (major, minor)

    @property
    def year_and_patch(self) -> tuple[int, int]:
        year, patch = self.platform_version.split("_")
        return (int(year), int(patch))

    @property
    def platform_tag(self) -> str:
        """PEP 783's platform tag, e.g. ``pyemscripten_2026_0_wasm32``."""
        return f"pyemscripten_{self.platform_version}_wasm32"

    @property
    def legacy_platform_tag(self) -> str | None:
        """The older ``pyodide_<version>_wasm32`` spelling, for platform years before 2026_0."""
        if self.year_and_patch >= _FIRST_YEAR_WITHOUT_ALIAS:
            return None
        return f"pyodide_{self.platform_version}_wasm32"

    @property
    def generic_platform_tag(self) -> str:
        """``emscripten_5_0_3_wasm32``, what ``sysconfig.get_platform()`` names."""
        return f"emscripten_{self.emscripten_version.replace('.', '_')}_wasm32"

    @property
    def platforms(self) -> list[str]:
        """Accepted platform tags, most specific first."""
        names = [self.platform_tag, self.legacy_platform_tag, self.generic_platform_tag]
        return [name for name in names if name]

    @cached_property
    def tags(self) -> tuple[Tag, ...]:
        """Every compatible tag, best first (the order installers rank wheels by)."""
        version = self.python_minor
        interpreter = f"cp{version[0]}{version[1]}"
        # Pyodide is a release build with the GIL: its one CPython ABI is "cp314". Named here,
        # not found by packaging from the running interpreter's build variables (a host's, when
        # locking ahead of time; ~20 ms to read inside Pyodide).
        ranked = list(cpython_tags(version, abis=[interpreter], platforms=self.platforms))
        ranked += compatible_tags(version, interpreter, self.platforms)
        return tuple(ranked)

    @cached_property
    def tag_rank(self) -> dict[Tag, int]:
        """Tag -> position in :attr:`tags` (lower is better)."""
        return {tag: index for index, tag in enumerate(self.tags)}

    @cached_property
    def marker_environment(self) -> dict[str, str]:
        """PEP 508 marker values as Pyodide reports them."""
        major, minor = self.python_minor
        return {
            "implementation_name": "cpython",
            "implementation_version": self.python_version,
            "os_name": "posix",
            "platform_machine": "wasm32",
            "platform_python_implementation": "CPython",
            "platform_release": self.emscripten_version,
            "platform_system": "Emscripten",
            "platform_version": "#1",
            "python_full_version": self.python_version,
            "python_version": f"{major}.{minor}",
            "sys_platform": "emscripten",
        }

    def marker_holds(self, marker: Marker | None, extra: str = "") -> bool:
        """Whether a PEP 508 marker is true here (no marker: true); ``extra`` is the extra being
        installed ("" for none). The one place markers are evaluated."""
        if marker is None:
            return True
        try:
            return marker.evaluate({**self.marker_environment, "extra": extra})
        except (ValueError, KeyError, TypeError) as exc:  # packaging: UndefinedComparison, ...
            raise InvalidRequirementError(
                f"the marker {str(marker)!r} cannot be evaluated for {self.describe()} "
                f"({type(exc).__name__}: {exc}): PEP 508 gives that comparison no meaning for "
                "these values; whoever wrote the marker (a requirement, a package's metadata, "
                "a lock) must fix or remove it"
            ) from None

    def python_fits(self, requires_python: str | None) -> bool:
        """Whether this Python satisfies a Requires-Python. The one rule, for index files, wheel
        metadata and locks alike: an empty or unreadable one does not block (as pip and uv do),
        since refusing it would hide files that install and run; the version itself decides."""
        if not requires_python:
            return True
        try:
            specifier = SpecifierSet(requires_python)
        except InvalidSpecifier:
            return True
        return specifier.contains(self.python_version, prereleases=True)

    def describe(self) -> str:
        """A short human name: ``Pyodide 314.0.7 (CPython 3.14.2, pyemscripten_2026_0_wasm32)``."""
        runtime = f"Pyodide {self.pyodide_version}" if self.pyodide_version else "Pyodide"
        return f"{runtime} (CPython {self.python_version}, {self.platform_tag})"
