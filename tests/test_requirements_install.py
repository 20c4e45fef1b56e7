"""``install(requirements_file=...)`` inside real Pyodide: a requirements file by URL, by path in
the Emscripten file system and as text, with nested ``-r``/``-c``, ``--index-url``, markers and
``--hash`` checking (a wrong or missing hash refuses the whole install, nothing changed)."""

from __future__ import annotations

import hashlib

from tests.support.wheels import WheelSpec, build_wheel


def _publish(server, name: str, version: str, requires: list[str] | None = None) -> str:
    """Publish ``name==version`` on the loopback index; returns the wheel's sha256."""
    module = name.replace("-", "_")
    spec = WheelSpec(
        name=name,
        version=version,
        files={f"{module}/__init__.py": f"VERSION = {version!r}\n"},
        requires_dist=list(requires or []),
    )
    data = build_wheel(spec)
    server.add_wheel(data, spec.filename)
    return hashlib.sha256(data).hexdigest()


async def _install_from_files(main_url, hashed_files, wrong_text, missing_text):
    import importlib.metadata
    import os

    from mp2test import diff, environment_state

    import micropip2

    def versions(*names):
        found = {}
        for name in names:
            try:
                found[name] = importlib.metadata.version(name)
            except importlib.metadata.PackageNotFoundError:
                found[name] = None
        return found

    # 1. by URL: --index-url in the file (the default index, PyPI, is not reachable), a nested
    # -r and -c relative to it, a marker that skips a line
    report = await micropip2.install(requirements_file=main_url)
    by_url = versions("pkg-m", "pkg-n", "not-here")
    requested = sorted(i.name for i in report.plan.changes if i.requested)

    # 2. by path in the Emscripten file system, with hashes (a continuation line, a nested file)
    os.makedirs("/tmp/reqs", exist_ok=True)
    for name, text in hashed_files.items():
        with open(f"/tmp/reqs/{name}", "w") as handle:
            handle.write(text)
    await micropip2.install(requirements_file="/tmp/reqs/hashed.txt")
    by_path = versions("pkg-h1", "pkg-h2")

    # 3. as text: a wrong hash, then a dependency without a hash; nothing changes either time
    refused = []
    for text in (wrong_text, missing_text):
        before = environment_state()
        try:
            await micropip2.install(requirements_file=text)
            refused.append({"type": None})
        except ValueError as error:
            refused.append(
                {
                    "type": type(error).__name__,
                    "message": str(error),
                    "changed": diff(before["files"], environment_state()["files"]),
                }
            )
    return {
        "by_url": by_url,
        "requested": requested,
        "by_path": by_path,
        "refused": refused,
        "after": versions("pkg-w", "pkg-x", "pkg-y"),
    }


def test_requirements_files_by_url_path_and_text_with_hash_checking(mp, index_server):
    _publish(index_server, "pkg-m", "1.0", ["pkg-n"])
    _publish(index_server, "pkg-n", "1.0")
    _publish(index_server, "pkg-n", "2.0")  # the constraint keeps it out
    h1 = _publish(index_server, "pkg-h1", "1.0", ["pkg-h2"])
    h2 = _publish(index_server, "pkg-h2", "1.0")
    _publish(index_server, "pkg-w", "1.0")
    x = _publish(index_server, "pkg-x", "1.0", ["pkg-y"])
    _publish(index_server, "pkg-y", "1.0")
    simple = index_server.simple_url
    main = index_server.add_file(
        "reqs/main.txt",
        (
            f"--index-url {simple}\n"
            "# the app\n"
            "pkg-m ; sys_platform == 'emscripten'\n"
            "not-here ; sys_platform == 'linux'  # skipped: not this platform\n"
            "-r nested/more.txt\n"
            "-c constraints.txt\n"
        ).encode(),
    )
    index_server.add_file("reqs/nested/more.txt", b"pkg-n>=1\n")
    index_server.add_file("reqs/constraints.txt", b"pkg-n<2\n")
    hashed_files = {
        "hashed.txt": f"--index-url {simple}\n-r deps.txt\npkg-h1==1.0 --hash=sha256:{h1}\n",
        "deps.txt": f"pkg-h2==1.0 \\\n    --hash=sha256:{'0' * 64} \\\n    --hash=sha256:{h2}\n",
    }
    wrong = f"--index-url {simple}\npkg-w==1.0 --hash=sha256:{'1' * 64}\n"
    missing = f"--index-url {simple}\npkg-x==1.0 --hash=sha256:{x}\n"

    got = mp.call(_install_from_files, main, hashed_files, wrong, missing)

    assert got["by_url"] == {"pkg-m": "1.0", "pkg-n": "1.0", "not-here": None}
    assert got["requested"] == ["pkg-m", "pkg-n"]
    assert got["by_path"] == {"pkg-h1": "1.0", "pkg-h2": "1.0"}
    wrong_hash, missing_hash = got["refused"]
    assert wrong_hash["type"] == "HashMismatchError" and wrong_hash["changed"] == ""
    assert "pkg-w 1.0: pkg_w-1.0-py3-none-any.whl has sha256" in wrong_hash["message"]
    assert f"the file allows {'1' * 64}" in wrong_hash["message"]
    assert missing_hash["type"] == "InvalidRequirementError" and missing_hash["changed"] == ""
    assert "no --hash in the requirements file" in missing_hash["message"]
    assert (
        "pkg-y 1.0 (pkg_y-1.0-py3-none-any.whl; required by pkg-x 1.0)" in missing_hash["message"]
    )
    assert got["after"] == {"pkg-w": None, "pkg-x": None, "pkg-y": None}
    assert index_server.count("/simple/not-here/") == 0
