"""PEP 751 ``pylock.toml``: the standard lock format (uv and pip read and write it).

micropip2 writes one environment (the Pyodide interpreter it locked for): ``environments`` and
``requires-python`` say which, and ``[tool.micropip2.target]`` keeps the pyodide-lock ``info`` (the
PEP 783 platform year cannot be written as a marker). Each package lists its wheels with sha256.
Pyodide's shared libraries (zip archives, not wheels) are written as ``archive`` with
``[packages.tool.micropip2]`` saying what they are; other tools will not know what to do with them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from packaging.utils import canonicalize_name

from ..target import Target
from .errors import LockFormatError
from .model import Lock, LockedFile, LockEntry

LOCK_VERSION = "1.0"
TOOL = "micropip2"


def read_pylock(doc: Mapping[str, Any], base_url: str = "", source: str = "the lock") -> Lock:
    """A PEP 751 lock as micropip2 installs it. Every value is checked for its TOML type first:
    a table where an array belongs (or the reverse) is a :class:`LockFormatError` naming the key,
    never a raw ``AttributeError``."""
    version = str(doc.get("lock-version", ""))
    if version.split(".")[0] != "1":
        raise LockFormatError(
            f"{source} has lock-version {version!r}; micropip2 reads PEP 751 version 1 locks"
        )
    if doc.get("extras") or doc.get("dependency-groups"):
        raise LockFormatError(
            f"{source} is a lock with extras or dependency groups to choose from; "
            "micropip2 installs locks that list one set of packages"
        )
    try:
        tool = _table(_table(doc.get("tool"), "tool").get(TOOL), f"tool.{TOOL}")
        target = _table(tool.get("target"), f"tool.{TOOL}.target")
        packages = _array(doc.get("packages"), "packages", "[[packages]]")
        environments = tuple(
            _text(e, "environments[]") for e in _array(doc.get("environments"), "environments")
        )
        requires_python = _optional_text(doc.get("requires-python"), "requires-python")
    except _Malformed as exc:
        raise LockFormatError(f"{source} is malformed: {exc}") from None
    entries = []
    for index, raw in enumerate(packages):
        try:
            entries.append(_entry(_table(raw, f"packages[{index}]")))
        except (_Malformed, KeyError, TypeError, ValueError) as exc:
            name = raw.get("name", f"#{index + 1}") if isinstance(raw, Mapping) else f"#{index + 1}"
            raise LockFormatError(
                f"{source}: package {name!r} is malformed ({exc})", project=str(name)
            ) from None
    return Lock(
        format="pylock",
        info={str(k): str(v) for k, v in target.items()} if target else None,
        packages=tuple(entries),
        base_url=base_url,
        requires_python=requires_python,
        environments=environments,
        source=source,
    )


class _Malformed(ValueError):
    """A value of the wrong TOML type (turned into a LockFormatError by the caller)."""


def _entry(raw: Mapping[str, Any]) -> LockEntry:
    tool = _table(_table(raw.get("tool"), "tool").get(TOOL), f"tool.{TOOL}")
    if "wheels" in raw:
        wheels = _array(raw["wheels"], "wheels", "an array of tables")
        files = tuple(_file(_table(w, f"wheels[{i}]")) for i, w in enumerate(wheels))
    elif "archive" in raw:
        files = (_file(_table(raw["archive"], "archive")),)
    else:
        kinds = [k for k in ("vcs", "directory", "sdist") if k in raw] or ["no file"]
        raise ValueError(f"it has {', '.join(kinds)}; micropip2 installs wheels only")
    if not files:
        raise _Malformed("'wheels' lists no wheel")
    name = _text(raw.get("name"), "name")
    dependencies = _array(raw.get("dependencies"), "dependencies", "an array of tables")
    return LockEntry(
        name=canonicalize_name(name),
        display_name=name,
        version=_optional_text(raw.get("version"), "version") or "",
        files=files,
        package_type=str(tool.get("package-type", "package")),
        install_dir=str(tool.get("install-dir", "site")),
        depends=tuple(
            _text(_table(d, "dependencies[]").get("name"), "dependencies[].name")
            for d in dependencies
        ),
        imports=tuple(str(i) for i in _array(tool.get("imports"), f"tool.{TOOL}.imports")),
        marker=_optional_text(raw.get("marker"), "marker"),
        requires_python=_optional_text(raw.get("requires-python"), "requires-python"),
        overrides=tuple(
            _text(o, "overrides[]") for o in _array(tool.get("overrides"), "overrides")
        ),
        excluded=tuple(_text(e, "exclude[]") for e in _array(tool.get("exclude"), "exclude")),
    )


def _file(raw: Mapping[str, Any]) -> LockedFile:
    url = raw.get("url") or raw.get("path")
    if not url:
        raise _Malformed("a file has neither url nor path")
    url = _text(url, "url")
    name = _optional_text(raw.get("name"), "name") or url.split("#")[0].rsplit("/", 1)[-1]
    size = raw.get("size")
    sha256 = str(_table(raw.get("hashes"), "hashes").get("sha256", "")).lower()
    return LockedFile(url, name, sha256, size if isinstance(size, int) else None)


def _table(value: Any, key: str = "") -> Mapping[str, Any]:
    """A TOML table; an absent key is an empty one."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _Malformed(f"{key!r} must be a table, not {_toml_kind(value)}")
    return value


