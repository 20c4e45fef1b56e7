"""Backtracking through many versions inside real Pyodide, against a synthetic loopback index:
the metadata of the next versions is fetched in parallel batches, and a miss resumes the
resolution instead of running it again (micropip2/resolve/crawl.py, driver.py). Counts, not
times: the resolver's restarts and waits (the report's ``resolution``) and the index's log."""

from __future__ import annotations

from tests.support.publish import publish

VERSIONS = 40  # client 1.0 ... 1.39; only 1.0 accepts the pinned core


async def _dry_run(requirements: list[str], index: str) -> dict:
    import micropip2

    report = await micropip2.install(requirements, index_urls=[index], dry_run=True)
    pins = {i.name: i.version for i in report.plan.changes}
    return {"pins": pins, "resolution": report.resolution}


def test_walking_back_through_forty_versions_waits_once_per_batch(runtime, index_server):
    publish(index_server, "core", "1.0")
    publish(index_server, "core", "2.0")
    for k in range(VERSIONS):
        publish(index_server, "client", f"1.{k}", [f"core>={1 + k / 100}"])
    out = runtime.call(_dry_run, ["core==1.0", "client"], index_server.simple_url)
    assert out["pins"] == {"core": "1.0", "client": "1.0"}
    stats = out["resolution"]
    # one wait per version without batches; with batches of 8, 16, 32: a handful
    assert stats["waits"] <= 8, stats
    # the pages asked at the start cost one restart; every metadata miss resumes
    assert stats["restarts"] <= 1, stats
    client_metadata = index_server.find("/files/client-*.metadata")  # each version at most once
    assert len(client_metadata) == len({r.path for r in client_metadata}) <= VERSIONS
    assert stats["metadata"] >= VERSIONS  # every version the resolver rejected was read


def test_a_project_chosen_first_time_fetches_no_batch(runtime, index_server):
    for k in range(VERSIONS):
        publish(index_server, "client", f"1.{k}", ["core"])
    publish(index_server, "core", "1.0")
    out = runtime.call(_dry_run, ["client"], index_server.simple_url)
    assert out["pins"] == {"client": f"1.{VERSIONS - 1}", "core": "1.0"}
    assert index_server.count("/files/client-*.metadata") == 1  # no walk back, no batch
    assert out["resolution"]["restarts"] <= 1
