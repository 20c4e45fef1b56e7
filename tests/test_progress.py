"""Progress events, time limits, retries and deadlines of real installs inside Pyodide, against
the loopback index (with injected stalls and failures)."""

from __future__ import annotations

import json
import os
import urllib.request

import pytest

from tests.support.index_server import IndexServer
from tests.support.publish import publish
from tests.support.wheels import WheelSpec, build_wheel, simple_wheel

QUICK = {"timeout": 1, "cache": False}  # (the harness's call() takes its own timeout=)
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
BIG_BYTES = 1_500_000  # incompressible: the download arrives in many chunks


def _publish_app(index_server) -> dict[str, int]:
    """app 1.0 -> lib-a, big; returns each wheel's size by file name."""
    urls = [
        publish(index_server, "app", "1.0", ["lib-a", "big"]),
        publish(index_server, "lib-a", "1.0"),
    ]
    spec = WheelSpec(name="big", version="1.0", files={"big/data.bin": os.urandom(BIG_BYTES)})
    urls.append(index_server.add_wheel(build_wheel(spec), spec.filename))
    sizes = {}
    for url in urls:
        with urllib.request.urlopen(url) as answer:
            sizes[url.rsplit("/", 1)[-1]] = len(answer.read())
    index_server.clear_requests()
    return sizes


async def _collect(index_url, **kwargs):
    import micropip2

    events = []
    await micropip2.install("app", index_urls=[index_url], progress=events.append, **kwargs)
    return [event.as_dict() for event in events]


@pytest.mark.smoke
def test_the_events_of_a_real_install_add_up(runtime, index_server):
    sizes = _publish_app(index_server)
    index_server.stall("/files/big-1.0-py3-none-any.whl", 500_000, 0.3)  # arrives in two parts
    events = runtime.call(_collect, index_server.simple_url, cache=False)
    kinds = [event["kind"] for event in events]
    assert kinds[0] == "resolve-start" and kinds[-1] == "done"
    assert kinds.index("resolved") < kinds.index("write")
    done = events[-1]
    assert sorted(done["installed"]) == ["app==1.0", "big==1.0", "lib-a==1.0"]
    assert done["downloaded"] == sum(sizes.values()) and done["from_cache"] == 0
    by_file: dict[str, list[dict]] = {}
    for event in events:
        if event["kind"].startswith("download"):
            by_file.setdefault(event["filename"], []).append(event)
    assert set(by_file) == set(sizes)
    for filename, steps in by_file.items():
        assert steps[0]["kind"] == "download-start" and steps[-1]["kind"] == "download-done"
        assert steps[-1]["received"] == sizes[filename] == steps[-1]["total"]
        received = [s["received"] for s in steps if s["kind"] == "download"]
        assert received == sorted(received) and received[-1] == sizes[filename]
    big = [s for s in by_file["big-1.0-py3-none-any.whl"] if s["kind"] == "download"]
    assert len(big) > 1  # bytes are reported as they arrive, not only at the end
    written = {(e["name"], e["version"]) for e in events if e["kind"] == "write"}
    assert written == {("app", "1.0"), ("lib-a", "1.0"), ("big", "1.0")}
    chosen = {(e["name"], e["version"]) for e in events if e["kind"] == "chosen"}
    assert chosen == written


async def _async_and_js_listeners(index_url):
    import asyncio

    from pyodide.code import run_js

    import micropip2

    seen = []

    async def slow_listener(event):
        await asyncio.sleep(0)
        seen.append(event.kind)

    await micropip2.install("lib-a", index_urls=[index_url], progress=slow_listener)
    js_events = run_js("globalThis.micropip2Events = []; (e) => globalThis.micropip2Events.push(e)")
    await micropip2.install("app", index_urls=[index_url], progress=js_events)
    from_js = run_js("globalThis.micropip2Events.map((e) => [e.kind, e.installed ?? null])")
    return seen, from_js.to_py()


def test_async_and_js_functions_get_the_events(runtime, index_server):
    _publish_app(index_server)
    seen, from_js = runtime.call(_async_and_js_listeners, index_server.simple_url)
    assert seen[0] == "resolve-start" and seen[-1] == "done"  # every coroutine awaited, in order
    assert from_js[0][0] == "resolve-start"
    assert from_js[-1][0] == "done" and sorted(from_js[-1][1]) == ["app==1.0", "big==1.0"]


async def _failing(index_url):
    from mp2test import install_error

    events = []
    error = await install_error("app", index_urls=[index_url], progress=events.append)
    return error, [event.as_dict() for event in events]


