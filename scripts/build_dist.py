"""Assemble the local Pyodide distributions that micropip2's tests run in.

For every runtime pinned in tests/dist/pins.toml this writes build/dist/<version>/:

* the runtime files of the npm package (node_modules/<npm_package>/),
* the wheels listed in that runtime's ``lock``, downloaded with pip by exact version and
  checked against the sha256 pinned in pins.toml (cached in build/wheel-cache/),
* micropip2's own wheel, built from the working tree (in micropip2-builds/<sha>/, see below),
* the ``micropip`` shim's wheel, built from shims/micropip/ (beside micropip2's, in no lock),
* a pyodide-lock.json with the npm lockfile's ``info`` and exactly those packages.

It also fills build/wheels/ with the pinned ``[[extra_wheel]]`` files (not in any lockfile).

Usage, from the repository root with the project's venv (which has pyodide-lock and flit_core):

    .venv/bin/python -m scripts.build_dist                   # everything; fast when up to date
    .venv/bin/python -m scripts.build_dist --micropip2-only  # rebuild micropip2's wheel, locks
    .venv/bin/python -m scripts.build_dist --offline         # fail instead of downloading

Tests call :func:`build_micropip2` (same as ``--micropip2-only``) at session start.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import functools
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name, canonicalize_version, parse_wheel_filename

from micropip2.lockfiles.model import LockedFile, LockEntry
from micropip2.target import Target
from scripts.bytecode import add_bytecode
from tests.support.locks import lock_text, read_lock, wheel_lock_entry
from tests.support.pypi_files import pip_download, sha256_of

REPO = Path(__file__).resolve().parent.parent
PINS_FILE = REPO / "tests" / "dist" / "pins.toml"
BUILD = REPO / "build"
DIST_ROOT = BUILD / "dist"
WHEEL_CACHE = BUILD / "wheel-cache"
EXTRA_WHEELS = BUILD / "wheels"
MICROPIP2_BUILDS = "micropip2-builds"  # per-build subfolder of each dist dir
LOCK_NAME = "pyodide-lock.json"

# Runtime files copied from the npm package; the first group is required.
REQUIRED_RUNTIME_FILES = ("pyodide.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "package.json")
ASM_FILES = ("pyodide.asm.mjs", "pyodide.asm.js")  # 314.x ships .mjs, 0.29.x ships .js
OPTIONAL_RUNTIME_FILES = ("pyodide.js", "pyodide.d.ts", "ffi.d.ts")


class BuildError(RuntimeError):
    pass


def log(msg: str) -> None:
    print(f"[build_dist] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------
# pins


@dataclass(frozen=True)
class DistPin:
    version: str
    npm_package: str
    python: str
    platform_tag: str
    lock: tuple[str, ...]

    @property
    def dir(self) -> Path:
        return DIST_ROOT / self.version

    @property
    def npm_dir(self) -> Path:
        return REPO / "node_modules" / self.npm_package


@dataclass(frozen=True)
class Pins:
    dists: dict[str, DistPin]
    wheels: dict[str, str]  # file name -> sha256
    extra: tuple[str, ...]


def load_pins(path: Path = PINS_FILE) -> Pins:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    wheels: dict[str, str] = {}
    for entry in data.get("wheel", []):
        file, sha = entry["file"], entry["sha256"].lower()
        if file in wheels:
            raise BuildError(f"{path}: wheel {file} is pinned twice")
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            raise BuildError(f"{path}: bad sha256 for {file}: {sha!r}")
        wheels[file] = sha
    dists = {}
    for version, d in data.get("dist", {}).items():
        dists[version] = DistPin(
            version=version,
            npm_package=d["npm_package"],
            python=d["python"],
            platform_tag=d["platform_tag"],
            lock=tuple(d.get("lock", [])),
        )
    extra = tuple(e["file"] for e in data.get("extra_wheel", []))
    for file in [f for d in dists.values() for f in d.lock] + list(extra):
        if file not in wheels:
            raise BuildError(f"{path}: {file} is used but has no [[wheel]] sha256 pin")
    return Pins(dists=dists, wheels=wheels, extra=extra)


# --------------------------------------------------------------------------------------
# helpers


@contextlib.contextmanager
def build_lock():
    """Serialize builders (several test sessions may share one work tree)."""
    BUILD.mkdir(parents=True, exist_ok=True)
    with open(BUILD / ".build_dist.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def atomic_write_bytes(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` atomically; return False if it already had that content."""
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return True


def place_file(src: Path, dst: Path) -> bool:
    """Copy src to dst atomically unless dst already has the same size and mtime."""
    if dst.exists():
        s, d = src.stat(), dst.stat()
        if s.st_size == d.st_size and int(s.st_mtime) == int(d.st_mtime):
            return False
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.")
    os.close(fd)
    shutil.copy2(src, tmp)
    os.chmod(tmp, 0o644)
    os.replace(tmp, dst)
    return True


