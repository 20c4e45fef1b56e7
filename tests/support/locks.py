"""pyodide-lock.json files built from real wheel files, through ``micropip2.lockfiles``.

Shared by ``scripts/build_dist.py`` (the test distributions' lockfiles) and the benchmarks
(``benchmarks/bench_runtime.py``, ``benchmarks/sync_bench.py``): each entry is micropip2's
:class:`~micropip2.lockfiles.model.LockEntry`, each file is written by micropip2's renderer, and
a wheel's ``imports`` follow the rule ``micropip2.freeze()`` uses.
"""

from __future__ import annotations

import email.message
import email.parser
import json
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from micropip2.lockfiles.freeze import top_level_modules
from micropip2.lockfiles.model import Lock, LockedFile, LockEntry
from micropip2.lockfiles.pyodide_lock_format import read_pyodide_lock
from micropip2.lockfiles.render import render_lock
from micropip2.target import Target
from tests.support.pypi_files import sha256_of


def wheel_metadata(path: Path) -> email.message.Message:
    """The headers of the wheel's ``.dist-info/METADATA``."""
    with zipfile.ZipFile(path) as zf:
        names = [
            n for n in zf.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")
        ]
        if len(names) != 1:
            raise ValueError(f"{path.name}: expected one .dist-info/METADATA, found {names}")
        return email.parser.BytesParser().parsebytes(zf.read(names[0]), headersonly=True)


def wheel_imports(path: Path) -> tuple[str, ...]:
    """Top-level importable names of a wheel (packages and modules at its root)."""
    with zipfile.ZipFile(path) as zf:
        return top_level_modules(zf.namelist())


def wheel_lock_entry(
    path: Path,
    target: Target,
    *,
    url: str | None = None,
    present: Iterable[str] | None = None,
    with_size: bool = False,
) -> LockEntry:
    """The lock entry of the wheel at ``path``, for ``target``.

    ``url`` is its ``file_name`` (default: the file's name); ``depends`` are the names of its
    Requires-Dist whose markers hold on ``target`` (no extras), sorted, and only those in
    ``present`` when given; ``with_size`` records the file's size, as ``micropip2 lock`` and
    ``freeze()`` do.
    """
    meta = wheel_metadata(path)
    keep = None if present is None else {canonicalize_name(n) for n in present}
    depends = set()
    for line in meta.get_all("Requires-Dist") or []:
        req = Requirement(line)
        name = canonicalize_name(req.name)
        if target.marker_holds(req.marker) and (keep is None or name in keep):
            depends.add(name)
    size = path.stat().st_size if with_size else None
    return LockEntry(
        name=canonicalize_name(meta["Name"]),
        display_name=str(meta["Name"]),
        version=str(meta["Version"]),
        files=(LockedFile(url or path.name, path.name, sha256_of(path), size),),
        depends=tuple(sorted(depends)),
        imports=wheel_imports(path),
    )


def read_lock(path: Path) -> Lock:
    """A pyodide-lock.json file as micropip2 reads it."""
    return read_pyodide_lock(json.loads(path.read_text(encoding="utf-8")), source=str(path))


def lock_text(info: Mapping[str, str], entries: Iterable[LockEntry]) -> str:
    """pyodide-lock.json text of ``entries`` for the interpreter ``info`` describes (a
    pyodide-lock.json ``info``); of two entries with one name, the later is written."""
    lock = Lock("pyodide-lock", dict(info), tuple(entries))
    return render_lock(lock, "pyodide-lock", Target.from_lock_info(info))