@pytest.mark.smoke
def test_a_failed_install_ends_with_a_failure_event_and_nothing_installed(mp, index_server):
    _publish_app(index_server)
    index_server.corrupt("/files/big-*")
    error, events = mp.call(_failing, index_server.simple_url)
    assert error["type"] == "HashMismatchError" and not error["changed"]
    assert events[-1]["kind"] == "failed" and events[-1]["error"] == "HashMismatchError"
    assert events[-1]["rolled_back"] is True
    assert "done" not in [event["kind"] for event in events]


async def _printed(index_url):
    import contextlib
    import io

    import micropip2

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        await micropip2.install("app", index_urls=[index_url], progress=True, cache=False)
    quiet = io.StringIO()
    with contextlib.redirect_stdout(quiet):
        await micropip2.install("app", index_urls=[index_url])  # the default, not in a notebook
    return out.getvalue(), quiet.getvalue()


def test_progress_true_prints_the_summary_outside_a_notebook(runtime, index_server):
    sizes = _publish_app(index_server)
    printed, quiet = runtime.call(_printed, index_server.simple_url)
    first, *rest = printed.splitlines()
    megabytes = f"{sum(sizes.values()) / 1e6:.1f} MB"
    assert first.startswith(f"Resolved 3 packages, downloaded {megabytes}, installed 3 in ")
    assert sorted(rest) == [" + app==1.0", " + big==1.0", " + lib-a==1.0"]
    assert quiet == ""


async def _timed_error(requirement, index_url, kwargs):
    import time

    from mp2test import install_error

    import micropip2

    started = time.monotonic()
    error = await install_error(requirement, index_urls=[index_url], **kwargs)
    error["seconds"] = time.monotonic() - started
    try:
        await micropip2.install(requirement, index_urls=[index_url], **kwargs)
    except micropip2.errors.DownloadError as exc:
        error["timed_out"] = exc.timed_out
    except Exception as exc:
        error["timed_out"] = getattr(getattr(exc, "__cause__", None), "timed_out", None)
    return error


@pytest.mark.smoke
def test_a_silent_server_and_a_stalled_body_time_out(mp, index_server):
    _publish_app(index_server)
    index_server.delay("/simple/app/", 60)
    silent = mp.call(_timed_error, "app", index_server.simple_url, QUICK)
    assert silent["type"] == "IndexRequestError" and not silent["changed"]
    assert "timed out after 1 s waiting for an answer (after 3 tries)" in silent["message"]
    assert silent["timed_out"] is True
    assert silent["seconds"] < 30  # three tries of 1 s and their backoff, not the 60 s stall

    index_server.reset_faults()
    index_server.stall("/files/big-1.0-py3-none-any.whl", 1000, 60)
    stalled = mp.call(_timed_error, "app", index_server.simple_url, QUICK)
    assert stalled["type"] == "DownloadError" and not stalled["changed"]
    assert "timed out after 1 s without data (1000 bytes received)" in stalled["message"]
    assert stalled["timed_out"] is True


async def _install_report(index_url, **kwargs):
    import micropip2

    report = await micropip2.install("app", index_urls=[index_url], **kwargs)
    return sorted(f"{i.name}=={i.version}" for i in report.installed)


@pytest.mark.smoke
def test_transient_failures_are_tried_again(runtime, index_server):
    _publish_app(index_server)
    index_server.fail(
        "/files/lib_a-1.0-py3-none-any.whl", 503, times=2, headers={"Retry-After": "0"}
    )
    index_server.fail("/simple/big/", 429, times=1, headers={"Retry-After": "1"})
    installed = runtime.call(_install_report, index_server.simple_url, cache=False)
    assert installed == ["app==1.0", "big==1.0", "lib-a==1.0"]
    assert index_server.count("/files/lib_a-1.0-py3-none-any.whl") == 3
    assert index_server.count("/simple/big/") == 2


async def _deadline(index_url):
    import asyncio
    import time

    from mp2test import environment_state

    import micropip2

    before = environment_state()
    started = time.monotonic()
    try:
        await micropip2.install("app", index_urls=[index_url], deadline=2, cache=False)
    except micropip2.errors.DeadlineExceededError as exc:
        outcome = {"message": str(exc), "doing": exc.doing}
    outcome["seconds"] = time.monotonic() - started
    started = time.monotonic()
    try:
        await asyncio.wait_for(micropip2.install("app", index_urls=[index_url], cache=False), 2)
    except TimeoutError:
        outcome["wait_for_seconds"] = time.monotonic() - started
    outcome["unchanged"] = environment_state() == before
    return outcome


