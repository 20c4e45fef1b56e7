"""Getting micropip2 into a stock Pyodide: the bootstraps of docs/bootstrap.md, end to end.

Each runtime boots from its npm package's own ``pyodide-lock.json``, unchanged: it lists micropip
and packaging but none of resolvelib, pyodide-lock or cattrs (tests/support/stock.py; the few
wheels of that lock a bootstrap loads are PyPI's files under the lock's names, in
``build/stock/<version>/``). Nothing is loaded at boot. Then a documented bootstrap runs:

- way 1: ``loadPackage("micropip")``, then ``micropip.install("micropip2")`` from a package index
  (a loopback index with micropip2's wheel built from the working tree and the real PyPI wheels of
  its dependencies), once with that index given as ``index_urls`` (micropip asks the index first)
  and once as micropip's default index (micropip takes what the lock has from the lock, as it
  does with PyPI: the stock packaging);
- way 2: one ``loadPackage`` of the seven wheels' URLs, no micropip.

After it, micropip2 installs a real binary wheel (uuid-utils, from PyPI) from the index, and the
wheel imports and runs. Way 2 also runs in Chromium (a page served with the npm files); way 1
cannot there: a browser checks the lock's sha256 of micropip (Subresource Integrity), which only
Pyodide's own build of micropip has, and its CDN is not reachable here.
"""

from __future__ import annotations

import pytest

from tests.support import stock
from tests.support.pyodide_runtime import SUPPORT_DIR, WHEELS_DIR

NODE = ["node-314.0.7", "node-0.29.5"]
NOT_IN_STOCK = ("resolvelib", "pyodide-lock", "cattrs", "micropip2")


def _uuid_utils_wheel(version: str) -> str:
    year = "2026" if version.startswith("314.") else "2025"
    return f"uuid_utils-1.2.0-cp310-abi3-pyemscripten_{year}_0_wasm32.whl"


@pytest.fixture(scope="module")
def micropip2_wheel(static_server):  # static_server: this session's build is in place
    return stock.micropip2_wheel()


@pytest.fixture(scope="module")
def index(micropip2_wheel):
    """micropip2 and its dependencies, and uuid-utils (both platform years), PyPI's files."""
    server = stock.bootstrap_index(micropip2_wheel)
    try:
        for version in ("314.0.7", "0.29.5"):
            server.add_wheel(WHEELS_DIR / _uuid_utils_wheel(version))
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------------------
# in Pyodide


def _before():
    """The runtime as booted: the stock lock, nothing of micropip2's."""
    import importlib.util

    import pyodide_js

    lock = pyodide_js._api.lockfile_packages.to_py()
    return {
        "lock_names": sorted(lock),
        "loaded": sorted(pyodide_js.loadedPackages.object_keys()),
        "importable": [
            m for m in ("micropip", "micropip2", "resolvelib") if importlib.util.find_spec(m)
        ],
    }


async def _use_micropip2(index):
    """micropip2, just bootstrapped, installs a real binary wheel from the index."""
    import importlib.metadata as md

    import micropip2

    report = await micropip2.install("uuid-utils", index_urls=[index])
    import uuid_utils

    def provenance(name):
        d = md.distribution(name)
        return {"version": d.version, "installer": (d.read_text("INSTALLER") or "").strip()}

    return {
        "plan": [
            (i.name, i.version, i.action.value, i.source.value, i.filename)
            for i in report.plan.items
        ],
        "uuid7_version": uuid_utils.uuid7().version,
        "uuid_utils": provenance("uuid-utils"),
        "ours": {
            n: provenance(n)
            for n in (
                "micropip2",
                "packaging",
                "resolvelib",
                "pyodide-lock",
                "attrs",
                "cattrs",
                "typing-extensions",
            )
        },
    }


# --------------------------------------------------------------------------------------
# host side


def _boot_stock(new_runtime, ident: str):
    dist = stock.stock_dist(ident.split("-", 1)[1])
    rt = new_runtime(ident, **dist.runtime_options())
    before = rt.call(_before)
    lock = dist.lock()["packages"]
    # booted from the npm package's own lock: all its entries, none of micropip2's
    assert before["lock_names"] == sorted(lock)
    assert not set(NOT_IN_STOCK) & set(lock)
    assert before["loaded"] == [] and before["importable"] == []
    return rt, dist


