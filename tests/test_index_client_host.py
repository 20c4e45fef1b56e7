"""The index client's request rules on the host, with a scripted runtime: retries, sharing,
cancellation, messages.

What the client does against a real server inside Pyodide is in test_index_client.py; these
tests cover the decisions that need an answer no loopback server gives on demand (no answer at
all, a request that never finishes).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Mapping

import pytest

from micropip2.errors import DownloadError, InvalidRequirementError
from micropip2.fetch import Fetcher, Network
from micropip2.index.client import IndexClient
from micropip2.index.errors import IndexRequestError
from micropip2.runtime import Response

INDEX = "https://index.example/simple"
PAGE = INDEX + "/demo/"
JSON_V1 = "application/vnd.pypi.simple.v1+json"
PAGE_BODY = json.dumps(
    {
        "meta": {"api-version": "1.1"},
        "files": [
            {
                "filename": "demo-1.0-py3-none-any.whl",
                "url": "demo-1.0-py3-none-any.whl",
                "hashes": {},
                "core-metadata": True,
            },
        ],
    }
).encode()


class ScriptedRuntime:
    """Answers each URL from a list of planned outcomes (a Response, or an exception to raise)."""

    def __init__(self, plan: Mapping[str, list[Response | Exception]]) -> None:
        self.plan = {url: list(outcomes) for url, outcomes in plan.items()}
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.gate: asyncio.Event | None = None

    async def get(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        credentials: str | None = None,
        *,
        transfer=None,
    ) -> Response:
        self.credentials = credentials
        self.seen.append((url, dict(headers or {})))
        if self.gate is not None:
            await self.gate.wait()
        outcomes = self.plan.get(url) or [Response(url, 404, "text/plain", b"not found")]
        outcome = outcomes.pop(0) if len(outcomes) > 1 else outcomes[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def _page(status: int = 200, body: bytes = PAGE_BODY, content_type: str = JSON_V1) -> Response:
    return Response(PAGE, status, content_type, body)


QUICK = Network(backoff=0)  # retries without waiting


def test_no_answer_is_tried_again_then_succeeds():
    runtime = ScriptedRuntime({PAGE: [DownloadError(f"could not fetch {PAGE}: reset"), _page()]})
    client = IndexClient(Fetcher(runtime, network=QUICK), [INDEX])
    page = asyncio.run(client.project("demo"))
    assert page is not None and len(page.files) == 1
    assert client.requests == [PAGE, PAGE]


def test_no_answer_at_each_try_is_an_error_naming_the_index_the_reason_and_the_tries():
    runtime = ScriptedRuntime(
        {PAGE: [DownloadError(f"could not fetch {PAGE}: connection refused")]}
    )
    client = IndexClient(Fetcher(runtime, network=QUICK), [INDEX, "https://other.example/simple"])
    with pytest.raises(IndexRequestError) as caught:
        asyncio.run(client.project("demo"))
    assert str(caught.value) == (
        f"the index {INDEX} could not be used: {PAGE} got no answer "
        "(connection refused (after 3 tries))"
    )
    assert client.requests == [PAGE] * 3  # and the next index was not asked


@pytest.mark.parametrize("status", [408, 429, 500, 503])
def test_transient_statuses_are_tried_again(status):
    runtime = ScriptedRuntime({PAGE: [_page(status, b"busy\n", "text/plain"), _page()]})
    client = IndexClient(Fetcher(runtime, network=QUICK), [INDEX])
    page = asyncio.run(client.project("demo"))
    assert page is not None and client.requests == [PAGE, PAGE]


def test_retry_after_is_honoured_up_to_the_cap():
    slow = Response(PAGE, 503, "text/plain", b"", {"retry-after": "3600"})
    quick = Response(PAGE, 429, "text/plain", b"", {"retry-after": "0"})
    network = Network(backoff=5.0, max_retry_after=0.05)
    assert network.pause(1, slow) == 0.05  # an hour asked, the cap given
    assert network.pause(1, quick) == 0.0  # the server's 0 s, not the 5 s backoff
    assert network.pause(2, None) == 10.0  # backoff doubles
    runtime = ScriptedRuntime({PAGE: [slow, quick, _page()]})
    client = IndexClient(Fetcher(runtime, network=network), [INDEX])
    assert asyncio.run(client.project("demo")) is not None
    assert client.requests == [PAGE] * 3


def test_failing_statuses_say_what_to_do_and_only_transient_ones_are_tried_again():
    cases = {
        500: (3, "answered HTTP 500 (boom); a server error (the request was tried again"),
        401: (1, "answered HTTP 401; the index wants credentials: put them in the index URL"),
        418: (1, "answered HTTP 418; only 200 (the page) and 404 (not on this index) are expected"),
    }
    for status, (tries, expected) in cases.items():
        body = b"boom\n" if status == 500 else b"<html>teapot</html>"
        runtime = ScriptedRuntime(
            {PAGE: [_page(status, body, "text/plain" if status == 500 else "text/html")]}
        )
        client = IndexClient(Fetcher(runtime, network=QUICK), [INDEX])
        with pytest.raises(IndexRequestError, match="could not be used") as caught:
            asyncio.run(client.project("demo"))
        assert expected in str(caught.value)
        assert client.requests == [PAGE] * tries


def test_refused_credentials_are_named_as_such():
    runtime = ScriptedRuntime({PAGE: [_page(403, b"", "text/plain")]})
    client = IndexClient(Fetcher(runtime), ["https://user:pw@index.example/simple"])
    with pytest.raises(
        IndexRequestError, match="the credentials in the index URL were refused"
    ) as caught:
        asyncio.run(client.project("demo"))
    assert "pw" not in str(caught.value)


def test_410_gone_counts_as_not_on_this_index():
    other = "https://other.example/simple/demo/"
    runtime = ScriptedRuntime(
        {PAGE: [_page(410, b"", "text/plain")], other: [Response(other, 200, JSON_V1, PAGE_BODY)]}
    )
    page = asyncio.run(
        IndexClient(Fetcher(runtime), [INDEX, "https://other.example/simple"]).project("demo")
    )
    assert page is not None and page.index_urls == ("https://other.example/simple",)


async def _concurrent_callers_share_one_request_and_a_cancelled_caller_does_not_cancel_it():
    runtime = ScriptedRuntime({PAGE: [_page()]})
    runtime.gate = asyncio.Event()
    client = IndexClient(Fetcher(runtime), [INDEX])
    callers = [asyncio.ensure_future(client.project("Demo")) for _ in range(4)]
    await asyncio.sleep(0)
    callers[0].cancel()
    await asyncio.sleep(0)
    runtime.gate.set()
    pages = await asyncio.gather(*callers[1:])
    assert callers[0].cancelled()
    assert all(page is pages[0] for page in pages) and pages[0] is not None
    assert client.requests == [PAGE] and client.cache_hits == 3
    assert await client.project("demo") is pages[0] and client.requests == [PAGE]


def test_concurrent_callers_share_one_request_and_a_cancelled_caller_does_not_cancel_it():
    asyncio.run(_concurrent_callers_share_one_request_and_a_cancelled_caller_does_not_cancel_it())


def test_errors_are_not_kept():
    runtime = ScriptedRuntime({PAGE: [_page(401, b"", "text/plain"), _page()]})
    client = IndexClient(Fetcher(runtime), [INDEX])
    with pytest.raises(IndexRequestError, match="HTTP 401"):
        asyncio.run(client.project("demo"))
    assert asyncio.run(client.project("demo")) is not None
    assert client.requests == [PAGE, PAGE]


def test_metadata_missing_on_the_server_is_none_and_not_announced_is_not_asked_for():
    meta_url = INDEX + "/demo/demo-1.0-py3-none-any.whl.metadata"
    runtime = ScriptedRuntime(
        {PAGE: [_page()], meta_url: [Response(meta_url, 404, "text/plain", b"")]}
    )
    client = IndexClient(Fetcher(runtime), [INDEX])

    async def run():
        page = await client.project("demo")
        (file,) = page.files
        unannounced = dataclasses.replace(file, has_metadata=False)
        return await client.metadata(file), await client.metadata(unannounced)

    assert asyncio.run(run()) == (None, None)
    assert client.requests == [PAGE, meta_url]


def test_invalid_project_names_are_refused_before_any_request():
    client = IndexClient(Fetcher(ScriptedRuntime({})), [INDEX])
    for name in ("../etc", "a/b", "", "-x"):
        with pytest.raises(InvalidRequirementError, match="is not a valid project name"):
            asyncio.run(client.project(name))
    assert client.requests == []


def test_fetch_credentials_mode_goes_to_the_runtime_and_unknown_modes_are_refused():
    runtime = ScriptedRuntime({PAGE: [_page()]})
    asyncio.run(IndexClient(Fetcher(runtime, fetch_credentials="include"), [INDEX]).project("demo"))
    assert runtime.credentials == "include"
    with pytest.raises(ValueError, match="must be one of omit, same-origin, include"):
        Fetcher(runtime, fetch_credentials="always")


def test_unknown_strategy_is_refused():
    with pytest.raises(
        ValueError, match="unknown index strategy 'best'; use one of first-index, all-indexes"
    ):
        IndexClient(Fetcher(ScriptedRuntime({})), [INDEX], strategy="best")  # type: ignore[arg-type]
