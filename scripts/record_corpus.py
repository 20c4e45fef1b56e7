"""Record the benchmark corpus: real wheels from PyPI for the sets in benchmarks/corpus.toml.

For each set this

1. asks uv (pinned in corpus.toml, installed with pip into build/bench-tools/) for the set's
   closure on Pyodide: ``uv pip compile --python-platform wasm32-pyodide2025`` with Python
   3.13 (Pyodide 0.29.5) and 3.14 (for 314.0.7: uv has no 2026 platform; the sets are pure
   Python, so the choices are the same as for a 2026 target), wheels only; a set may name
   only some targets (``pyodide``) and another platform for uv (``uv_platform``, checked:
   every pin must have a file the target installs), see corpus.toml;
2. looks every project of the closure up in PyPI's JSON API (``/pypi/<name>/json``) and
   chooses versions by the rules in corpus.toml (uv's picks, the versions the test dists
   preinstall, the newest usable releases, and explicit ranges);
3. writes tests/fixtures/recorded/<set>.toml: every usable file of those versions with its
   sha256, size, requires-python, yanked state and upload time, plus uv's resolutions;
4. downloads the files with ``pip download`` into build/corpus/, checked against the sha256.

Usage (with the project's venv):

    .venv/bin/python -m scripts.record_corpus                 # record every set, then fetch
    .venv/bin/python -m scripts.record_corpus --set aioboto3  # one set
    .venv/bin/python -m scripts.record_corpus --fetch         # only download what the lists name
    .venv/bin/python -m scripts.record_corpus --no-fetch      # only write the lists

Recording needs the network (PyPI); fetching needs it once (files are cached).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.tags import Tag
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from benchmarks import corpus
from benchmarks.corpus import REPO, CorpusError, log

PYPI_JSON = "https://pypi.org/pypi/{name}/json"  # the JSON API micropip itself uses
PINS_FILE = REPO / "tests" / "dist" / "pins.toml"

# Pyodide targets: (pyodide version, python version for uv, platforms, interpreters)
TARGETS = {
    "0.29.5": ("3.13", {"pyemscripten_2025_0_wasm32", "pyodide_2025_0_wasm32"}, 13),
    "314.0.7": ("3.14", {"pyemscripten_2026_0_wasm32"}, 14),
}


# --------------------------------------------------------------------------------------
# which files fit Pyodide


def _fits(tag: Tag, platforms: set[str], minor: int) -> bool:
    if tag.platform == "any":
        return tag.abi == "none" and (
            tag.interpreter in ("py3", f"py3{minor}") or tag.interpreter == f"cp3{minor}"
        )
    if tag.platform not in platforms:
        return False
    if tag.abi == "abi3":
        return tag.interpreter.startswith("cp3") and int(tag.interpreter[3:] or 0) <= minor
    return tag.interpreter == f"cp3{minor}" and tag.abi in (f"cp3{minor}", "none")


def usable(filename: str, pyodide: str | None = None) -> bool:
    """Can some Pyodide target (0.29.5 or 314.0.7; or only ``pyodide``) install this file?"""
    if not filename.endswith(".whl"):
        return False
    try:
        _n, _v, _b, tags = parse_wheel_filename(filename)
    except Exception:
        return False
    targets = [TARGETS[pyodide]] if pyodide is not None else list(TARGETS.values())
    return any(_fits(t, platforms, minor) for t in tags for _py, platforms, minor in targets)


# --------------------------------------------------------------------------------------
# PyPI


_project_cache: dict[str, dict] = {}


def pypi_project(name: str) -> dict:
    key = canonicalize_name(name)
    if key not in _project_cache:
        for attempt in range(3):
            try:
                with urllib.request.urlopen(PYPI_JSON.format(name=key), timeout=60) as r:
                    _project_cache[key] = json.load(r)
                break
            except OSError as e:
                if attempt == 2:
                    raise CorpusError(f"PyPI JSON API for {key}: {e}") from e
                time.sleep(2)
    return _project_cache[key]


def _version(v: str) -> Version | None:
    try:
        return Version(v)
    except InvalidVersion:
        return None


def usable_files(project: dict, version: str) -> list[dict]:
    return [f for f in project["releases"].get(version, []) if usable(f["filename"])]


def choose_versions(
    name: str, project: dict, must: set[str], spec_range: str | None, newest: int, window: int
) -> list[str]:
    """The versions of one project to record (see corpus.toml)."""
    parsed = {v: pv for v in project["releases"] if (pv := _version(v)) is not None}
    finals = sorted(
        (v for v, pv in parsed.items() if not pv.is_prerelease),
        key=lambda v: parsed[v],
        reverse=True,
    )
    chosen = set()
    for v in must:
        if not usable_files(project, v):
            raise CorpusError(f"{name} {v} is required but has no usable file on PyPI")
        chosen.add(v)
    picked = 0 if spec_range is None else newest  # a range replaces the newest-N rule
    for v in finals[:window]:
        if picked >= newest:
            break
        if usable_files(project, v):
            chosen.add(v)
            picked += 1
    if spec_range:
        spec = SpecifierSet(spec_range)
        for v, pv in parsed.items():
            if spec.contains(pv, prereleases=False) and usable_files(project, v):
                chosen.add(v)
    return sorted(chosen, key=lambda v: parsed[v])


def file_entry(name: str, version: str, f: dict) -> dict:
    sha = f["digests"]["sha256"]
    upload = f.get("upload_time_iso_8601") or (f["upload_time"] + "Z")
    yanked: bool | str = False
    if f.get("yanked"):
        yanked = f.get("yanked_reason") or True
    return {
        "project": name,
        "version": version,
        "filename": f["filename"],
        "sha256": sha,
        "size": int(f["size"]),
        "requires_python": f.get("requires_python") or "",
        "yanked": yanked,
        "upload_time": upload,
    }


# --------------------------------------------------------------------------------------
# recording


def preinstalled_versions() -> dict[str, set[str]]:
    """{project: {versions}} that the test dists (tests/dist/pins.toml) load at boot."""
    pins = tomllib.loads(PINS_FILE.read_text(encoding="utf-8"))
    out: dict[str, set[str]] = {}
    for dist in pins.get("dist", {}).values():
        for file in dist.get("lock", []):
            n, v, _b, _t = parse_wheel_filename(file)
            out.setdefault(canonicalize_name(n), set()).add(str(v))
    return out


def uv_resolutions(
    requirements: list[str], targets: list[str], platform: str | None = None
) -> dict[str, list[str]]:
    """uv's resolution for each Pyodide target (for ``platform`` instead, when given)."""
    out = {}
    for pyodide in targets:
        py = TARGETS[pyodide][0]
        code, pins, err = corpus.uv_compile(
            requirements, python_version=py, platform=platform or "wasm32-pyodide2025"
        )
        if code != 0:
            raise CorpusError(f"uv could not resolve {requirements} for Python {py}:\n{err}")
        out[pyodide] = pins
    return out


