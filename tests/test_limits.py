"""Resource limits and uninstall cost, inside Pyodide (issue 13, item 4).

Each hostile file of the issue is reproduced: a 1.5 MB wheel inflating to 1.5 GB, a wheel 3,000
directories deep, a 300-character file name, a 50 MB ``.metadata`` of a million requirements.
Each must fail with :class:`~micropip2.errors.LimitExceededError` naming the limit and how to
raise it, before anything is inflated or parsed, leaving every file below the install roots and
``loadedPackages`` as they were. Uninstalling 20,000 files must remove exactly them.
The pure rules are also tested on the host: tests/test_limits_host.py.
"""

from __future__ import annotations

import functools
import json

from tests.support.bad_wheels import (
    deep_wheel,
    long_name_wheel,
    many_members_wheel,
    requirements_metadata,
    with_declared_size,
    zeros_wheel,
)
from tests.support.wheels import WheelSpec, build_wheel, simple_wheel

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


@functools.cache
def _bomb() -> tuple[str, bytes]:
    """The issue's zip bomb: 1.5 GB of zeros in about 1.5 MB (built once: 5 s)."""
    return zeros_wheel(1_500_000_000)


async def _refusals(urls):
    """Install each URL expecting failure; also the growth of the WebAssembly heap, which never
    shrinks, so it bounds the peak memory of the attempt."""
    import pyodide_js
    from mp2test import install_error

    import micropip2

    results = {}
    for case, url in urls.items():
        heap = pyodide_js._module.HEAP8.length
        results[case] = await install_error(url)
        results[case]["heap_growth"] = pyodide_js._module.HEAP8.length - heap
        results[case]["still_listed"] = case in micropip2.list()
    return results


def _assert_limit(result, limit, filename):
    assert result["type"] == "LimitExceededError", result
    message = result["message"]
    assert filename in message and f"({limit})" in message, message
    assert f"micropip2.limits.set_limits({limit}=" in message, message
    assert "before being unpacked or parsed" in message, message
    assert result["changed"] == "", result["changed"]


def test_zip_bombs_and_lying_sizes_are_refused_before_inflating(mp, index_server):
    bomb_name, bomb = _bomb()
    ratio_name, ratio_bomb = zeros_wheel(200 << 20, name="ratio")  # 200 MiB in about 200 KB
    liar_name, liar = zeros_wheel(200 << 20, name="liar")
    liar = with_declared_size(liar, "demo/zeros.bin", 100)  # the directory says 100 bytes
    urls = {
        "bomb": index_server.add_file(f"w/{bomb_name}", bomb),
        "ratio": index_server.add_file(f"w/{ratio_name}", ratio_bomb),
        "liar": index_server.add_file(f"w/{liar_name}", liar),
    }

    got = mp.call(_refusals, urls, timeout=300)

    assert len(bomb) < 2_000_000
    _assert_limit(got["bomb"], "wheel_size", bomb_name)
    assert "is 1500000452 bytes (1430.5 MiB)" in got["bomb"]["message"]
    _assert_limit(got["ratio"], "compression_ratio", ratio_name)
    assert got["liar"]["type"] == "InvalidWheelError", got["liar"]
    assert "size or CRC-32 does not match" in got["liar"]["message"]
    assert got["liar"]["changed"] == ""
    print(json.dumps({case: result["heap_growth"] for case, result in got.items()}))
    for case, result in got.items():
        # before: a raw MemoryError after growing the heap to 2.8 GB
        assert result["heap_growth"] < 64 << 20, (case, result["heap_growth"])
        assert not result["still_listed"]


