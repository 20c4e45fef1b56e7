#!/usr/bin/env python3
"""Assemble the local Pyodide distributions that micropip2's tests run in.

For every runtime pinned in tests/dist/pins.toml this writes build/dist/<version>/:

* the runtime files of the npm package (node_modules/<npm_package>/),
* the wheels listed in that runtime's ``lock``, downloaded with pip by exact version and
  checked against the sha256 pinned in pins.toml (cached in build/wheel-cache/),
* micropip2's own wheel, built from the working tree (in micropip2-builds/<sha>/, see below),
* a pyodide-lock.json with the npm lockfile's ``info`` and exactly those packages.

It also fills build/wheels/ with the pinned ``[[extra_wheel]]`` files (not in any lockfile).

Usage (with the project's venv python, which has pyodide-lock and flit_core):

    python scripts/build_dist.py                  # everything; fast when up to date
    python scripts/build_dist.py --micropip2-only # rebuild micropip2's wheel, update lockfiles
    python scripts/build_dist.py --offline        # fail instead of downloading

Tests call :func:`build_micropip2` (same as ``--micropip2-only``) at session start.
"""

from __future__ import annotations

import argparse
import contextlib
import email.parser
import fcntl
import hashlib
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
from dataclasses import dataclass
from pathlib import Path

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


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


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


def parse_wheel(file: str):
    from packaging.utils import parse_wheel_filename

    return parse_wheel_filename(file)


def pip_download_args(file: str) -> list[str]:
    """The pip download arguments that fetch exactly ``file``."""
    name, version, _build, tags = parse_wheel(file)
    args = ["--no-deps", "--only-binary=:all:", "--no-cache-dir", f"{name}=={version}"]
    platforms = sorted({t.platform for t in tags})
    if platforms == ["any"]:
        return args
    interpreters = sorted({t.interpreter for t in tags})
    abis = sorted({t.abi for t in tags})
    interp = interpreters[0]
    impl = interp[:2] if interp[:2] in ("cp", "pp", "py") else "cp"
    digits = interp[2:]
    pyver = f"{digits[0]}.{digits[1:]}" if len(digits) > 1 else digits
    for p in platforms:
        args += ["--platform", p]
    args += ["--implementation", impl, "--python-version", pyver]
    for a in abis:
        args += ["--abi", a]
    return args


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
    WHEEL_CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=WHEEL_CACHE, prefix=".download-") as tmp:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--disable-pip-version-check",
            "--quiet",
            "-d",
            tmp,
            *pip_download_args(file),
        ]
        log(f"downloading {file}")
        proc = subprocess.run(cmd, capture_output=True, text=True)
        got = Path(tmp) / file
        if proc.returncode != 0 or not got.exists():
            saved = sorted(os.listdir(tmp))
            raise BuildError(
                f"pip could not download {file} (exit {proc.returncode}, saved {saved}).\n"
                f"command: {' '.join(cmd)}\n{proc.stdout}{proc.stderr}"
            )
        actual = sha256_of(got)
        if actual != sha256:
            raise BuildError(
                f"sha256 mismatch for {file}: downloaded {actual}, pinned {sha256} "
                f"in {PINS_FILE.relative_to(REPO)}"
            )
        os.replace(got, cached)
    return cached


# --------------------------------------------------------------------------------------
# wheel metadata -> lockfile entries


def wheel_metadata(path: Path) -> email.message.Message:
    with zipfile.ZipFile(path) as zf:
        names = [
            n for n in zf.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")
        ]
        if len(names) != 1:
            raise BuildError(f"{path.name}: expected one .dist-info/METADATA, found {names}")
        return email.parser.BytesParser().parsebytes(zf.read(names[0]), headersonly=True)


def wheel_imports(path: Path) -> list[str]:
    """Top-level importable names of a wheel (packages and modules at its root)."""
    found: set[str] = set()
    with zipfile.ZipFile(path) as zf:
        for n in zf.namelist():
            top, sep, _rest = n.partition("/")
            if top.endswith((".dist-info", ".data")) or top == "__pycache__":
                continue
            if sep:
                if top.isidentifier():
                    found.add(top)
            elif top.endswith(".py"):
                found.add(top[:-3])
            elif top.endswith((".so", ".pyd")):
                found.add(top.split(".", 1)[0])
    return sorted(found)


