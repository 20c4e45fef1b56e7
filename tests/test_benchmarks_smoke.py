"""The benchmarks run end to end (cheap cells; no timing is checked).

benchmarks/sync_bench.py and benchmarks/resolve_install.py are run by hand; these only make
sure they still work. sync_bench: its lock builds, a fresh Node runtime boots,
``micropip2.sync`` installs the 16 locked packages from the replay server in one request each,
and they import. resolve_install: a cold and a warm run of the ``rich`` set per tool on Node and
in Chromium (the warm run shares what the cold one kept, or keeps nothing on Node for
micropip), and the import comparison. scripts/setup.sh fetches the ``lock15`` and ``rich``
corpus files into build/corpus/; the host tests read only the recorded lists.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import corpus, resolve_install
from benchmarks.resolve_install import Result

REPO = Path(__file__).resolve().parent.parent


def _run_benchmark(module: str, *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


@pytest.mark.pyodide
def test_sync_bench_runs_end_to_end(tmp_path):
    out = tmp_path / "sync_bench.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.sync_bench",
            "--runtimes",
            "node",
            "--tools",
            "micropip2",
            "--latency",
            "0",
            "--repeat",
            "1",
            "--offline",
            "--json",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads(out.read_text())
    assert len(doc["lock"]["packages"]) == 16
    assert any("pyemscripten_2026_0" in p["file_name"] for p in doc["lock"]["packages"].values())
    [result] = doc["results"]
    assert result["tool"] == "micropip2"
    assert result["ok"], result
    assert result["requests"] == 16  # one download per locked wheel, nothing else


def _by_tool_and_state(doc: dict) -> dict[tuple[str, str], dict]:
    return {(r["tool"], r["state"]): r for r in doc["results"]}


@pytest.mark.pyodide
def test_resolve_install_cold_then_warm_on_node(tmp_path):
    out = tmp_path / "resolve_install.json"
    proc = _run_benchmark(
        "benchmarks.resolve_install",
        *("--sets", "rich", "--latency", "0", "--warm", "--repeat", "1", "--offline"),
        *("--json", str(out)),
    )
    runs = _by_tool_and_state(json.loads(out.read_text()))
    assert set(runs) == {(t, s) for t in ("micropip", "micropip2") for s in ("cold", "warm")}
    for r in runs.values():
        assert r["ok"] and not r["import_errors"], r
        assert r["runtime"] == "node"
        assert sorted(n.split("==")[0].lower() for n in r["installed"]) == [
            "markdown-it-py",
            "mdurl",
            "pygments",
            "rich",
        ]
        assert r["depth"] == 3  # rich -> markdown-it-py -> mdurl
    # a new Node process keeps nothing for micropip; micropip2's shares the cold run's cache
    cold, warm = runs[("micropip", "cold")], runs[("micropip", "warm")]
    assert cold["requests"] > 0 and warm["requests"] == cold["requests"]
    assert runs[("micropip2", "cold")]["requests"] > 0
    assert runs[("micropip2", "warm")]["requests"] == 0
    assert "Node: micropip2 warm / micropip cold" in proc.stdout
    assert "geo mean" in proc.stdout and "MB x" in proc.stdout


@pytest.mark.pyodide
def test_resolve_install_warm_in_chromium_is_a_new_page_of_the_same_profile(tmp_path):
    if os.environ.get("MICROPIP2_NO_BROWSER", "") not in ("", "0"):
        pytest.skip("MICROPIP2_NO_BROWSER set")
    out = tmp_path / "resolve_install.json"
    _run_benchmark(
        "benchmarks.resolve_install",
        *("--runtimes", "chrome", "--sets", "rich", "--latency", "0", "--warm"),
        *("--repeat", "1", "--offline", "--json", str(out)),
    )
    runs = _by_tool_and_state(json.loads(out.read_text()))
    for r in runs.values():
        assert r["ok"] and not r["import_errors"] and r["runtime"] == "chrome", r
        assert len(r["installed"]) == 4, r
    # the cold run starts from an empty profile; the warm page finds the browser's HTTP cache
    # (micropip) and Cache Storage (micropip2) of that profile
    for tool in ("micropip", "micropip2"):
        assert runs[(tool, "cold")]["requests"] > 0
        assert runs[(tool, "warm")]["requests"] == 0, runs[(tool, "warm")]


@pytest.mark.pyodide
def test_resolve_install_imports_compares_fresh_interpreters(tmp_path):
    out = tmp_path / "imports.json"
    proc = _run_benchmark(
        "benchmarks.resolve_install", "--imports", "--repeat", "1", "--json", str(out)
    )
    results = {r["tool"]: r for r in json.loads(out.read_text())}
    assert results["micropip"]["version"] == "0.11.1"
    for r in results.values():
        assert r["error"] is None and r["import_s"] > 0 and len(r["runs"]) == 1, r
    assert "Node: import micropip2 / import micropip x" in proc.stdout


def test_issue_sets_are_recorded_and_fastapi_is_314_only():
    for name in resolve_install.DEFAULT_SETS:
        s = corpus.load_set(name)
        assert s.files and set(s.requirements) and s.imports, name
        assert s.skip_reason("314.0.7") is None, name
    fastapi = corpus.load_set("fastapi")
    reason = fastapi.skip_reason("0.29.5")
    assert reason is not None and "pyemscripten_2026_0" in reason
    assert set(fastapi.resolution) == {"314.0.7"}
    assert any(
        "pydantic_core" in f.filename and "pyemscripten_2026_0" in f.filename for f in fastapi.files
    )
    [boot] = fastapi.boot_files(lambda filename: filename.endswith("py3-none-any.whl"))
    assert (boot.project, boot.version) == ("typing-extensions", "4.16.0")
    assert corpus.load_set("aioboto3").backtracking
    assert not any(corpus.load_set(n).backtracking for n in resolve_install.DEFAULT_SETS[:-1])


def _result(set_: str, tool: str, state: str, wall: float, ok: bool = True) -> Result:
    r = Result(set_, 150, tool, "314.0.7", state, "node", ok=ok, wall_s=wall)
    r.requests, r.round_trips, r.bytes = 10, 4, 1000
    return r


def test_geometric_mean_leaves_out_backtracking_sets_and_failures():
    results = [
        _result("rich", "micropip", "cold", 2.0),
        _result("rich", "micropip2", "cold", 1.0),  # x0.5
        _result("black", "micropip", "cold", 1.0),
        _result("black", "micropip2", "cold", 0.5),  # x0.5
        _result("textual", "micropip", "cold", 1.0, ok=False),
        _result("textual", "micropip2", "cold", 9.0),  # micropip failed: no ratio in the mean
        _result("aioboto3", "micropip", "cold", 1.0),
        _result("aioboto3", "micropip2", "cold", 9.0),  # backtracking: not in the mean
    ]
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        resolve_install.print_ratios(results, backtracking={"aioboto3"})
    lines = text.getvalue().splitlines()
    assert "Node: micropip2 cold / micropip cold" in lines
    [mean] = [ln for ln in lines if ln.startswith("geo mean")]
    assert "wall x0.50 over 2 non-backtracking sets" in mean
    assert "goal <= x0.60: met" in mean
    assert resolve_install.goal("chrome", "warm", "warm", 0) == 0.5
    assert resolve_install.goal("node", "warm", "cold", 50) == 0.25
    assert resolve_install.goal("node", "warm", "warm", 50) is None


def test_dependency_depth_counts_the_levels_of_what_was_installed():
    from benchmarks import bench_runtime

    rich = corpus.load_set("rich")  # scripts/setup.sh fetches its wheels
    corpus.fetch(rich.files, offline=True)
    dist = bench_runtime.BenchDist("314.0.7", "pyodide-lock.json", None, None)
    target = bench_runtime.target(dist)
    tree = ["rich==15.0.0", "markdown-it-py==4.3.0", "mdurl==0.1.2", "pygments==2.21.0"]
    assert resolve_install.dependency_depth(rich, tree, target) == 3
    # mdurl there already: two levels are left to fetch
    assert resolve_install.dependency_depth(rich, tree[:2] + tree[3:], target) == 2
    assert resolve_install.dependency_depth(rich, [*tree, "mdurl==9.9"], target) is None
    r = _result("rich", "micropip2", "cold", 1.0)
    r.depth, r.round_trips = 3, 6
    assert resolve_install.round_trip_goal(r).endswith("goal <= depth 3 + 2 = 5: NOT met")
