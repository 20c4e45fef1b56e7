"""The index client inside real Pyodide against loopback indexes: page formats, strategies,
metadata, credentials, sharing."""

from __future__ import annotations

import hashlib

import pytest

from tests.support.index_server import IndexServer
from tests.support.wheels import WheelSpec, build_wheel, simple_wheel

JSON_V1 = "application/vnd.pypi.simple.v1+json"


# -- code that runs inside Pyodide (self-contained: imports inside) ----------------------------


async def _pages(index_urls, names, strategy="first-index"):
    """Each name's page (files as dicts) or error, and the URLs the client fetched."""
    import dataclasses

    from micropip2.fetch import Fetcher
    from micropip2.index.client import IndexClient
    from micropip2.runtime import current_runtime

    client = IndexClient(Fetcher(current_runtime()), index_urls, strategy=strategy)
    found = {}
    for name in names:
        try:
            page = await client.project(name)
        except Exception as exc:
            found[name] = {"error": type(exc).__name__, "message": str(exc)}
        else:
            found[name] = None if page is None else dataclasses.asdict(page)
    return {"pages": found, "requests": client.requests}


def _files(got: dict, name: str) -> dict[str, dict]:
    return {f["filename"]: f for f in got["pages"][name]["files"]}


def _metadata_sha(data: bytes) -> str:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        (name,) = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        return hashlib.sha256(zf.read(name)).hexdigest()


def _add_demo_project(server: IndexServer) -> dict[str, bytes]:
    """demo 1.0 (requires-python with < and >), 0.9 (yanked with a reason), an sdist 0.8."""
    wheels = {
        "1.0": build_wheel(
            WheelSpec(
                "demo", "1.0", files={"demo/__init__.py": "V = 1\n"}, requires_python=">=3.8,<4"
            )
        ),
        "0.9": build_wheel(WheelSpec("demo", "0.9", files={"demo/__init__.py": "V = 0\n"})),
    }
    server.add_wheel(wheels["1.0"], "demo-1.0-py3-none-any.whl")
    server.add_wheel(wheels["0.9"], "demo-0.9-py3-none-any.whl", yanked="broken & <bad>")
    server.add_sdist(b"not really a tarball", "demo-0.8.tar.gz", requires_python=">=3.6")
    return wheels


# -- page formats ----------------------------------------------------------------------------


@pytest.mark.smoke
def test_pep691_json_and_pep503_html_pages_give_the_same_files(runtime, index_server):
    wheels = _add_demo_project(index_server)
    as_json = runtime.call(_pages, [index_server.simple_url], ["demo"])
    index_server.force_html = True  # answers text/html although JSON was asked for first
    as_html = runtime.call(_pages, [index_server.simple_url], ["demo"])

    (asked_json, asked_html) = index_server.find("/simple/demo/")
    assert asked_json.header("accept").startswith(JSON_V1) and asked_html.header(
        "accept"
    ).startswith(JSON_V1)
    json_files, html_files = _files(as_json, "demo"), _files(as_html, "demo")
    new = json_files["demo-1.0-py3-none-any.whl"]
    assert new == {
        "filename": "demo-1.0-py3-none-any.whl",
        "url": index_server.url_for("demo-1.0-py3-none-any.whl"),  # "../../files/..." made absolute
        "sha256": hashlib.sha256(wheels["1.0"]).hexdigest(),
        "requires_python": ">=3.8,<4",
        "yanked": None,
        "metadata_sha256": _metadata_sha(wheels["1.0"]),
        "has_metadata": True,
        "size": len(wheels["1.0"]),
        "upload_time": new["upload_time"],
        "index_url": index_server.simple_url,
    }
    assert json_files["demo-0.9-py3-none-any.whl"]["yanked"] == "broken & <bad>"
    sdist = json_files["demo-0.8.tar.gz"]
    assert (sdist["requires_python"], sdist["has_metadata"], sdist["url"]) == (
        ">=3.6",
        False,
        index_server.url_for("demo-0.8.tar.gz"),
    )
    # HTML carries no PEP 700 fields; everything else is the same
    without_pep700 = {
        name: {**f, "size": None, "upload_time": None} for name, f in json_files.items()
    }
    assert html_files == without_pep700
    assert as_json["pages"]["demo"]["index_urls"] == [index_server.simple_url]


