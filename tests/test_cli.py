"""The ``micropip2`` command line on the host (``python -m micropip2`` in .venv), against the
recorded PyPI corpus replayed on loopback and the local Pyodide distributions' lockfiles."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.corpus import replay_server
from micropip2.target import Target
from tests.support.locks import lock_text, read_lock, wheel_lock_entry
from tests.support.pylock_check import checked_pylock

REPO = Path(__file__).resolve().parent.parent

DIST = {v: REPO / "build" / "dist" / v for v in ("314.0.7", "0.29.5")}
NODE_PACKAGE = {"314.0.7": "pyodide-314", "0.29.5": "pyodide-0295"}
DIST_ATTRS = {"314.0.7": "26.1.0", "0.29.5": "25.4.0"}  # what each local distribution preinstalls
FROM_INDEX = {"rich": "15.0.0", "markdown-it-py": "4.3.0", "mdurl": "0.1.2", "pygments": "2.21.0"}
FAKE_DIST_URL = "https://dist.example/pyodide/full/"


def micropip2(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "micropip2", *args],
        capture_output=True,
        text=True,
        cwd=cwd or REPO,
        timeout=300,
    )


@pytest.fixture(scope="module")
def rich_index():
    with replay_server("rich") as server:
        yield server


def lock_args(version: str, index, *extra: str) -> list[str]:
    return [
        "lock",
        "rich",
        "cattrs",
        "--pyodide",
        version,
        "--pyodide-lock",
        str(DIST[version] / "pyodide-lock.json"),
        "--index-url",
        index.simple_url,
        *extra,
    ]


def versions_of_pyodide_lock(text: str) -> dict[str, str]:
    from pyodide_lock import PyodideLockSpec

    spec = PyodideLockSpec.from_dict(json.loads(text))
    return {key: pkg.version for key, pkg in spec.packages.items()}


@pytest.mark.parametrize("version", ["314.0.7", "0.29.5"])
def test_lock_writes_both_formats_with_index_and_distribution_packages(version, rich_index):
    as_json = micropip2(*lock_args(version, rich_index, "--dist-url", FAKE_DIST_URL))
    assert as_json.returncode == 0, as_json.stderr
    expected = {
        **FROM_INDEX,
        "cattrs": "26.2.1",
        "attrs": DIST_ATTRS[version],
        "typing-extensions": "4.15.0",
    }
    assert versions_of_pyodide_lock(as_json.stdout) == expected
    doc = json.loads(as_json.stdout)
    assert doc["info"]["abi_version"] == {"314.0.7": "2026_0", "0.29.5": "2025_0"}[version]
    # distribution packages: absolute URLs under --dist-url, their entry kept (imports, depends)
    assert (
        doc["packages"]["attrs"]["file_name"]
        == f"{FAKE_DIST_URL}attrs-{DIST_ATTRS[version]}-py3-none-any.whl"
    )
    assert doc["packages"]["cattrs"]["depends"] == ["attrs", "typing-extensions"]
    assert doc["packages"]["attrs"]["imports"] == ["attr", "attrs"]
    # index packages: the index's URL and sha256, depends from the resolution
    rich = doc["packages"]["rich"]
    assert rich["file_name"].startswith(rich_index.url) and rich["file_name"].endswith(
        "rich-15.0.0-py3-none-any.whl"
    )
    assert sorted(rich["depends"]) == ["markdown-it-py", "pygments"]
    assert doc["packages"]["markdown-it-py"]["depends"] == ["mdurl"]
    rich_size = (REPO / "build" / "corpus" / "rich-15.0.0-py3-none-any.whl").stat().st_size
    assert rich["tool"] == {"micropip2": {"size": rich_size}}  # the index's PEP 700 size

    as_toml = micropip2(
        *lock_args(version, rich_index, "--dist-url", FAKE_DIST_URL, "--format", "pylock")
    )
    assert as_toml.returncode == 0, as_toml.stderr
    pylock = checked_pylock(as_toml.stdout)  # packaging's PEP 751 reader accepts it
    assert pylock["lock-version"] == "1.0"
    assert {p["name"].replace("_", "-"): p["version"] for p in pylock["packages"]} == expected
    urls = {p["name"]: p["wheels"][0]["url"] for p in pylock["packages"]}
    assert urls["attrs"] == doc["packages"]["attrs"]["file_name"]
    assert all(p["wheels"][0]["hashes"]["sha256"] for p in pylock["packages"])
    assert (
        next(p for p in pylock["packages"] if p["name"] == "rich")["wheels"][0]["size"] == rich_size
    )


def test_lock_default_dist_url_is_the_release_on_jsdelivr_and_output_goes_to_a_file(
    rich_index, tmp_path
):
    out = tmp_path / "lock.json"
    done = micropip2(*lock_args("314.0.7", rich_index, "-o", str(out)))
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    doc = json.loads(out.read_text())
    assert doc["packages"]["attrs"]["file_name"] == (
        "https://cdn.jsdelivr.net/pyodide/v314.0.7/full/attrs-26.1.0-py3-none-any.whl"
    )


def test_requirements_and_constraints_files(rich_index, tmp_path):
    (tmp_path / "reqs.txt").write_text("# the app\nrich  # pretty output\n-c cons.txt\n")
    (tmp_path / "cons.txt").write_text("rich<15\n")
    done = micropip2(
        "lock",
        "-r",
        str(tmp_path / "reqs.txt"),
        "--pyodide",
        "0.29.5",
        "--pyodide-lock",
        str(DIST["0.29.5"] / "pyodide-lock.json"),
        "--index-url",
        rich_index.simple_url,
    )
    assert done.returncode == 0, done.stderr
    assert versions_of_pyodide_lock(done.stdout)["rich"] == "14.3.4"


def test_errors_exit_1_with_the_message_and_no_traceback(rich_index):
    done = micropip2(*lock_args("0.29.5", rich_index), "no-such-project-anywhere")
    assert done.returncode == 1
    assert (
        done.stderr.startswith("micropip2: error: ") and "no-such-project-anywhere" in done.stderr
    )
    assert "Traceback" not in done.stderr
    # the lockfile of one release with --pyodide of another
    done = micropip2(
        "lock",
        "rich",
        "--pyodide",
        "314.0.7",
        "--pyodide-lock",
        str(DIST["0.29.5"] / "pyodide-lock.json"),
        "--index-url",
        rich_index.simple_url,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert (
        "pyemscripten_2025_0_wasm32" in done.stderr and "pyemscripten_2026_0_wasm32" in done.stderr
    )


@pytest.fixture(scope="module")
def fresh_lock_029(rich_index, tmp_path_factory):
    """A 0.29.5 lock whose distribution files are the local dist's (so --check can fetch them)."""
    path = tmp_path_factory.mktemp("lock") / "pyodide-lock.json"
    done = micropip2(
        *lock_args("0.29.5", rich_index, "--dist-url", DIST["0.29.5"].as_uri(), "-o", str(path))
    )
    assert done.returncode == 0, done.stderr
    return path


