"""The bad-input corpus (issue 13, tests/support/bad_inputs.py), inside Pyodide: every case gives
its exact error type and message, and leaves the environment (every file below the install
roots, and ``loadedPackages``) exactly as it was.

All cases run in one runtime call, one after another, against one loopback index: a few seconds
per runtime rather than a boot per case. Every mismatch is reported at once.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

from tests.support.bad_inputs import KINDS, BadInput, bad_inputs
from tests.support.wheels import simple_wheel


async def _run_corpus(keeper_url, cases):
    """Each case's call made in turn: its outcome, what changed, and how long it took."""
    import asyncio
    import base64
    import json
    import os
    import time

    from mp2test import diff, environment_state

    import micropip2

    await micropip2.install(keeper_url)  # so that "nothing changed" covers existing files too
    info = json.loads(micropip2.freeze())["info"]

    def filled(value):
        if value == "@runtime-info":
            return info
        if isinstance(value, dict):
            return {key: filled(item) for key, item in value.items()}
        if isinstance(value, list):
            return [filled(item) for item in value]
        return value

    async def make(call):
        for path, data in call["files"].items():
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(base64.b64decode(data))
        op, args, kwargs = call["op"], filled(call["args"]), filled(call["kwargs"])
        if op in ("install", "sync"):
            await getattr(micropip2, op)(*args, **kwargs)
        elif op == "wait_for":
            await asyncio.wait_for(make(call["calls"][0]), call["seconds"])
        else:
            getattr(micropip2, op)(*args, **kwargs)

    async def outcome(call):
        """[(error type or None, message)] for one call, or for each call of a group."""
        if call["op"] == "gather":
            groups = await asyncio.gather(*(outcome(c) for c in call["calls"]))
            return [o for group in groups for o in group]
        if call["op"] == "during":
            first = asyncio.ensure_future(outcome(call["calls"][0]))
            await asyncio.sleep(0.1)  # the first call now holds the environment
            others = [o for c in call["calls"][1:] for o in await outcome(c)]
            return [*await first, *others]
        try:
            await make(call)
        except Exception as exc:
            return [(type(exc).__name__, str(exc))]
        return [(None, "")]

    results = {}
    for case in cases:
        before = environment_state()
        started = time.monotonic()
        outcomes = await outcome(case["call"])
        seconds = time.monotonic() - started
        after = environment_state()
        changed = diff(before["files"], after["files"])
        if before["loaded"] != after["loaded"]:
            changed += f"\nloadedPackages: {before['loaded']} -> {after['loaded']}"
        if case["cleanup"]:
            micropip2.uninstall(case["cleanup"])
        results[case["id"]] = {
            "type": "|".join(str(t) for t, _ in outcomes),
            "message": " || ".join(m for _, m in outcomes),
            "changed": changed,
            "seconds": round(seconds, 2),
        }
    return results


def _mismatches(case: BadInput, got: dict[str, object]) -> list[str]:
    problems = []
    message = str(got["message"])
    if got["type"] != case.error or case.fragment not in message:
        problems.append(
            f"{case.id}: expected {case.error} with {case.fragment!r}, "
            f"got {got['type']}: {message[:600]}"
        )
    changed = str(got["changed"])
    if case.changes is None and changed:
        problems.append(f"{case.id}: the environment changed:\n{changed}")
    if case.changes is not None and case.changes not in changed:
        problems.append(f"{case.id}: expected the change {case.changes!r}, got {changed!r}")
    return problems


@pytest.mark.smoke
def test_every_bad_input_fails_clearly_and_changes_nothing(mp, index_server):
    browser = mp.kind != "node"
    keeper_name, keeper_data = simple_wheel("keeper", "1.0")
    keeper = index_server.add_file(f"ok/{keeper_name}", keeper_data)
    corpus = [case for case in bad_inputs() if not (browser and case.node_only)]
    if browser:  # a page cannot name files of the machine the browser runs on
        print(
            "left out in the browser (they need host files):",
            [case.id for case in bad_inputs() if case.node_only],
        )
    calls = [
        {"id": case.id, "call": case.setup(index_server).as_json(), "cleanup": list(case.cleanup)}
        for case in corpus
    ]
    results = mp.call(_run_corpus, keeper, calls, timeout=600)
    if os.environ.get("MICROPIP2_CORPUS_REPORT"):  # every case's outcome, to read them all
        Path(os.environ["MICROPIP2_CORPUS_REPORT"]).write_text(json.dumps(results, indent=1))
    problems = [p for case in corpus for p in _mismatches(case, results[case.id])]
    slowest = sorted(results.items(), key=lambda item: -float(item[1]["seconds"]))[:5]
    print("slowest cases:", json.dumps({k: v["seconds"] for k, v in slowest}))
    assert not problems, f"{len(problems)} of {len(corpus)} cases:\n" + "\n".join(problems)


def test_the_corpus_has_80_distinct_cases_of_every_kind():
    corpus = bad_inputs()
    ids = [case.id for case in corpus]
    assert len(set(ids)) == len(ids), [i for i, n in Counter(ids).items() if n > 1]
    assert len(ids) >= 80
    kinds = Counter(case.kind for case in corpus)
    assert set(kinds) == set(KINDS), kinds
    # beyond the 30 wheels of bad_wheels.py
    assert len([i for i in ids if not i.startswith("bad-wheel-")]) >= 50
