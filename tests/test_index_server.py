"""Host-side tests of the loopback package index used by the Pyodide tests."""

from __future__ import annotations

import base64
import hashlib
import html.parser
import http.client
import io
import json
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from tests.support.index_server import IndexServer, normalize_name

JSON_V1 = "application/vnd.pypi.simple.v1+json"
HTML_V1 = "application/vnd.pypi.simple.v1+html"


# --------------------------------------------------------------------------- helpers


def make_wheel(
    name: str,
    version: str,
    *,
    requires_python: str | None = None,
    requires_dist: tuple[str, ...] = (),
    tag: str = "py3-none-any",
) -> tuple[str, bytes]:
    """A minimal valid wheel: (filename, bytes)."""
    dist = f"{normalize_name(name).replace('-', '_')}-{version}"
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {name}",
        f"Version: {version}",
        f"Summary: test package {name}",
    ]
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    lines += [f"Requires-Dist: {r}" for r in requires_dist]
    files = {
        f"{dist.split('-')[0]}/__init__.py": b"__version__ = %r\n" % version,
        f"{dist}.dist-info/METADATA": ("\n".join(lines) + "\n").encode(),
        f"{dist}.dist-info/WHEEL": (
            f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: {tag}\n"
        ).encode(),
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist}.dist-info/RECORD,,")
    files[f"{dist}.dist-info/RECORD"] = ("\n".join(record) + "\n").encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in files.items():
            zf.writestr(path, data)
    return f"{dist}-{tag}.whl", buf.getvalue()