def check_installable(name: str, resolution: dict[str, list[str]]) -> None:
    """Every pin of a resolution made for another platform has a file its Pyodide can install."""
    for pyodide, pins in resolution.items():
        for pin in pins:
            project, version = pin.split("==")
            if not any(
                usable(f["filename"], pyodide)
                for f in pypi_project(project)["releases"].get(version, [])
            ):
                raise CorpusError(
                    f"{name}: uv picked {pin}, which has no file Pyodide {pyodide} can install; "
                    "add a constraint to the set's requirements"
                )


def record_set(name: str, spec: dict) -> dict:
    s = spec["set"][name]
    defaults = spec.get("defaults", {})
    newest, window = int(defaults.get("newest", 3)), int(defaults.get("window", 10))
    ranges = {canonicalize_name(k): v for k, v in s.get("ranges", {}).items()}
    targets = list(s.get("pyodide", TARGETS))
    platform = s.get("uv_platform")
    log(f"{name}: resolving {s['requirements']} with uv for Pyodide {', '.join(targets)}")
    resolution = uv_resolutions(s["requirements"], targets, platform)
    if platform:
        check_installable(name, resolution)
    resolved: dict[str, set[str]] = {}
    for pins in resolution.values():
        for pin in pins:
            n, v = pin.split("==")
            resolved.setdefault(canonicalize_name(n), set()).add(v)
    pre = preinstalled_versions()
    for pin in s.get("boot_with", []):
        n, v = pin.split("==")
        pre.setdefault(canonicalize_name(n), set()).add(v)
    files = []
    for project in sorted(set(resolved) | set(ranges)):
        data = pypi_project(project)
        must = resolved.get(project, set()) | pre.get(project, set())
        versions = choose_versions(project, data, must, ranges.get(project), newest, window)
        log(f"{name}: {project}: {', '.join(versions)}")
        for v in versions:
            files += [file_entry(project, v, f) for f in usable_files(data, v)]
    return {
        "set": name,
        "description": s.get("description", ""),
        "requirements": s["requirements"],
        "imports": s.get("imports", []),
        "recorded": datetime.now(UTC).strftime("%Y-%m-%d"),
        "recorded_with": (
            f"uv {spec['tools']['uv']} "
            "(uv pip compile --python-platform wasm32-pyodide2025 --only-binary :all:)"
        ),
        "resolution": resolution,
        "file": files,
    }


