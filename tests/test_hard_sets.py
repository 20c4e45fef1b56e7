"""The hard sets of the recorded corpus (benchmarks/corpus.toml's ``[hard.*]``, issue 14),
resolved by micropip2 inside Pyodide on Node against their recording replayed on loopback:
the versions pip chose from the same recording, in a handful of resolver runs; an
unsatisfiable set is explained. Counts only, never times (benchmarks/hard_bench.py times them)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from benchmarks.corpus import load_spec
from benchmarks.hard_bench import run_micropip2
from benchmarks.hard_corpus import HardIndex, HardRecord

SETS = load_spec()["hard"]
MAX_RESTARTS = 10  # issue 14's goal


@pytest.fixture(scope="module")
def runtimes(new_runtime) -> Iterator[dict]:
    booted: dict = {}

    def get(version: str):  # one runtime per Pyodide version: dry runs change nothing
        if version not in booted:
            booted[version] = new_runtime(f"node-{version}")
        return booted[version]

    yield get
    for runtime in booted.values():
        runtime.close()


@pytest.mark.parametrize("name", sorted(SETS))
def test_a_hard_set_resolves_as_pip_did(name: str, runtimes) -> None:
    spec = SETS[name]
    with HardIndex(HardRecord.load(name)).start() as index:
        got = runtimes(spec["pyodide"]).call(
            run_micropip2, spec["requirements"], index.simple_url, timeout=300
        )
    if "pip_fails_on" in spec:
        project = spec["pip_fails_on"]
        assert got["error"] and got["error"].startswith("ResolutionError"), got
        assert f"{project} has no file for Pyodide {spec['pyodide']}" in got["error"], got
    else:
        assert got["error"] is None, got["error"]
        assert sorted(f"{k}=={v}" for k, v in got["pins"].items()) == sorted(spec["pip"])
    assert got["stats"]["restarts"] <= MAX_RESTARTS, got["stats"]
