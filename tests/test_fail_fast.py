"""Inside Pyodide on Node, against the loopback index: a project with no file for Pyodide
fails the install at once with its explanation, reading each version once; overrides and
exclusions change the plan and survive freeze -> sync."""

from __future__ import annotations

from tests.support.publish import publish

LINUX = "cp314-cp314-manylinux_2_17_x86_64"


def _publish_dead_chain(index, apps=12, mids=6):
    """app (every version) -> mid (every version) -> native, which has no file for Pyodide."""
    publish(index, "native", "2.0", tag=LINUX)
    index.add_sdist(b"not a real sdist", "native-2.0.tar.gz")
    for i in range(mids):
        publish(index, "mid", f"3.{i}", ["native>=1"])
    publish(index, "helper", "1.0")
    for i in range(apps):
        publish(index, "app", f"1.{i}", ["mid>=3.0", "helper"])


async def _no_file(index_url):
    import mp2test

    return await mp2test.install_error("app", index_urls=[index_url], cache=False)


def test_a_project_with_no_file_fails_at_once_explained_and_changes_nothing(mp314, index_server):
    _publish_dead_chain(index_server)
    outcome = mp314.call(_no_file, index_server.simple_url)
    assert outcome["type"] == "ResolutionError"
    assert outcome["changed"] == ""
    first = outcome["message"].splitlines()[1]
    assert first.startswith("native has no file for Pyodide 314.0.7")
    assert "It is required by each version of mid tried (6: 3.5 down to 3.0)" in first
    assert "which each version of app tried (12: 1.11 down to 1.0) requires (mid)" in first
    assert "Pyodide's own distribution" in outcome["message"]
    metadata = [r.path for r in index_server.requests if r.path.endswith(".metadata")]
    assert len(metadata) == len(set(metadata)) == 12 + 6 + 1  # each version read once


async def _modified_then_synced(index_url):
    import json

    import mp2test

    import micropip2

    options = {
        "index_urls": [index_url],
        "cache": False,
        "exclude": ["native"],
        "overrides": ["lib>=2"],
    }
    dry = await micropip2.install(["app", "uses-lib"], dry_run=True, **options)
    await micropip2.install(["app", "uses-lib"], **options)
    frozen = micropip2.freeze()
    names = ["app", "mid", "helper", "uses-lib", "lib"]
    micropip2.uninstall(names)
    report = await micropip2.sync(frozen)
    record = json.loads(mp2test.dist_info_files("mid")["mid-3.1.dist-info/micropip2.json"])
    return {
        "plan": sorted((i.name, i.version) for i in dry.plan.changes),
        "excluded": list(dry.plan.excluded),
        "overrides": list(dry.plan.overrides),
        "lock_mid": json.loads(frozen)["packages"]["mid"],
        "synced": sorted((i.name, i.version) for i in report.installed),
        "record": record,
    }


def test_overrides_and_exclude_change_the_plan_and_survive_freeze_and_sync(mp314, index_server):
    _publish_dead_chain(index_server, apps=2, mids=2)
    publish(index_server, "lib", "1.0")
    publish(index_server, "lib", "2.0")
    publish(index_server, "uses-lib", "1.0", ["lib<2"])
    got = mp314.call(_modified_then_synced, index_server.simple_url)
    expected = [
        ["app", "1.1"],
        ["helper", "1.0"],
        ["lib", "2.0"],
        ["mid", "3.1"],
        ["uses-lib", "1.0"],
    ]  # JSON round trip: lists
    assert got["plan"] == expected
    assert got["excluded"] == ["native"] and got["overrides"] == ["lib>=2"]
    assert got["lock_mid"]["tool"]["micropip2"]["exclude"] == ["native"]
    assert "native" not in got["lock_mid"]["depends"]
    assert got["synced"] == expected
    assert got["record"]["exclude"] == ["native"]
