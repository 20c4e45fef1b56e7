"""Resolution, Plan and executor in-process on host CPython (no Pyodide): the fast loop.

A real HTTP index on loopback, micropip2's host runtime (urllib), and a throwaway environment
under build/; the same operations ``micropip2.install`` and ``micropip2.sync`` run inside Pyodide,
targeting Pyodide 314. End-to-end behaviour inside Pyodide stays in the other test files.
"""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from micropip2 import operations
from micropip2.errors import HashMismatchError, Micropip2Error
from micropip2.installed import installed_distributions
from micropip2.lockfiles.model import Lock, LockedFile, LockEntry
from micropip2.operations import InstallOptions
from micropip2.plan import Action, Source
from micropip2.resolve.driver import ResolutionError
from tests.support.host_place import throwaway_place
from tests.support.publish import publish
from tests.support.wheels import WheelSpec, build_wheel


@pytest.fixture
def place():
    with throwaway_place() as place:
        yield place


def _install(place, requirements, index, dry_run=False, **options):
    opts = InstallOptions(index_urls=[index.simple_url], **options)
    return asyncio.run(operations.install(requirements, opts, place, dry_run=dry_run))


def _tree(place):
    site = place.environment.site_packages
    return sorted(
        (str(p.relative_to(site)), p.read_bytes()) for p in site.rglob("*") if p.is_file()
    )