def fetch_wheel(file: str, sha256: str, offline: bool) -> Path:
    """Return the cached, verified wheel ``file``, downloading it with pip if needed."""
    cached = WHEEL_CACHE / file
    if cached.exists():
        actual = sha256_of(cached)
        if actual == sha256:
            return cached
        log(f"cached {file} has sha256 {actual}, pinned {sha256}: downloading again")
        cached.unlink()
    if offline:
        raise BuildError(f"{file} is not in {WHEEL_CACHE} and --offline was given")
    log(f"downloading {file}")
    pip_download(file, sha256, WHEEL_CACHE, error=BuildError)
    return cached


# --------------------------------------------------------------------------------------
# wheel metadata -> lockfile entries


@functools.cache
def npm_info(pin: DistPin) -> Mapping[str, str]:
    """The ``info`` of the npm package's lockfile: the interpreter the dist is for."""
    return read_lock(pin.npm_dir / LOCK_NAME).info or {}


def dist_target(pin: DistPin) -> Target:
    return Target.from_lock_info(npm_info(pin))


def write_lockfile(pin: DistPin, entries: dict[str, LockEntry], path: Path) -> bool:
    missing = {
        f"{key} -> {dep}"
        for key, entry in entries.items()
        for dep in entry.depends
        if dep not in entries
    }
    if missing:
        raise BuildError(
            f"dist {pin.version}: dependencies missing from the lockfile: {sorted(missing)}; "
            f"add their wheels to `lock` in {PINS_FILE.relative_to(REPO)}"
        )
    check_wheel_filenames(entries.values())
    text = lock_text(npm_info(pin), entries.values())
    return atomic_write_bytes(path, text.encode())


def check_wheel_filenames(entries: Iterable[LockEntry]) -> None:
    """Name and version in each wheel's file name (the last path segment) match its entry."""
    for entry in entries:
        file_name = entry.files[0].url
        if not file_name.endswith(".whl"):
            continue  # shared libraries are zips with no name to check
        name, version, _, _ = parse_wheel_filename(file_name.rsplit("/", 1)[-1])
        if canonicalize_name(name) != entry.name or canonicalize_version(
            version
        ) != canonicalize_version(entry.version):
            raise BuildError(
                f"lockfile entry {entry.name} ({entry.display_name} {entry.version}) "
                f"does not match {file_name}"
            )


def read_lock_entries(pin: DistPin) -> dict[str, LockEntry]:
    return {entry.name: entry for entry in read_lock(pin.dir / LOCK_NAME).packages}


# --------------------------------------------------------------------------------------
# micropip2's own wheel
#
# Each build goes to build/dist/<version>/micropip2-builds/<sha256[:16]>/ together with a
# lockfile that names it, so test sessions running at the same time from different
# working trees never swap each other's wheel (browsers check the sha256; Node does not,
# so a swap there would silently test other code). The build is reproducible
# (SOURCE_DATE_EPOCH), so identical trees share one build directory. The dist's top-level
# pyodide-lock.json names the most recent build (for manual use, demos, benchmarks).


def micropip2_source() -> Path:
    """The checkout micropip2 is built from: this repo, or $MICROPIP2_SOURCE if set."""
    return Path(os.environ.get("MICROPIP2_SOURCE") or REPO).resolve()


