"""Where candidates come from: the Pyodide distribution's lockfile, installed distributions,
indexes.

Lockfile tests give micropip2 a synthetic pyodide-lock.json whose wheels the loopback server
serves, through ``PackageManager(pyodide_packages=...)``, inside real Pyodide.
"""

from __future__ import annotations

import hashlib

from tests.support.publish import publish
from tests.support.wheels import WheelSpec, build_wheel


def simple(server):
    return server.url + "/simple"


def lock_entry(server, name, version, depends=(), requires=(), *, missing=False):
    """Serve a wheel under /lock/ and describe it as a pyodide-lock.json package entry."""
    spec = WheelSpec(
        name=name,
        version=version,
        files={f"{name.replace('-', '_')}/__init__.py": f"VERSION = {version!r}\n"},
        requires_dist=list(requires),
    )
    data = build_wheel(spec)
    if not missing:
        server.add_file(f"lock/{spec.filename}", data)
    return {
        "name": name,
        "version": version,
        "file_name": spec.filename,
        "install_dir": "site",
        "sha256": hashlib.sha256(data).hexdigest(),
        "package_type": "package",
        "imports": [name.replace("-", "_")],
        "depends": list(depends),
    }


async def _with_lock(requirements, index, packages, base, dry_run=True, **kwargs):
    from micropip2 import PackageManager
    from micropip2.lockfiles.pyodide_packages import PyodidePackages

    manager = PackageManager(
        pyodide_packages=PyodidePackages.from_lock({"packages": packages}, base)
    )
    try:
        report = await manager.install(requirements, index_urls=[index], dry_run=dry_run, **kwargs)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return {
        item.name: [item.version, item.source]
        for item in (report.plan.changes if dry_run else report.installed)
    }


def test_lockfile_packages_are_preferred_and_need_no_index_request(mp, index_server):
    packages = {
        "pyd": lock_entry(index_server, "pyd", "2.0", depends=["tx"]),
        "tx": lock_entry(index_server, "tx", "4.15"),
    }
    publish(index_server, "pyd", "3.0", ["tx"])
    plan = mp.call(_with_lock, ["pyd"], simple(index_server), packages, index_server.url + "/lock/")
    assert plan == {"pyd": ["2.0", "lockfile"], "tx": ["4.15", "lockfile"]}
    assert index_server.count("/simple/*") == 0


def test_a_user_pin_is_never_overridden_by_a_lockfile_dependency(mp, index_server):
    # micropip#103: ["typing-extensions==4.10", "pydantic"] installed the lockfile's
    # typing-extensions
    packages = {
        "pyd": lock_entry(index_server, "pyd", "2.0", depends=["tx"]),
        "tx": lock_entry(index_server, "tx", "4.15"),
    }
    publish(index_server, "tx", "4.10")
    publish(index_server, "tx", "4.15")
    plan = mp.call(
        _with_lock, ["tx==4.10", "pyd"], simple(index_server), packages, index_server.url + "/lock/"
    )
    assert plan == {"pyd": ["2.0", "lockfile"], "tx": ["4.10", "index"]}


def test_an_index_version_asked_for_wins_over_the_lockfile(mp, index_server):
    packages = {"pyd": lock_entry(index_server, "pyd", "2.0")}
    publish(index_server, "pyd", "3.0")
    plan = mp.call(
        _with_lock, ["pyd>=3"], simple(index_server), packages, index_server.url + "/lock/"
    )
    assert plan == {"pyd": ["3.0", "index"]}


def test_extras_of_lockfile_packages_work(mp, index_server):
    # micropip#69: extras of lockfile packages were dropped; the lockfile names no extras, so
    # micropip2 reads the wheel's own METADATA when extras are asked for
    packages = {
        "pyd": lock_entry(index_server, "pyd", "2.0", requires=['emailer>=1; extra == "email"'])
    }
    publish(index_server, "emailer", "1.0")
    plan = mp.call(
        _with_lock, ["pyd[email]"], simple(index_server), packages, index_server.url + "/lock/"
    )
    assert plan == {"pyd": ["2.0", "lockfile"], "emailer": ["1.0", "index"]}


def test_a_lockfile_package_that_fails_to_download_is_an_error(mp, index_server):
    packages = {"ghost": lock_entry(index_server, "ghost", "1.0", missing=True)}
    message = mp.call(
        _with_lock,
        ["ghost"],
        simple(index_server),
        packages,
        index_server.url + "/lock/",
        dry_run=False,
    )
    assert (
        message.startswith("DownloadError")
        and "ghost-1.0-py3-none-any.whl" in message
        and "404" in message
    )


def test_lockfile_packages_install_and_import(mp, index_server):
    packages = {
        "pyd": lock_entry(index_server, "pyd", "2.0", depends=["tx"]),
        "tx": lock_entry(index_server, "tx", "4.15"),
    }
    installed = mp.call(
        _with_lock,
        ["pyd"],
        simple(index_server),
        packages,
        index_server.url + "/lock/",
        dry_run=False,
    )
    assert installed == {"pyd": ["2.0", "lockfile"], "tx": ["4.15", "lockfile"]}
    assert mp.run("import pyd, tx; [pyd.VERSION, tx.VERSION]") == ["2.0", "4.15"]


# -- keep_going, installed distributions, reporting ----------------------------------------------


async def _failure(requirements, index, **kwargs):
    import micropip2

    try:
        await micropip2.install(requirements, index_urls=[index], dry_run=True, **kwargs)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return "no error"