def target_environment(pin: DistPin) -> dict[str, str]:
    with (pin.npm_dir / LOCK_NAME).open(encoding="utf-8") as fh:
        full = json.load(fh)["info"]["python"]
    return {
        "implementation_name": "cpython",
        "implementation_version": full,
        "os_name": "posix",
        "platform_machine": "wasm32",
        "platform_release": "",
        "platform_system": "Emscripten",
        "platform_version": "",
        "python_full_version": full,
        "platform_python_implementation": "CPython",
        "python_version": pin.python,
        "sys_platform": "emscripten",
        "extra": "",
    }


def package_entry(path: Path, pin: DistPin):
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
    from pyodide_lock import PackageSpec

    meta = wheel_metadata(path)
    env = target_environment(pin)
    depends = []
    for line in meta.get_all("Requires-Dist") or []:
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate(env):
            depends.append(canonicalize_name(req.name))
    return canonicalize_name(meta["Name"]), PackageSpec(
        name=meta["Name"],
        version=meta["Version"],
        file_name=path.name,
        install_dir="site",
        sha256=sha256_of(path),
        package_type="package",
        imports=wheel_imports(path),
        depends=sorted(set(depends)),
    )


def write_lockfile(pin: DistPin, entries: dict, path: Path) -> bool:
    from pyodide_lock import PyodideLockSpec

    npm_lock = PyodideLockSpec.from_json(pin.npm_dir / LOCK_NAME)
    missing = {
        f"{key} -> {dep}"
        for key, spec in entries.items()
        for dep in spec.depends
        if dep not in entries
    }
    if missing:
        raise BuildError(
            f"dist {pin.version}: dependencies missing from the lockfile: {sorted(missing)}; "
            f"add their wheels to `lock` in {PINS_FILE.relative_to(REPO)}"
        )
    spec = PyodideLockSpec(
        info=npm_lock.info, packages=dict(sorted(entries.items())), tool=npm_lock.tool
    )
    check_wheel_filenames(spec)
    text = json.dumps(spec.to_dict(), indent=1, sort_keys=True) + "\n"
    return atomic_write_bytes(path, text.encode())


def check_wheel_filenames(spec) -> None:
    """Name and version in each wheel's file name (the last path segment) match its entry."""
    from packaging.utils import canonicalize_name, canonicalize_version

    for key, pkg in spec.packages.items():
        if not pkg.file_name.endswith(".whl"):
            continue  # shared libraries are zips with no name to check
        name, version, _, _ = parse_wheel(pkg.file_name.rsplit("/", 1)[-1])
        if canonicalize_name(name) != key or canonicalize_version(version) != canonicalize_version(
            pkg.version
        ):
            raise BuildError(
                f"lockfile entry {key} ({pkg.name} {pkg.version}) does not match {pkg.file_name}"
            )


def read_lock_entries(pin: DistPin) -> dict:
    from pyodide_lock import PyodideLockSpec

    return dict(PyodideLockSpec.from_json(pin.dir / LOCK_NAME).packages)


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


def build_micropip2_wheel(out: Path, source: Path | None = None) -> Path:
    """Build micropip2's wheel from ``source`` into ``out`` with flit_core (~0.2 s)."""
    source = source or micropip2_source()
    out.mkdir(parents=True, exist_ok=True)
    code = "import sys, flit_core.buildapi as b; print(b.build_wheel(sys.argv[1]))"
    env = {**os.environ, "SOURCE_DATE_EPOCH": "315532800"}  # 1980-01-01: reproducible zips
    proc = subprocess.run(
        [sys.executable, "-c", code, str(out)], cwd=source, capture_output=True, text=True, env=env
    )
    if proc.returncode != 0:
        raise BuildError(
            f"building micropip2's wheel from {source} failed:\n{proc.stdout}{proc.stderr}"
        )
    wheels = list(out.glob("micropip2-*.whl"))
    if len(wheels) != 1:
        raise BuildError(f"expected one micropip2 wheel in {out}, found {wheels}")
    return wheels[0]


def _prune_builds(builds: Path, keep: Path, max_age_s: float = 24 * 3600) -> None:
    now = time.time()
    for d in builds.iterdir():
        if d != keep and d.is_dir() and now - d.stat().st_mtime > max_age_s:
            shutil.rmtree(d, ignore_errors=True)


