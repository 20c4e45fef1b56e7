"""Installing wheels by URL or path inside real Pyodide: placement, metadata, shared libraries,
list, uninstall."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.wheels import WheelSpec, build_wheel, simple_wheel

WHEELS = Path(__file__).resolve().parent.parent / "build" / "wheels"
OTHER_YEAR = {"2026_0": "2025_0", "2025_0": "2026_0"}


def _real_wheel(server, filename: str) -> str:
    return server.add_wheel(WHEELS / filename)


async def _install(requirements, **kwargs):
    import micropip2

    return str(await micropip2.install(requirements, **kwargs))


# -- real binary wheels ----------------------------------------------------------------------


async def _install_and_use_uuid_utils(url):
    import micropip2

    await micropip2.install(url, deps=False)
    import pyodide_js
    import uuid_utils

    value = uuid_utils.uuid7()
    return {
        "text": str(value),
        "version": value.version,
        "loaded": pyodide_js.loadedPackages.to_py().get("uuid_utils"),
    }


@pytest.mark.smoke
def test_abi3_binary_wheel_for_this_platform_year_installs_and_imports(mp, index_server):
    url = _real_wheel(
        index_server, f"uuid_utils-1.2.0-cp310-abi3-pyemscripten_{mp.abi_version}_wasm32.whl"
    )
    got = mp.call(_install_and_use_uuid_utils, url)
    assert got["version"] == 7 and len(got["text"]) == 36
    assert got["loaded"] == url


async def _install_and_use_librt(url):
    import micropip2

    await micropip2.install(url, deps=False)
    import librt.base64

    return librt.base64.b64encode(b"micropip2").decode()


def test_cpython_specific_binary_wheel_installs_and_works(mp, index_server):
    py = mp.python.replace(".", "")
    url = _real_wheel(
        index_server, f"librt-0.16.0-cp{py}-cp{py}-pyemscripten_{mp.abi_version}_wasm32.whl"
    )
    assert mp.call(_install_and_use_librt, url) == "bWljcm9waXAy"


async def _install_and_list_loaded_libraries(url):
    import pyodide_js

    import micropip2

    await micropip2.install(url, deps=False)
    return sorted(
        path for path in pyodide_js._module.LDSO.loadedLibsByName.to_py() if "blosc2" in path
    )


def test_every_shared_library_of_a_binary_wheel_is_loaded_at_install(mp, index_server):
    # blosc2's extension modules link against the vendored blosc2/lib/libblosc2.so
    url = _real_wheel(
        index_server, f"blosc2-4.14.1-cp311-abi3-pyemscripten_{mp.abi_version}_wasm32.whl"
    )
    loaded = [
        path.rsplit("site-packages/", 1)[1]
        for path in mp.call(_install_and_list_loaded_libraries, url)
    ]
    assert loaded == [
        "blosc2/blosc2_ext.abi3.so",
        "blosc2/groupby_ext.abi3.so",
        "blosc2/indexing_ext.abi3.so",
        "blosc2/lib/libblosc2.so",
        "blosc2/utf8_ext.abi3.so",
    ]


def test_binary_wheel_for_the_other_platform_year_is_rejected_before_download(mp, index_server):
    other = OTHER_YEAR[mp.abi_version]
    url = _real_wheel(index_server, f"uuid_utils-1.2.0-cp310-abi3-pyemscripten_{other}_wasm32.whl")
    got = mp.call(_error_of, url)
    assert got["type"] == "IncompatibleWheelError"
    assert f"abi3 wheel built for platform {other}" in got["message"]
    assert f"pyemscripten_{mp.abi_version}_wasm32" in got["message"]
    assert got["changed"] == ""
    assert index_server.count("/files/uuid_utils*") == 0


async def _error_of(requirement, **kwargs):
    from mp2test import install_error

    return await install_error(requirement, **kwargs)


# -- what an install writes ------------------------------------------------------------------


async def _installed_facts(requirement, name, **kwargs):
    import base64
    import hashlib
    import importlib
    import importlib.metadata
    import json
    import os

    import micropip2

    await micropip2.install(requirement, **kwargs)
    dist = importlib.metadata.distribution(name)
    base = dist.locate_file("")
    record_ok = []
    for entry in dist.files:
        path = os.path.normpath(str(dist.locate_file(entry)))
        if entry.hash is None:
            record_ok.append((str(entry), os.path.exists(path)))
            continue
        data = open(path, "rb").read()
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record_ok.append((str(entry), digest == entry.hash.value and entry.size == len(data)))
    module = importlib.import_module(name.replace("-", "_"))
    return {
        "installer": dist.read_text("INSTALLER"),
        "requested": dist.read_text("REQUESTED") is not None,
        "direct_url": json.loads(dist.read_text("direct_url.json") or "null"),
        "record": record_ok,
        "value": getattr(module, "VALUE", None),
        "base": str(base),
    }


@pytest.mark.smoke
def test_url_install_writes_installer_requested_direct_url_and_a_true_record(mp, index_server):
    filename, data = simple_wheel(
        "alpha", files={"alpha/__init__.py": "VALUE = 42\n", "alpha/sub/x.py": ""}
    )
    url = index_server.add_file(f"w/{filename}", data)
    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    got = mp.call(_installed_facts, f"{url}#sha256={sha}", "alpha")
    assert got["installer"] == "micropip2\n"
    assert got["requested"]
    assert got["direct_url"] == {"url": url, "archive_info": {"hashes": {"sha256": sha}}}
    assert got["value"] == 42
    names = {name for name, _ in got["record"]}
    assert {
        "alpha/__init__.py",
        "alpha/sub/x.py",
        "alpha-1.0.dist-info/INSTALLER",
        "alpha-1.0.dist-info/REQUESTED",
        "alpha-1.0.dist-info/direct_url.json",
        "alpha-1.0.dist-info/RECORD",
        "alpha-1.0.dist-info/METADATA",
    } <= names
    assert all(ok for _, ok in got["record"]), got["record"]


def test_name_at_url_with_a_caller_given_hash(mp, index_server):
    filename, data = simple_wheel("alpha", files={"alpha/__init__.py": "VALUE = 7\n"})
    url = index_server.add_file(f"w/{filename}", data)
    import hashlib

    got = mp.call(
        _installed_facts, f"alpha @ {url}", "alpha", hashes={url: hashlib.sha256(data).hexdigest()}
    )
    assert got["value"] == 7


def test_a_caller_given_hash_that_does_not_match_installs_nothing(mp, index_server):
    filename, data = simple_wheel("alpha")
    url = index_server.add_file(f"w/{filename}", data)
    got = mp.call(_error_of, url, hashes={"alpha": "ab" * 32})
    assert got["type"] == "HashMismatchError" and "ab" * 32 in got["message"]
    assert got["changed"] == ""


def test_name_at_url_must_match_the_wheel(mp, index_server):
    filename, data = simple_wheel("alpha")
    url = index_server.add_file(f"w/{filename}", data)
    got = mp.call(_error_of, f"beta @ {url}")
    assert got["type"] == "InvalidRequirementError" and "asks for beta" in got["message"]
    assert got["changed"] == ""
    assert index_server.count(f"/w/{filename}") == 0  # refused before any download


async def _install_from_emfs(data):
    import micropip2

    with open("/tmp/gamma-1.0-py3-none-any.whl", "wb") as handle:
        handle.write(bytes(data))
    await micropip2.install("emfs:/tmp/gamma-1.0-py3-none-any.whl")
    import importlib.metadata
    import json

    import gamma

    return [
        gamma.VERSION,
        json.loads(importlib.metadata.distribution("gamma").read_text("direct_url.json"))["url"],
    ]


def test_emfs_path_installs(mp):
    _, data = simple_wheel("gamma")
    assert mp.call(_install_from_emfs, list(data)) == [
        "1.0",
        "file:///tmp/gamma-1.0-py3-none-any.whl",
    ]


async def _import_after(requirement, module):
    import importlib

    import micropip2

    await micropip2.install(requirement)
    return importlib.import_module(module).VERSION


@pytest.mark.smoke
def test_file_url_reads_the_host_file_on_node_and_is_refused_clearly_in_a_browser(mp, tmp_path):
    filename, data = simple_wheel("delta")
    (tmp_path / filename).write_bytes(data)
    if mp.kind == "node":
        assert mp.call(_import_after, (tmp_path / filename).as_uri(), "delta") == "1.0"
    else:
        got = mp.call(_error_of, (tmp_path / filename).as_uri())
        assert (
            got["type"] == "DownloadError"
            and "a browser has no access to the host's files" in got["message"]
        )
        assert got["changed"] == ""


@pytest.mark.smoke
def test_relative_url_resolves_against_the_working_directory_on_node_and_the_page_in_a_browser(mp):
    if mp.kind == "node":
        cwd = Path(mp.run("import js; js.process.cwd()"))
        folder = cwd / "build" / "relative-test"
        folder.mkdir(parents=True, exist_ok=True)
        filename, data = simple_wheel("epsilon")
        (folder / filename).write_bytes(data)
        try:
            assert mp.call(_import_after, f"build/relative-test/{filename}", "epsilon") == "1.0"
        finally:
            (folder / filename).unlink()
    else:
        # the harness page is /support/harness.html; the pinned wheels are under /wheels/
        assert (
            mp.call(_install_six_relative, "../wheels/six-1.17.0-py2.py3-none-any.whl") == "1.17.0"
        )


async def _install_six_relative(relative):
    import micropip2

    await micropip2.install(relative)
    import six

    return six.__version__


# -- scheme directories ----------------------------------------------------------------------


async def _install_data_wheel(url):
    import os
    import stat
    import sysconfig

    from mp2test import snapshot

    import micropip2

    before = snapshot()
    await micropip2.install(url)
    paths = sysconfig.get_paths()
    scripts = os.path.normpath(paths["scripts"].replace("//", "/"))
    include = os.path.normpath(paths["include"].replace("//", "/"))
    script = open(f"{scripts}/zeta-tool").read()
    facts = {
        "data": open("/share/zeta/readme.txt").read(),
        "script_first_line": script.splitlines()[0],
        "script_executable": bool(os.stat(f"{scripts}/zeta-tool").st_mode & stat.S_IXUSR),
        "header": open(f"{include}/zeta/zeta.h").read(),
    }
    removed = micropip2.uninstall("zeta")
    after = snapshot()
    from mp2test import diff

    facts["removed"] = removed
    facts["leftover"] = diff(before, after)
    return facts


def test_data_scripts_and_headers_go_to_their_scheme_and_uninstall_leaves_nothing(mp, index_server):
    spec = WheelSpec(
        name="zeta",
        files={
            "zeta/__init__.py": "",
            "zeta-1.0.data/data/share/zeta/readme.txt": "read me",
            "zeta-1.0.data/scripts/zeta-tool": "#!python\nimport zeta\n",
            "zeta-1.0.data/headers/zeta.h": "int zeta;",
        },
    )
    url = index_server.add_file(f"w/{spec.filename}", build_wheel(spec))
    got = mp.call(_install_data_wheel, url)
    assert got["data"] == "read me"
    assert got["script_first_line"].startswith("#!") and got["script_first_line"] != "#!python"
    assert got["script_executable"]
    assert got["header"] == "int zeta;"
    assert got["removed"] == ["zeta"]
    assert got["leftover"] == ""


# -- versions already installed --------------------------------------------------------------


async def _reinstall_story(v1, v2):
    import importlib.metadata
    import os

    from mp2test import install_error

    import micropip2

    await micropip2.install(v1)
    only_in_v1 = os.path.exists(importlib.metadata.distribution("eta").locate_file("eta/old.py"))
    refused = await install_error(v2)
    same_again = str(await micropip2.install(v1))
    await micropip2.install(v2, reinstall=True)
    dist = importlib.metadata.distribution("eta")
    import pyodide_js

    return {
        "only_in_v1_before": only_in_v1,
        "refused": refused,
        "same_again": same_again,
        "version_after": dist.version,
        "old_file_after": os.path.exists(dist.locate_file("eta/old.py")),
        "dist_infos": sorted(p for p in os.listdir(dist.locate_file("")) if p.startswith("eta-")),
        "loaded": pyodide_js.loadedPackages.to_py().get("eta"),
    }


def test_other_version_needs_reinstall_and_replaces_cleanly(mp, index_server):
    f1, d1 = simple_wheel(
        "eta", "1.0", files={"eta/__init__.py": "VERSION = '1.0'\n", "eta/old.py": ""}
    )
    f2, d2 = simple_wheel("eta", "2.0")
    v1, v2 = index_server.add_file(f"w/{f1}", d1), index_server.add_file(f"w/{f2}", d2)
    got = mp.call(_reinstall_story, v1, v2)
    assert got["only_in_v1_before"]
    assert got["refused"]["type"] == "InstallConflictError"
    assert (
        "eta 1.0 is installed" in got["refused"]["message"]
        and "reinstall=True" in got["refused"]["message"]
    )
    assert got["refused"]["changed"] == ""
    assert "already satisfied: eta==1.0" in got["same_again"]
    assert got["version_after"] == "2.0"
    assert not got["old_file_after"]
    assert got["dist_infos"] == ["eta-2.0.dist-info"]
    assert got["loaded"] == v2


def test_a_file_owned_by_another_distribution_is_not_overwritten(mp, index_server):
    fa, da = simple_wheel("owner", files={"shared_mod.py": "A = 1\n"})
    fb, db = simple_wheel("intruder", files={"shared_mod.py": "B = 1\n"})
    mp.call(_install, index_server.add_file(f"w/{fa}", da))
    got = mp.call(_error_of, index_server.add_file(f"w/{fb}", db))
    assert got["type"] == "InstallConflictError"
    assert (
        "shared_mod.py" in got["message"] and "belongs to the installed owner 1.0" in got["message"]
    )
    assert got["changed"] == ""


# -- dependencies of wheels given by URL --------------------------------------------------------


def test_a_dependency_no_index_has_fails_the_install_and_nothing_is_installed(mp, index_server):
    filename, data = simple_wheel(
        "theta", requires_dist=["not-installed-thing>=2", "win-only; sys_platform == 'win32'"]
    )
    url = index_server.add_file(f"w/{filename}", data)
    got = mp.call(_error_of, url, index_urls=[index_server.url + "/simple"])
    assert got["type"] == "ResolutionError"
    assert "not-installed-thing>=2 (required by theta 1.0)" in got["message"]
    assert "no index has a project named 'not-installed-thing'" in got["message"]
    assert "win-only" not in got["message"]
    assert got["changed"] == ""


def test_dependencies_met_by_installed_packages_or_by_the_same_call(mp, index_server):
    fi, di = simple_wheel("iota", requires_dist=["packaging>=20", "kappa==1.0"])
    fk, dk = simple_wheel("kappa")
    urls = [index_server.add_file(f"w/{fi}", di), index_server.add_file(f"w/{fk}", dk)]
    assert "installed iota 1.0" in mp.call(
        _install, urls, index_urls=[index_server.url + "/simple"]
    )
    assert index_server.count("/simple/*") == 0  # everything was known locally


def test_deps_false_skips_dependencies(mp, index_server):
    filename, data = simple_wheel("lambda-pkg", requires_dist=["not-installed-thing"])
    assert "installed lambda-pkg 1.0" in mp.call(
        _install, index_server.add_file(f"w/{filename}", data), deps=False
    )


def test_by_name_requirement_already_installed_is_satisfied_without_asking_the_index(
    mp, index_server
):
    report = mp.call(_install, "packaging", index_urls=[index_server.url + "/simple"])
    assert "already satisfied: packaging==" in report
    assert index_server.count("/*") == 0


# -- list and uninstall ----------------------------------------------------------------------


async def _list_after_install(url):
    import micropip2

    await micropip2.install(url)
    listing = micropip2.list()
    return {name: [p.name, p.version, p.source] for name, p in listing.items()} | {
        "__str__": str(listing)
    }


@pytest.mark.smoke
def test_list_shows_every_distribution_with_its_source(mp, index_server):
    filename, data = simple_wheel("mu")
    url = index_server.add_file(f"w/{filename}", data)
    got = mp.call(_list_after_install, url)
    assert got["mu"] == ["mu", "1.0", f"url: {url}"]
    assert got["packaging"][2] == "pyodide distribution"
    assert got["micropip2"][2] == "pyodide distribution"
    assert "mu" in got["__str__"] and "Source" in got["__str__"]


async def _uninstall_story(url):
    import importlib.metadata
    import warnings

    import pyodide_js
    from mp2test import diff, snapshot

    import micropip2

    before = snapshot()
    await micropip2.install(url)
    loaded_during = "nu" in pyodide_js.loadedPackages.to_py()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        removed = micropip2.uninstall(["nu", "never-installed"])
    try:
        importlib.metadata.distribution("nu")
        still = True
    except importlib.metadata.PackageNotFoundError:
        still = False
    return {
        "removed": removed,
        "warnings": [str(w.message) for w in caught],
        "still_installed": still,
        "loaded_during": loaded_during,
        "loaded_after": "nu" in pyodide_js.loadedPackages.to_py(),
        "leftover": diff(before, snapshot()),
    }


def test_uninstall_removes_exactly_the_record_and_warns_on_unknown_names(mp, index_server):
    filename, data = simple_wheel("nu", files={"nu/__init__.py": "", "nu/deep/er/m.py": ""})
    got = mp.call(_uninstall_story, index_server.add_file(f"w/{filename}", data))
    assert got["removed"] == ["nu"]
    assert got["warnings"] == ["micropip2: 'never-installed' is not installed; skipped"]
    assert not got["still_installed"]
    assert got["loaded_during"] and not got["loaded_after"]
    assert got["leftover"] == ""


async def _tampered_uninstall(url):
    import importlib.metadata
    import sysconfig

    from mp2test import diff, snapshot

    import micropip2

    await micropip2.install(url)
    record = importlib.metadata.distribution("xi").locate_file("xi-1.0.dist-info/RECORD")
    stdlib_os = sysconfig.get_paths()["stdlib"].replace("//", "/") + "/os.py"
    with open(record, "a") as handle:
        handle.write(f"../../../../..{stdlib_os},,\n")
    before = snapshot()
    try:
        micropip2.uninstall("xi")
        error = None
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    return {"error": error, "changed": diff(before, snapshot())}


def test_uninstall_refuses_a_record_that_points_outside_the_environment(mp, index_server):
    filename, data = simple_wheel("xi")
    got = mp.call(_tampered_uninstall, index_server.add_file(f"w/{filename}", data))
    assert got["error"].startswith("UninstallError: refusing to uninstall xi 1.0")
    assert "outside the environment" in got["error"]
    assert got["changed"] == ""
