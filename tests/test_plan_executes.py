"""``dry_run`` returns exactly the Plan the executor then runs, for install and for sync."""

from __future__ import annotations

import hashlib

from micropip2.lockfiles.from_plan import info_for
from micropip2.lockfiles.model import Lock, LockedFile, LockEntry
from micropip2.lockfiles.render import render_lock
from micropip2.target import Target
from tests.support.publish import publish
from tests.support.wheels import WheelSpec, build_wheel


async def _install_twice(index):
    import importlib.metadata

    import micropip2

    await micropip2.install("lib==1.0", index_urls=[index])
    dry = await micropip2.install(["app", "lib"], index_urls=[index], dry_run=True)
    untouched = importlib.metadata.version("lib")
    real = await micropip2.install(["app", "lib"], index_urls=[index])
    return {
        "same_plan": dry.plan == real.plan,
        "plan": [[i.name, i.version, i.action, i.source, i.replaces] for i in dry.plan.items],
        "untouched_by_dry_run": untouched,
        "done": [[i.name, i.version] for i in real.installed],
        "changes": [[i.name, i.version] for i in dry.plan.changes],
        "versions": {i.name: importlib.metadata.version(i.name) for i in dry.plan.wanted},
    }


def test_install_runs_exactly_the_dry_run_plan(mp, index_server):
    for name, version, requires in (
        ("lib", "1.0", []),
        ("lib", "2.0", []),
        ("app", "1.0", ["lib>=2"]),
    ):
        publish(index_server, name, version, requires)
    result = mp.call(_install_twice, index_server.url + "/simple")
    assert result["same_plan"] is True
    actions = {
        name: (version, action, source, replaces)
        for name, version, action, source, replaces in result["plan"]
    }
    assert actions["app"] == ("1.0", "install", "index", None)
    assert actions["lib"] == ("2.0", "replace", "index", "1.0")
    assert result["untouched_by_dry_run"] == "1.0"
    assert result["done"] == result["changes"] == [["app", "1.0"], ["lib", "2.0"]]
    assert result["versions"] == {"app": "1.0", "lib": "2.0"}


def _served_lock(server, target: Target, names: list[str]) -> str:
    entries = []
    for name in names:
        spec = WheelSpec(name=name, version="1.0", files={f"{name}/__init__.py": "X = 1\n"})
        data = build_wheel(spec)
        url = server.add_wheel(data, spec.filename)
        file = LockedFile(url, spec.filename, hashlib.sha256(data).hexdigest(), len(data))
        entries.append(LockEntry(name, name, "1.0", (file,), imports=(name,)))
    lock = Lock("pyodide-lock", info_for(target), tuple(entries))
    return render_lock(lock, "pyodide-lock", target)


async def _sync_twice(first, second):
    import importlib.metadata

    import micropip2

    await micropip2.sync(first)
    dry = await micropip2.sync(second, dry_run=True)
    untouched = sorted(d.metadata["Name"] for d in importlib.metadata.distributions())
    real = await micropip2.sync(second)
    after = sorted(d.metadata["Name"] for d in importlib.metadata.distributions())
    return {
        "same_plan": dry.plan == real.plan,
        "plan": [[i.name, i.version, i.action, i.source, i.replaces] for i in dry.plan.items],
        "done": [[i.name, i.version] for i in real.installed],
        "removed": [[i.name, i.version] for i in real.removed],
        "changes": [[i.name, i.version] for i in dry.plan.changes],
        "removals": [[i.name, i.version] for i in dry.plan.removals],
        "untouched": untouched,
        "after": after,
    }


def test_sync_runs_exactly_the_dry_run_plan(mp, index_server):
    target = Target.for_pyodide("314.0.7" if mp.abi_version == "2026_0" else "0.29.5")
    first = _served_lock(index_server, target, ["aa", "old"])
    second = _served_lock(index_server, target, ["aa", "bb"])
    result = mp.call(_sync_twice, first, second)
    assert result["same_plan"] is True
    actions = {name: action for name, _v, action, _s, _r in result["plan"]}
    assert (actions["aa"], actions["bb"], actions["old"]) == ("keep", "install", "remove")
    assert result["done"] == result["changes"] == [["bb", "1.0"]]
    assert result["removed"] == result["removals"] == [["old", "1.0"]]
    assert "old" in result["untouched"] and "bb" not in result["untouched"]
    assert "old" not in result["after"] and {"aa", "bb"} <= set(result["after"])
    assert set(result["after"]) == (set(result["untouched"]) - {"old"}) | {"bb"}