# Resolution cases, data-driven: (published projects, request, expected plan {name: version}).
CASES = {
    "backtracks past a newer version": (
        [("app", "1.0", ["lib<2"]), ("lib", "1.0", []), ("lib", "2.0", [])],
        ["app"],
        {"app": "1.0", "lib": "1.0"},
    ),
    "extras bring their dependencies": (
        [("app", "1.0", ["extra-dep; extra == 'x'"]), ("extra-dep", "3.0", [])],
        ["app[x]"],
        {"app": "1.0", "extra-dep": "3.0"},
    ),
    "a marker false on Pyodide leaves its dependency out": (
        [("app", "1.0", ["winonly; sys_platform == 'win32'"]), ("winonly", "1.0", [])],
        ["app"],
        {"app": "1.0"},
    ),
    "the user's pin wins over the newest": (
        [("lib", "1.0", []), ("lib", "2.0", [])],
        ["lib==1.0"],
        {"lib": "1.0"},
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_resolution_plans(place, index_server, case):
    projects, request, expected = CASES[case]
    for name, version, requires in projects:
        publish(index_server, name, version, requires)
    report = _install(place, request, index_server, dry_run=True)
    assert {item.name: item.version for item in report.plan.changes} == expected
    assert {item.action for item in report.plan.items} == {Action.INSTALL}
    assert _tree(place) == []


def test_the_executor_writes_exactly_the_dry_run_plan(place, index_server):
    for name, version, requires in (("app", "1.0", ["lib>=1"]), ("lib", "1.0", [])):
        publish(index_server, name, version, requires)
    dry = _install(place, ["app"], index_server, dry_run=True)
    real = _install(place, ["app"], index_server)
    assert real.plan == dry.plan
    assert real.installed == list(dry.plan.changes)
    installed = place.installed()
    assert {name: dist.version for name, dist in installed.items()} == {"app": "1.0", "lib": "1.0"}
    record = (place.environment.site_packages / "app-1.0.dist-info" / "RECORD").read_text()
    assert "app/__init__.py" in record and "INSTALLER" in record
    app = next(item for item in real.plan.items if item.name == "app")
    assert (app.requested, app.required_by) == (True, ("you",))


def test_an_upgrade_replaces_and_a_second_install_keeps(place, index_server):
    publish(index_server, "lib", "1.0")
    _install(place, ["lib==1.0"], index_server)
    publish(index_server, "lib", "2.0")
    upgrade = _install(place, ["lib>=2"], index_server)
    assert [(i.name, i.action, i.replaces) for i in upgrade.plan.items] == [
        ("lib", Action.REPLACE, "1.0")
    ]
    again = _install(place, ["lib"], index_server)
    assert [(i.name, i.action, i.source) for i in again.plan.items] == [
        ("lib", Action.KEEP, Source.INSTALLED)
    ]
    assert place.installed()["lib"].version == "2.0"


def test_a_wrong_hash_changes_nothing_and_the_error_keeps_its_facts(place, index_server):
    publish(index_server, "lib", "1.0")
    _install(place, ["lib==1.0"], index_server)
    before = _tree(place)
    publish(index_server, "lib", "2.0")
    index_server.corrupt("/files/lib-2.0-py3-none-any.whl")
    with pytest.raises(Micropip2Error) as caught:
        _install(place, ["lib>=2"], index_server)
    error = caught.value
    assert isinstance(error, HashMismatchError)
    assert error.url is not None and error.url.endswith("lib-2.0-py3-none-any.whl")
    assert error.expected != error.actual and error.expected in str(error)
    assert _tree(place) == before


def test_an_impossible_request_is_a_resolution_error_naming_both_sides(place, index_server):
    publish(index_server, "app", "1.0", ["lib>=3"])
    publish(index_server, "lib", "1.0")
    with pytest.raises(ResolutionError) as caught:
        _install(place, ["app"], index_server)
    assert isinstance(caught.value, Micropip2Error)
    assert "lib>=3 (required by app 1.0)" in str(caught.value)
    assert caught.value.projects == ("lib",) and caught.value.project == "lib"


def test_sync_plans_install_keep_and_remove_and_runs_that_plan(place, index_server):
    publish(index_server, "old", "1.0")
    publish(index_server, "kept", "1.0")
    _install(place, ["old", "kept"], index_server)
    spec = WheelSpec(name="new", version="1.0", files={"new/__init__.py": "X = 1\n"})
    data = build_wheel(spec)
    url = index_server.add_wheel(data, spec.filename)
    kept_url = index_server.url_for("kept-1.0-py3-none-any.whl")
    lock = Lock(
        "pyodide-lock",
        {"abi_version": "2026_0", "arch": "wasm32", "python": "3.14.2"},
        (
            LockEntry(
                "kept",
                "kept",
                "1.0",
                (LockedFile(kept_url, "kept-1.0-py3-none-any.whl", "ab" * 32),),
            ),
            LockEntry(
                "new",
                "new",
                "1.0",
                (LockedFile(url, spec.filename, hashlib.sha256(data).hexdigest(), len(data)),),
            ),
        ),
    )
    dry = asyncio.run(operations.sync(lock, place, dry_run=True, say=lambda line: None))
    assert [(i.name, i.action) for i in dry.plan.items] == [
        ("kept", Action.KEEP),
        ("new", Action.INSTALL),
        ("old", Action.REMOVE),
    ]
    real = asyncio.run(operations.sync(lock, place, say=lambda line: None))
    assert real.plan == dry.plan
    assert (real.installed, real.removed) == (list(dry.plan.changes), list(dry.plan.removals))
    assert sorted(place.installed()) == ["kept", "new"]


# -- dependency hints from the PyPI JSON API ------------------------------------------------


def test_a_wrong_json_api_hint_still_installs_the_right_dependencies(place, index_server):
    publish(index_server, "app", "1.0", ["lib"])
    publish(index_server, "lib", "1.0")
    publish(index_server, "decoy", "1.0")
    index_server.json_api_requires["app"] = ["decoy"]  # the JSON API disagrees with the wheel
    report = _install(place, ["app"], index_server)
    assert sorted(i.name for i in report.installed) == ["app", "lib"]
    assert index_server.count("/simple/decoy/") == 1  # the guess was followed, and cost a request
    assert sorted(installed_distributions([str(place.environment.site_packages)])) == [
        "app",
        "lib",
    ]


def test_hints_start_each_level_a_round_trip_sooner(place, index_server):
    from benchmarks.metrics import round_trips

    for name, child in (("a", "b"), ("b", "c"), ("c", "d"), ("d", None)):
        publish(index_server, name, "1.0", [child] if child else [])
    index_server.latency = 0.3
    _install(place, ["a"], index_server, dry_run=True)
    # pages and hints of a, b, c, d one level each, then d's metadata: a tree 4 deep costs 5
    # round trips; page then metadata at each level (no hints) would cost 8
    assert round_trips(index_server.requests) <= 4 + 2


def test_an_index_without_a_json_api_is_asked_as_before(place, index_server):
    publish(index_server, "app", "1.0", ["lib"])
    publish(index_server, "lib", "1.0")
    index_server.fail("/pypi/*", 404)
    report = _install(place, ["app"], index_server)
    assert sorted(i.name for i in report.installed) == ["app", "lib"]


def test_requirements_whose_marker_does_not_hold_are_ignored_and_said(place, index_server):
    publish(index_server, "app", "1.0", ["lib"])
    publish(index_server, "lib", "1.0")
    publish(index_server, "lib", "2.0")
    with pytest.warns(UserWarning, match="ignoring"):
        report = _install(
            place,
            ["app", "winonly; sys_platform == 'win32'", "lib; sys_platform == 'emscripten'"],
            index_server,
            constraints=["lib<2; sys_platform == 'linux'"],  # not for Pyodide: lib 2.0 is fine
        )
    assert sorted(f"{i.name}=={i.version}" for i in report.installed) == ["app==1.0", "lib==2.0"]
    assert [w.split(":")[0] for w in report.warnings] == [
        "ignoring \"winonly; sys_platform == 'win32'\"",
        "ignoring \"lib<2; sys_platform == 'linux'\"",
    ]
    assert not index_server.find("/simple/winonly/")  # never even asked for