@dataclass
class Resp:
    status: int
    headers: Message
    body: bytes
    url: str

    def json(self) -> Any:
        return json.loads(self.body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_FOLLOW = urllib.request.build_opener()  # built once: each build makes an SSL context
_NO_FOLLOW = urllib.request.build_opener(_NoRedirect)


def fetch(
    url: str,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    follow: bool = True,
) -> Resp:
    """GET (or other method) with urllib, returning error statuses instead of raising."""
    req = urllib.request.Request(url, method=method, headers=dict(headers or {}))
    opener = _FOLLOW if follow else _NO_FOLLOW
    try:
        with opener.open(req, timeout=30) as r:
            return Resp(r.status, r.headers, r.read(), r.url)
    except urllib.error.HTTPError as e:
        return Resp(e.code, e.headers, e.read(), e.url)


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


class _Anchors(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[dict[str, str | None]] = []
        self.meta: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.anchors.append(dict(attrs))
        elif tag == "meta":
            d = dict(attrs)
            self.meta[str(d.get("name"))] = d.get("content")


def parse_html(body: bytes) -> _Anchors:
    parser = _Anchors()
    parser.feed(body.decode())
    return parser


@pytest.fixture
def server() -> Iterator[IndexServer]:
    with IndexServer() as s:
        yield s


@pytest.fixture
def demo(server: IndexServer) -> tuple[str, bytes]:
    filename, data = make_wheel("Demo_Pkg", "1.0", requires_python=">=3.12")
    server.add_wheel(data, filename)
    return filename, data


# --------------------------------------------------------------------------- Simple API


def test_json_requested_gets_pep691_json(server: IndexServer, demo: tuple[str, bytes]) -> None:
    r = fetch(server.simple_url + "demo-pkg/", headers={"Accept": JSON_V1})
    assert r.status == 200
    assert r.headers["Content-Type"] == JSON_V1
    doc = r.json()
    assert doc["meta"]["api-version"] == "1.1"
    assert doc["name"] == "demo-pkg"
    assert [f["filename"] for f in doc["files"]] == [demo[0]]


def test_html_requested_gets_pep503_html(server: IndexServer, demo: tuple[str, bytes]) -> None:
    for accept, ctype in [("text/html", "text/html"), (HTML_V1, HTML_V1), ("*/*", "text/html")]:
        r = fetch(server.simple_url + "demo-pkg/", headers={"Accept": accept})
        assert r.status == 200
        assert r.headers["Content-Type"] == ctype
        page = parse_html(r.body)
        assert page.meta["pypi:repository-version"] == "1.1"
        assert [str(a["href"]).split("#")[0].rsplit("/", 1)[1] for a in page.anchors] == [demo[0]]


def test_accept_q_values_pick_the_preferred_format(
    server: IndexServer, demo: tuple[str, bytes]
) -> None:
    accept = f"{JSON_V1};q=0.2, text/html;q=0.9"
    r = fetch(server.simple_url + "demo-pkg/", headers={"Accept": accept})
    assert r.headers["Content-Type"] == "text/html"
    accept = f"{JSON_V1}, {HTML_V1};q=0.1, text/html;q=0.01"
    r = fetch(server.simple_url + "demo-pkg/", headers={"Accept": accept})
    assert r.headers["Content-Type"] == JSON_V1


def test_format_query_parameter_selects_json(server: IndexServer, demo: tuple[str, bytes]) -> None:
    r = fetch(server.simple_url + f"demo-pkg/?format={JSON_V1}")
    assert r.headers["Content-Type"] == JSON_V1


def test_unacceptable_accept_gets_406(server: IndexServer, demo: tuple[str, bytes]) -> None:
    r = fetch(server.simple_url + "demo-pkg/", headers={"Accept": "application/xml"})
    assert r.status == 406


def test_force_html_answers_html_when_json_requested(
    server: IndexServer, demo: tuple[str, bytes]
) -> None:
    server.force_html = True
    r = fetch(server.simple_url + "demo-pkg/", headers={"Accept": JSON_V1})
    assert r.status == 200
    assert r.headers["Content-Type"] == "text/html"
    assert parse_html(r.body).anchors


def test_project_list_in_both_formats(server: IndexServer) -> None:
    for name in ("Zeta.Pkg", "alpha"):
        server.add_wheel(make_wheel(name, "1.0")[1], make_wheel(name, "1.0")[0])
    doc = fetch(server.simple_url, headers={"Accept": JSON_V1}).json()
    assert [p["name"] for p in doc["projects"]] == ["alpha", "Zeta.Pkg"]
    page = parse_html(fetch(server.simple_url, headers={"Accept": "text/html"}).body)
    assert [urljoin(server.simple_url, a["href"]) for a in page.anchors] == [
        server.simple_url + "alpha/",
        server.simple_url + "zeta-pkg/",
    ]


def test_relative_file_urls_resolve_to_the_served_file(
    server: IndexServer, demo: tuple[str, bytes]
) -> None:
    page_url = server.simple_url + "demo-pkg/"
    doc = fetch(page_url, headers={"Accept": JSON_V1}).json()
    json_url = doc["files"][0]["url"]
    assert not urlsplit(json_url).scheme  # relative by default
    html_href = parse_html(fetch(page_url, headers={"Accept": "text/html"}).body).anchors[0]
    for link in (json_url, str(html_href["href"])):
        resolved = urljoin(page_url, link).split("#")[0]
        assert resolved == server.url_for(demo[0])
        assert fetch(resolved).body == demo[1]


def test_absolute_urls_option_lists_absolute_urls(
    server: IndexServer, demo: tuple[str, bytes]
) -> None:
    server.absolute_urls = True
    doc = fetch(server.simple_url + "demo-pkg/", headers={"Accept": JSON_V1}).json()
    assert doc["files"][0]["url"] == server.url_for(demo[0])


def test_files_base_url_points_listings_at_another_host(demo: tuple[str, bytes]) -> None:
    filename, data = demo
    with IndexServer() as index, IndexServer() as files:
        index.add_wheel(data, filename)
        files.add_wheel(data, filename)
        index.files_base_url = files.url + "/files/"
        doc = fetch(index.simple_url + "demo-pkg/", headers={"Accept": JSON_V1}).json()
        assert doc["files"][0]["url"] == files.url_for(filename)
        assert fetch(doc["files"][0]["url"]).body == data


def test_listed_sha256_matches_the_file_bytes(server: IndexServer, demo: tuple[str, bytes]) -> None:
    expected = hashlib.sha256(demo[1]).hexdigest()
    doc = fetch(server.simple_url + "demo-pkg/", headers={"Accept": JSON_V1}).json()
    assert doc["files"][0]["hashes"] == {"sha256": expected}
    anchor = parse_html(fetch(server.simple_url + "demo-pkg/").body).anchors[0]
    assert str(anchor["href"]).endswith(f"#sha256={expected}")
    assert hashlib.sha256(fetch(server.url_for(demo[0])).body).hexdigest() == expected


def test_hashes_override_changes_what_listings_show(server: IndexServer) -> None:
    filename, data = make_wheel("nohash", "1.0")
    server.add_wheel(data, filename, hashes={})
    doc = fetch(server.simple_url + "nohash/", headers={"Accept": JSON_V1}).json()
    assert doc["files"][0]["hashes"] == {}
    assert "#" not in str(parse_html(fetch(server.simple_url + "nohash/").body).anchors[0]["href"])


def test_metadata_file_is_served_and_matches_core_metadata_hash(
    server: IndexServer, demo: tuple[str, bytes]
) -> None:
    filename, data = demo
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        wheel_metadata = zf.read("demo_pkg-1.0.dist-info/METADATA")
    meta = fetch(server.url_for(filename) + ".metadata")
    assert meta.status == 200
    assert meta.body == wheel_metadata
    digest = hashlib.sha256(meta.body).hexdigest()
    entry = fetch(server.simple_url + "demo-pkg/", headers={"Accept": JSON_V1}).json()["files"][0]
    assert entry["core-metadata"] == {"sha256": digest}
    assert entry["dist-info-metadata"] == {"sha256": digest}
    anchor = parse_html(fetch(server.simple_url + "demo-pkg/").body).anchors[0]
    assert anchor["data-core-metadata"] == f"sha256={digest}"
    assert anchor["data-dist-info-metadata"] == f"sha256={digest}"


def test_metadata_false_serves_no_metadata(server: IndexServer) -> None:
    filename, data = make_wheel("nometa", "1.0")
    server.add_wheel(data, filename, metadata=False)
    entry = fetch(server.simple_url + "nometa/", headers={"Accept": JSON_V1}).json()["files"][0]
    assert entry["core-metadata"] is False
    assert (
        "data-core-metadata" not in parse_html(fetch(server.simple_url + "nometa/").body).anchors[0]
    )
    assert fetch(server.url_for(filename) + ".metadata").status == 404


def test_metadata_bytes_override_is_served(server: IndexServer) -> None:
    filename, data = make_wheel("liar", "1.0")
    fake = b"Metadata-Version: 2.1\nName: liar\nVersion: 1.0\nRequires-Dist: other\n"
    server.add_wheel(data, filename, metadata=fake)
    assert fetch(server.url_for(filename) + ".metadata").body == fake
    entry = fetch(server.simple_url + "liar/", headers={"Accept": JSON_V1}).json()["files"][0]
    assert entry["core-metadata"] == {"sha256": hashlib.sha256(fake).hexdigest()}


def test_wheel_without_metadata_file_is_refused_unless_metadata_false(
    server: IndexServer,
) -> None:
    with pytest.raises(ValueError, match="metadata=False"):
        server.add_wheel(b"not a zip", "broken-1.0-py3-none-any.whl")
    server.add_wheel(b"not a zip", "broken-1.0-py3-none-any.whl", metadata=False)
    assert fetch(server.url_for("broken-1.0-py3-none-any.whl")).body == b"not a zip"


def test_yanked_and_requires_python_in_json(server: IndexServer) -> None:
    cases: list[tuple[str, str | bool]] = [("1.0", "broken build"), ("1.1", True), ("1.2", False)]
    for version, yanked in cases:
        filename, data = make_wheel("yk", version)
        server.add_wheel(data, filename, yanked=yanked, requires_python=">=3.8,<4")
    files = fetch(server.simple_url + "yk/", headers={"Accept": JSON_V1}).json()["files"]
    assert [f["yanked"] for f in files] == ["broken build", True, False]
    assert {f["requires-python"] for f in files} == {">=3.8,<4"}


def test_yanked_and_requires_python_in_html_are_escaped(server: IndexServer) -> None:
    cases: list[tuple[str, str | bool]] = [
        ("1.0", 'a <bad> & "odd" one'),
        ("1.1", True),
        ("1.2", False),
    ]
    for version, yanked in cases:
        filename, data = make_wheel("yk", version)
        server.add_wheel(data, filename, yanked=yanked, requires_python=">=3.8,<4")
    r = fetch(server.simple_url + "yk/")
    assert b'data-requires-python="&gt;=3.8,&lt;4"' in r.body
    assert b"<bad>" not in r.body
    anchors = parse_html(r.body).anchors
    assert [a["data-requires-python"] for a in anchors] == [">=3.8,<4"] * 3
    assert [a.get("data-yanked", "absent") for a in anchors] == [
        'a <bad> & "odd" one',
        "",
        "absent",
    ]


def test_requires_python_defaults_to_the_wheel_metadata(
    server: IndexServer, demo: tuple[str, bytes]
) -> None:
    entry = fetch(server.simple_url + "demo-pkg/", headers={"Accept": JSON_V1}).json()["files"][0]
    assert entry["requires-python"] == ">=3.12"
    filename, data = make_wheel("other", "1.0", requires_python=">=3.12")
    server.add_wheel(data, filename, requires_python="")
    entry = fetch(server.simple_url + "other/", headers={"Accept": JSON_V1}).json()["files"][0]
    assert "requires-python" not in entry


def test_pep700_size_upload_time_and_versions(server: IndexServer) -> None:
    for version in ("2.0", "1.10", "1.9", "2.0rc1"):
        filename, data = make_wheel("multi", version)
        server.add_wheel(data, filename)
    server.add_sdist(b"sdist bytes", "multi-3.0.tar.gz", upload_time="2025-06-01T12:00:00.000000Z")
    doc = fetch(server.simple_url + "multi/", headers={"Accept": JSON_V1}).json()
    assert doc["versions"] == ["1.9", "1.10", "2.0rc1", "2.0", "3.0"]
    sizes = {f["filename"]: f["size"] for f in doc["files"]}
    assert sizes["multi-3.0.tar.gz"] == len(b"sdist bytes")
    for f in doc["files"]:
        assert f["size"] == len(fetch(urljoin(server.simple_url + "multi/", f["url"])).body)
        assert f["upload-time"].endswith("Z")
    times = {f["filename"]: f["upload-time"] for f in doc["files"]}
    assert times["multi-3.0.tar.gz"] == "2025-06-01T12:00:00.000000Z"
    assert times["multi-2.0-py3-none-any.whl"] < times["multi-1.10-py3-none-any.whl"]


def test_sdist_is_listed_as_a_plain_file(server: IndexServer) -> None:
    server.add_sdist(b"\x1f\x8b fake tarball", "Only_Source-0.5.tar.gz")
    doc = fetch(server.simple_url + "only-source/", headers={"Accept": JSON_V1}).json()
    (entry,) = doc["files"]
    assert entry["filename"] == "Only_Source-0.5.tar.gz"
    assert entry["core-metadata"] is False
    assert doc["versions"] == ["0.5"]
    api = fetch(server.url + "/pypi/only-source/json").json()
    assert api["urls"][0]["packagetype"] == "sdist"


def test_unknown_project_is_404(server: IndexServer) -> None:
    assert fetch(server.simple_url + "nope/", headers={"Accept": JSON_V1}).status == 404
    assert fetch(server.simple_url + "nope/").status == 404
    assert fetch(server.url + "/pypi/nope/json").status == 404


def test_non_normalized_name_redirects_to_normalized_url(
    server: IndexServer, demo: tuple[str, bytes]
) -> None:
    for path in ("Demo_Pkg/", "demo.pkg/", "demo-pkg"):
        r = fetch(server.simple_url + path, follow=False)
        assert r.status == 301
        assert r.headers["Location"] == "/simple/demo-pkg/"
    r = fetch(server.simple_url + "Demo_Pkg/", headers={"Accept": JSON_V1})
    assert r.status == 200 and r.url == server.simple_url + "demo-pkg/"


def test_empty_project_lists_no_files(server: IndexServer) -> None:
    server.add_project("Empty")
    doc = fetch(server.simple_url + "empty/", headers={"Accept": JSON_V1}).json()
    assert doc["files"] == [] and doc["versions"] == []


# --------------------------------------------------------------------------- JSON API


def test_json_api_project_document_shape(server: IndexServer) -> None:
    for version in ("1.0", "2.0", "3.0b1"):
        filename, data = make_wheel(
            "Api-Pkg",
            version,
            requires_python=">=3.10",
            requires_dist=("idna>=2", 'rich; extra == "cli"'),
        )
        server.add_wheel(data, filename, yanked="bad" if version == "1.0" else False)
    server.add_sdist(b"sd", "api_pkg-2.0.tar.gz")
    doc = fetch(server.url + "/pypi/Api-Pkg/json").json()
    info = doc["info"]
    assert info["name"] == "Api-Pkg"
    assert info["version"] == "2.0"  # latest final release; 3.0b1 is a pre-release
    assert info["requires_python"] == ">=3.10"
    assert info["requires_dist"] == ["idna>=2", 'rich; extra == "cli"']
    assert info["yanked"] is False
    assert set(doc["releases"]) == {"1.0", "2.0", "3.0b1"}
    assert sorted(f["packagetype"] for f in doc["urls"]) == ["bdist_wheel", "sdist"]
    wheel = next(f for f in doc["urls"] if f["packagetype"] == "bdist_wheel")
    body = fetch(wheel["url"]).body  # absolute URL
    assert wheel["url"] == server.url_for("api_pkg-2.0-py3-none-any.whl")
    assert wheel["digests"]["sha256"] == hashlib.sha256(body).hexdigest()
    assert wheel["size"] == len(body)
    assert wheel["requires_python"] == ">=3.10"
    assert wheel["upload_time_iso_8601"].endswith("Z")
    (old,) = doc["releases"]["1.0"]
    assert old["yanked"] is True and old["yanked_reason"] == "bad"


def test_json_api_version_document(server: IndexServer) -> None:
    for version in ("1.0", "2.0"):
        filename, data = make_wheel("vpkg", version)
        server.add_wheel(data, filename, yanked="gone" if version == "1.0" else False)
    doc = fetch(server.url + "/pypi/vpkg/1.0/json").json()
    assert doc["info"]["version"] == "1.0"
    assert doc["info"]["yanked"] is True and doc["info"]["yanked_reason"] == "gone"
    assert [f["filename"] for f in doc["urls"]] == ["vpkg-1.0-py3-none-any.whl"]
    assert "releases" not in doc
    assert fetch(server.url + "/pypi/vpkg/9.9/json").status == 404


# --------------------------------------------------------------------------- faults


def test_fail_always_answers_the_status(server: IndexServer, demo: tuple[str, bytes]) -> None:
    fault = server.fail("/files/*.whl", status=503)
    for _ in range(3):
        assert fetch(server.url_for(demo[0])).status == 503
    assert fault.hits == 3
    assert fetch(server.url_for(demo[0]) + ".metadata").status == 200


def test_fail_times_then_recovers(server: IndexServer, demo: tuple[str, bytes]) -> None:
    server.fail(server.url_for(demo[0]), status=500, times=2, headers={"Retry-After": "0"})
    first = fetch(server.url_for(demo[0]))
    assert first.status == 500 and first.headers["Retry-After"] == "0"
    assert fetch(server.url_for(demo[0])).status == 500
    ok = fetch(server.url_for(demo[0]))
    assert ok.status == 200 and ok.body == demo[1]


def test_truncate_serves_a_short_body_with_status_200(
    server: IndexServer, demo: tuple[str, bytes]
) -> None:
    server.truncate("*.whl", 100)
    r = fetch(server.url_for(demo[0]))
    assert r.status == 200
    assert r.body == demo[1][:100]
    assert r.headers["Content-Length"] == "100"


def test_truncate_close_early_cuts_the_connection(
    server: IndexServer, demo: tuple[str, bytes]
) -> None:
    server.truncate("*.whl", 100, close_early=True, times=1)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request("GET", urlsplit(server.url_for(demo[0])).path)
    resp = conn.getresponse()
    assert resp.status == 200
    assert resp.getheader("Content-Length") == str(len(demo[1]))
    with pytest.raises(http.client.IncompleteRead) as exc:
        resp.read()
    assert exc.value.partial == demo[1][:100]
    conn.close()
    assert fetch(server.url_for(demo[0])).body == demo[1]  # times=1 used up


def test_corrupt_flips_bytes_keeping_the_length(
    server: IndexServer, demo: tuple[str, bytes]
) -> None:
    server.corrupt("*.whl")
    r = fetch(server.url_for(demo[0]))
    assert r.status == 200
    assert len(r.body) == len(demo[1])
    assert r.body != demo[1]
    assert hashlib.sha256(r.body).hexdigest() != hashlib.sha256(demo[1]).hexdigest()


def test_reset_faults_restores_normal_answers(server: IndexServer, demo: tuple[str, bytes]) -> None:
    server.fail("*", status=500)
    server.corrupt("*.whl")
    server.reset_faults()
    assert fetch(server.url_for(demo[0])).body == demo[1]


def test_latency_is_applied_to_every_response(server: IndexServer, demo: tuple[str, bytes]) -> None:
    server.latency = 0.2
    started = time.monotonic()
    assert fetch(server.url_for(demo[0])).status == 200
    assert time.monotonic() - started >= 0.2  # a lower bound only
    (record,) = server.find(server.url_for(demo[0]))
    assert record.delay == pytest.approx(0.2)
    assert record.end - record.time >= 0.2


def test_delay_fault_adds_to_matching_paths_only(
    server: IndexServer, demo: tuple[str, bytes]
) -> None:
    server.delay("*.metadata", 0.1, times=1)
    fetch(server.url_for(demo[0]))
    fetch(server.url_for(demo[0]) + ".metadata")
    fetch(server.url_for(demo[0]) + ".metadata")
    assert [r.delay for r in server.requests] == [0.0, pytest.approx(0.1), 0.0]


# --------------------------------------------------------------------------- HTTP features


def test_range_request_returns_206_with_content_range(
    server: IndexServer, demo: tuple[str, bytes]
) -> None:
    data, url = demo[1], server.url_for(demo[0])
    r = fetch(url, headers={"Range": "bytes=10-19"})
    assert r.status == 206
    assert r.body == data[10:20]
    assert r.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
    suffix = fetch(url, headers={"Range": "bytes=-22"})  # e.g. a zip's end-of-central-directory
    assert suffix.status == 206 and suffix.body == data[-22:]
    assert suffix.headers["Content-Range"] == f"bytes {len(data) - 22}-{len(data) - 1}/{len(data)}"
    beyond = fetch(url, headers={"Range": f"bytes={len(data)}-"})
    assert beyond.status == 416
    assert beyond.headers["Content-Range"] == f"bytes */{len(data)}"


def test_head_returns_headers_without_body(server: IndexServer, demo: tuple[str, bytes]) -> None:
    r = fetch(server.url_for(demo[0]), method="HEAD")
    assert r.status == 200
    assert r.body == b""
    assert r.headers["Content-Length"] == str(len(demo[1]))
    assert r.headers["Content-Type"] == "application/octet-stream"
    assert r.headers["Accept-Ranges"] == "bytes"


def test_cors_and_no_store_headers_on_every_response(
    server: IndexServer, demo: tuple[str, bytes]
) -> None:
    server.require_auth("u", "p", "/private/*")
    responses = [
        fetch(server.simple_url + "demo-pkg/", headers={"Accept": JSON_V1}),
        fetch(server.url_for(demo[0])),
        fetch(server.url + "/missing"),
        fetch(server.url + "/private/x"),
        fetch(server.simple_url + "Demo_Pkg/", follow=False),
    ]
    assert [r.status for r in responses] == [200, 200, 404, 401, 301]
    for r in responses:
        assert r.headers["Access-Control-Allow-Origin"] == "*"
        assert r.headers["Cache-Control"] == "no-store"


def test_options_preflight_is_answered(server: IndexServer) -> None:
    server.require_auth("u", "p")
    r = fetch(
        server.simple_url + "x/",
        method="OPTIONS",
        headers={
            "Origin": "http://127.0.0.1:1",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization, x-custom",
        },
    )
    assert r.status == 204
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "*" in r.headers["Access-Control-Allow-Methods"]
    allowed = {h.strip().lower() for h in r.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"*", "authorization", "x-custom"} <= allowed


def test_basic_auth_challenges_then_accepts_credentials(
    server: IndexServer, demo: tuple[str, bytes]
) -> None:
    server.require_auth("alice", "s3cret", "/simple/*")
    page = server.simple_url + "demo-pkg/"
    anonymous = fetch(page)
    assert anonymous.status == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic")
    assert fetch(page, headers=basic("alice", "wrong")).status == 401
    assert fetch(page, headers=basic("alice", "s3cret")).status == 200
    assert fetch(server.url_for(demo[0])).status == 200  # outside the protected glob
    assert [r.auth for r in server.requests] == [
        None,
        ("alice", "wrong"),
        ("alice", "s3cret"),
        None,
    ]


def test_request_log_shows_which_host_got_credentials(demo: tuple[str, bytes]) -> None:
    filename, data = demo
    with IndexServer() as index, IndexServer() as files:
        index.require_auth("bob", "pw")
        index.add_wheel(data, filename)
        files.add_wheel(data, filename)
        index.files_base_url = files.url + "/files/"
        doc = fetch(
            index.simple_url + "demo-pkg/", headers={"Accept": JSON_V1, **basic("bob", "pw")}
        ).json()
        fetch(doc["files"][0]["url"])  # a well-behaved client sends no credentials here
        assert [r.auth for r in index.requests] == [("bob", "pw")]
        assert [r.auth for r in files.requests] == [None]


def test_request_log_and_count(server: IndexServer, demo: tuple[str, bytes]) -> None:
    fetch(server.simple_url + "demo-pkg/", headers={"Accept": JSON_V1, "X-Test": "1"})
    fetch(server.url_for(demo[0]))
    fetch(server.url_for(demo[0]), method="HEAD")
    fetch(server.url_for(demo[0]), method="OPTIONS")
    fetch(server.url + "/nothing?x=1")
    log = server.requests
    assert [(r.method, r.path, r.status) for r in log] == [
        ("GET", "/simple/demo-pkg/", 200),
        ("GET", f"/files/{demo[0]}", 200),
        ("HEAD", f"/files/{demo[0]}", 200),
        ("OPTIONS", f"/files/{demo[0]}", 204),
        ("GET", "/nothing", 404),
    ]
    assert log[0].header("x-test") == "1" and log[0].header("ACCEPT") == JSON_V1
    assert log[1].bytes_sent == len(demo[1]) and log[2].bytes_sent == 0
    assert log[4].query == "x=1"
    assert server.count("/files/*") == 2  # OPTIONS preflights are not counted by default
    assert server.count("/files/*", method="OPTIONS") == 1
    assert server.count(server.url_for(demo[0]), method="GET") == 1
    server.clear_requests()
    assert server.requests == [] and server.count("*") == 0


def test_quoted_filenames_with_plus_are_served(server: IndexServer) -> None:
    filename, data = make_wheel("local", "1.0+cpu")
    url = server.add_wheel(data, filename)
    assert "%2B" in url
    assert fetch(url).body == data
    assert server.count(url) == 1


# --------------------------------------------------------------------------- static files


def test_add_file_serves_arbitrary_bytes(server: IndexServer) -> None:
    url = server.add_file("some/dir/blob.bin", b"\x00\x01payload")
    assert url == server.url + "/some/dir/blob.bin"
    assert fetch(url).body == b"\x00\x01payload"
    custom = server.add_file("index.json", b"{}", content_type="application/x-custom")
    assert fetch(custom).headers["Content-Type"] == "application/x-custom"


def test_root_directory_contents_are_served(tmp_path: Path) -> None:
    (tmp_path / "hello.txt").write_text("hi")
    with IndexServer(tmp_path) as s:
        assert fetch(s.url + "/hello.txt").body == b"hi"
    assert (tmp_path / "hello.txt").exists()  # a caller's root is not deleted


def test_mount_serves_a_directory_tree(server: IndexServer, tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "sub").mkdir(parents=True)
    (dist / "pyodide.asm.wasm").write_bytes(b"\x00asm\x01\x00\x00\x00")
    (dist / "pyodide.mjs").write_text("export {}")
    (dist / "index.html").write_text("<p>test page</p>")
    (dist / "sub" / "pyodide-lock.json").write_text("{}")
    (tmp_path / "secret.txt").write_text("outside")
    base = server.mount("/pyodide/", dist)
    assert base == server.url + "/pyodide/"
    assert fetch(base + "pyodide.asm.wasm").headers["Content-Type"] == "application/wasm"
    assert fetch(base + "pyodide.mjs").headers["Content-Type"] == "text/javascript"
    assert fetch(base + "sub/pyodide-lock.json").json() == {}
    assert fetch(base).body == b"<p>test page</p>"
    assert fetch(base + "nope.js").status == 404
    assert fetch(base + "%2e%2e/secret.txt").status == 404  # no escaping the mounted tree


def test_add_redirect(server: IndexServer, demo: tuple[str, bytes]) -> None:
    server.add_redirect("/old/demo.whl", server.url_for(demo[0]), status=302)
    r = fetch(server.url + "/old/demo.whl", follow=False)
    assert r.status == 302 and r.headers["Location"] == server.url_for(demo[0])
    assert fetch(server.url + "/old/demo.whl").body == demo[1]


# --------------------------------------------------------------------------- lifecycle


def test_server_is_quiet_unless_verbose(
    server: IndexServer, demo: tuple[str, bytes], capfd: pytest.CaptureFixture[str]
) -> None:
    fetch(server.simple_url + "demo-pkg/")
    fetch(server.url + "/missing")
    assert capfd.readouterr().err == ""
    server.verbose = True
    fetch(server.url + "/missing")
    assert "/missing" in capfd.readouterr().err


def test_stop_closes_the_port_and_removes_the_temporary_root() -> None:
    with IndexServer() as s:
        url, root = s.url, s.root
        assert root.is_dir()
    assert not root.exists()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "/", timeout=5)


def test_max_in_flight_counts_sequential_requests_as_one(
    server: IndexServer, demo: tuple[str, bytes]
) -> None:
    for _ in range(3):
        fetch(server.url_for(demo[0]))
    assert server.max_in_flight == 1
    assert server.in_flight == 0
    server.clear_requests()
    assert server.max_in_flight == 0


def test_stop_cuts_kept_alive_connections(demo: tuple[str, bytes]) -> None:
    with IndexServer() as s:
        s.add_wheel(demo[1], demo[0])
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
        conn.request("GET", f"/files/{demo[0]}")
        assert conn.getresponse().read() == demo[1]  # HTTP/1.1: the connection stays open
    with pytest.raises(OSError):
        conn.request("GET", f"/files/{demo[0]}")
        conn.getresponse()
    conn.close()