def _check_micropip2_works(rt, index, version: str) -> dict:
    got = rt.call(_use_micropip2, index.url + "/simple")
    wheel = _uuid_utils_wheel(version)
    assert got["plan"] == [["uuid-utils", "1.2.0", "install", "index", wheel]]
    assert got["uuid_utils"] == {"version": "1.2.0", "installer": "micropip2"}
    assert got["uuid7_version"] == 7  # the Rust extension runs
    return got["ours"]


@pytest.mark.parametrize("ident", NODE)
@pytest.mark.parametrize("default_index", [False, True], ids=["index_urls", "default-index"])
def test_micropip_installs_micropip2_in_a_stock_pyodide(
    ident, default_index, new_runtime, index, micropip2_wheel
):
    rt, dist = _boot_stock(new_runtime, ident)
    try:
        boot = rt.call(stock.bootstrap_with_micropip, index.url + "/simple", default_index)
        assert boot["errors"] == [] and boot["module"] == "micropip2"
        ours = _check_micropip2_works(rt, index, dist.version)
    finally:
        rt.close()
    lock = dist.lock()["packages"]
    assert ours["micropip2"] == {"version": "0.1.0.dev0", "installer": "micropip"}
    for name in ("resolvelib", "pyodide-lock", "cattrs"):  # not in the lock: from the index
        assert ours[name]["installer"] == "micropip", name
    if default_index:
        # as with PyPI: micropip takes packaging from the lock (on 314.0.7 the stock packaging
        # 26.1, older than the index's 26.2), loaded by Pyodide; micropip2 works with it
        assert ours["packaging"] == {
            "version": lock["packaging"]["version"],
            "installer": "pyodide.loadPackage",
        }
    else:
        assert ours["packaging"] == {"version": "26.2", "installer": "micropip"}
    # cattrs 26.2.1 needs attrs>=25.4: never the 0.29.5 lock's attrs 25.2.0
    assert ours["attrs"]["version"] in {"25.4.0", "26.1.0"}


@pytest.mark.parametrize("ident", NODE)
def test_one_load_package_of_wheel_urls_bootstraps_micropip2(
    ident, new_runtime, index, micropip2_wheel
):
    rt, dist = _boot_stock(new_runtime, ident)
    urls = stock.bootstrap_urls(index, micropip2_wheel)
    assert len(urls) == 7
    try:
        boot = rt.call(stock.bootstrap_with_load_package, urls)
        assert boot["errors"] == [] and boot["module"] == "micropip2"
        ours = _check_micropip2_works(rt, index, dist.version)
    finally:
        rt.close()
    assert {n: p["installer"] for n, p in ours.items()} == dict.fromkeys(
        ours, "pyodide.loadPackage"
    )
    assert ours["packaging"]["version"] == "26.2" and ours["attrs"]["version"] == "26.1.0"


@pytest.mark.smoke
def test_one_load_package_of_wheel_urls_bootstraps_micropip2_in_chromium(
    new_runtime, index, micropip2_wheel
):
    dist = stock.stock_dist("314.0.7")
    # the page and the npm files from the index's origin (so the wheels are same-origin)
    base = index.mount("/dist/314.0.7", dist.npm_dir)
    index.mount("/support", SUPPORT_DIR)
    rt = new_runtime(
        "chrome-314.0.7",
        dist_dir=dist.npm_dir,
        base_url=base,
        server=index,
        lockfile="pyodide-lock.json",
        packages=(),
    )
    try:
        before = rt.call(_before)
        assert before["lock_names"] == sorted(dist.lock()["packages"])
        assert before["importable"] == []
        boot = rt.call(
            stock.bootstrap_with_load_package, stock.bootstrap_urls(index, micropip2_wheel)
        )
        assert boot["errors"] == [] and boot["module"] == "micropip2"
        _check_micropip2_works(rt, index, dist.version)
    finally:
        rt.close()
