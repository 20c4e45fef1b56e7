"""micropip2: install Python packages into Pyodide.

``await micropip2.install(url)``, ``micropip2.list()``, ``micropip2.uninstall(names)``.
"""

from __future__ import annotations

import builtins
from typing import Iterable, Mapping

from .errors import Micropip2Error
from .listing import PackageList
from .manager import InstallReport, PackageManager

__version__ = "0.1.0.dev0"
__all__ = ["install", "list", "uninstall", "Micropip2Error", "PackageManager", "InstallReport", "PackageList"]

_manager = PackageManager()


async def install(
    requirements: str | Iterable[str],
    keep_going: bool = False,
    deps: bool = True,
    credentials: str | None = None,
    pre: bool = False,
    index_urls: list[str] | str | None = None,
    *,
    constraints: list[str] | None = None,
    reinstall: bool = False,
    verbose: bool | int | None = None,
    hashes: Mapping[str, str] | None = None,
) -> InstallReport:
    """Install wheels (by URL, path, or ``name @ url``) into the running interpreter, all or nothing."""
    return await _manager.install(
        requirements, keep_going, deps, credentials, pre, index_urls,
        constraints=constraints, reinstall=reinstall, verbose=verbose, hashes=hashes,
    )


def list() -> PackageList:  # noqa: A001 - micropip's name
    """Every installed distribution with its version and where it came from."""
    return _manager.list()


def uninstall(packages: str | Iterable[str], *, verbose: bool | int = False) -> builtins.list[str]:
    """Remove distributions: exactly the files their RECORD lists, and their .dist-info."""
    return _manager.uninstall(packages, verbose=verbose)
