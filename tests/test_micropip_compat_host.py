"""micropip's API on micropip2, on host CPython: errors as ValueError, ``list()``'s name lookups,
mock packages (in memory and written), the switch's module swap, and JS-like arguments.

The same behaviour inside Pyodide, through the callers' patterns: tests/test_micropip_compat.py.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import sys
import types
from pathlib import Path

import pytest

import micropip2
from micropip2 import micropip_api
from micropip2.errors import InvalidOptionError, Micropip2Error
from micropip2.install.environment import Environment
from micropip2.installed import installed_distributions
from micropip2.listing import PackageList
from micropip2.manager import PackageManager
from micropip2.mocks import MockPackageError


def _every_error_class() -> list[type[BaseException]]:
    import micropip2.aot.pyodide_release
    import micropip2.cli
    import micropip2.index.errors
    import micropip2.lockfiles.errors
    import micropip2.resolve.driver
    import micropip2.resolve.metadata  # noqa: F401  (each defines errors of its own)

    found, todo = [], [Micropip2Error]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_micropip2_error_is_a_value_error():
    classes = _every_error_class()
    assert len(classes) >= 15
    assert [c.__name__ for c in classes if not issubclass(c, ValueError)] == []
    with pytest.raises(ValueError, match="no mock package named 'absent'"):
        micropip2.remove_mock_package("absent")


def test_list_finds_names_however_they_are_spelled():
    listing = PackageList.from_installed(installed_distributions().values())
    assert "Typing_Extensions" in listing and "typing.extensions" in listing
    assert listing["Typing_Extensions"] is listing["typing-extensions"]
    assert listing.get("PACKAGING") is listing["packaging"]
    assert listing.get("no-such-thing") is None and "no-such-thing" not in listing
    assert 42 not in listing  # type: ignore[operator]
    entry = listing["packaging"]
    assert entry.name == "packaging" and entry.version and entry.source
    assert all(hasattr(p, "name") and hasattr(p, "version") for p in listing.values())


def test_an_in_memory_mock_imports_lists_and_goes_away():
    def fill(module: types.ModuleType) -> None:
        module.FILLED = True

    micropip2.add_mock_package(
        "Host_Mock", "1.5", modules={"host_mock": "A = 1", "host_mock.sub": fill, "ns.leaf": None}
    )
    try:
        import host_mock
        import host_mock.sub
        import ns.leaf

        assert (host_mock.A, host_mock.sub.FILLED, ns.leaf.__name__) == (1, True, "ns.leaf")
        assert importlib.metadata.version("host-mock") == "1.5"
        assert micropip2.list()["host.mock"].source == "mock package (in memory)"
        assert micropip2.list_mock_packages() == ["Host_Mock"]
        # a second add of the same name replaces the first
        micropip2.add_mock_package("host-mock", "2.0")
        assert micropip2.list()["host_mock"].version == "2.0"
        assert not hasattr(importlib.import_module("host_mock"), "A")
    finally:
        assert micropip2.uninstall(["host-mock"]) == ["host-mock"]
    assert "host_mock" not in sys.modules and "ns" not in sys.modules
    assert "host-mock" not in micropip2.list() and micropip2.list_mock_packages() == []
    with pytest.raises(ModuleNotFoundError):
        import host_mock


@pytest.mark.parametrize(
    ("name", "version", "modules", "says"),
    [
        ("bad name!", "1.0", None, "'bad name!' is not a valid project name"),
        ("fine", "one", None, "'one' is not a valid version"),
        ("fine", "1.0", {"no-dash": ""}, "'no-dash' is not a module name"),
        ("fine", "1.0", {"fine": 3}, "is given a int"),
        ("packaging", "1.0", None, "packaging .* is installed .* uninstall it first"),
        ("fine", 1.0, None, "name and version are strings.*got str 'fine' and float 1.0"),
        ("fine", "1.0", {3: ""}, "3 is not a module name"),
    ],
)
def test_a_mock_that_cannot_be_added_says_why(name, version, modules, says):
    with pytest.raises(MockPackageError, match=says) as caught:
        micropip2.add_mock_package(name, version, modules=modules)
    assert caught.value.project == name
    assert micropip2.list_mock_packages() == []


def test_a_real_package_is_not_removed_as_a_mock():
    with pytest.raises(MockPackageError, match="packaging .* is not a mock package"):
        micropip2.remove_mock_package("packaging")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PackageManager:
    """A manager whose environment is a throwaway site-packages on sys.path."""
    purelib = tmp_path / "site"
    purelib.mkdir()
    monkeypatch.syspath_prepend(str(purelib))
    dirs = {key: tmp_path / key for key in ("scripts", "include", "data", "stdlib")}
    env = Environment(purelib=purelib, platlib=purelib, **dirs)
    return PackageManager(environment=env)


def test_a_persistent_mock_is_written_with_a_record_and_removed_by_it(site: PackageManager):
    purelib = site.environment.purelib
    site.add_mock_package("Disk.Mock", "1.0", modules={"disk_mock.inner": "B = 2"}, persistent=True)
    importlib.invalidate_caches()
    try:
        import disk_mock.inner

        assert disk_mock.inner.B == 2
        dist = importlib.metadata.distribution("disk-mock")
        assert dist.read_text("INSTALLER") == "micropip2 mock package\n"
        assert sorted(str(f) for f in dist.files or []) == [
            "Disk_Mock-1.0.dist-info/INSTALLER",
            "Disk_Mock-1.0.dist-info/METADATA",
            "Disk_Mock-1.0.dist-info/RECORD",
            "Disk_Mock-1.0.dist-info/top_level.txt",
            "disk_mock/inner/__init__.py",
        ]
        assert site.list()["disk-mock"].source == "mock package"
        assert site.list_mock_packages() == ["Disk.Mock"]
        # a file in its way: nothing is written
        (purelib / "other_mod").mkdir()
        (purelib / "other_mod" / "__init__.py").write_text("")
        with pytest.raises(MockPackageError, match="other_mod/__init__.py already exists"):
            site.add_mock_package("other", "1", modules={"other_mod": ""}, persistent=True)
        assert not list(purelib.glob("other-*.dist-info"))
        with pytest.raises(MockPackageError, match="persistent mock is written as files"):
            site.add_mock_package("fn", "1", modules={"fn": lambda m: None}, persistent=True)
    finally:
        sys.modules.pop("disk_mock.inner", None)
        sys.modules.pop("disk_mock", None)
    site.remove_mock_package("disk-mock")
    assert sorted(p.name for p in purelib.iterdir()) == ["other_mod"]


def test_install_as_micropip_redirects_an_earlier_micropip(monkeypatch: pytest.MonkeyPatch):
    earlier = types.ModuleType("micropip")
    earlier.install = "micropip's own"  # type: ignore[attr-defined]
    earlier.__version__ = "0.11.1"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "micropip", earlier)
    monkeypatch.setitem(sys.modules, "micropip.package_index", types.ModuleType("x"))

    assert micropip2.install_as_micropip() is micropip_api
    assert micropip2.install_as_micropip() is micropip_api  # again: no change
    import micropip

    assert micropip is micropip_api and "micropip.package_index" not in sys.modules
    assert earlier.install == micropip2.install and earlier.list == micropip2.list
    expected = f"0.11.1+micropip2.{micropip2.__version__}"
    assert earlier.__version__ == micropip.__version__ == expected
    for name in micropip_api.PUBLIC:
        assert getattr(earlier, name) == getattr(micropip2, name), name
    with pytest.raises(AttributeError, match="does not provide micropip.compatibility_layer"):
        micropip.compatibility_layer  # noqa: B018
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        micropip.nothing  # noqa: B018
    assert not hasattr(micropip, "package_index")


class _FakeJsArray:
    """Stands in for a JsProxy of a JS array: iterable, with ``to_py``."""

    def __init__(self, items: list[object]) -> None:
        self.items = items

    def to_py(self) -> list[object]:
        return list(self.items)


def test_list_arguments_may_be_js_arrays_and_are_checked():
    manager = PackageManager()
    manager.set_index_urls(_FakeJsArray(["https://a.example/simple"]))  # type: ignore[arg-type]
    assert manager.index_urls == ["https://a.example/simple"]
    manager.set_constraints(("dep<2",))
    assert manager.constraints == ["dep<2"]
    with pytest.raises(InvalidOptionError, match="index_urls must be a string or a list"):
        manager.set_index_urls(5)  # type: ignore[arg-type]
    with pytest.raises(InvalidOptionError, match=r"constraints must be strings.*got int 3"):
        manager.set_constraints(_FakeJsArray(["a", 3]))  # type: ignore[arg-type]
    with pytest.raises(InvalidOptionError, match="packages must be a string"):
        manager.uninstall(None)  # type: ignore[arg-type]
    with pytest.raises(InvalidOptionError, match="modules must be a dict"):
        manager.add_mock_package("x", "1", modules=["x"])  # type: ignore[arg-type]