def _flit_wheel(project: Path, out: Path, name: str) -> Path:
    """Build the wheel of the flit project in ``project`` (distribution ``name``) into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    code = "import sys, flit_core.buildapi as b; print(b.build_wheel(sys.argv[1]))"
    env = {**os.environ, "SOURCE_DATE_EPOCH": "315532800"}  # 1980-01-01: reproducible zips
    proc = subprocess.run(
        [sys.executable, "-c", code, str(out)], cwd=project, capture_output=True, text=True, env=env
    )
    if proc.returncode != 0:
        raise BuildError(
            f"building {name}'s wheel from {project} failed:\n{proc.stdout}{proc.stderr}"
        )
    wheels = list(out.glob(f"{name}-*.whl"))
    if len(wheels) != 1:
        raise BuildError(f"expected one {name} wheel in {out}, found {wheels}")
    return wheels[0]


def build_micropip2_wheel(out: Path, source: Path | None = None) -> Path:
    """Build micropip2's wheel from ``source`` into ``out`` with flit_core (~0.2 s), with the
    bytecode of its modules for each pinned Pyodide whose npm package is here (scripts/bytecode.py;
    a Node boot each, ~2 s)."""
    wheel = _flit_wheel(source or micropip2_source(), out, "micropip2")
    npm_dirs = [pin.npm_dir for pin in load_pins().dists.values() if pin.npm_dir.exists()]
    add_bytecode(wheel, npm_dirs)
    return wheel


# The `micropip` shim (shims/micropip/): a wheel named micropip whose module is micropip2's
# micropip API. A site lists it as `micropip` in its lock (scripts/site_lock.py), so a caller
# that loads micropip by name, as PyScript does for its `packages`, runs micropip2
# (docs/pyscript.md). It is built beside each micropip2 build, for tests/test_pyscript.py, but
# left out of the dists' locks: the benchmarks add micropip 0.11.1 to them as `micropip`.
SHIM = "micropip"


def build_shim_wheel(out: Path, source: Path | None = None) -> Path:
    """Build the `micropip` shim's wheel from ``source``'s shims/micropip/ (this repository's
    when that checkout has none) into ``out``."""
    project = (source or micropip2_source()) / "shims" / SHIM
    if not (project / "pyproject.toml").exists():
        project = REPO / "shims" / SHIM
    return _flit_wheel(project, out / "shim", SHIM)


def _prune_builds(builds: Path, keep: Path, max_age_s: float = 24 * 3600) -> None:
    now = time.time()
    for d in builds.iterdir():
        if d != keep and d.is_dir() and now - d.stat().st_mtime > max_age_s:
            shutil.rmtree(d, ignore_errors=True)


def install_micropip2(
    wheel: Path, pin: DistPin, base_entries: dict | None = None, *, shim: Path
) -> str:
    """Put ``wheel`` into ``pin``'s dist, and the ``shim`` wheel beside it (not in the lock);
    return the lockfile's path relative to the dist."""
    if base_entries is None:
        if not (pin.dir / LOCK_NAME).exists():
            raise BuildError(
                f"{pin.dir / LOCK_NAME} is missing: run python -m scripts.build_dist first"
            )
        # (a `micropip` is never the dists': drop one an older build of this script added)
        base_entries = {
            k: v for k, v in read_lock_entries(pin).items() if k not in ("micropip2", SHIM)
        }
    sha = sha256_of(wheel)
    builds = pin.dir / MICROPIP2_BUILDS
    build_dir = builds / sha[:16]
    place_file(wheel, build_dir / wheel.name)
    place_file(shim, build_dir / shim.name)
    entry = wheel_lock_entry(
        build_dir / wheel.name, dist_target(pin), url=f"{MICROPIP2_BUILDS}/{sha[:16]}/{wheel.name}"
    )
    entries = {**base_entries, entry.name: entry}
    write_lockfile(pin, entries, build_dir / LOCK_NAME)
    write_lockfile(pin, entries, pin.dir / LOCK_NAME)
    os.utime(build_dir)  # in use: keep it from being pruned
    _prune_builds(builds, keep=build_dir)
    return f"{MICROPIP2_BUILDS}/{sha[:16]}/{LOCK_NAME}"


def build_micropip2(source: Path | None = None) -> dict[str, str]:
    """Rebuild micropip2's wheel from the working tree into every dist.

    Returns {pyodide version: path of the lockfile naming this build, relative to that
    version's dist directory}.
    """
    pins = load_pins()
    with build_lock(), tempfile.TemporaryDirectory(dir=BUILD, prefix=".micropip2-wheel-") as tmp:
        wheel = build_micropip2_wheel(Path(tmp), source)
        shim = build_shim_wheel(Path(tmp), source)
        return {
            version: install_micropip2(wheel, pin, shim=shim) for version, pin in pins.dists.items()
        }


# --------------------------------------------------------------------------------------
# whole distributions


def build_runtime_files(pin: DistPin) -> None:
    npm = pin.npm_dir
    if not (npm / "package.json").exists():
        raise BuildError(f"{npm} is missing: run `npm ci` first")
    pin.dir.mkdir(parents=True, exist_ok=True)
    files = list(REQUIRED_RUNTIME_FILES)
    asm = [f for f in ASM_FILES if (npm / f).exists()]
    if not asm:
        raise BuildError(f"{npm} has neither of {ASM_FILES}")
    files += asm
    for f in files:
        if not (npm / f).exists():
            raise BuildError(f"{npm / f} is missing")
    files += [f for f in OPTIONAL_RUNTIME_FILES if (npm / f).exists()]
    version = json.loads((npm / "package.json").read_text())["version"]
    if version != pin.version:
        raise BuildError(f"{npm} holds pyodide {version}, pins.toml expects {pin.version}")
    for f in files:
        if place_file(npm / f, pin.dir / f):
            log(f"{pin.version}: copied {f}")