def test_check_passes_for_a_fresh_lock(fresh_lock_029):
    done = micropip2("lock", "--check", str(fresh_lock_029), "--pyodide", "0.29.5")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "installs on Pyodide 0.29.5" in done.stdout
    refused = micropip2(
        "lock", "--check", str(fresh_lock_029), "--format", "pylock", "-o", "out.toml"
    )
    assert refused.returncode == 1 and "--format, -o only apply when locking" in refused.stderr, (
        refused.stderr
    )


def test_check_names_a_wrong_sha256_and_a_missing_dependency(fresh_lock_029, tmp_path):
    doc = json.loads(fresh_lock_029.read_text())
    doc["packages"]["pygments"]["sha256"] = "0" * 64
    del doc["packages"]["mdurl"]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(doc))
    done = micropip2("lock", "--check", str(broken), "--pyodide", "0.29.5")
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert any(
        line.startswith("pygments 2.21.0: ") and "0" * 64 in line and "sha256" in line
        for line in lines
    ), lines
    assert any(
        line.startswith("markdown-it-py 4.3.0: requires mdurl") and "does not contain mdurl" in line
        for line in lines
    ), lines
    assert len(lines) == 2, lines


def test_check_reports_a_lock_for_another_platform_year(fresh_lock_029, tmp_path):
    done = micropip2("lock", "--check", str(fresh_lock_029), "--pyodide", "314.0.7")
    assert done.returncode == 1
    assert (
        "the lock: it is for Pyodide platform 2025_0" in done.stdout
        and "pyemscripten_2026_0" in done.stdout
    )