def test_json_api_and_package_name_templates(runtime, index_server):
    _add_demo_project(index_server)
    simple = runtime.call(_pages, [index_server.simple_url], ["demo"])
    template = runtime.call(_pages, [f"{index_server.url}/simple/{{package_name}}/"], ["Demo"])
    api = runtime.call(_pages, [index_server.json_api_url], ["DEMO"])

    assert template["requests"] == [f"{index_server.url}/simple/demo/"]  # the normalized name
    assert _files(template, "Demo") == {
        name: {**f, "index_url": f"{index_server.url}/simple/{{package_name}}/"}
        for name, f in _files(simple, "demo").items()
    }
    assert api["requests"] == [f"{index_server.url}/pypi/demo/json"]
    api_files, simple_files = _files(api, "DEMO"), _files(simple, "demo")
    assert api_files.keys() == simple_files.keys()
    for name, f in api_files.items():
        expected = simple_files[name]
        assert (f["url"], f["sha256"], f["requires_python"], f["yanked"], f["size"]) == (
            expected["url"],
            expected["sha256"],
            expected["requires_python"],
            expected["yanked"],
            expected["size"],
        )
        assert f["has_metadata"] is False  # the JSON API does not announce .metadata files
    assert api["pages"]["DEMO"]["name"] == "demo"


# -- metadata files --------------------------------------------------------------------------


async def _metadata_checks(index_url):
    import asyncio

    from micropip2.fetch import Fetcher
    from micropip2.index.client import IndexClient
    from micropip2.runtime import current_runtime

    client = IndexClient(Fetcher(current_runtime()), [index_url])
    files = {f.filename: f for f in (await client.project("demo")).files}
    checked = files["demo-1.0-py3-none-any.whl"]
    together = await asyncio.gather(*(client.metadata(checked) for _ in range(3)))
    try:
        await client.metadata(files["demo-0.9-py3-none-any.whl"])  # corrupted once by the server
        first_try = "no error"
    except Exception as exc:
        first_try = f"{type(exc).__name__}: {exc}"
    second_try = await client.metadata(files["demo-0.9-py3-none-any.whl"])  # errors are not kept
    return {
        "same": len({bytes(m) for m in together}) == 1,
        "metadata": together[0].decode(),
        "again": (await client.metadata(checked)) == together[0],
        "first_try": first_try,
        "second_try": second_try.decode(),
        "without": await client.metadata(files["demo-0.8.tar.gz"]),
        "unannounced": await client.metadata(files["other-1.0-py3-none-any.whl"]),
        "requests": client.requests,
    }


def test_metadata_is_fetched_once_checked_against_the_page_and_a_bad_copy_is_an_error(
    runtime, index_server
):
    _add_demo_project(index_server)
    filename, data = simple_wheel("other")
    index_server.add_wheel(data, filename, project="demo", metadata=False)
    index_server.corrupt("/files/demo-0.9-py3-none-any.whl.metadata", times=1)
    got = runtime.call(_metadata_checks, index_server.simple_url)

    assert got["same"] and got["again"]
    assert (
        "Name: demo\nVersion: 1.0\n" in got["metadata"]
        and "Requires-Python: >=3.8,<4" in got["metadata"]
    )
    bad_url = index_server.url_for("demo-0.9-py3-none-any.whl") + ".metadata"
    assert got["first_try"].startswith(
        f"HashMismatchError: the metadata file {bad_url} has sha256 "
    )
    assert f"but the index {index_server.simple_url} promised " in got["first_try"]
    assert "Version: 0.9" in got["second_try"]
    assert got["without"] is None and got["unannounced"] is None  # the page announced no .metadata
    assert index_server.count("/files/demo-1.0-py3-none-any.whl.metadata") == 1
    assert index_server.count("/files/demo-0.9-py3-none-any.whl.metadata") == 2
    assert index_server.count("/files/other*") == index_server.count("/files/demo-0.8*") == 0


