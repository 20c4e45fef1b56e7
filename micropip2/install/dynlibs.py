"""Which files of a wheel are shared libraries, and the order they are loaded in.

Pyodide compiles WebAssembly libraries asynchronously ahead of ``import`` (browsers refuse to
compile large modules synchronously on the main thread), so an installer loads them right
after writing them.
"""

from __future__ import annotations

import re

_SHARED_LIBRARY = re.compile(r"\.so(\.\d+)*$")


def is_shared_library(path: str) -> bool:
    """``foo.cpython-314-wasm32-emscripten.so``, ``libbar.so``, ``libbar.so.1`` ..."""
    return bool(_SHARED_LIBRARY.search(path.rsplit("/", 1)[-1]))


def load_order(paths: list[str]) -> list[str]:
    """Libraries vendored in ``<name>.libs/`` directories first, then extension modules."""
    return sorted(
        paths, key=lambda p: (not any(part.endswith(".libs") for part in p.split("/")[:-1]), p)
    )