@pytest.mark.smoke
def test_a_deadline_or_a_cancellation_returns_at_once_and_changes_nothing(mp, index_server):
    _publish_app(index_server)
    index_server.stall("/files/big-1.0-py3-none-any.whl", 1000, 60)
    outcome = mp.call(_deadline, index_server.simple_url)
    assert outcome["message"].startswith(
        "the install did not finish within its deadline of 2 s (it was "
    )
    assert outcome["message"].endswith(
        "); nothing was changed: try again with a larger deadline, or deadline=None"
    )
    assert outcome["doing"] in ("downloading", "installing")
    # The body stalls for 60 s: returning well before proves the transfer was not waited for.
    assert outcome["seconds"] < 20 and outcome["wait_for_seconds"] < 20
    assert outcome["unchanged"] is True


async def _causes(urls):
    from mp2test import install_error

    return [await install_error(url, timeout=2) for url in urls]


@pytest.mark.smoke
def test_a_refused_connection_and_a_redirect_loop_name_their_cause(mp, index_server):
    # A refusal arrives before Python awaits the request: it once ended Node (an unhandled
    # rejection) instead of failing the install.
    index_server.add_redirect("/files/a-1.0-py3-none-any.whl", "/files/b-1.0-py3-none-any.whl")
    index_server.add_redirect("/files/b-1.0-py3-none-any.whl", "/files/a-1.0-py3-none-any.whl")
    gone = IndexServer()  # bound, never started, then closed: nothing listens on its port
    gone.stop()
    looped, refused = mp.call(
        _causes,
        [
            f"{index_server.url}/files/a-1.0-py3-none-any.whl",
            f"{gone.url}/files/c-1.0-py3-none-any.whl",
        ],
    )
    for got in (looped, refused):
        assert got["type"] == "DownloadError" and not got["changed"]
        assert got["message"].endswith("(after 3 tries)")
    if mp.id.startswith("node"):  # a browser gives no reason
        assert "(redirect count exceeded)" in looped["message"]
        assert "ECONNREFUSED" in refused["message"]


async def _too_large(index_url, template):
    from mp2test import install_error

    from micropip2 import limits

    limits.set_limits(page_size=100)
    try:
        page = await install_error("app", index_urls=[index_url], cache=False)
    finally:
        limits.reset_limits()
    wheel = await install_error("liar", index_urls=[template], cache=False)
    return page, wheel


def test_a_page_over_the_size_limit_and_a_file_longer_than_promised_are_refused(mp, index_server):
    _publish_app(index_server)
    filename, data = simple_wheel("liar", "1.0")
    url = index_server.add_file(f"w/{filename}", data)
    listing = {
        "meta": {"api-version": "1.1"},
        "name": "liar",
        "files": [{"filename": filename, "url": url, "hashes": {}, "size": 100}],
    }
    index_server.add_file("pages/liar.json", json.dumps(listing).encode(), content_type=SIMPLE_JSON)
    page, wheel = mp.call(
        _too_large, index_server.simple_url, f"{index_server.url}/pages/{{package_name}}.json"
    )
    assert page["type"] == "LimitExceededError" and not page["changed"]
    assert "larger than micropip2's limit of 100 bytes" in page["message"]
    assert "micropip2.limits.set_limits(page_size=400)" in page["message"]
    assert wheel["type"] == "DownloadError" and not wheel["changed"]
    assert "it sent more than the 100 bytes promised; it was not used" in wheel["message"]


async def _sync_events(index_url):
    import micropip2

    await micropip2.install("app", index_urls=[index_url], progress=False)
    lock = micropip2.freeze()
    micropip2.uninstall(["app", "big", "lib-a"])
    events = []
    await micropip2.sync(lock, progress=events.append, cache=False)
    return [event.as_dict() for event in events]


def test_sync_emits_the_same_events(runtime, index_server):
    sizes = _publish_app(index_server)
    events = runtime.call(_sync_events, index_server.simple_url)
    kinds = [event["kind"] for event in events]
    assert kinds[-1] == "done" and "resolved" in kinds
    done = events[-1]
    assert sorted(done["installed"]) == ["app==1.0", "big==1.0", "lib-a==1.0"]
    assert done["downloaded"] == sum(sizes.values())
    written = {e["name"] for e in events if e["kind"] == "write"}
    assert written == {"app", "big", "lib-a"}
    finished = {e["filename"]: e["received"] for e in events if e["kind"] == "download-done"}
    assert finished == sizes