def write_recorded(doc: dict) -> Path:
    import tomli_w

    path = corpus.recorded_path(doc["set"])
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (
        f"# The recorded corpus for the set {doc['set']!r}: "
        "written by scripts/record_corpus.py from\n"
        "# benchmarks/corpus.toml and PyPI; do not edit by hand. Wheels are not committed:\n"
        "# `python -m scripts.record_corpus --fetch` downloads them into build/corpus/ "
        "(sha256-checked).\n"
        "# [resolution] holds uv's resolution per Pyodide version (see corpus.toml for how).\n\n"
    )
    path.write_text(header + tomli_w.dumps(doc), encoding="utf-8")
    return path


def check_tool_pins(spec: dict) -> None:
    pin = spec["tools"]["micropip"]
    data = pypi_project("micropip")
    version = pin["file"].split("-")[1]
    files = {f["filename"]: f["digests"]["sha256"] for f in data["releases"].get(version, [])}
    if files.get(pin["file"]) != pin["sha256"]:
        raise CorpusError(
            f"corpus.toml pins {pin['file']} as {pin['sha256']}, PyPI says {files.get(pin['file'])}"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", action="append", dest="sets", help="record only this set (repeatable)")
    ap.add_argument(
        "--fetch", action="store_true", help="do not record: only download the recorded files"
    )
    ap.add_argument("--no-fetch", action="store_true", help="record the lists but download nothing")
    args = ap.parse_args(argv)
    spec = corpus.load_spec()
    names = args.sets or list(spec["set"])
    unknown = [n for n in names if n not in spec["set"]]
    if unknown:
        log(f"unknown set(s) {unknown}; corpus.toml has {list(spec['set'])}")
        return 2
    try:
        if not args.fetch:
            check_tool_pins(spec)
            for name in names:
                doc = record_set(name, spec)
                path = write_recorded(doc)
                size = sum(f["size"] for f in doc["file"]) / 1e6
                log(
                    f"{name}: wrote {path.relative_to(REPO)}: {len(doc['file'])} files, "
                    f"{len({f['project'] for f in doc['file']})} projects, {size:.1f} MB"
                )
        if not args.no_fetch:
            for name in names:
                corpus.fetch(corpus.load_set(name).files)
            corpus.fetch_tool_micropip()
            log("all files present and verified")
    except CorpusError as e:
        log(f"error: {e}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