def install_micropip2(wheel: Path, pin: DistPin, base_entries: dict | None = None) -> str:
    """Put ``wheel`` into ``pin``'s dist; return its lockfile's path relative to the dist."""
    if base_entries is None:
        if not (pin.dir / LOCK_NAME).exists():
            raise BuildError(f"{pin.dir / LOCK_NAME} is missing: run scripts/build_dist.py first")
        base_entries = {k: v for k, v in read_lock_entries(pin).items() if k != "micropip2"}
    sha = sha256_of(wheel)
    builds = pin.dir / MICROPIP2_BUILDS
    build_dir = builds / sha[:16]
    place_file(wheel, build_dir / wheel.name)
    key, spec = package_entry(build_dir / wheel.name, pin)
    spec.file_name = f"{MICROPIP2_BUILDS}/{sha[:16]}/{wheel.name}"
    entries = {**base_entries, key: spec}
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
        return {version: install_micropip2(wheel, pin) for version, pin in pins.dists.items()}


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


def build_dist(pin: DistPin, pins: Pins, offline: bool, micropip2_wheel: Path) -> str:
    build_runtime_files(pin)
    entries = {}
    wanted = set()
    for file in pin.lock:
        cached = fetch_wheel(file, pins.wheels[file], offline)
        dst = pin.dir / file
        if not dst.exists() or sha256_of(dst) != pins.wheels[file]:
            place_file(cached, dst)
        key, spec = package_entry(dst, pin)
        if key in entries:
            raise BuildError(f"dist {pin.version}: two wheels for {key}")
        entries[key] = spec
        wanted.add(file)
    for old in pin.dir.glob("*.whl"):
        if old.name not in wanted:
            log(f"{pin.version}: removing stale {old.name}")
            old.unlink()
    key, spec = shared_library_entry(pin, pins, offline)
    entries[key] = spec
    return install_micropip2(micropip2_wheel, pin, base_entries=entries)


SHARED_LIBRARY_TEST = "libblosc2-test"


def shared_library_entry(pin: DistPin, pins: Pins, offline: bool):
    """A ``shared_library`` lockfile entry (a .zip for /usr/lib, as Pyodide ships libopenssl and
    friends), made from the real WebAssembly libblosc2.so inside the pinned blosc2 wheel of this
    platform year, so tests can check how micropip2 has Pyodide load such entries."""
    import zipfile

    from pyodide_lock import PackageSpec

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
    return SHARED_LIBRARY_TEST, PackageSpec(
        name=SHARED_LIBRARY_TEST,
        version="2.0",
        file_name=zip_path.name,
        install_dir="dynlib",
        sha256=sha256_of(zip_path),
        package_type="shared_library",
        imports=[],
        depends=[],
    )


def build_extra_wheels(pins: Pins, offline: bool) -> None:
    EXTRA_WHEELS.mkdir(parents=True, exist_ok=True)
    for file in pins.extra:
        cached = fetch_wheel(file, pins.wheels[file], offline)
        dst = EXTRA_WHEELS / file
        if not dst.exists() or sha256_of(dst) != pins.wheels[file]:
            place_file(cached, dst)
            log(f"wheels: placed {file}")


def build_all(offline: bool = False, versions=None) -> dict[str, str]:
    """Build every dist (and build/wheels/); return what :func:`build_micropip2` returns."""
    pins = load_pins()
    with build_lock(), tempfile.TemporaryDirectory(dir=BUILD, prefix=".micropip2-wheel-") as tmp:
        wheel = build_micropip2_wheel(Path(tmp))
        result = {
            v: build_dist(pins.dists[v], pins, offline, wheel) for v in versions or pins.dists
        }
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
        "--offline", action="store_true", help="never download; use build/wheel-cache only"
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
        if args.micropip2_only:
            locks = build_micropip2()
        else:
            locks = build_all(offline=args.offline, versions=args.versions)
        for version, lock in locks.items():
            log(f"{version}: micropip2 lockfile {DIST_ROOT.relative_to(REPO)}/{version}/{lock}")
    except BuildError as e:
        log(f"error: {e}")
        return 1
    log(f"done in {time.monotonic() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