def test_keep_going_reports_every_missing_package_at_once(mp, index_server):
    publish(index_server, "needy", "1.0", ["absent-one", "absent-two>=5"])
    publish(index_server, "absent-two", "1.0")
    message = mp.call(_failure, ["needy", "absent-three"], simple(index_server), keep_going=True)
    for name in ("absent-one", "absent-two", "absent-three"):
        assert name in message.split("nothing satisfies the requirements on", 1)[1].splitlines()[0]
    assert "absent-two>=5 (required by needy 1.0)" in message
    assert "compatible versions on the index: 1.0" in message


async def _upgrade_loaded(index, old_url):
    import micropip2

    await micropip2.install(old_url)
    import upgradable  # noqa: F401 - now it is loaded

    report = await micropip2.install("upgradable>=2", index_urls=[index])
    return report.warnings


def test_upgrading_an_imported_package_is_reported(mp, index_server):
    old = publish(index_server, "upgradable", "1.0")
    publish(index_server, "upgradable", "2.0")
    warnings = mp.call(_upgrade_loaded, simple(index_server), old)
    assert warnings == [
        "upgradable 1.0 was already imported; the running program keeps using it until "
        "restarted, although 2.0 is now installed"
    ]


async def _upgrade_by_name(index, old_url):
    import importlib.metadata

    import micropip2

    await micropip2.install(old_url)
    report = await micropip2.install("upgradable>=2", index_urls=[index])
    return [
        importlib.metadata.version("upgradable"),
        [i.version for i in report.installed],
        report.warnings,
    ]


def test_a_requirement_the_installed_version_does_not_meet_upgrades_it(mp, index_server):
    old = publish(index_server, "upgradable", "1.0")
    publish(index_server, "upgradable", "2.0")
    assert mp.call(_upgrade_by_name, simple(index_server), old) == ["2.0", ["2.0"], []]


async def _own_dependency_then_more(index):
    import micropip2

    await micropip2.install(["resolvelib==0.1", "attrs==1.0"], index_urls=[index], reinstall=True)
    import importlib.metadata

    versions = [importlib.metadata.version("resolvelib"), importlib.metadata.version("attrs")]
    await micropip2.install(
        "after-that", index_urls=[index]
    )  # micropip2 still resolves and installs
    import after_that

    return versions + [after_that.VERSION]


def test_the_installers_own_dependencies_do_not_constrain_the_user(mp, index_server):
    publish(index_server, "resolvelib", "0.1")
    publish(index_server, "attrs", "1.0")
    publish(index_server, "after-that", "1.0", ["attrs"])
    assert mp.call(_own_dependency_then_more, simple(index_server)) == ["0.1", "1.0", "1.0"]


async def _verbose(index):
    import micropip2

    await micropip2.install("chatty", index_urls=[index], verbose=True)


def test_verbose_prints_pip_like_progress(mp, index_server):
    publish(index_server, "chatty", "1.0")
    mp.call(_verbose, simple(index_server))
    out = mp.last_stdout
    assert "Collected chatty 1.0 from index" in out
    assert "Successfully installed chatty-1.0" in out


def test_a_binary_package_only_built_for_the_other_platform_year_is_reported_as_such(
    mp, index_server
):
    from pathlib import Path

    other = {"2026_0": "2025_0", "2025_0": "2026_0"}[mp.abi_version]
    wheels = Path(__file__).resolve().parent.parent / "build" / "wheels"
    index_server.add_wheel(wheels / f"uuid_utils-1.2.0-cp310-abi3-pyemscripten_{other}_wasm32.whl")
    message = mp.call(_failure, ["uuid-utils"], simple(index_server))
    assert "ResolutionError" in message
    assert (
        f"uuid_utils-1.2.0-cp310-abi3-pyemscripten_{other}_wasm32.whl: abi3 wheel built for "
        f"platform {other}" in message
    )
    assert "the index has no wheel of uuid-utils that fits" in message


# -- lockfile entries that are not wheels ----------------------------------------------------------


async def _install_shared_library(break_it):
    import pyodide_js

    import micropip2

    if break_it:  # point the distribution's entry at a file that is not there
        getattr(
            pyodide_js._api.lockfile_packages, "libblosc2-test"
        ).file_name = "libblosc2-test-missing.zip"
    try:
        report = await micropip2.install("libblosc2-test")
    except Exception as exc:
        return {
            "error": f"{type(exc).__name__}: {exc}",
            "loaded": "libblosc2-test" in pyodide_js.loadedPackages.to_py(),
        }
    libraries = [
        p for p in pyodide_js._module.LDSO.loadedLibsByName.to_py() if p.endswith("libblosc2.so")
    ]
    return {
        "installed": [[i.name, i.version, i.source] for i in report.installed],
        "loaded": "libblosc2-test" in pyodide_js.loadedPackages.to_py(),
        "libraries": libraries,
    }


def test_a_shared_library_of_the_distribution_is_loaded_by_pyodide(mp):
    # the test dists carry a shared_library entry (a zip of blosc2's real WebAssembly libblosc2.so)
    got = mp.call(_install_shared_library, False)
    assert got["installed"] == [["libblosc2-test", "2.0", "lockfile"]]
    assert got["loaded"]
    assert got["libraries"] == ["/usr/lib/libblosc2.so"]


def test_a_shared_library_that_fails_to_load_is_an_error_not_a_log_line(mp):
    got = mp.call(_install_shared_library, True)
    assert got["error"].startswith(
        "DownloadError: Pyodide could not load libblosc2-test from its distribution"
    )
    assert not got["loaded"]
