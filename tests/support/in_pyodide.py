"""Helpers that run *inside* Pyodide, loaded as the module ``mp2test`` by the ``mp`` fixture.

Standard library only: this file is shipped into the runtime as source.
"""

import hashlib
import json
import os
import sysconfig

_ROOTS = ("purelib", "scripts", "include")
_EXTRA_ROOTS = ("/share", "/etc/demo")


def roots():
    paths = sysconfig.get_paths()
    return sorted(
        {os.path.normpath(paths[key].replace("//", "/")) for key in _ROOTS} | set(_EXTRA_ROOTS)
    )


def snapshot():
    """Every file and directory below the install roots: path -> sha256 and mode (dirs: 'dir')."""
    state = {}
    for root in roots():
        if not os.path.exists(root):
            continue
        for directory, _dirnames, filenames in os.walk(root):
            state[directory] = "dir"
            for name in filenames:
                path = os.path.join(directory, name)
                with open(path, "rb") as handle:
                    digest = hashlib.sha256(handle.read()).hexdigest()
                state[path] = f"{digest} {oct(os.stat(path).st_mode & 0o7777)}"
    return state


def loaded_packages():
    import pyodide_js

    return dict(pyodide_js.loadedPackages.to_py())


def environment_state():
    return {"files": snapshot(), "loaded": loaded_packages()}


def diff(before, after):
    """A short text of what changed between two snapshots ('' when identical)."""
    lines = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            lines.append(f"{key}: {before.get(key)} -> {after.get(key)}")
    return "\n".join(lines[:20])


async def install_error(requirement, **kwargs):
    """Install ``requirement`` expecting failure: (exception type, message, state diff)."""
    import micropip2

    before = environment_state()
    try:
        await micropip2.install(requirement, **kwargs)
    except Exception as exc:
        after = environment_state()
        changed = diff(before["files"], after["files"])
        if before["loaded"] != after["loaded"]:
            changed += f"\nloadedPackages: {before['loaded']} -> {after['loaded']}"
        return {"type": type(exc).__name__, "message": str(exc), "changed": changed}
    return {"type": None, "message": "installed without error", "changed": ""}


def dist_info_files(name):
    """The files of an installed distribution's .dist-info, by name."""
    import importlib.metadata

    dist = importlib.metadata.distribution(name)
    return {
        str(p): dist.read_text(str(p).split("/", 1)[1])
        for p in dist.files or []
        if ".dist-info/" in str(p)
    }


def to_json(value):
    return json.loads(json.dumps(value, default=str))
