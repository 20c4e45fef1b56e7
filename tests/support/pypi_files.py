"""Real files from PyPI by exact name: their sha256, and ``pip download`` of one verified file.

Shared by ``scripts/build_dist.py`` (the pinned wheels of the test distributions) and
``benchmarks/corpus.py`` (the recorded corpus).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from packaging.utils import parse_wheel_filename


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def pip_download_args(filename: str) -> list[str]:
    """``pip download`` arguments that select exactly the wheel ``filename``.

    A pure wheel is asked for with platform ``any`` and implementation ``py`` (so that pip
    does not prefer a binary wheel of the same version for this host); an Emscripten wheel
    with its platform, implementation, Python version and ABI.
    """
    name, version, _build, tags = parse_wheel_filename(filename)
    args = [
        "--no-deps",
        "--only-binary=:all:",
        "--ignore-requires-python",
        "--no-cache-dir",
        f"{name}=={version}",
    ]
    platforms = sorted({t.platform for t in tags})
    if platforms == ["any"]:
        return args + [
            "--platform",
            "any",
            "--implementation",
            "py",
            "--abi",
            "none",
            "--python-version",
            "3",
        ]
    interp = sorted({t.interpreter for t in tags})[0]
    impl = interp[:2] if interp[:2] in ("cp", "pp", "py") else "cp"
    digits = interp[2:]
    pyver = f"{digits[0]}.{digits[1:]}" if len(digits) > 1 else digits
    for p in platforms:
        args += ["--platform", p]
    args += ["--implementation", impl, "--python-version", pyver]
    for abi in sorted({t.abi for t in tags}):
        args += ["--abi", abi]
    return args


def pip_download(
    filename: str, sha256: str, dest: Path, *, error: type[Exception] = RuntimeError
) -> Path:
    """Download the wheel ``filename`` with pip into ``dest``, checked against ``sha256``.

    The file appears in ``dest`` only once verified; a failure raises ``error``.
    """
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest, prefix=".download-") as tmp:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--disable-pip-version-check",
            "--quiet",
            "-d",
            tmp,
            *pip_download_args(filename),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        got = Path(tmp) / filename
        if proc.returncode != 0 or not got.exists():
            raise error(
                f"pip could not download {filename} (exit {proc.returncode}, got "
                f"{sorted(os.listdir(tmp))})\ncommand: {' '.join(cmd)}\n{proc.stdout}{proc.stderr}"
            )
        actual = sha256_of(got)
        if actual != sha256:
            raise error(f"sha256 mismatch for {filename}: downloaded {actual}, expected {sha256}")
        os.replace(got, dest / filename)
    return dest / filename
