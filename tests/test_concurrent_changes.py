"""Concurrent calls inside Pyodide (issue 13, item 2): ``install``, ``sync`` and ``uninstall`` of
one environment take turns (micropip2/env_lock.py), so the environment ends consistent and each
report says what its own call did."""

from __future__ import annotations

from tests.support.publish import publish


async def _gather_two_versions(index):
    import asyncio
    import contextlib
    import io
    import json
    import os
    import site

    import micropip2

    micropip2.set_index_urls([index])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        first, second, third = await asyncio.gather(
            micropip2.install("dd==1.0"),
            micropip2.install("dd==2.0"),
            micropip2.install("dd", verbose=True),
        )
    import dd

    frozen = json.loads(micropip2.freeze())["packages"]
    return {
        "dist_infos": sorted(
            name for name in os.listdir(site.getsitepackages()[0]) if name.startswith("dd-")
        ),
        "imported": dd.VERSION,
        "listed": micropip2.list()["dd"].version,
        "frozen": frozen["dd"]["version"],
        "first": [(i.name, i.version, i.replaces) for i in first.installed],
        "second": [(i.name, i.version, i.replaces) for i in second.installed],
        "third": [list(third.already_satisfied), [i.name for i in third.installed]],
        "verbose": out.getvalue(),
        "removed": micropip2.uninstall("dd"),
        "left": sorted(n for n in os.listdir(site.getsitepackages()[0]) if n.startswith("dd")),
    }


def test_gathered_installs_of_two_versions_end_with_one(mp, index_server):
    publish(index_server, "dd", "1.0")
    publish(index_server, "dd", "2.0")
    index_server.delay("/files/dd-1.0-*", 0.3)  # the first install is still downloading
    got = mp.call(_gather_two_versions, index_server.simple_url)
    assert got["dist_infos"] == ["dd-2.0.dist-info"]
    assert (got["imported"], got["listed"], got["frozen"]) == ("2.0", "2.0", "2.0")
    assert got["first"] == [["dd", "1.0", None]]
    assert got["second"] == [["dd", "2.0", "1.0"]]  # it replaced what the first installed
    assert got["third"] == [["dd==2.0"], []]
    assert "Waiting for the install in progress in " in got["verbose"]
    assert "Requirement already satisfied: dd==2.0" in got["verbose"]
    assert got["removed"] == ["dd"] and got["left"] == []  # no orphan


async def _install_racing_uninstall(index):
    import asyncio
    import importlib

    import micropip2
    from micropip2.errors import ChangeInProgressError

    micropip2.set_index_urls([index])
    await micropip2.install("dep")
    # the install holds the environment; uninstall (synchronous) cannot wait, so it refuses
    task = asyncio.ensure_future(micropip2.install("app"))
    await asyncio.sleep(0)
    refused = None
    try:
        micropip2.uninstall("dep")
    except ChangeInProgressError as exc:
        refused = {
            "message": str(exc),
            "facts": [exc.operation, exc.in_progress],
            "is_value_error": isinstance(exc, ValueError),
        }
    report = await task
    after_install = sorted(micropip2.list())
    importlib.import_module("app")
    importlib.import_module("dep")
    # the other order: uninstall first, then the install puts the dependency back
    removed = micropip2.uninstall("dep")
    again = await micropip2.install("app")
    return {
        "refused": refused,
        "first": [list(report.already_satisfied), [i.name for i in report.installed]],
        "after_install": after_install,
        "removed": removed,
        "again": [list(again.already_satisfied), [i.name for i in again.installed]],
        "final": sorted(micropip2.list()),
    }


def test_an_install_racing_uninstall_of_its_dependency_ends_consistent(mp, index_server):
    publish(index_server, "app", "1.0", ["dep"])
    publish(index_server, "dep", "1.0")
    got = mp.call(_install_racing_uninstall, index_server.simple_url)
    assert got["refused"] is not None
    assert got["refused"]["facts"] == ["uninstall", "install"]
    assert "an install is in progress" in got["refused"]["message"]
    assert "await it to finish, then call uninstall again" in got["refused"]["message"]
    assert got["refused"]["is_value_error"]
    assert got["first"] == [["dep==1.0"], ["app"]]
    assert {"app", "dep"} <= set(got["after_install"])
    assert got["removed"] == ["dep"]
    assert got["again"] == [["app==1.0"], ["dep"]]
    assert {"app", "dep"} <= set(got["final"])


async def _cancelled_install_releases(index):
    import asyncio

    import micropip2

    micropip2.set_index_urls([index])
    outcome = {}
    try:
        await asyncio.wait_for(micropip2.install("slow"), 0.5)
        outcome["slow"] = "installed"
    except TimeoutError:
        outcome["slow"] = "timed out"
    # the next install proceeds (bounded, so a lock left held fails the test, not the session)
    report = await asyncio.wait_for(micropip2.install("dd"), 30)
    outcome["next"] = [i.name for i in report.installed]
    outcome["removed"] = micropip2.uninstall("dd")  # not refused: nothing holds the lock
    outcome["listed"] = sorted(n for n in micropip2.list() if n in ("slow", "dd"))
    return outcome


def test_a_cancelled_install_releases_the_lock(mp, index_server):
    publish(index_server, "slow", "1.0")
    publish(index_server, "dd", "1.0")
    index_server.delay("/files/slow-*", 3)
    got = mp.call(_cancelled_install_releases, index_server.simple_url)
    assert got == {"slow": "timed out", "next": ["dd"], "removed": ["dd"], "listed": []}
