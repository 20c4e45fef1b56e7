"""micropip2's main job, run inside Pyodide by demo/main.mjs: install real packages from PyPI by
name and use them.

micropip2 resolves `rich`, `pydantic` and `uuid-utils` with their dependencies against PyPI for
this interpreter (pydantic-core and uuid-utils are binary wheels for pyemscripten_2026_0), checks
every file's sha256, installs them all or nothing, and the code below uses them.
"""

import micropip2
from micropip2.target import Target

REQUIREMENTS = ["rich", "pydantic", "uuid-utils"]


async def main() -> None:
    target = Target.current()
    print(f"Installing {', '.join(REQUIREMENTS)} for {target.describe()}")
    # progress=True: the summary a notebook's live display ends with, printed here as text
    report = await micropip2.install(REQUIREMENTS, progress=True)
    for warning in report.warnings:
        print("warning:", warning)

    import pydantic
    import uuid_utils
    from rich.console import Console
    from rich.table import Table

    class Package(pydantic.BaseModel):
        name: str
        version: str
        source: str

    packages = [
        Package(name=p.name, version=p.version, source=p.source.split("/")[-1])
        for p in micropip2.list().values()
    ]
    table = Table(
        title=(
            f"micropip2.list(), validated by pydantic {pydantic.VERSION} "
            f"(uuid7 from Rust: {uuid_utils.uuid7()})"
        )
    )
    for column in ("Name", "Version", "Source"):
        table.add_column(column)
    for package in packages:
        table.add_row(package.name, package.version, package.source)
    Console(width=120, color_system=None).print(table)


await main()  # noqa: F704 - top-level await: this file runs through pyodide.runPythonAsync
