"""Whether a wheel's tags fit a :class:`~micropip2.target.Target`, and if not, why (PEP 425,
783)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.tags import Tag
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from .target import Target

_EMSCRIPTEN_YEAR = re.compile(r"^(?:pyemscripten|pyodide)_(\d+)_(\d+)_(wasm32|wasm64)$")
_EMSCRIPTEN_GENERIC = re.compile(r"^emscripten_(\d+)_(\d+)_(\d+)_(wasm32|wasm64)$")
_CPYTHON = re.compile(r"^cp(\d)(\d+)$")
_PYTHON = re.compile(r"^py(\d)(\d*)$")

_OTHER_SYSTEMS = (
    ("manylinux", "Linux"),
    ("musllinux", "Linux (musl)"),
    ("linux", "Linux"),
    ("macosx", "macOS"),
    ("win", "Windows"),
    ("ios", "iOS"),
    ("android", "Android"),
    ("wasi", "WASI"),
)

# Which Pyodide releases use a platform version, for messages only.
_PYODIDE_FOR_PLATFORM = {
    "2024_0": "Pyodide 0.26-0.27, Python 3.12",
    "2025_0": "Pyodide 0.28-0.29, Python 3.13",
    "2026_0": "Pyodide 314.0, Python 3.14",
    "2026_5": "Pyodide 315.0, Python 3.15",
}


@dataclass(frozen=True)
class Fit:
    """The verdict on one wheel file: its best tag's rank, or why none fits."""

    rank: int | None  # position of the best matching tag in Target.tags; None if incompatible
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.rank is not None


def check_wheel_tags(filename: str, target: Target) -> Fit:
    """Rank ``filename`` for ``target``; an incompatible file gets a reason a person can act on."""
    try:
        _, _, _, tags = parse_wheel_filename(filename)
    except InvalidWheelFilename as exc:
        return Fit(None, f"not a valid wheel file name ({exc})")
    ranks = [target.tag_rank[tag] for tag in tags if tag in target.tag_rank]
    if ranks:
        return Fit(min(ranks))
    return Fit(None, explain_mismatch(tags, target))


def explain_mismatch(tags: frozenset[Tag], target: Target) -> str:
    """Why none of ``tags`` is one of ``target``'s; the most telling reason of any tag."""
    reasons = sorted({_tag_reason(tag, target) for tag in tags})
    return "; ".join(reasons)


def _tag_reason(tag: Tag, target: Target) -> str:
    platform_reason = _platform_reason(tag.platform, target)
    if platform_reason:
        if tag.abi == "abi3":
            return f"abi3 wheel {platform_reason}"
        return platform_reason
    return _python_reason(tag, target)


def _platform_reason(platform: str, target: Target) -> str | None:
    """None when the platform fits; otherwise what it was built for instead."""
    if platform == "any" or platform in target.platforms:
        return None
    ours = f"this interpreter is {target.describe()}"
    year = _EMSCRIPTEN_YEAR.match(platform)
    if year:
        if year.group(3) == "wasm64":
            return f"built for wasm64 ({platform}); {ours}, which is wasm32"
        version = f"{year.group(1)}_{year.group(2)}"
        era = _PYODIDE_FOR_PLATFORM.get(version, "another Pyodide")
        if platform.startswith("pyodide_") and version == target.platform_version:
            return f"uses the legacy tag {platform}, which {target.platform_tag} no longer accepts"
        return f"built for platform {version} ({platform}, {era}); {ours}"
    generic = _EMSCRIPTEN_GENERIC.match(platform)
    if generic:
        if generic.group(4) == "wasm64":
            return f"built for wasm64 ({platform}); {ours}, which is wasm32"
        built = ".".join(generic.group(i) for i in (1, 2, 3))
        return (
            f"built for Emscripten {built} ({platform}); "
            f"{ours} (Emscripten {target.emscripten_version})"
        )
    for prefix, system in _OTHER_SYSTEMS:
        if platform.startswith(prefix):
            return f"built for {system} ({platform}), not for Pyodide; {ours}"
    return f"built for platform {platform!r}; {ours}"


def _python_reason(tag: Tag, target: Target) -> str:
    """The platform fits; explain the interpreter or ABI part of ``tag``."""
    major, minor = target.python_minor
    cp = _CPYTHON.match(tag.interpreter)
    if cp:
        built = (int(cp.group(1)), int(cp.group(2)))
        if tag.abi == "abi3" and built > (major, minor):
            return (
                f"abi3 wheel needs CPython >= {built[0]}.{built[1]} ({tag}); "
                f"this is CPython {major}.{minor}"
            )
        if tag.abi not in ("abi3", "none", f"cp{major}{minor}"):
            return (
                f"built for CPython {built[0]}.{built[1]} ({tag.abi} ABI, {tag}); "
                f"this is CPython {major}.{minor}"
            )
        return f"built for CPython {built[0]}.{built[1]} ({tag}); this is CPython {major}.{minor}"
    py = _PYTHON.match(tag.interpreter)
    if py:
        return (
            f"built for Python {py.group(1)}{('.' + py.group(2)) if py.group(2) else ''} ({tag}); "
            f"this is CPython {major}.{minor}"
        )
    return f"built for interpreter {tag.interpreter!r} ({tag}); this is CPython {major}.{minor}"
