"""What ``import micropip`` gives where ``micropip`` is micropip2's shim wheel
(``shims/micropip/``): a Pyodide distribution whose lock lists it, so that callers that load
micropip by name (PyScript's ``packages``: ``loadPackage("micropip")``, then
``micropip.install(packages, {keep_going: true})`` and ``micropip.freeze()``) run micropip2.

It is :mod:`micropip2.micropip_api` (micropip 0.11.1's API on micropip2), except that ``install``
without ``progress`` shows its progress with ``progress="console"``: the notebook display where
there is one, else a few lines on the JS console, where micropip's own messages went (Pyodide's
``loadPackage`` logs there). PyScript turns those lines into ``py:progress`` events.
"""

from __future__ import annotations

import sys
from typing import Any

from .manager import DEFAULT_MANAGER, InstallReport
from .micropip_api import __getattr__ as __getattr__  # micropip.__version__, internals refused
from .micropip_api import (
    add_mock_package,
    freeze,
    install_as_micropip,
    list,
    list_mock_packages,
    remove_mock_package,
    set_constraints,
    set_index_urls,
    uninstall,
)
from .progress_display import CONSOLE

__all__ = [
    "add_mock_package",
    "freeze",
    "install",
    "install_as_micropip",
    "list",
    "list_mock_packages",
    "remove_mock_package",
    "set_constraints",
    "set_index_urls",
    "uninstall",
]


async def install(*args: Any, progress: object = None, **options: Any) -> InstallReport:
    """:func:`micropip2.install` (micropip's signature, ``keep_going`` second), whose progress
    goes to the console when no ``progress`` is given and no notebook display is there.

    While piplite (JupyterLite) has patched ``micropip.package_index.query_package``, its
    function is asked for each project before the indexes (docs/jupyterlite.md)."""
    chosen = CONSOLE if progress is None else progress
    if "micropip.package_index" in sys.modules:  # imported by piplite, or someone else
        from .micropip_package_index import PatchedQuery, patched_query

        query = patched_query()
        if query is not None:
            options["sources"] = (PatchedQuery(query), *options.get("sources", ()))
    return await DEFAULT_MANAGER.install(*args, progress=chosen, **options)
