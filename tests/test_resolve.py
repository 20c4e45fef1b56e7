"""Resolution by name inside real Pyodide, against synthetic projects on a loopback index.

Each test publishes small real wheels, then asks micropip2 for a plan (``dry_run=True``) or an
install, and checks the chosen versions, sources and messages.
"""

from __future__ import annotations

import pytest

from tests.support.publish import publish


async def _plan(requirements, index, **kwargs):
    import micropip2

    report = await micropip2.install(requirements, index_urls=[index], dry_run=True, **kwargs)
    return {
        item.name: [item.version, item.source, list(item.required_by)]
        for item in report.plan.changes
    }


async def _failure(requirements, index, **kwargs):
    import micropip2

    try:
        await micropip2.install(requirements, index_urls=[index], dry_run=True, **kwargs)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return "no error"


def _versions(plan):
    return {name: entry[0] for name, entry in plan.items()}


@pytest.fixture
def index(index_server):
    return index_server


def simple(server):
    return server.url + "/simple"


# -- choosing versions -----------------------------------------------------------------------


@pytest.mark.smoke
def test_newest_compatible_versions_are_chosen_with_their_dependencies(mp, index):
    publish(index, "app", "1.0", ["lib>=1"])
    publish(index, "app", "2.0", ["lib>=2"])
    publish(index, "lib", "1.5")
    publish(index, "lib", "2.1")
    plan = mp.call(_plan, ["app"], simple(index))
    assert _versions(plan) == {"app": "2.0", "lib": "2.1"}
    assert plan["lib"][2] == ["app 2.0"] and plan["app"][2] == ["you"]


def test_diamond_conflict_is_solved_by_backtracking(mp, index):
    # top needs left and right; the newest left needs base>=2, every right needs base<2:
    # a greedy resolver picks left 2.0, then fails; backtracking picks left 1.0
    publish(index, "top", "1.0", ["left", "right"])
    publish(index, "left", "2.0", ["base>=2"])
    publish(index, "left", "1.0", ["base<2"])
    publish(index, "right", "1.0", ["base<2"])
    publish(index, "base", "2.0")
    publish(index, "base", "1.0")
    assert _versions(mp.call(_plan, ["top"], simple(index))) == {
        "top": "1.0",
        "left": "1.0",
        "right": "1.0",
        "base": "1.0",
    }


def test_the_boto3_botocore_s3transfer_shape_backtracks_to_a_consistent_set(mp, index):
    # aioboto3 pins aiobotocore, which caps botocore; the newest boto3 needs a newer botocore
    publish(index, "aioboto3", "14.1.0", ["aiobotocore[boto3]==2.21.1"])
    publish(
        index,
        "aiobotocore",
        "2.21.1",
        ["botocore<1.37.2,>=1.37.0", 'boto3<1.37.2,>=1.37.0; extra == "boto3"'],
    )
    for patch in range(0, 5):
        publish(index, "botocore", f"1.37.{patch}")
        publish(
            index,
            "boto3",
            f"1.37.{patch}",
            [f"botocore<1.38.0,>=1.37.{patch}", "s3transfer<0.12.0,>=0.11.0"],
        )
    publish(index, "s3transfer", "0.11.3", ["botocore<2.0a.0,>=1.36.0"])
    publish(index, "s3transfer", "0.11.4", ["botocore<2.0a.0,>=1.37.4"])
    plan = _versions(mp.call(_plan, ["aioboto3==14.1.0"], simple(index)))
    assert plan["aiobotocore"] == "2.21.1"
    assert plan["boto3"] == "1.37.1" and plan["botocore"] == "1.37.1"
    assert plan["s3transfer"] == "0.11.3"


