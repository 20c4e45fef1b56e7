"""Lockfiles: the formats on the host, and freeze / sync / install(lockfile=) in real Pyodide.

The round trips through a freshly booted runtime (Pyodide's own loadPackage, Chromium, the
Node folder layout) are in tests/test_lock_roundtrip.py.
"""

from __future__ import annotations

import hashlib
import json
import random
import tomllib
from dataclasses import replace

import pytest

from micropip2.lockfiles.errors import LockFormatError, LockMismatchError
from micropip2.lockfiles.fit import select, target_mismatches
from micropip2.lockfiles.load import parse_lock
from micropip2.lockfiles.model import Lock, LockedFile, LockEntry
from micropip2.lockfiles.render import render_lock
from micropip2.target import Target
from tests.support.publish import publish
from tests.support.pylock_check import checked_pylock
from tests.support.wheels import WheelSpec, build_wheel

T314 = Target.for_pyodide("314.0.7")
INFO_314 = {
    "abi_version": "2026_0",
    "arch": "wasm32",
    "platform": "emscripten_5_0_3",
    "python": "3.14.2",
}
INFO_0295 = {
    "abi_version": "2025_0",
    "arch": "wasm32",
    "platform": "emscripten_4_0_9",
    "python": "3.13.2",
}


def _entry(name, version, url, sha="ab" * 32, size=None, **kwargs):
    return LockEntry(
        name, name, version, (LockedFile(url, url.rsplit("/", 1)[-1], sha, size),), **kwargs
    )


def _lock(*entries, info=INFO_314):
    return Lock("pyodide-lock", info, tuple(entries))


# -- formats on the host ------------------------------------------------------------------------


def test_both_formats_round_trip_and_pyodide_lock_accepts_what_is_written():
    from pyodide_lock import PyodideLockSpec

    lock = _lock(
        _entry(
            "app",
            "1.0",
            "https://files.example/app-1.0-py3-none-any.whl",
            size=1234,
            depends=("lib",),
            imports=("app",),
        ),
        _entry(
            "lib", "2.0", "https://files.example/lib-2.0-cp314-abi3-pyemscripten_2026_0_wasm32.whl"
        ),
        _entry(
            "libfoo",
            "1.2",
            "https://files.example/libfoo-1.2.zip",
            package_type="shared_library",
            install_dir="dynlib",
        ),
    )
    as_json = render_lock(lock, "pyodide-lock", T314)
    spec = PyodideLockSpec.from_dict(json.loads(as_json))
    assert (
        spec.packages["app"].depends == ["lib"] and spec.packages["libfoo"].install_dir == "dynlib"
    )
    assert (
        spec.packages["app"].tool == {"micropip2": {"size": 1234}}
        and spec.packages["lib"].tool == {}
    )
    as_toml = render_lock(lock, "pylock", T314)
    doc = checked_pylock(as_toml)  # packaging's PEP 751 reader accepts it
    assert doc["lock-version"] == "1.0" and doc["requires-python"] == "==3.14.*"
    assert doc["packages"][1]["wheels"][0]["hashes"] == {"sha256": "ab" * 32}
    assert (
        doc["packages"][0]["wheels"][0]["size"] == 1234
        and "size" not in doc["packages"][1]["wheels"][0]
    )
    for text in (as_json, as_toml):
        again = parse_lock(text)
        assert again.packages == lock.packages and dict(again.info) == INFO_314


def test_a_base_url_makes_the_files_below_it_relative_and_reading_resolves_them_again():
    lock = _lock(
        _entry("app", "1.0", "https://cdn.example/app/app-1.0-py3-none-any.whl"),
        _entry("lib", "2.0", "https://elsewhere.example/lib-2.0-py3-none-any.whl"),
    )
    text = render_lock(lock, "pyodide-lock", T314, base_url="https://cdn.example/app")
    files = {k: v["file_name"] for k, v in json.loads(text)["packages"].items()}
    assert files == {
        "app": "app-1.0-py3-none-any.whl",
        "lib": "https://elsewhere.example/lib-2.0-py3-none-any.whl",
    }
    chosen = select(parse_lock(text, base_url="https://cdn.example/app/"), T314)
    assert [c.url for c in chosen] == [
        "https://cdn.example/app/app-1.0-py3-none-any.whl",
        "https://elsewhere.example/lib-2.0-py3-none-any.whl",
    ]