async def _shapes(refused, allowed, members_url):
    import importlib
    import os
    import sys

    from mp2test import environment_state, install_error

    import micropip2
    import micropip2.limits

    results = {case: await install_error(url) for case, url in refused.items()}

    micropip2.limits.set_limits(wheel_members=500)
    try:
        results["members"] = await install_error(members_url)
    finally:
        micropip2.limits.reset_limits()
    before = environment_state()
    await micropip2.install(members_url)  # the default limit admits it
    results["members_after_reset"] = "demo" in micropip2.list()
    micropip2.uninstall("demo")

    found = {}
    for case, (url, path) in allowed.items():
        await micropip2.install(url)
        site = next(p for p in sys.path if p.endswith("site-packages"))
        found[case] = os.path.isfile(os.path.join(site, path))
        if case == "long":  # (a chain of 60 namespace packages takes minutes to import on 3.13)
            importlib.invalidate_caches()
            found["imported"] = importlib.import_module("demo." + path[5:-3]).LONG
        micropip2.uninstall("demo")
    results["found"] = found
    results["changed"] = environment_state() != before
    return results


def test_deep_paths_long_names_and_many_members_are_refused_by_their_limit(mp, index_server):
    deep_name, deep = deep_wheel(3000)  # froze the interpreter for over 400 s
    long_name, long = long_name_wheel(300)  # installed, but could not be listed or imported
    spec = WheelSpec(files={"demo/__init__.py": "", ("demo/" + "p" * 250 + "/") * 5 + "x.py": ""})
    wide_name, wide = spec.filename, build_wheel(spec)
    members_name, members = many_members_wheel(501)
    ok_deep_name, ok_deep = deep_wheel(60)
    ok_long_name, ok_long = long_name_wheel(255)
    refused = {
        "path_depth": index_server.add_file(f"deep/{deep_name}", deep),
        "name_length": index_server.add_file(f"long/{long_name}", long),
        "path_length": index_server.add_file(f"wide/{wide_name}", wide),
    }
    allowed = {
        "deep": (
            index_server.add_file(f"okdeep/{ok_deep_name}", ok_deep),
            "demo/" + "d/" * 60 + "deep.py",
        ),
        "long": (
            index_server.add_file(f"oklong/{ok_long_name}", ok_long),
            "demo/" + "n" * 252 + ".py",
        ),
    }
    members_url = index_server.add_file(f"members/{members_name}", members)

    got = mp.call(_shapes, refused, allowed, members_url, timeout=300)

    for limit in refused:
        _assert_limit(got[limit], limit, "demo-1.0-py3-none-any.whl")
    assert "is 3002" in got["path_depth"]["message"]  # demo/ + 3000 + the file
    assert "is 300" in got["name_length"]["message"]
    _assert_limit(got["members"], "wheel_members", members_name)
    assert "is 501" in got["members"]["message"]
    assert got["members_after_reset"] is True
    assert got["found"] == {"deep": True, "long": True, "imported": 1}
    assert got["changed"] is False


async def _metadata_refusals(index_url, wheel_url):
    import time

    from mp2test import install_error

    results = {}
    for case, requirement in {"huge": "huge", "many": "many"}.items():
        started = time.perf_counter()
        results[case] = await install_error(requirement, index_urls=[index_url])
        results[case]["seconds"] = time.perf_counter() - started
    results["wheel"] = await install_error(wheel_url)
    return results


def test_oversized_metadata_is_refused_before_it_is_parsed(mp, index_server):
    huge = requirements_metadata(1_000_000, name="huge")  # 50 MB: blocked for 138 s
    many = requirements_metadata(20_000, name="many")  # 0.8 MB, but 20,000 requirements
    for name, metadata in {"huge": huge, "many": many}.items():
        filename, data = simple_wheel(name, "1.0")
        index_server.add_wheel(data, filename, metadata=metadata)
    spec = WheelSpec(name="fat", files={"fat/__init__.py": ""})
    spec.requires_dist = [f"dependency-number-{i}>=1.0" for i in range(300_000)]  # 11 MB
    fat = build_wheel(spec)
    wheel_url = index_server.add_file(f"w/{spec.filename}", fat)

    got = mp.call(_metadata_refusals, index_server.simple_url, wheel_url, timeout=300)

    assert len(huge) > 40_000_000
    _assert_limit(got["huge"], "metadata_size", "the metadata of huge-1.0-py3-none-any.whl")
    _assert_limit(got["many"], "requirements", "the metadata of many-1.0-py3-none-any.whl")
    assert "is 20000" in got["many"]["message"]
    _assert_limit(got["wheel"], "metadata_size", spec.filename)
    assert "fat-1.0.dist-info/METADATA" in got["wheel"]["message"]
    print(json.dumps({case: got[case]["seconds"] for case in ("huge", "many")}))