def _array(value: Any, key: str = "", shape: str = "an array") -> list[Any]:
    """A TOML array; an absent key is an empty one."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Malformed(f"{key!r} must be {shape}, not {_toml_kind(value)}")
    return value


def _text(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value:
        raise _Malformed(f"{key!r} must be a non-empty string, not {_toml_kind(value)}")
    return value


def _optional_text(value: Any, key: str) -> str | None:
    return None if value is None else _text(value, key)


def _toml_kind(value: Any) -> str:
    if value is None:
        return "missing"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list):
        return "an array"
    kinds = {bool: "a boolean", int: "an integer", float: "a float", str: "a string"}
    return f"{kinds.get(type(value), type(value).__name__)} ({value!r:.40})"


# -- writing -----------------------------------------------------------------------------------


def write_pylock(lock: Lock, target: Target) -> str:
    major, minor = target.python_minor
    marker = (
        f"sys_platform == 'emscripten' and platform_machine == 'wasm32' "
        f"and platform_release == '{target.emscripten_version}' and python_version == "
        f"'{major}.{minor}'"
    )
    lines = [
        f"lock-version = {_s(LOCK_VERSION)}",
        f"environments = [{_s(marker)}]",
        f"requires-python = {_s(f'=={major}.{minor}.*')}",
        f"created-by = {_s(TOOL)}",
        "",
    ]
    for entry in sorted(lock.packages, key=lambda e: e.name):
        lines += _package_lines(entry)
    if lock.info:
        lines += [
            "[tool.micropip2.target]",
            *(f"{k} = {_s(v)}" for k, v in sorted(lock.info.items())),
            "",
        ]
    return "\n".join(lines)


def _package_lines(entry: LockEntry) -> list[str]:
    # PEP 751: a package's name is normalized (PEP 503), as are the names it depends on
    lines = ["[[packages]]", f"name = {_s(entry.name)}", f"version = {_s(entry.version)}"]
    if entry.depends:
        names = (canonicalize_name(d) for d in entry.depends)
        lines.append(f"dependencies = [{', '.join('{ name = ' + _s(d) + ' }' for d in names)}]")
    if entry.files[0].file_name.endswith(".whl"):
        lines.append("wheels = [")
        lines += [
            f"  {{ name = {_s(f.file_name)}, url = {_s(f.url)}, {_size_and_hashes(f)} }},"
            for f in entry.files
        ]
        lines.append("]")
    else:
        lines.append(
            f"archive = {{ url = {_s(entry.files[0].url)}, {_size_and_hashes(entry.files[0])} }}"
        )
    tool = {"package-type": entry.package_type, "install-dir": entry.install_dir}
    lines += [
        f"[packages.tool.{TOOL}]",
        *(f"{k} = {_s(v)}" for k, v in tool.items()),
        f"imports = [{_list(entry.imports)}]",
        *([f"overrides = [{_list(entry.overrides)}]"] if entry.overrides else []),
        *([f"exclude = [{_list(entry.excluded)}]"] if entry.excluded else []),
        "",
    ]
    return lines


def _size_and_hashes(file: LockedFile) -> str:
    size = f"size = {file.size}, " if file.size is not None else ""
    return f"{size}hashes = {{ sha256 = {_s(file.sha256)} }}"


def _list(items: Iterable[str]) -> str:
    return ", ".join(_s(i) for i in items)


def _s(text: str) -> str:
    """A TOML basic string (JSON's escapes are a subset of TOML's)."""
    return json.dumps(str(text), ensure_ascii=False)
