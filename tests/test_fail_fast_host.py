"""Dead ends, the bound on a resolution, overrides and exclusions, in-process on host CPython
against a real index on loopback (the operations micropip2.install runs inside Pyodide)."""

from __future__ import annotations

import asyncio
import json

import pytest

from micropip2 import operations
from micropip2.errors import DeadlineExceededError, InvalidOptionError, ResolutionLimitError
from micropip2.lockfiles.freeze import freeze_environment
from micropip2.lockfiles.from_plan import info_for
from micropip2.lockfiles.load import parse_lock
from micropip2.lockfiles.pyodide_packages import PyodidePackages
from micropip2.lockfiles.render import render_lock
from micropip2.operations import InstallOptions
from micropip2.resolve.driver import ResolutionError
from micropip2.resolve.modifiers import parse_modifiers
from tests.support.host_place import TARGET, throwaway_place
from tests.support.publish import publish

LINUX = "cp314-cp314-manylinux_2_17_x86_64"


@pytest.fixture
def place():
    with throwaway_place() as place:
        yield place


def _install(place, requirements, index, dry_run=True, **options):
    opts = InstallOptions(index_urls=[index.simple_url], cache=False, **options)
    return asyncio.run(operations.install(requirements, opts, place, dry_run=dry_run))


def _publish_dead_chain(index, apps=12, mids=6):
    """app (every version) -> mid (every version) -> native, which has no file for Pyodide."""
    publish(index, "native", "2.0", tag=LINUX)
    index.add_sdist(b"not a real sdist", "native-2.0.tar.gz")
    for i in range(mids):
        publish(index, "mid", f"3.{i}", ["native>=1"])
    publish(index, "helper", "1.0")
    for i in range(apps):
        publish(index, "app", f"1.{i}", ["mid>=3.0", "helper"])


def _metadata_requests(index):
    return [r.path for r in index.requests if r.path.endswith(".metadata")]


def test_a_project_with_no_file_is_named_with_its_chain_and_what_to_try(place, index_server):
    _publish_dead_chain(index_server)
    with pytest.raises(ResolutionError) as caught:
        _install(place, ["app"], index_server)
    text = str(caught.value)
    assert caught.value.projects == ("native",)
    first = text.splitlines()[1]
    assert first.startswith("native has no file for Pyodide 314.0.7")
    assert "It is required by each version of mid tried (6: 3.5 down to 3.0)" in first
    assert "which each version of app tried (12: 1.11 down to 1.0) requires (mid)" in first
    assert first.endswith("; you asked for app.")
    assert "Pyodide's own distribution" in text and "exclude=['native']" in text
    assert "native-2.0.tar.gz: a source distribution" in text


def test_the_walk_through_a_dead_end_reads_each_version_once(place, index_server):
    _publish_dead_chain(index_server)
    with pytest.raises(ResolutionError):
        _install(place, ["app"], index_server)
    metadata = _metadata_requests(index_server)
    assert len(metadata) == len(set(metadata))  # nothing read twice
    # every version of app and mid must be read to prove it (as pip does), and nothing else
    # but the one helper version
    assert len(metadata) == 12 + 6 + 1


def test_an_older_version_that_avoids_the_dead_end_is_chosen_as_pip_would(place, index_server):
    publish(index_server, "native", "2.0", tag=LINUX)
    publish(index_server, "core", "1.0")
    for version in ("2.0", "2.1", "2.2"):
        publish(index_server, "lib", version, ["native"])
    publish(index_server, "lib", "1.10", ["core"])  # pydantic 1.10 beside pydantic-core
    publish(index_server, "app", "1.0", ["lib>=1"])
    report = _install(place, ["app"], index_server)
    assert {i.name: i.version for i in report.plan.changes} == {
        "app": "1.0",
        "core": "1.0",
        "lib": "1.10",
    }


def test_a_resolution_past_its_bound_stops_and_says_what_it_explored(place, index_server):
    _publish_dead_chain(index_server)
    with pytest.raises(ResolutionLimitError) as caught:
        _install(place, ["app"], index_server, max_versions_tried=5)
    error = caught.value
    assert error.limit == 5 and sum(error.tried.values()) == 6
    assert "gave up resolving for Pyodide 314.0.7" in str(error)
    assert "max_versions_tried=<number>" in str(error)
    assert error.project in ("app", "mid")