def test_a_lock_for_another_platform_year_or_python_is_refused_as_a_whole():
    lock = _lock(_entry("app", "1.0", "https://x/app-1.0-py3-none-any.whl"), info=INFO_0295)
    with pytest.raises(LockMismatchError, match=r"platform 2025_0 .*this is Pyodide 314.0.7"):
        select(lock, T314)
    pylock = parse_lock(render_lock(lock, "pylock", Target.for_pyodide("0.29.5")))
    with pytest.raises(LockMismatchError, match="2025_0"):
        select(pylock, T314)
    # every reason is found (lock --check lists them all); sync names the first
    assert target_mismatches(pylock, T314) == [
        "is for Pyodide platform 2025_0 (CPython 3.13.2)",
        "requires Python ==3.13.*",
        "is for the environments " + pylock.environments[0] + ", none of which holds here",
    ]
    no_info = replace(pylock, info=None, requires_python=None)
    with pytest.raises(
        LockMismatchError,
        match=r"is for the environments .*python_version == '3.13'.*, but this is",
    ):
        select(no_info, T314)


def test_pylock_markers_pick_packages_and_the_best_wheel_per_package():
    text = render_lock(
        _lock(_entry("app", "1.0", "https://x/app-1.0-py3-none-any.whl")), "pylock", T314
    )
    doc = tomllib.loads(text)
    del doc["tool"]  # a pylock.toml of another tool: no micropip2 target table
    doc["packages"][0]["wheels"] = [
        {
            "url": "https://x/app-1.0-cp313-cp313-pyemscripten_2025_0_wasm32.whl",
            "hashes": {"sha256": "11" * 32},
        },
        {
            "url": "https://x/app-1.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl",
            "hashes": {"sha256": "22" * 32},
        },
        {"url": "https://x/app-1.0-py3-none-any.whl", "hashes": {"sha256": "33" * 32}},
    ]
    doc["packages"].append(
        {
            "name": "winonly",
            "version": "1",
            "marker": "sys_platform == 'win32'",
            "wheels": [
                {"url": "https://x/winonly-1-py3-none-any.whl", "hashes": {"sha256": "44" * 32}}
            ],
        }
    )
    chosen = select(parse_lock(doc), T314)
    assert [(c.entry.name, c.file.sha256) for c in chosen] == [("app", "22" * 32)]


def test_a_package_with_no_usable_wheel_is_named_with_each_files_reason():
    lock = _lock(_entry("fast", "1.0", "https://x/fast-1.0-cp314-cp314-manylinux_2_17_x86_64.whl"))
    with pytest.raises(LockMismatchError) as info:
        select(lock, T314)
    assert "fast 1.0 has no file for this interpreter" in str(info.value)
    assert "manylinux" in str(info.value) and "Nothing was installed" in str(info.value)


def test_unreadable_locks_say_what_they_are():
    with pytest.raises(LockFormatError, match="neither a pylock.toml"):
        parse_lock('{"name": "x"}', source="lock.json")
    with pytest.raises(LockFormatError, match="not valid JSON"):
        parse_lock("{oops", source="lock.json")
    with pytest.raises(LockFormatError, match="installs wheels only"):
        parse_lock(
            'lock-version = "1.0"\ncreated-by = "x"\n[[packages]]\nname = "a"\n'
            '[packages.sdist]\nurl = "https://x/a.tar.gz"\nhashes = {sha256 = "00"}\n'
        )


# -- in Pyodide ---------------------------------------------------------------------------------


