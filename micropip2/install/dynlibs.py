"""The order a wheel's shared libraries are loaded in.

Pyodide compiles WebAssembly libraries asynchronously ahead of ``import`` (browsers refuse to
compile large modules synchronously on the main thread), so an installer loads them right
after writing them.
"""

from __future__ import annotations


def load_order(paths: list[str]) -> list[str]:
    """Libraries vendored in ``<name>.libs/`` directories first, then extension modules."""
    return sorted(
        paths, key=lambda p: (not any(part.endswith(".libs") for part in p.split("/")[:-1]), p)
    )