def test_requires_python_from_the_index_and_from_metadata_is_honoured(mp, index):
    publish(index, "modern", "4.0", requires_python=">=3.99")  # the index lists Requires-Python
    publish(
        index, "modern", "3.0", requires_python=">=3.98", listed_requires_python=False
    )  # only the metadata says it
    publish(index, "modern", "2.0", requires_python=">=3.10")
    assert _versions(mp.call(_plan, ["modern"], simple(index))) == {"modern": "2.0"}
    assert index.count("/files/modern-4.0-py3-none-any.whl.metadata") == 0  # never considered
    message = mp.call(_failure, ["modern==3.0"], simple(index))
    assert "Python >=3.98 (required by modern 3.0)" in message


def test_yanked_versions_are_used_only_when_pinned_exactly(mp, index):
    publish(index, "yank", "1.0")
    publish(index, "yank", "2.0", yanked="broken build")
    assert _versions(mp.call(_plan, ["yank"], simple(index))) == {"yank": "1.0"}
    assert _versions(mp.call(_plan, ["yank==2.0"], simple(index))) == {"yank": "2.0"}


def test_prereleases_only_with_pre_or_an_explicit_specifier(mp, index):
    publish(index, "early", "1.0")
    publish(index, "early", "2.0b1")
    assert _versions(mp.call(_plan, ["early"], simple(index))) == {"early": "1.0"}
    assert _versions(mp.call(_plan, ["early"], simple(index), pre=True)) == {"early": "2.0b1"}
    assert _versions(mp.call(_plan, ["early>=2.0b1"], simple(index))) == {"early": "2.0b1"}


def test_extras_apply_only_to_the_package_they_were_asked_for(mp, index):
    publish(index, "host", "1.0", ['plugin; extra == "extra"', "friend"])
    publish(index, "friend", "1.0", ['friend-only-extra-dep; extra == "extra"'])
    publish(index, "plugin", "1.0")
    publish(index, "friend-only-extra-dep", "1.0")
    assert _versions(mp.call(_plan, ["host"], simple(index))) == {"host": "1.0", "friend": "1.0"}
    assert _versions(mp.call(_plan, ["host[extra]"], simple(index))) == {
        "host": "1.0",
        "friend": "1.0",
        "plugin": "1.0",
    }


def test_markers_are_evaluated_for_emscripten(mp, index):
    publish(
        index,
        "portable",
        "1.0",
        ['winonly; sys_platform == "win32"', 'webonly; sys_platform == "emscripten"'],
    )
    publish(index, "webonly", "1.0")
    assert _versions(mp.call(_plan, ["portable"], simple(index))) == {
        "portable": "1.0",
        "webonly": "1.0",
    }


def test_constraints_narrow_versions_without_adding_packages(mp, index):
    publish(index, "wants", "1.0", ["dep"])
    publish(index, "dep", "1.0")
    publish(index, "dep", "2.0")
    publish(index, "unrelated", "1.0")
    plan = _versions(
        mp.call(_plan, ["wants"], simple(index), constraints=["dep<2", "unrelated==1.0"])
    )
    assert plan == {"wants": "1.0", "dep": "1.0"}


def test_deps_false_plans_only_what_was_asked(mp, index):
    publish(index, "solo", "1.0", ["never-published"])
    assert _versions(mp.call(_plan, ["solo"], simple(index), deps=False)) == {"solo": "1.0"}


def test_binary_wheel_of_the_running_platform_year_wins_over_the_other(mp, index):
    other = {"2026_0": "2025_0", "2025_0": "2026_0"}[mp.abi_version]
    py = mp.python.replace(".", "")
    publish(index, "native", "1.0", tag=f"cp{py}-cp{py}-pyemscripten_{mp.abi_version}_wasm32")
    publish(index, "native", "2.0", tag=f"cp{py}-cp{py}-pyemscripten_{other}_wasm32")
    assert _versions(mp.call(_plan, ["native"], simple(index))) == {"native": "1.0"}


# -- explanations ----------------------------------------------------------------------------