async def _install_and_freeze(index, fmt):
    import micropip2

    await micropip2.install("app", index_urls=[index])
    return micropip2.freeze(format=fmt)


async def _sync(lock, verbose=False):
    import importlib.metadata

    import micropip2

    report = await micropip2.sync(lock, verbose=verbose)
    versions = {d.metadata["Name"]: d.version for d in importlib.metadata.distributions()}
    return {
        "installed": [f"{i.name} {i.version}" for i in report.installed],
        "removed": [f"{i.name} {i.version}" for i in report.removed],
        "unchanged": len(report.unchanged),
        "versions": versions,
    }


async def _uninstall(names):
    import micropip2

    return micropip2.uninstall(names)


async def _install(req, index, **kwargs):
    import micropip2

    await micropip2.install(req, index_urls=[index], **kwargs)


def test_freeze_lists_every_installed_distribution_and_sync_restores_it(mp, index_server):
    from pyodide_lock import PyodideLockSpec

    app_url = publish(index_server, "app", "1.0", ["lib>=1"])
    lib_url = publish(index_server, "lib", "1.0")
    publish(index_server, "stray", "1.0")
    index = index_server.simple_url
    text = mp.call(_install_and_freeze, index, "pyodide-lock")
    spec = PyodideLockSpec.from_dict(json.loads(text))
    assert spec.info.abi_version == mp.abi_version
    assert spec.packages["app"].file_name == app_url and spec.packages["app"].depends == ["lib"]
    assert spec.packages["app"].imports == ["app"]
    served = hashlib.sha256(_served(index_server, "lib-1.0-py3-none-any.whl")).hexdigest()
    assert spec.packages["lib"].file_name == lib_url and spec.packages["lib"].sha256 == served
    assert spec.packages["lib"].tool == {
        "micropip2": {"size": len(_served(index_server, "lib-1.0-py3-none-any.whl"))}
    }
    # what Pyodide loaded from its distribution is there too, with the distribution's file
    assert (
        spec.packages["micropip2"].file_name.endswith(".whl")
        and spec.packages["packaging"].version == "26.2"
    )

    mp.call(_uninstall, ["lib"])
    mp.call(_install, "stray", index)
    index_server.clear_requests()
    result = mp.call(_sync, text)
    assert result["installed"] == ["lib 1.0"] and result["removed"] == ["stray 1.0"]
    assert result["versions"]["lib"] == "1.0" and "stray" not in result["versions"]
    assert [r.path for r in index_server.requests if r.method == "GET"] == [
        "/files/lib-1.0-py3-none-any.whl"
    ]

    pylock = mp.call(_install_and_freeze, index, "pylock")
    assert checked_pylock(pylock)["lock-version"] == "1.0"
    mp.call(_uninstall, ["app", "lib"])
    result = mp.call(_sync, pylock)
    assert sorted(result["installed"]) == ["app 1.0", "lib 1.0"] and result["removed"] == []


async def _sync_error(lock):
    import mp2test

    import micropip2

    before = mp2test.environment_state()
    try:
        await micropip2.sync(lock)
    except Exception as exc:
        after = mp2test.environment_state()
        return {
            "type": type(exc).__name__,
            "message": str(exc),
            "changed": mp2test.diff(before["files"], after["files"])
            or before["loaded"] != after["loaded"],
        }
    return {"type": None}


def _served(server, filename):
    return (server.root / "files" / filename).read_bytes()


def _server_lock(server, info, names, wrong=(), sized=()):
    packages = {}
    for name in names:
        filename = f"{name}-1.0-py3-none-any.whl"
        data = _served(server, filename)
        packages[name] = {
            "name": name,
            "version": "1.0",
            "file_name": server.url_for(filename),
            "install_dir": "site",
            "sha256": "0" * 64 if name in wrong else hashlib.sha256(data).hexdigest(),
            "package_type": "package",
            "imports": [name],
            "depends": [],
        }
        if name in sized:
            packages[name]["tool"] = {"micropip2": {"size": len(data)}}
    return {"info": info, "packages": packages}


