"""Resolving for a Pyodide target from a CPython host, as if into an empty environment.

The same pieces as :meth:`PackageManager.install` with ``dry_run=True`` (request, index client,
knowledge, resolver, plan), with one difference: the host's own installed distributions are not
candidates. Only the target's Pyodide distribution (its lockfile) and the indexes are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..index.client import IndexClient, Strategy
from ..install.fetch import check_sha256, fetch_file
from ..plan import Plan, PlannedItem, make_plan
from ..request import build_request
from ..resolve.distribution import Distribution
from ..resolve.driver import resolve
from ..resolve.knowledge import Knowledge
from ..resolve.provider import Options
from ..runtime import Runtime
from ..target import Target


async def resolve_for_target(
    requirements: Sequence[str],
    *,
    target: Target,
    distribution: Distribution,
    runtime: Runtime,
    constraints: Sequence[str] = (),
    index_urls: Sequence[str] = ("PYPI",),
    pre: bool = False,
    index_strategy: Strategy = "first-index",
) -> tuple[Plan, tuple[str, ...]]:
    """What an install of ``requirements`` into a fresh ``target`` interpreter would choose, and
    the resolution's notes (see :attr:`~micropip2.resolve.driver.Resolved.notes`)."""
    request = build_request(list(requirements), list(constraints), None, target)
    client = IndexClient(runtime, list(index_urls), strategy=index_strategy)
    knowledge = Knowledge(client, runtime, target, distribution, {})  # nothing counts as installed
    options = Options(
        pre=pre, constraints=request.constraints, url_candidates=request.url_candidates
    )
    try:
        resolved = await resolve(request.requirements, knowledge, options)
    finally:
        await knowledge.close()
    plan, _chosen = make_plan(resolved, {})
    return plan, resolved.notes


async def with_hashes(plan: Plan, runtime: Runtime) -> Plan:
    """Every item with a sha256: files their index listed without one are downloaded and hashed."""
    items: list[PlannedItem] = []
    for item in plan.items:
        if not item.sha256:
            data = await fetch_file(item.url, runtime)
            item = replace(item, sha256=check_sha256(item.filename, item.url, data, None))
        items.append(item)
    return replace(plan, items=tuple(items))
