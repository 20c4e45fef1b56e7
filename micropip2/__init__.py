"""micropip2: install Python packages into Pyodide.

``await micropip2.install(url)``, ``micropip2.list()``, ``micropip2.uninstall(names)``,
``micropip2.freeze()``, ``await micropip2.sync(lock)``; each is a
method of the default :class:`PackageManager`, which works on the running interpreter.
``micropip2.cache`` is the persistent cache (``await micropip2.cache.info()``, ``clear()``).
"""

from __future__ import annotations

from . import cache
from .errors import Micropip2Error
from .listing import PackageList
from .manager import InstallReport, PackageManager

__version__ = "0.1.0.dev0"
__all__ = [
    "InstallReport",
    "Micropip2Error",
    "cache",
    "PackageList",
    "PackageManager",
    "freeze",
    "install",
    "list",
    "sync",
    "uninstall",
]

_manager = PackageManager()

install = _manager.install
list = _manager.list
uninstall = _manager.uninstall
freeze = _manager.freeze
sync = _manager.sync
set_index_urls = _manager.set_index_urls
set_constraints = _manager.set_constraints