def test_check_reports_a_wheel_for_another_platform_year(tmp_path):
    """librt's cp313 wheel for 2025_0, named in a lock that claims to be for 314 (2026_0)."""
    wheel = next((REPO / "build" / "wheels").glob("librt-*-cp313-*2025_0*.whl"), None)
    assert wheel is not None, (
        "build/wheels lacks the pinned librt cp313 wheel (tests/dist/pins.toml): "
        "run scripts/setup.sh"
    )
    info = read_lock(DIST["314.0.7"] / "pyodide-lock.json").info or {}
    entry = wheel_lock_entry(wheel, Target.from_lock_info(info), url=wheel.as_uri())
    path = tmp_path / "lock.json"
    path.write_text(lock_text(info, [entry]))
    done = micropip2("lock", "--check", str(path))
    assert done.returncode == 1
    (line,) = done.stdout.splitlines()
    assert line.startswith(f"librt {wheel.name.split('-')[1]}: {wheel.name}: does not fit")
    assert "2025_0" in line and "2026_0" in line


@pytest.mark.pyodide
def test_download_makes_a_folder_pyodide_on_node_boots_from(rich_index, tmp_path):
    lock = tmp_path / "lock.json"
    done = micropip2(
        *lock_args("314.0.7", rich_index, "--dist-url", DIST["314.0.7"].as_uri(), "-o", str(lock))
    )
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "site"
    done = micropip2("download", str(lock), "-d", str(folder))
    assert done.returncode == 0, done.stderr
    written = json.loads((folder / "pyodide-lock.json").read_text())
    assert set(written["packages"]) == set(json.loads(lock.read_text())["packages"])
    for entry in written["packages"].values():
        assert "/" not in entry["file_name"]
        assert (
            hashlib.sha256((folder / entry["file_name"]).read_bytes()).hexdigest()
            == entry["sha256"]
        )
        assert entry["tool"] == {
            "micropip2": {"size": (folder / entry["file_name"]).stat().st_size}
        }
    assert micropip2("lock", "--check", str(folder / "pyodide-lock.json")).returncode == 0

    script = tmp_path / "boot.mjs"
    script.write_text(
        _BOOT.replace(
            "@PYODIDE@", (REPO / "node_modules" / NODE_PACKAGE["314.0.7"] / "pyodide.mjs").as_uri()
        )
    )
    booted = subprocess.run(
        ["node", str(script), str(folder) + "/"], capture_output=True, text=True, timeout=120
    )
    assert booted.returncode == 0, booted.stdout + booted.stderr
    assert booted.stdout.strip().splitlines()[-1] == "rich 15.0.0 cattrs 26.2.1"


_BOOT = """
const { loadPyodide } = await import("@PYODIDE@");
const dir = process.argv[2];
const pyodide = await loadPyodide({
  lockFileURL: dir + "pyodide-lock.json", packageBaseUrl: dir, packageCacheDir: dir
});
const errors = [];
await pyodide.loadPackage(["rich", "cattrs"], { errorCallback: (m) => errors.push(m) });
if (errors.length) { console.error(errors.join("\\n")); process.exit(1); }
console.log(pyodide.runPython(`
import importlib.metadata as md
import rich.console, cattrs, mdurl
f"rich {md.version('rich')} cattrs {md.version('cattrs')}"
`));
"""


@pytest.mark.parametrize("corpus_set", ["rich", "aioboto3"])
def test_uv_agrees_with_micropip2_lock_for_0_29_5(corpus_set, capsys):
    """``micropip2 lock`` and ``uv pip compile --python-platform wasm32-pyodide2025 --python-version
    3.13`` choose the same versions, except where micropip2 takes the Pyodide distribution's own
    version (benchmarks/lock_vs_uv.py runs every set). uv (pinned in benchmarks/corpus.toml) is
    installed from PyPI into build/bench-tools/ on first use."""
    from benchmarks import corpus, lock_vs_uv

    corpus.ensure_uv()
    explained = lock_vs_uv.compare(corpus_set, lock_vs_uv.DEFAULT_LOCK)
    report = capsys.readouterr().out
    assert explained, report
    assert "UNEXPLAINED" not in report