# -- strategies ------------------------------------------------------------------------------


def test_first_index_never_mixes_indexes_and_all_indexes_merges_them(runtime, index_server):
    first = index_server
    with IndexServer() as second:
        a_name, a_data = simple_wheel("demo", "1.0")
        first.add_wheel(a_data, a_name)
        _, b_data = simple_wheel("demo", "1.0", files={"demo/__init__.py": "OTHER = True\n"})
        second.add_wheel(b_data, a_name)  # same file name, other bytes: the first index wins
        second.add_wheel(simple_wheel("demo", "2.0")[1], "demo-2.0-py3-none-any.whl")
        second.add_wheel(simple_wheel("only-second", "1.0")[1], "only_second-1.0-py3-none-any.whl")
        indexes = [first.simple_url, second.simple_url]

        firsts = runtime.call(_pages, indexes, ["demo", "only-second", "nowhere"])
        assert list(_files(firsts, "demo")) == ["demo-1.0-py3-none-any.whl"]
        assert firsts["pages"]["demo"]["index_urls"] == [first.simple_url]
        assert firsts["pages"]["only-second"]["index_urls"] == [second.simple_url]
        assert firsts["pages"]["nowhere"] is None
        assert second.count("/simple/demo/") == 0  # never asked: the first index had it
        assert first.count("/simple/only-second/") == 1 and first.count("/simple/nowhere/") == 1
        assert second.count("/simple/nowhere/") == 1

        merged = runtime.call(_pages, indexes, ["demo"], "all-indexes")
        files = _files(merged, "demo")
        assert merged["pages"]["demo"]["index_urls"] == indexes
        assert list(files) == ["demo-1.0-py3-none-any.whl", "demo-2.0-py3-none-any.whl"]
        one, two = files.values()
        assert (one["url"], one["index_url"], one["sha256"]) == (
            first.url_for(a_name),
            first.simple_url,
            hashlib.sha256(a_data).hexdigest(),
        )
        assert (two["url"], two["index_url"]) == (
            second.url_for("demo-2.0-py3-none-any.whl"),
            second.simple_url,
        )


def test_404_asks_the_next_index_but_a_server_error_or_no_answer_stops_with_the_index_named(
    runtime, index_server
):
    index_server.add_wheel(simple_wheel("demo")[1], "demo-1.0-py3-none-any.whl")
    with IndexServer() as broken:
        broken.add_project("demo")
        broken.fail("/simple/*", 500)
        error = runtime.call(_pages, [broken.simple_url, index_server.simple_url], ["demo"])[
            "pages"
        ]["demo"]
        merged = runtime.call(
            _pages, [index_server.simple_url, broken.simple_url], ["demo"], "all-indexes"
        )
    assert error["error"] == "IndexRequestError"
    assert error["message"].startswith(
        f"the index {broken.simple_url} could not be used: "
        f"{broken.simple_url}demo/ answered HTTP 500 (injected failure); "
        "a server error (the request was tried again, and failed each time); "
        "micropip2 does not skip a failing index"
    )
    assert index_server.count("/simple/demo/") == 1  # only by the all-indexes call
    assert (
        merged["pages"]["demo"]["error"] == "IndexRequestError"
        and "HTTP 500" in merged["pages"]["demo"]["message"]
    )

    gone = IndexServer()  # bound, never started, then closed: nothing listens on its port
    gone.stop()
    silent = runtime.call(_pages, [gone.simple_url, index_server.simple_url], ["demo"])
    assert silent["pages"]["demo"]["error"] == "IndexRequestError"
    assert silent["pages"]["demo"]["message"].startswith(
        f"the index {gone.simple_url} could not be used: {gone.simple_url}demo/ got no answer ("
    )
    assert silent["pages"]["demo"]["message"].endswith("(after 3 tries))")
    if runtime.id.startswith("node"):  # Node names the reason; a browser gives none
        assert "ECONNREFUSED" in silent["pages"]["demo"]["message"]
    assert silent["requests"] == [f"{gone.simple_url}demo/"] * 3


