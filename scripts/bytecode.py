"""Add bytecode to a pure wheel, compiled inside each Pyodide release it is for.

Inside Pyodide, importing a module from source compiles it first: for micropip2 that was about
130 ms of a first ``import micropip2`` plus install on Node (benchmarks/RESULTS.md). A wheel that
carries ``__pycache__/<module>.cpython-3NN.pyc`` beside each ``.py`` skips that. The files are
unchecked-hash pycs (PEP 552): importlib uses them without comparing the source's mtime, which
an unpacked wheel does not keep. A Python of another version ignores them (other name), so the
wheel stays ``py3-none-any``; the sources stay in it, for tracebacks.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import zipfile
from collections.abc import Iterable
from pathlib import Path

COMPILER = Path(__file__).with_name("compile_pyc.mjs")
_EPOCH = (1980, 1, 1, 0, 0, 0)  # as flit's reproducible zips


class BytecodeError(RuntimeError):
    pass


def compile_in_pyodide(npm_dir: Path, sources: dict[str, str]) -> dict[str, bytes]:
    """{path of a .py in the wheel: its text} -> {path of its .pyc: bytes}, compiled by the
    Pyodide in ``npm_dir`` (the npm package) on Node."""
    proc = subprocess.run(
        ["node", str(COMPILER), str(npm_dir)],
        input=json.dumps(sources),
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise BytecodeError(f"compiling in the Pyodide of {npm_dir} failed:\n{proc.stderr}")
    return {name: base64.b64decode(data) for name, data in json.loads(proc.stdout).items()}


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def add_bytecode(wheel: Path, npm_dirs: Iterable[Path]) -> None:
    """Rewrite ``wheel`` in place with the bytecode of its modules for each Pyodide in
    ``npm_dirs``, and a RECORD that lists it."""
    with zipfile.ZipFile(wheel) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    record = next(name for name in members if name.endswith(".dist-info/RECORD"))
    sources = {name: data.decode() for name, data in members.items() if name.endswith(".py")}
    for npm_dir in npm_dirs:
        members.update(compile_in_pyodide(npm_dir, sources))
    del members[record]
    lines = [_record_line(name, data) for name, data in members.items()] + [f"{record},,"]
    members[record] = ("\n".join(lines) + "\n").encode()
    tmp = wheel.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, _EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    tmp.replace(wheel)
