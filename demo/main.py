"""micropip2's main job, run inside Pyodide by demo/main.mjs: install real wheels from PyPI by URL and use them.

The wheel URLs and their sha256 come from PyPI's JSON API at run time; the hashes are checked
by micropip2 before anything is written. Dependencies are given explicitly (installing by name
with a resolver comes with the next micropip2 release).
"""

import json
import time
from urllib.parse import urljoin

from pyodide.http import pyfetch

import micropip2
from micropip2.target import Target

# project, version, and how to pick its file: a binary wheel for this platform year, or a pure wheel
WANTED = [
    ("uuid-utils", "1.2.0"),  # Rust extension, abi3 wheel per PEP 783 platform year
    ("rich", "15.0.0"),  # pure Python, and the pure wheels it needs:
    ("markdown-it-py", "4.3.0"),
    ("mdurl", "0.1.2"),
    ("pygments", "2.21.0"),
]


async def wheel_url(project: str, version: str, target: Target) -> str:
    """The best wheel of ``project==version`` for ``target``, as ``url#sha256=...``."""
    from micropip2.wheel_fit import check_wheel_tags

    api = f"https://pypi.org/pypi/{project}/json"
    response = await pyfetch(api)
    response.raise_for_status()
    files = (await response.json())["releases"].get(version, [])
    ranked = []
    for entry in files:
        if entry["filename"].endswith(".whl"):
            fit = check_wheel_tags(entry["filename"], target)
            if fit.ok:
                ranked.append((fit.rank, entry))
    if not ranked:
        raise SystemExit(f"{project} {version} has no wheel for {target.describe()}")
    best = min(ranked, key=lambda pair: pair[0])[1]
    return f"{urljoin(api, best['url'])}#sha256={best['digests']['sha256']}"


async def main() -> None:
    target = Target.current()
    print(f"Installing for {target.describe()}")
    urls = [await wheel_url(project, version, target) for project, version in WANTED]
    started = time.perf_counter()
    report = await micropip2.install(urls, verbose=True)
    print(f"installed {len(report.installed)} wheels in {time.perf_counter() - started:.2f} s")

    import uuid_utils
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"micropip2.list() (a uuid7 from the Rust extension: {uuid_utils.uuid7()})")
    for column in ("Name", "Version", "Source"):
        table.add_column(column)
    for package in micropip2.list().values():
        table.add_row(package.name, package.version, package.source.split("/")[-1] if "//" in package.source else package.source)
    Console(width=140, color_system=None).print(table)


await main()  # noqa: F704 - top-level await: this file runs through pyodide.runPythonAsync
