"""A Pyodide release's pyodide-lock.json with micropip2 in it, for a site whose pages load
micropip by name (PyScript's ``packages``, JupyterLite's kernel): ``micropip`` becomes
micropip2's shim (``shims/micropip/``), and micropip2 and its dependencies are added
(docs/pyscript.md, docs/jupyterlite.md).

    python -m scripts.site_lock RELEASE_LOCK WHEEL... --dist-url URL --wheel-url URL -o OUT

``RELEASE_LOCK``: the release's pyodide-lock.json (a path; the npm package ``pyodide`` has it).
Its entries are kept, their relative file names made absolute under ``--dist-url`` (where the
release's packages are: its CDN folder, or your copy of the full distribution). Each ``WHEEL``
(the shim, micropip2, its dependencies) adds or replaces the entry of its project, with
``file_name`` = ``--wheel-url`` + its file name, its sha256, top-level ``imports`` and
``depends`` (its requirements whose markers hold for the release, each of which must be in the
lock). Run it from a checkout of micropip2 with the project's venv (``.venv/bin/python``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from micropip2.target import Target
from tests.support.locks import wheel_lock_entry


class SiteLockError(Exception):
    pass


def wheel_entry(path: Path, url: str, target: Target) -> tuple[str, dict[str, Any]]:
    """The key and pyodide-lock.json entry of the wheel at ``path``, served at ``url``."""
    entry = wheel_lock_entry(path, target, url=url)
    return entry.name, {
        "name": entry.display_name,
        "version": entry.version,
        "file_name": url,
        "install_dir": "site",
        "sha256": entry.files[0].sha256,
        "package_type": "package",
        "imports": list(entry.imports),
        "depends": list(entry.depends),
        "unvendored_tests": False,
        "tool": {},
    }


def site_lock(
    release: dict[str, Any], wheels: Iterable[tuple[Path, str]], dist_url: str
) -> dict[str, Any]:
    """``release`` (a parsed pyodide-lock.json) with absolute file names under ``dist_url``,
    and an entry for each (wheel path, its URL) in ``wheels``."""
    target = Target.from_lock_info(release["info"])
    base = dist_url if dist_url.endswith("/") else dist_url + "/"
    packages: dict[str, dict[str, Any]] = {}
    for key, entry in release["packages"].items():
        name = str(entry["file_name"])
        absolute = name.startswith(("http://", "https://", "/"))
        packages[key] = {**entry, "file_name": name if absolute else base + name}
    added = []
    for path, url in wheels:
        key, packages[key] = wheel_entry(path, url, target)
        added.append(key)
    missing = [
        f"{key} needs {dep}"
        for key in added
        for dep in packages[key]["depends"]
        if dep not in packages
    ]
    if missing:
        raise SiteLockError(
            f"dependencies missing from the lock: {', '.join(missing)}; add their wheels"
        )
    return {**release, "packages": dict(sorted(packages.items()))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("release_lock", type=Path, help="the Pyodide release's pyodide-lock.json")
    ap.add_argument("wheels", type=Path, nargs="+", help="wheels to add (shim, micropip2, deps)")
    ap.add_argument("--dist-url", required=True, help="where the release's own packages are")
    ap.add_argument("--wheel-url", required=True, help="where the wheels are served")
    ap.add_argument("-o", "--output", type=Path, required=True)
    args = ap.parse_args(argv)
    base = args.wheel_url if args.wheel_url.endswith("/") else args.wheel_url + "/"
    try:
        release = json.loads(args.release_lock.read_text())
        lock = site_lock(release, [(w, base + w.name) for w in args.wheels], args.dist_url)
    except (OSError, ValueError, KeyError, SiteLockError) as e:
        print(f"site_lock: error: {e}", file=sys.stderr)
        return 1
    args.output.write_text(json.dumps(lock, indent=1) + "\n")
    print(f"site_lock: wrote {args.output} ({len(lock['packages'])} packages)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
