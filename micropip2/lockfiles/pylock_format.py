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
    tool = _table(doc.get("tool", {}).get(TOOL, {}))
    entries = []
    for index, raw in enumerate(doc.get("packages", ())):
        try:
            entries.append(_entry(raw))
        except (KeyError, TypeError, ValueError) as exc:
            name = raw.get("name", f"#{index + 1}") if isinstance(raw, Mapping) else f"#{index + 1}"
            raise LockFormatError(
                f"{source}: package {name!r} is malformed ({type(exc).__name__}: {exc})",
                project=str(name),
            ) from None
    target = tool.get("target")
    return Lock(
        format="pylock",
        info={str(k): str(v) for k, v in target.items()} if isinstance(target, Mapping) else None,
        packages=tuple(entries),
        base_url=base_url,
        requires_python=doc.get("requires-python"),
        environments=tuple(doc.get("environments", ())),
        source=source,
    )


def _entry(raw: Mapping[str, Any]) -> LockEntry:
    tool = _table(raw.get("tool", {}).get(TOOL, {}))
    if "wheels" in raw:
        files = tuple(_file(w) for w in raw["wheels"])
    elif "archive" in raw:
        files = (_file(raw["archive"]),)
    else:
        kinds = [k for k in ("vcs", "directory", "sdist") if k in raw] or ["no file"]
        raise ValueError(f"it has {', '.join(kinds)}; micropip2 installs wheels only")
    name = str(raw["name"])
    return LockEntry(
        name=canonicalize_name(name),
        display_name=name,
        version=str(raw.get("version", "")),
        files=files,
        package_type=str(tool.get("package-type", "package")),
        install_dir=str(tool.get("install-dir", "site")),
        depends=tuple(str(d["name"]) for d in raw.get("dependencies", ())),
        imports=tuple(str(i) for i in tool.get("imports", ())),
        marker=raw.get("marker"),
        requires_python=raw.get("requires-python"),
    )


def _file(raw: Mapping[str, Any]) -> LockedFile:
    url = raw.get("url") or raw.get("path")
    if not url:
        raise ValueError("a file has neither url nor path")
    name = raw.get("name") or str(url).split("#")[0].rsplit("/", 1)[-1]
    size = raw.get("size")
    sha256 = str(_table(raw.get("hashes", {})).get("sha256", "")).lower()
    return LockedFile(str(url), str(name), sha256, size if isinstance(size, int) else None)


def _table(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


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
    lines = ["[[packages]]", f"name = {_s(entry.display_name)}", f"version = {_s(entry.version)}"]
    if entry.depends:
        lines.append(
            f"dependencies = [{', '.join('{ name = ' + _s(d) + ' }' for d in entry.depends)}]"
        )
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