async def _install_and_uninstall_many(url, other_url):
    import os
    import sys
    import time

    from mp2test import environment_state, snapshot

    import micropip2

    await micropip2.install(other_url)  # shares the namespace directory "ns"
    before = environment_state()
    started = time.perf_counter()
    await micropip2.install(url)
    installed = time.perf_counter() - started
    site = next(p for p in sys.path if p.endswith("site-packages"))
    tag = sys.implementation.cache_tag
    # bytecode as the interpreter would leave it, and a file no RECORD lists
    cache = os.path.join(site, "ns", "big", "p0", "__pycache__")
    os.makedirs(cache)
    for name in (f"m0.{tag}.pyc", f"m0.{tag}.opt-1.pyc", f"m1.{tag}.pyc", f"dotted.name.{tag}.pyc"):
        open(os.path.join(cache, name), "wb").close()
    open(os.path.join(cache, f"m0x.{tag}.pyc"), "wb").close()  # not m0's: kept
    open(os.path.join(site, "ns", "big", "p1", "notes.txt"), "w").close()  # the user's: kept
    files_in_big = sum(len(f) for _, _, f in os.walk(os.path.join(site, "ns", "big")))
    started = time.perf_counter()
    removed = micropip2.uninstall("big")
    uninstalled = time.perf_counter() - started
    after = environment_state()
    left = sorted(os.path.relpath(p, site) for p in after["files"] if "/ns/big" in p)
    import ns.other  # type: ignore[import-not-found]

    outside_big = {k: v for k, v in after["files"].items() if "/ns/big" not in k}
    return {
        "removed": removed,
        "files_in_big": files_in_big,
        "left": left,
        "same_outside_big": outside_big == before["files"],
        "same_loaded": after["loaded"] == before["loaded"],
        "other": ns.other.VALUE,
        "snapshot_size": len(snapshot()),
        "seconds": {"install": installed, "uninstall": uninstalled},
    }


def test_uninstalling_20000_files_removes_exactly_them(mp, index_server):
    files = {f"ns/big/p{i // 1000}/m{i % 1000}.py": "" for i in range(20_000)}
    files["ns/big/p0/dotted.name.py"] = ""
    big = WheelSpec(name="big", files=files)
    other = WheelSpec(name="other", files={"ns/other/__init__.py": "VALUE = 7\n"})
    url = index_server.add_file(f"w/{big.filename}", build_wheel(big))
    other_url = index_server.add_file(f"w/{other.filename}", build_wheel(other))

    got = mp.call(_install_and_uninstall_many, url, other_url, timeout=600)

    assert got["removed"] == ["big"]
    assert got["files_in_big"] == 20_001 + 6  # the wheel's, 5 .pyc, notes.txt
    # left: what no RECORD lists, and the directories holding it; every other file and
    # directory of big is gone, and the rest of the environment is as before
    kept = [p for p in got["left"] if p.endswith((".pyc", ".txt"))]
    assert len(kept) == 2 and "/m0x.cpython-" in kept[0] and kept[1] == "ns/big/p1/notes.txt"
    assert sorted(set(got["left"]) - set(kept)) == [
        "ns/big",
        "ns/big/p0",
        "ns/big/p0/__pycache__",
        "ns/big/p1",
    ]
    assert got["same_outside_big"] and got["same_loaded"] and got["other"] == 7
    print(json.dumps(got["seconds"]))