def test_a_conflict_is_explained_as_a_chain(mp, index):
    publish(index, "one", "1.0", ["shared<2"])
    publish(index, "two", "1.0", ["shared>=2"])
    publish(index, "shared", "1.0")
    publish(index, "shared", "2.0")
    message = mp.call(_failure, ["one", "two"], simple(index))
    assert message.startswith("ResolutionError: cannot find a set of versions")
    assert "shared<2 (required by one 1.0)" in message
    assert "shared>=2 (required by two 1.0)" in message
    assert "compatible versions on the index: 2.0, 1.0" in message


def test_no_compatible_wheel_lists_each_file_and_why(mp, index):
    py = mp.python.replace(".", "")
    other = {"2026_0": "2025_0", "2025_0": "2026_0"}[mp.abi_version]
    publish(index, "stubborn", "1.0", tag=f"cp{py}-cp{py}-pyemscripten_{other}_wasm32")
    publish(index, "stubborn", "1.0", tag="cp314-cp314-manylinux_2_17_x86_64")
    publish(index, "stubborn", "0.9", requires_python=">=4")
    message = mp.call(_failure, ["stubborn"], simple(index))
    assert "ResolutionError" in message
    assert (
        f"stubborn-1.0-cp{py}-cp{py}-pyemscripten_{other}_wasm32.whl: built for platform {other}"
        in message
    )
    assert "built for Linux" in message
    assert "requires Python >=4" in message


def test_an_unknown_project_says_which_indexes_were_asked(mp, index):
    publish(index, "known", "1.0")
    message = mp.call(_failure, ["not-a-real-project"], simple(index))
    assert "no index has a project named 'not-a-real-project'" in message
    assert index.url in message


# -- network behaviour -----------------------------------------------------------------------


async def _install_and_count(requirements, index):
    import micropip2

    report = await micropip2.install(requirements, index_urls=[index])
    return [item.name for item in report.installed]


def test_metadata_files_are_used_and_each_url_fetched_once(mp, index):
    publish(index, "root-pkg", "1.0", ["mid-a", "mid-b"])
    publish(index, "mid-a", "1.0", ["leaf"])
    publish(index, "mid-b", "1.0", ["leaf"])
    publish(index, "leaf", "1.0")
    installed = mp.call(_install_and_count, ["root-pkg"], simple(index))
    assert sorted(installed) == ["leaf", "mid-a", "mid-b", "root-pkg"]
    paths = [r.path for r in index.requests if r.method == "GET"]
    assert len(paths) == len(set(paths)), paths
    assert sum(p.endswith(".whl.metadata") for p in paths) == 4
    assert sum(p.endswith(".whl") for p in paths) == 4  # each chosen wheel once, for the install


def test_without_metadata_files_the_wheel_is_downloaded_once_and_reused(mp, index):
    publish(index, "nometa", "1.0", metadata=False)
    assert mp.call(_install_and_count, ["nometa"], simple(index)) == ["nometa"]
    assert index.count("/files/nometa-1.0-py3-none-any.whl", method="GET") == 1


async def _import_after_install(requirements, index, module):
    import importlib

    import micropip2

    await micropip2.install(requirements, index_urls=[index])
    return importlib.import_module(module).VERSION


@pytest.mark.smoke
def test_install_by_name_installs_and_imports(mp, index):
    publish(index, "greeter", "1.2", ["greeting-words>=1"])
    publish(index, "greeting-words", "1.0")
    assert mp.call(_import_after_install, ["greeter"], simple(index), "greeter") == "1.2"


def test_a_password_protected_index_gets_its_credentials_for_pages_metadata_and_wheels(mp, index):
    publish(index, "private-pkg", "1.0")
    index.require_auth("alice", "s3cret")
    url = index.url.replace("http://", "http://alice:s3cret@") + "/simple"
    assert mp.call(_install_and_count, ["private-pkg"], url) == ["private-pkg"]
    gets = [r for r in index.requests if r.method == "GET"]
    assert {r.status for r in gets} == {200}
    assert all(r.auth == ("alice", "s3cret") for r in gets)
    assert any(r.path.endswith(".whl") for r in gets)
