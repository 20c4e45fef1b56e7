"""Speculative requests inside Pyodide: the PyPI JSON API's ``requires_dist`` starts the next
level's pages early (micropip2/index/hints.py), read from a prefix of the document through the
runtime's streamed body; the chosen wheel's own metadata stays the authority."""

from __future__ import annotations

from tests.support.publish import publish


async def _install(index: str) -> list[str]:
    import micropip2

    report = await micropip2.install(["app"], index_urls=[index])
    import lib  # noqa: F401  (the real dependency is there)

    assert "decoy" not in micropip2.list()
    return sorted(f"{i.name}=={i.version}" for i in report.installed)


def test_a_wrong_hint_costs_a_request_and_installs_the_right_dependencies(runtime, index_server):
    for version in [f"0.{i}" for i in range(40)] + ["1.0"]:  # a long JSON API document
        publish(index_server, "app", version, ["lib"])
    publish(index_server, "lib", "1.0")
    publish(index_server, "decoy", "1.0")
    index_server.json_api_requires["app"] = ["decoy"]  # the JSON API disagrees with the wheel
    assert runtime.call(_install, index_server.simple_url) == ["app==1.0", "lib==1.0"]
    assert index_server.count("/pypi/app/json") == 1
    assert index_server.count("/simple/decoy/") == 1  # the guess was followed (and cost requests)