def build_dist(pin: DistPin, pins: Pins, offline: bool, micropip2_wheel: Path, shim: Path) -> str:
    build_runtime_files(pin)
    entries = {}
    wanted = set()
    for file in pin.lock:
        cached = fetch_wheel(file, pins.wheels[file], offline)
        dst = pin.dir / file
        if not dst.exists() or sha256_of(dst) != pins.wheels[file]:
            place_file(cached, dst)
        entry = wheel_lock_entry(dst, dist_target(pin))
        if entry.name in entries:
            raise BuildError(f"dist {pin.version}: two wheels for {entry.name}")
        entries[entry.name] = entry
        wanted.add(file)
    for old in pin.dir.glob("*.whl"):
        if old.name not in wanted:
            log(f"{pin.version}: removing stale {old.name}")
            old.unlink()
    entry = shared_library_entry(pin, pins, offline)
    entries[entry.name] = entry
    return install_micropip2(micropip2_wheel, pin, base_entries=entries, shim=shim)


SHARED_LIBRARY_TEST = "libblosc2-test"


def shared_library_entry(pin: DistPin, pins: Pins, offline: bool) -> LockEntry:
    """A ``shared_library`` lockfile entry (a .zip for /usr/lib, as Pyodide ships libopenssl and
    friends), made from the real WebAssembly libblosc2.so inside the pinned blosc2 wheel of this
    platform year, so tests can check how micropip2 has Pyodide load such entries."""
    year = pin.platform_tag.removeprefix("pyemscripten_").removesuffix("_wasm32")
    wheel_name = f"blosc2-4.14.1-cp311-abi3-pyemscripten_{year}_wasm32.whl"
    wheel = fetch_wheel(wheel_name, pins.wheels[wheel_name], offline)
    with zipfile.ZipFile(wheel) as source:
        library = source.read("blosc2/lib/libblosc2.so")
    zip_path = pin.dir / f"{SHARED_LIBRARY_TEST}-2.0.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("libblosc2.so", date_time=(1980, 1, 1, 0, 0, 0)), library)
    atomic_write_bytes(zip_path, buffer.getvalue())
    return LockEntry(
        name=canonicalize_name(SHARED_LIBRARY_TEST),
        display_name=SHARED_LIBRARY_TEST,
        version="2.0",
        files=(LockedFile(zip_path.name, zip_path.name, sha256_of(zip_path)),),
        package_type="shared_library",
        install_dir="dynlib",
    )


def build_extra_wheels(pins: Pins, offline: bool) -> None:
    EXTRA_WHEELS.mkdir(parents=True, exist_ok=True)
    for file in pins.extra:
        cached = fetch_wheel(file, pins.wheels[file], offline)
        dst = EXTRA_WHEELS / file
        if not dst.exists() or sha256_of(dst) != pins.wheels[file]:
            place_file(cached, dst)
            log(f"wheels: placed {file}")


def build_all(offline: bool = False, versions=None, extra: bool = True) -> dict[str, str]:
    """Build every dist (and, with ``extra``, build/wheels/: the tests' wheels); return what
    :func:`build_micropip2` returns."""
    pins = load_pins()
    with build_lock(), tempfile.TemporaryDirectory(dir=BUILD, prefix=".micropip2-wheel-") as tmp:
        wheel = build_micropip2_wheel(Path(tmp))
        shim = build_shim_wheel(Path(tmp))
        result = {
            v: build_dist(pins.dists[v], pins, offline, wheel, shim) for v in versions or pins.dists
        }
        if extra:
            build_extra_wheels(pins, offline)
        return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--micropip2-only",
        action="store_true",
        help="only rebuild micropip2's wheel and update the dist lockfiles",
    )
    ap.add_argument(
        "--wheel",
        metavar="DIR",
        type=Path,
        help="only build micropip2's wheel, with its bytecode, into DIR",
    )
    ap.add_argument(
        "--offline", action="store_true", help="never download; use build/wheel-cache only"
    )
    ap.add_argument(
        "--no-extra-wheels",
        action="store_true",
        help="leave out build/wheels/ (the wheels only the tests serve)",
    )
    ap.add_argument(
        "--version",
        action="append",
        dest="versions",
        help="build only this Pyodide version (repeatable)",
    )
    args = ap.parse_args(argv)
    t0 = time.monotonic()
    try:
        if args.wheel:
            log(f"built {build_micropip2_wheel(args.wheel)}")
            return 0
        if args.micropip2_only:
            locks = build_micropip2()
        else:
            locks = build_all(
                offline=args.offline, versions=args.versions, extra=not args.no_extra_wheels
            )
        for version, lock in locks.items():
            log(f"{version}: micropip2 lockfile {DIST_ROOT.relative_to(REPO)}/{version}/{lock}")
    except BuildError as e:
        log(f"error: {e}")
        return 1
    log(f"done in {time.monotonic() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