def test_an_override_replaces_every_requirement_on_its_project(place, index_server):
    publish(index_server, "lib", "1.0")
    publish(index_server, "lib", "2.0")
    publish(index_server, "app", "1.0", ["lib<2"])
    publish(index_server, "other", "1.0", ["lib==1.0"])
    report = _install(place, ["app", "other"], index_server, overrides=["lib>=2"])
    assert {i.name: i.version for i in report.plan.changes}["lib"] == "2.0"
    app = next(i for i in report.plan.items if i.name == "app")
    assert app.overrides == ("lib>=2",) and app.excluded == ()
    assert report.plan.overrides == ("lib>=2",)
    assert "its requirement replaced by your override lib>=2" in str(app)


def test_an_override_wins_over_the_users_own_requirement(place, index_server):
    publish(index_server, "lib", "1.0")
    publish(index_server, "lib", "2.0")
    report = _install(place, ["lib<2"], index_server, overrides=["lib==2.0"])
    assert [(i.name, i.version) for i in report.plan.changes] == [("lib", "2.0")]


def test_an_override_whose_marker_does_not_hold_drops_the_requirement(place, index_server):
    publish(index_server, "lib", "1.0")
    publish(index_server, "app", "1.0", ["lib"])
    report = _install(place, ["app"], index_server, overrides=["lib>=1; sys_platform == 'win32'"])
    assert [i.name for i in report.plan.changes] == ["app"]
    assert report.plan.changes[0].excluded == ("lib",)  # recorded as dropped


def test_exclude_drops_a_dependency_not_needed_in_pyodide(place, index_server):
    _publish_dead_chain(index_server, apps=2, mids=2)
    report = _install(place, ["app"], index_server, exclude=["native"])
    assert {i.name for i in report.plan.changes} == {"app", "mid", "helper"}
    mid = next(i for i in report.plan.items if i.name == "mid")
    assert mid.excluded == ("native",)
    assert report.plan.excluded == ("native",)


def test_asking_for_an_excluded_project_is_an_error(place, index_server):
    publish(index_server, "lib", "1.0")
    with pytest.raises(InvalidOptionError, match="exclude= drops"):
        _install(place, ["lib"], index_server, exclude=["lib"])


def test_modifiers_refuse_what_they_cannot_mean():
    with pytest.raises(InvalidOptionError, match="both overridden and excluded"):
        parse_modifiers(["lib>=2"], ["lib"])
    with pytest.raises(InvalidOptionError, match="project names"):
        parse_modifiers([], ["lib>=2"])
    with pytest.raises(Exception, match="direct reference"):
        parse_modifiers(["lib @ https://example.org/lib-1.0-py3-none-any.whl"], [])


@pytest.mark.parametrize("format", ["pyodide-lock", "pylock"])
def test_exclude_and_overrides_survive_freeze_and_sync(place, index_server, format):
    _publish_dead_chain(index_server, apps=2, mids=2)
    publish(index_server, "lib", "1.0")
    publish(index_server, "lib", "2.0")
    publish(index_server, "uses-lib", "1.0", ["lib<2"])
    options = {"exclude": ["native"], "overrides": ["lib>=2"]}
    _install(place, ["app", "uses-lib"], index_server, dry_run=False, **options)
    frozen = freeze_environment(
        place.installed(), PyodidePackages.empty(), [], TARGET, info_for(TARGET)
    )
    text = render_lock(frozen.lock, format, TARGET)
    lock = parse_lock(text)
    mid = lock.get("mid")
    assert mid is not None and mid.excluded == ("native",) and "native" not in mid.depends
    assert lock.get("uses-lib").overrides == ("lib>=2",)
    assert lock.get("lib").version == "2.0"
    with throwaway_place() as fresh:
        report = asyncio.run(operations.sync(lock, fresh, say=lambda line: None))
        assert {(i.name, i.version) for i in report.installed} == {
            (e.display_name, e.version) for e in lock.packages
        }
        record = json.loads(
            (fresh.environment.site_packages / "mid-3.1.dist-info" / "micropip2.json").read_text()
        )
        assert record["exclude"] == ["native"]


