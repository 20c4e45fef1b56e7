"""micropip2: install Python packages into Pyodide.

``await micropip2.install(url)``, ``micropip2.list()``, ``micropip2.uninstall(names)``,
``micropip2.freeze()``, ``await micropip2.sync(lock)``, and micropip's mock packages
(``add_mock_package``, ``list_mock_packages``, ``remove_mock_package``); each is a
method of the default :class:`PackageManager`, which works on the running interpreter.
``micropip2.cache`` is the persistent cache (``await micropip2.cache.info()``, ``clear()``).
``micropip2.install_as_micropip()`` makes ``import micropip`` give micropip2 (docs/micropip.md).
"""

from __future__ import annotations

from types import ModuleType

from . import cache
from .errors import Micropip2Error
from .listing import PackageList
from .manager import DEFAULT_MANAGER, InstallReport, PackageManager

__version__ = "0.1.0.dev0"
__all__ = [
    "InstallReport",
    "Micropip2Error",
    "cache",
    "PackageList",
    "PackageManager",
    "add_mock_package",
    "freeze",
    "install",
    "install_as_micropip",
    "list",
    "list_mock_packages",
    "remove_mock_package",
    "set_constraints",
    "set_index_urls",
    "sync",
    "uninstall",
]

_manager = DEFAULT_MANAGER

install = _manager.install
list = _manager.list
uninstall = _manager.uninstall
freeze = _manager.freeze
sync = _manager.sync
set_index_urls = _manager.set_index_urls
set_constraints = _manager.set_constraints
add_mock_package = _manager.add_mock_package
list_mock_packages = _manager.list_mock_packages
remove_mock_package = _manager.remove_mock_package


def install_as_micropip() -> ModuleType:
    """Make ``import micropip`` give micropip2's micropip-compatible module in this interpreter,
    also where micropip was imported before (see :mod:`micropip2.micropip_api`); returns it."""
    from .micropip_api import install_as_micropip as switch

    return switch()
