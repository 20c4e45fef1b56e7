"""A throwaway environment on host CPython, targeting Pyodide 314, for the in-process tests of
:mod:`micropip2.operations` (tests/test_host_operations.py and others)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from micropip2.install.environment import Environment
from micropip2.installed import installed_distributions
from micropip2.lockfiles.pyodide_packages import PyodidePackages
from micropip2.operations import Place
from micropip2.runtime.host import HostRuntime
from micropip2.target import Target

ROOT = Path(__file__).resolve().parent.parent.parent
TARGET = Target.for_pyodide("314.0.7")


def make_place(root: Path) -> Place:
    """A Place whose environment lives in ``root`` (site-packages, bin, include), which must
    not be under /tmp: the environment never owns files there (see install/environment.py)."""
    site = root / "site-packages"
    for folder in ("site-packages", "bin", "include"):
        (root / folder).mkdir(parents=True)
    environment = Environment(site, site, root / "bin", root / "include", root, root / "lib")
    return Place(
        HostRuntime(),
        TARGET,
        environment,
        PyodidePackages.empty,
        installed=lambda: installed_distributions([str(site)]),
    )


@contextmanager
def throwaway_place() -> Iterator[Place]:
    """:func:`make_place` under build/host-envs/, removed afterwards."""
    root = ROOT / "build" / "host-envs" / uuid.uuid4().hex
    try:
        yield make_place(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