def test_a_lock_whose_entry_depends_on_an_excluded_project_still_syncs(place, index_server):
    _publish_dead_chain(index_server, apps=1, mids=1)
    _install(place, ["app"], index_server, dry_run=False, exclude=["native"])
    frozen = freeze_environment(
        place.installed(), PyodidePackages.empty(), [], TARGET, info_for(TARGET)
    )
    doc = json.loads(render_lock(frozen.lock, "pyodide-lock", TARGET))
    doc["packages"]["mid"]["depends"] = ["native"]  # as another tool would write it
    with throwaway_place() as fresh:
        report = asyncio.run(operations.sync(parse_lock(doc), fresh, say=lambda line: None))
        assert {i.name for i in report.installed} == {"app", "mid", "helper"}


def test_a_deadline_during_resolution_says_what_was_being_explored(place, index_server):
    _publish_dead_chain(index_server, apps=3, mids=3)
    index_server.delay("/files/app-1.0-*.metadata", 3)  # arrives after the deadline
    opts = InstallOptions(index_urls=[index_server.simple_url], cache=False)
    with pytest.raises(DeadlineExceededError) as caught:
        asyncio.run(operations.install(["app"], opts, place, dry_run=True, deadline=1))
    doing = caught.value.doing
    assert doing.startswith("resolving: ") and "versions of" in doing and "mid" in doing


def test_dependency_cycles_are_resolved_or_explained_through_dead_ends(place, index_server):
    publish(index_server, "native", "2.0", tag=LINUX)
    publish(index_server, "ping", "1.0", ["pong"])
    publish(index_server, "pong", "1.0", ["ping"])
    report = _install(place, ["ping"], index_server)
    assert {i.name for i in report.plan.changes} == {"ping", "pong"}
    publish(index_server, "ping", "2.0", ["pong", "native"])
    publish(index_server, "pong", "2.0", ["ping>=2"])
    with pytest.raises(ResolutionError) as caught:  # pong 2 needs ping 2, which needs native
        _install(place, ["pong>=2"], index_server)
    assert caught.value.projects == ("native",)
    assert "It is required by ping 2.0, which pong 2.0 requires (ping)" in str(caught.value)


def test_lock_check_honours_the_recorded_exclusions_and_overrides(place, index_server):
    from dataclasses import replace

    from micropip2.aot.check import check_lock
    from micropip2.runtime.host import HostRuntime

    _publish_dead_chain(index_server, apps=1, mids=1)
    publish(index_server, "lib", "1.0")
    publish(index_server, "lib", "2.0")
    publish(index_server, "uses-lib", "1.0", ["lib<2"])
    options = {"exclude": ["native"], "overrides": ["lib>=2"]}
    _install(place, ["app", "uses-lib"], index_server, dry_run=False, **options)
    lock = freeze_environment(
        place.installed(), PyodidePackages.empty(), [], TARGET, info_for(TARGET)
    ).lock
    assert asyncio.run(check_lock(lock, TARGET, HostRuntime())) == []
    unrecorded = replace(
        lock, packages=tuple(replace(e, excluded=(), overrides=()) for e in lock.packages)
    )
    problems = [str(p) for p in asyncio.run(check_lock(unrecorded, TARGET, HostRuntime()))]
    assert problems == [
        "mid 3.0: requires native>=1: the lock does not contain native",
        "uses-lib 1.0: requires lib<2: the lock pins lib 2.0",
    ]


def test_micropip2_lock_takes_the_same_overrides_and_exclusions(index_server, tmp_path):
    from micropip2.cli import main
    from tests.support.host_place import ROOT

    _publish_dead_chain(index_server, apps=1, mids=1)
    publish(index_server, "lib", "1.0")
    publish(index_server, "lib", "2.0")
    publish(index_server, "uses-lib", "1.0", ["lib<2"])
    out = tmp_path / "pyodide-lock.json"
    release = ROOT / "build" / "dist" / "314.0.7" / "pyodide-lock.json"
    args = ["lock", "app", "uses-lib", "--pyodide", "314.0.7", "--pyodide-lock", str(release)]
    args += ["--dist-url", "https://example.org/dist/", "--index-url", index_server.simple_url]
    args += ["--exclude", "native", "--override", "lib>=2", "-o", str(out)]
    assert main(args) == 0
    packages = json.loads(out.read_text())["packages"]
    assert packages["mid"]["tool"]["micropip2"]["exclude"] == ["native"]
    assert packages["uses-lib"]["tool"]["micropip2"]["overrides"] == ["lib>=2"]
    assert packages["lib"]["version"] == "2.0" and "native" not in packages
    assert main(["lock", "--check", str(out), "--exclude", "native"]) == 1  # locking only
