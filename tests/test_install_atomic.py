"""All or nothing: every bad wheel, failed download or failed load leaves the environment exactly as
it was.

Each check runs inside real Pyodide: a snapshot (path -> sha256 and mode of every file and
directory below the install roots, plus ``loadedPackages``) is taken before and after.
"""

from __future__ import annotations

import pytest

from tests.support.bad_wheels import bad_wheels
from tests.support.wheels import simple_wheel


async def _errors_for(cases):
    from mp2test import install_error

    return {case_id: await install_error(url, deps=False) for case_id, url in cases}


@pytest.mark.smoke
def test_every_bad_wheel_fails_clearly_and_changes_nothing(mp, index_server):
    # a distribution already installed, so that "nothing changed" covers existing files too
    filename, data = simple_wheel("keeper", "1.0")
    mp.call(_install, index_server.add_file(f"ok/{filename}", data))
    corpus = bad_wheels()
    urls = [
        (case.id, index_server.add_file(f"bad/{case.id}/{case.filename}", case.data))
        for case in corpus
    ]
    results = mp.call(_errors_for, urls)
    problems = []
    for case in corpus:
        got = results[case.id]
        if got["type"] != case.error or case.fragment not in got["message"]:
            problems.append(
                f"{case.id}: expected {case.error} with {case.fragment!r}, got {got['type']}: "
                f"{got['message']}"
            )
        if got["changed"]:
            problems.append(f"{case.id}: the environment changed:\n{got['changed']}")
    assert not problems, "\n".join(problems)


async def _install(*requirements, **kwargs):
    import micropip2

    report = await micropip2.install(list(requirements), **kwargs)
    return str(report)


async def _two_wheels_second_fails(good_url, bad_url):
    from mp2test import install_error

    return await install_error([good_url, bad_url], deps=False)


def test_a_failing_wheel_takes_the_good_one_down_with_it(mp, index_server):
    good = index_server.add_file("a/alpha-1.0-py3-none-any.whl", simple_wheel("alpha")[1])
    broken = next(c for c in bad_wheels() if c.id == "broken-wasm-library")
    bad = index_server.add_file(f"b/{broken.filename}", broken.data)
    got = mp.call(_two_wheels_second_fails, good, bad)
    assert got["type"] == "InstallFailedError"
    assert (
        "demo-1.0-py3-none-any.whl" in got["message"] and "load shared libraries" in got["message"]
    )
    assert got["changed"] == ""


def test_a_failed_download_installs_nothing(mp, index_server):
    good = index_server.add_file("a/alpha-1.0-py3-none-any.whl", simple_wheel("alpha")[1])
    missing = index_server.url + "/nowhere/beta-1.0-py3-none-any.whl"
    got = mp.call(_two_wheels_second_fails, good, missing)
    assert got["type"] == "DownloadError"
    assert "404" in got["message"] and "beta-1.0-py3-none-any.whl" in got["message"]
    assert got["changed"] == ""


def test_a_server_error_page_is_not_unzipped(mp, index_server):
    url = index_server.add_file("a/alpha-1.0-py3-none-any.whl", simple_wheel("alpha")[1])
    index_server.fail("/a/*", status=503)
    got = mp.call(_two_wheels_second_fails, url, url)
    assert got["type"] == "DownloadError" and "503" in got["message"]
    assert got["changed"] == ""


def test_a_wrong_sha256_in_the_url_installs_nothing(mp, index_server):
    url = index_server.add_file("a/alpha-1.0-py3-none-any.whl", simple_wheel("alpha")[1])
    got = mp.call(
        _two_wheels_second_fails, url.replace("alpha", "alpha"), url + "#sha256=" + "0" * 64
    )
    assert got["type"] == "HashMismatchError"
    assert "alpha-1.0-py3-none-any.whl" in got["message"] and "0" * 64 in got["message"]
    assert got["changed"] == ""


def test_a_cut_download_is_caught_by_the_hash(mp, index_server):
    filename, data = simple_wheel("alpha", files={"alpha/__init__.py": "x = 1\n" * 5000})
    url = index_server.add_file(f"a/{filename}", data)
    index_server.truncate("/a/*", len(data) // 2)
    got = mp.call(_two_wheels_second_fails, url, url)
    assert got["type"] == "InvalidWheelError" and "not a readable zip archive" in got["message"]
    assert got["changed"] == ""


async def _write_fails_midway(good_url, blocked_url):
    import os
    import site

    from mp2test import install_error

    # a directory where the second wheel wants to write a file: the write step fails after
    # the first wheel's files are already on disk
    os.makedirs(os.path.join(site.getsitepackages()[0], "blocked", "__init__.py", "inner"))
    return await install_error([good_url, blocked_url], deps=False)


def test_a_write_that_fails_midway_is_rolled_back(mp, index_server):
    good = index_server.add_file("a/alpha-1.0-py3-none-any.whl", simple_wheel("alpha")[1])
    blocked = index_server.add_file("b/blocked-1.0-py3-none-any.whl", simple_wheel("blocked")[1])
    got = mp.call(_write_fails_midway, good, blocked)
    assert got["type"] == "InstallFailedError"
    assert "blocked-1.0-py3-none-any.whl" in got["message"] and "write files" in got["message"]
    assert "the environment is as it was" in got["message"]
    assert got["changed"] == ""