def test_sync_with_one_wrong_hash_installs_nothing_and_names_the_wheel(mp, index_server):
    for name in ("one", "two", "three"):
        publish(index_server, name, "1.0")
    info = INFO_314 if mp.abi_version == "2026_0" else INFO_0295
    result = mp.call(
        _sync_error, _server_lock(index_server, info, ["one", "two", "three"], wrong={"two"})
    )
    assert result["type"] == "HashMismatchError"
    assert (
        "two 1.0 (two-1.0-py3-none-any.whl)" in result["message"] and "0" * 64 in result["message"]
    )
    assert result["changed"] is False or result["changed"] == ""


def test_sync_asks_for_files_of_unknown_size_first_then_the_largest(mp, index_server):
    for name, kilobytes in (("aa", 1), ("bb", 60), ("cc", 20), ("dd", 40)):
        noise = random.Random(name).randbytes(kilobytes * 1024).hex()  # does not compress
        spec = WheelSpec(
            name=name, version="1.0", files={f"{name}/__init__.py": f"NOISE = {noise!r}\n"}
        )
        index_server.add_wheel(build_wheel(spec), spec.filename)
    info = INFO_314 if mp.abi_version == "2026_0" else INFO_0295
    lock = _server_lock(index_server, info, ["aa", "bb", "cc", "dd"], sized={"aa", "bb", "cc"})
    assert mp.call(_sync, lock, True)["versions"]["bb"] == "1.0"
    asked = [
        line.rsplit("/", 1)[-1]
        for line in mp.last_stdout.splitlines()
        if line.startswith("Downloading ")
    ]
    assert asked == [f"{name}-1.0-py3-none-any.whl" for name in ("dd", "bb", "cc", "aa")]


def test_a_lock_for_the_other_platform_year_is_refused_before_any_download(mp, index_server):
    publish(index_server, "one", "1.0")
    other = INFO_0295 if mp.abi_version == "2026_0" else INFO_314
    index_server.clear_requests()
    result = mp.call(_sync_error, _server_lock(index_server, other, ["one"]))
    assert (
        result["type"] == "LockMismatchError"
        and f"platform {other['abi_version']}" in result["message"]
    )
    assert index_server.requests == [] and not result["changed"]


async def _plan_with_lock(index, lock):
    import micropip2

    report = await micropip2.install("app", index_urls=[index], lockfile=lock, dry_run=True)
    return {i.name: [i.version, i.source] for i in report.plan.changes}


def test_install_with_a_lockfile_prefers_its_pins_over_newer_index_versions(mp, index_server):
    publish(index_server, "app", "1.0", ["lib"])
    publish(index_server, "lib", "1.0")
    publish(index_server, "lib", "2.0")
    info = INFO_314 if mp.abi_version == "2026_0" else INFO_0295
    lock = _server_lock(index_server, info, ["lib"])
    assert mp.call(_plan_with_lock, index_server.simple_url, lock) == {
        "app": ["1.0", "index"],
        "lib": ["1.0", "lockfile"],
    }
    # a pin the request excludes is not forced: the index's version is used
    publish(index_server, "app", "2.0", ["lib>=2"])
    assert mp.call(_plan_with_lock, index_server.simple_url, lock) == {
        "app": ["2.0", "index"],
        "lib": ["2.0", "index"],
    }


def _unlisted_entry(server, name, requires):
    """A lock entry whose ``depends`` leaves out what its wheel requires (served, but on no
    index)."""
    spec = WheelSpec(
        name=name, version="1.0", files={f"{name}/__init__.py": ""}, requires_dist=requires
    )
    data = build_wheel(spec)
    return {
        "name": name,
        "version": "1.0",
        "file_name": server.add_file(f"unlisted/{spec.filename}", data),
        "install_dir": "site",
        "sha256": hashlib.sha256(data).hexdigest(),
        "package_type": "package",
        "imports": [name],
        "depends": [],
    }