# -- credentials -----------------------------------------------------------------------------


async def _with_credentials(index_url, other_url):
    from micropip2.fetch import Fetcher
    from micropip2.index.client import IndexClient
    from micropip2.runtime import current_runtime

    client = IndexClient(Fetcher(current_runtime()), [index_url])
    (file,) = (await client.project("demo")).files
    metadata = await client.metadata(file)
    return {
        "file": [file.url, file.index_url],
        "metadata": metadata is not None,
        "headers_for_file": client.auth_headers(file.url, file.index_url),
        "headers_for_index": sorted(client.auth_headers(other_url, file.index_url)),
        "requests": client.requests,
    }


@pytest.mark.smoke
def test_credentials_go_only_to_their_own_index_host(runtime, index_server):
    index = index_server
    with IndexServer() as files_host:
        filename, data = simple_wheel("demo")
        files_host.add_wheel(data, filename)  # the file and its .metadata live on another host
        index.files_base_url = files_host.url + "/files/"
        index.add_wheel(data, filename)
        index.require_auth("user", "s3 cret", "/simple/*")
        with_password = index.url.replace("://", "://user:s3%20cret@") + "/simple/"
        got = runtime.call(_with_credentials, with_password, index.url + "/simple/demo/")
        without = runtime.call(_pages, [index.simple_url], ["demo"])["pages"]["demo"]

        assert got["file"] == [
            files_host.url_for(filename),
            index.simple_url,
        ]  # no password in what is kept
        assert got["metadata"]
        assert got["headers_for_file"] == {} and got["headers_for_index"] == ["Authorization"]
        assert not any("s3" in url for url in got["requests"])
        (page_request, *_) = index.find("/simple/demo/")
        assert page_request.auth == ("user", "s3 cret")
        assert [r.auth for r in files_host.find("/files/*")] == [None]
        assert all(r.header("authorization") is None for r in files_host.requests)
    assert without["error"] == "IndexRequestError"
    assert f"{index.simple_url}demo/ answered HTTP 401" in without["message"]
    assert "the index wants credentials: put them in the index URL" in without["message"]


# -- one request per URL ---------------------------------------------------------------------


async def _many_at_once(index_url):
    import asyncio

    from micropip2.fetch import Fetcher
    from micropip2.index.client import IndexClient
    from micropip2.runtime import current_runtime

    client = IndexClient(Fetcher(current_runtime()), [index_url])
    pages = await asyncio.gather(
        *(client.project(name) for name in ["demo", "Demo", "DEMO", "demo", "d-e-m-o"])
    )
    wheel = next(f for f in pages[0].files if f.filename == "demo-1.0-py3-none-any.whl")
    metadata = await asyncio.gather(*(client.metadata(wheel) for _ in range(5)))
    later = await client.project("demo")
    return {
        "same_page": all(page is pages[0] for page in pages[:4]) and later is pages[0],
        "same_metadata": len({bytes(m) for m in metadata}) == 1,
        "requests": client.requests,
        "cache_hits": client.cache_hits,
    }


def test_identical_concurrent_requests_are_made_once(runtime, index_server):
    _add_demo_project(index_server)
    index_server.delay("/simple/demo/", 0.3)
    index_server.delay("*.metadata", 0.3)
    got = runtime.call(_many_at_once, index_server.simple_url)
    assert got["same_page"] and got["same_metadata"]
    assert index_server.count("/simple/demo/") == 1
    assert index_server.count("/files/demo-1.0-py3-none-any.whl.metadata") == 1
    assert got["requests"] == [
        index_server.simple_url + "demo/",
        index_server.simple_url + "d-e-m-o/",
        index_server.url_for("demo-1.0-py3-none-any.whl") + ".metadata",
    ]
    assert got["cache_hits"] == 3 + 4 + 1
