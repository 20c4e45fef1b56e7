"""micropip 0.11.1's module API on micropip2: what ``import micropip`` gives after
:func:`install_as_micropip` (docs/micropip.md says what differs).

Its functions are the default manager's (``micropip2.install`` and this ``install`` share their
settings). micropip's internals (``micropip.package_index``, its compatibility layer, its
transaction) are not provided: asking for one raises an ``AttributeError`` that says so.
"""

from __future__ import annotations

import sys
from types import ModuleType

from .manager import DEFAULT_MANAGER

MICROPIP_API_VERSION = "0.11.1"  # the micropip release whose public API this module offers

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

install = DEFAULT_MANAGER.install
list = DEFAULT_MANAGER.list
freeze = DEFAULT_MANAGER.freeze
uninstall = DEFAULT_MANAGER.uninstall
add_mock_package = DEFAULT_MANAGER.add_mock_package
list_mock_packages = DEFAULT_MANAGER.list_mock_packages
remove_mock_package = DEFAULT_MANAGER.remove_mock_package
set_index_urls = DEFAULT_MANAGER.set_index_urls
set_constraints = DEFAULT_MANAGER.set_constraints

# The public names of micropip 0.11.1's module, each of which is this module's.
PUBLIC = (
    "install",
    "list",
    "freeze",
    "uninstall",
    "add_mock_package",
    "list_mock_packages",
    "remove_mock_package",
    "set_index_urls",
    "set_constraints",
)

# micropip's internals that its callers reach for, and what micropip2 offers instead.
NOT_PROVIDED = {
    "package_index": "index_urls (PEP 503/691 simple pages, or PyPI JSON API templates)",
    "_compat": "micropip2.runtime (micropip2's one boundary to Pyodide's JS)",
    "compatibility_layer": "micropip2.runtime (micropip2's one boundary to Pyodide's JS)",
    "transaction": "install(..., dry_run=True), whose report's plan says what would happen",
    "wheelinfo": "install(..., dry_run=True) and micropip2.list()",
    "package_manager": "micropip2.PackageManager",
    "PackageManager": "micropip2.PackageManager",
    "_package_manager_singleton": "the module's functions (micropip2's default manager)",
    "package": "micropip2.list() (a dict of micropip2.listing.InstalledPackage)",
    "_mock_package": "add_mock_package, list_mock_packages, remove_mock_package",
}


def version() -> str:
    """``micropip.__version__``: micropip's API level, with micropip2's version as the PEP 440
    local label (so ``Version(micropip.__version__) >= Version("0.11")`` holds)."""
    from . import __version__ as own

    return f"{MICROPIP_API_VERSION}+micropip2.{own}"


def __getattr__(name: str) -> object:
    if name == "__version__":
        return version()
    if name in NOT_PROVIDED:
        raise AttributeError(
            f"micropip2's micropip does not provide micropip.{name} (micropip's internals are "
            f"not part of it); use {NOT_PROVIDED[name]} instead; see docs/micropip.md",
            name=name,
            obj=sys.modules[__name__],
        )
    raise AttributeError(f"module 'micropip' (micropip2) has no attribute {name!r}", name=name)


def install_as_micropip() -> ModuleType:
    """Make ``import micropip`` give this module in the running interpreter.

    A micropip imported before keeps its module object (callers hold references to it), but
    its public functions and ``__version__`` become micropip2's, and its submodules leave
    ``sys.modules`` (importing or patching ``micropip.package_index`` then fails instead of
    silently doing nothing). Calling it again changes nothing. Returns this module."""
    this = sys.modules[__name__]
    earlier = sys.modules.get("micropip")
    if earlier is not None and earlier is not this:
        _redirect(earlier, this)
        for key in [key for key in sys.modules if key.startswith("micropip.")]:
            del sys.modules[key]
    sys.modules["micropip"] = this
    return this


def _redirect(module: ModuleType, this: ModuleType) -> None:
    """Point an imported micropip's public names at this module's functions."""
    for name in PUBLIC:
        setattr(module, name, getattr(this, name))
    module.__version__ = version()  # type: ignore[attr-defined]