async def _install_with_lock(req, index, lock, keep_going=False):
    import importlib.metadata
    import warnings

    import micropip2

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = await micropip2.install(
            req, index_urls=[index], lockfile=lock, keep_going=keep_going
        )
    return {
        "plan": {i.name: [i.version, i.source] for i in report.plan.changes},
        "warnings": report.warnings,
        "warned": [str(w.message) for w in caught],
        "lib": importlib.metadata.version("lib")
        if any(d.metadata["Name"] == "lib" for d in importlib.metadata.distributions())
        else None,
    }


def test_what_a_lock_entry_leaves_out_of_its_wheels_requirements_is_installed_too(mp, index_server):
    """Pyodide 314's own lockfile lists rich with no depends; its wheel requires pygments and
    markdown-it-py."""
    publish(index_server, "lib", "1.0")
    info = INFO_314 if mp.abi_version == "2026_0" else INFO_0295
    lock = {
        "info": info,
        "packages": {
            "app": _unlisted_entry(index_server, "app", ["lib>=1", "other; extra == 'x'"])
        },
    }
    got = mp.call(_install_with_lock, "app", index_server.simple_url, lock)
    assert (
        got["plan"] == {"app": ["1.0", "lockfile"], "lib": ["1.0", "index"]} and got["lib"] == "1.0"
    )
    expected = (
        "lockfile entries leave out what their wheels require (app 1.0 requires lib>=1); "
        "they are installed as well"
    )
    assert got["warnings"] == [expected] and got["warned"] == ["micropip2.install: " + expected]


@pytest.mark.parametrize("keep_going", [False, True])
def test_a_left_out_requirement_that_cannot_be_met_is_named_and_the_rest_installed(
    keep_going, mp, index_server
):
    info = INFO_314 if mp.abi_version == "2026_0" else INFO_0295
    lock = {"info": info, "packages": {"app": _unlisted_entry(index_server, "app", ["nowhere>=2"])}}
    got = mp.call(_install_with_lock, "app", index_server.simple_url, lock, keep_going)
    assert got["plan"] == {"app": ["1.0", "lockfile"]}
    (warning,) = got["warnings"]
    assert warning.startswith(
        "lockfile entries leave out what their wheels require (app 1.0 requires nowhere>=2); "
        "no versions fit them together with the rest, so they are not installed:\n"
    )
    assert "nowhere" in warning.split("\n", 1)[1]
    assert got["warned"] == ["micropip2.install: " + warning]


async def _sync_from(where, text=None):
    import importlib.metadata
    import pathlib

    import micropip2

    if text is not None:  # a file in the Emscripten file system, given as a Path
        where = pathlib.Path(where)
        where.write_text(text)
    report = await micropip2.sync(where)
    return [f"{i.name} {i.version}" for i in report.installed], importlib.metadata.version("one")


def test_sync_takes_a_lock_url_with_relative_file_names_and_a_path(mp, index_server):
    publish(index_server, "one", "1.0")
    info = INFO_314 if mp.abi_version == "2026_0" else INFO_0295
    lock = _server_lock(index_server, info, ["one"])
    lock["packages"]["one"]["file_name"] = (
        "../files/one-1.0-py3-none-any.whl"  # relative to the lock's URL
    )
    url = index_server.add_file("locks/pyodide-lock.json", json.dumps(lock).encode())
    index_server.clear_requests()
    assert mp.call(_sync_from, url) == [["one 1.0"], "1.0"]
    assert [r.path for r in index_server.requests if r.method == "GET"] == [
        "/locks/pyodide-lock.json",
        "/files/one-1.0-py3-none-any.whl",
    ]
    mp.call(_uninstall, ["one"])
    pylock = render_lock(
        parse_lock(_server_lock(index_server, info, ["one"])), "pylock", Target.from_lock_info(info)
    )
    checked_pylock(pylock)
    assert mp.call(_sync_from, "/tmp/pylock.toml", pylock) == [["one 1.0"], "1.0"]
