"""The lockfile start-up benchmark runs end to end (one cheap cell; no timing is checked).

benchmarks/sync_bench.py is run by hand; this only makes sure it still works: its lock builds,
a fresh Node runtime boots, ``micropip2.sync`` installs the 16 locked packages from the replay
server in one request each, and they import. scripts/setup.sh fetches the ``lock15`` corpus files
into build/corpus/ (``.venv/bin/python -m scripts.record_corpus --fetch --set lock15``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


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
