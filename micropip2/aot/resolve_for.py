"""Resolving for a Pyodide target from a CPython host, as if into an empty environment.

:func:`micropip2.operations.resolving`, as ``install(dry_run=True)`` uses it, with one difference:
the host's own installed distributions are not candidates. Only the target's Pyodide
distribution (its lockfile) and the indexes are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..fetch import Fetcher
from ..index.client import Strategy
from ..lockfiles.pyodide_packages import PyodidePackages
from ..operations import InstallOptions, resolving
from ..plan import Plan, PlanItem
from ..runtime import Runtime
from ..target import Target


async def resolve_for_target(
    requirements: Sequence[str],
    *,
    target: Target,
    pyodide_packages: PyodidePackages,
    runtime: Runtime,
    constraints: Sequence[str] = (),
    index_urls: Sequence[str] = ("PYPI",),
    pre: bool = False,
    index_strategy: Strategy = "first-index",
    overrides: Sequence[str] = (),
    exclude: Sequence[str] = (),
    max_versions_tried: int | None = InstallOptions.max_versions_tried,
) -> tuple[Plan, tuple[str, ...]]:
    """What an install of ``requirements`` into a fresh ``target`` interpreter would choose, and
    the resolution's notes (see :attr:`~micropip2.resolve.driver.Resolved.notes`)."""
    options = InstallOptions(
        constraints=constraints,
        index_urls=index_urls,
        index_strategy=index_strategy,
        pre=pre,
        overrides=overrides,
        exclude=exclude,
        max_versions_tried=max_versions_tried,
    )
    async with resolving(
        requirements,
        options,
        target=target,
        runtime=runtime,
        pyodide_packages=pyodide_packages,
        installed={},  # nothing counts as installed
        downloads=False,
    ) as resolution:
        return resolution.plan, resolution.notes


async def with_hashes(plan: Plan, runtime: Runtime) -> Plan:
    """Every item with a sha256: files their index listed without one are downloaded and hashed."""
    fetcher = Fetcher(runtime)
    items: list[PlanItem] = []
    for item in plan.items:
        if not item.sha256:
            fetched = await fetcher.file(item.url, what=item.filename)
            item = replace(item, sha256=fetched.sha256)
        items.append(item)
    return replace(plan, items=tuple(items))
