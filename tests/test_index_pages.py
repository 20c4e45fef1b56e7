"""Reading project pages on the host: PEP 691 JSON, PEP 503 HTML and the PyPI JSON API, from literal
documents."""

from __future__ import annotations

import dataclasses
import json

import pytest

from micropip2.index.errors import IndexPageError
from micropip2.index.models import ProjectFile
from micropip2.index.pages import (
    parse_json_api,
    parse_project_page,
    parse_simple_html,
    parse_simple_json,
)

PAGE = "https://index.example/simple/demo/"
FILES = "https://index.example/files/"
SHA_A = "a" * 64
SHA_B = "b" * 64
SHA_M = "c" * 64
JSON_V1 = "application/vnd.pypi.simple.v1+json"


def _json(doc: object) -> bytes:
    return json.dumps(doc).encode()


def _file(**fields) -> ProjectFile:
    base = {
        "sha256": None,
        "requires_python": None,
        "yanked": None,
        "metadata_sha256": None,
        "has_metadata": False,
    }
    return ProjectFile(**{**base, **fields})


# -- PEP 691 JSON ------------------------------------------------------------------------------

SIMPLE_JSON_DOC = {
    "meta": {"api-version": "1.1"},
    "name": "demo",
    "files": [
        {
            "filename": "demo-1.0-py3-none-any.whl",
            "url": "../../files/demo-1.0-py3-none-any.whl",
            "hashes": {"sha256": SHA_A.upper()},
            "requires-python": ">=3.10",
            "yanked": False,
            "core-metadata": {"sha256": SHA_M},
            "dist-info-metadata": {"sha256": SHA_M},
            "size": 1234,
            "upload-time": "2024-01-01T00:01:00.000000Z",
        },
        {
            "filename": "demo-0.9-py3-none-any.whl",
            "url": "https://files.example/demo-0.9-py3-none-any.whl",
            "hashes": {},
            "yanked": "broken build",
            "dist-info-metadata": True,
        },
        {
            "filename": "demo-0.8.tar.gz",
            "url": "/files/demo-0.8.tar.gz",
            "hashes": {"md5": "0" * 32},
            "yanked": True,
        },
    ],
}


def test_pep691_page_gives_absolute_urls_hashes_and_pep592_pep700_fields():
    page = parse_project_page(
        "Demo", PAGE, JSON_V1, _json(SIMPLE_JSON_DOC), index_url="https://index.example/simple"
    )
    assert page.name == "demo" and page.index_urls == ("https://index.example/simple",)
    wheel, old, sdist = page.files
    assert wheel == ProjectFile(
        filename="demo-1.0-py3-none-any.whl",
        url=FILES + "demo-1.0-py3-none-any.whl",
        sha256=SHA_A,
        requires_python=">=3.10",
        yanked=None,
        metadata_sha256=SHA_M,
        has_metadata=True,
        size=1234,
        upload_time="2024-01-01T00:01:00.000000Z",
        index_url="https://index.example/simple",
    )
    assert (old.url, old.sha256, old.yanked, old.has_metadata, old.metadata_sha256) == (
        "https://files.example/demo-0.9-py3-none-any.whl",
        None,
        "broken build",
        True,
        None,
    )
    assert (sdist.url, sdist.sha256, sdist.yanked, sdist.is_wheel) == (
        FILES + "demo-0.8.tar.gz",
        None,
        "",
        False,
    )


def test_pep714_core_metadata_wins_over_dist_info_metadata_in_json():
    entry = {"filename": "demo-1.0-py3-none-any.whl", "url": "x.whl", "hashes": {}}
    both = [
        ({"core-metadata": False, "dist-info-metadata": {"sha256": SHA_M}}, (False, None)),
        (
            {"core-metadata": {"sha256": SHA_B}, "dist-info-metadata": {"sha256": SHA_M}},
            (True, SHA_B),
        ),
        ({"core-metadata": True}, (True, None)),
        ({"dist-info-metadata": {"sha256": SHA_M}}, (True, SHA_M)),
        ({"core-metadata": {"md5": "0" * 32}}, (True, None)),
        ({}, (False, None)),
    ]
    for fields, expected in both:
        doc = {"meta": {"api-version": "1.0"}, "files": [{**entry, **fields}]}
        (file,) = parse_simple_json("demo", PAGE, _json(doc))
        assert (file.has_metadata, file.metadata_sha256) == expected, fields


def test_pep691_page_without_api_version_is_read_as_1_0():
    doc = {"files": [{"filename": "demo-1.0.tar.gz", "url": "demo-1.0.tar.gz", "hashes": {}}]}
    (file,) = parse_simple_json("demo", PAGE, _json(doc))
    assert file.url == PAGE + "demo-1.0.tar.gz"


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        (
            {"meta": {"api-version": "2.0"}, "files": []},
            "meta.api-version is '2.0'; micropip2 reads version 1.x",
        ),
        ({"meta": {"api-version": 1}, "files": []}, "meta.api-version is 1, not a version string"),
        ({"meta": {"api-version": "1.0"}}, "'files' must be a list (PEP 691), got null"),
        (
            {"meta": {"api-version": "1.0"}, "name": "other", "files": []},
            "lists project 'other', but 'demo' was asked for",
        ),
        (
            {"files": [{"filename": "demo-1.0.tar.gz", "hashes": {}}]},
            "file #0 (demo-1.0.tar.gz) has no 'url'",
        ),
        ({"files": [{"url": "x", "hashes": {}}]}, "file #0 has no 'filename'"),
        ({"files": ["demo-1.0.tar.gz"]}, "file #0 must be a JSON object, got a string"),
        (
            {"files": [{"filename": "d-1.tar.gz", "url": "x", "hashes": [], "size": 3}]},
            "'hashes' must be an object, got a list",
        ),
        (
            {"files": [{"filename": "d-1.tar.gz", "url": "x", "size": True}]},
            "'size' must be an integer, got a boolean",
        ),
        (
            {"files": [{"filename": "d-1.tar.gz", "url": "x", "yanked": 1}]},
            "'yanked' must be a boolean or a string, got int",
        ),
        ([], "a PEP 691 page is a JSON object, this is a list"),
    ],
)
def test_broken_pep691_pages_are_errors_naming_url_type_and_reason(doc, reason):
    with pytest.raises(IndexPageError) as caught:
        parse_project_page("demo", PAGE, JSON_V1, _json(doc))
    message = str(caught.value)
    assert message.startswith(f"could not read the project page {PAGE} ({JSON_V1}): ")
    assert reason in message
    assert caught.value.url == PAGE and caught.value.content_type == JSON_V1


def test_invalid_json_is_an_error_showing_the_first_bytes():
    with pytest.raises(IndexPageError, match=r"not valid JSON .*b'<html>"):
        parse_project_page("demo", PAGE, JSON_V1, b"<html>oops</html>")


# -- PEP 503 HTML ------------------------------------------------------------------------------

SIMPLE_HTML = f"""<!DOCTYPE html>
<html><head><meta name="pypi:repository-version" content="1.1"><title>Links for demo</title></head>
<body><h1>Links for demo</h1>
<a href="../../files/demo-1.0-py3-none-any.whl#sha256={SHA_A}"
   data-requires-python="&gt;=3.10,&lt;4" data-core-metadata="sha256={SHA_M}"
   data-dist-info-metadata="sha256={SHA_B}">demo-1.0-py3-none-any.whl</a><br/>
<a href="https://files.example/demo-0.9-py3-none-any.whl#md5=00ff" data-yanked="broken &amp; bad"
   data-dist-info-metadata="true">demo-0.9-py3-none-any.whl</a><br/>
<a href="/files/demo-0.8.tar.gz#sha256={SHA_B}" data-yanked data-core-metadata="false"
   data-dist-info-metadata="true">demo-0.8.tar.gz</a>
<a href="../../files/demo-2.0%2Blocal-py3-none-any.whl"
   data-core-metadata>demo-2.0+local-py3-none-any.whl</a>
<a href="../">parent directory</a> <a href="?C=N;O=D">sort by name</a> <a>no href</a>
</body></html>
"""


@pytest.mark.parametrize("content_type", ["text/html", "application/vnd.pypi.simple.v1+html"])
def test_pep503_page_gives_absolute_urls_fragment_hashes_and_unescaped_attributes(content_type):
    page = parse_project_page(
        "demo", PAGE, content_type, SIMPLE_HTML.encode(), index_url="https://index.example/simple"
    )
    assert [f.filename for f in page.files] == [
        "demo-1.0-py3-none-any.whl",
        "demo-0.9-py3-none-any.whl",
        "demo-0.8.tar.gz",
        "demo-2.0+local-py3-none-any.whl",
    ]
    new, old, sdist, local = page.files
    assert new == _file(
        filename="demo-1.0-py3-none-any.whl",
        url=FILES + "demo-1.0-py3-none-any.whl",
        sha256=SHA_A,
        requires_python=">=3.10,<4",
        metadata_sha256=SHA_M,  # PEP 714: data-core-metadata wins
        has_metadata=True,
        index_url="https://index.example/simple",
    )
    assert (old.url, old.sha256, old.yanked, old.has_metadata, old.metadata_sha256) == (
        "https://files.example/demo-0.9-py3-none-any.whl",
        None,
        "broken & bad",
        True,
        None,
    )
    assert (sdist.url, sdist.sha256, sdist.yanked, sdist.has_metadata, sdist.is_wheel) == (
        FILES + "demo-0.8.tar.gz",
        SHA_B,
        "",
        False,
        False,
    )
    assert (local.url, local.has_metadata) == (FILES + "demo-2.0%2Blocal-py3-none-any.whl", True)


def test_pep503_base_href_changes_what_links_are_relative_to():
    body = (
        b'<html><head><base href="https://mirror.example/pkgs/"></head><body>'
        b'<a href="demo-1.0.tar.gz">demo-1.0.tar.gz</a></body></html>'
    )
    (file,) = parse_simple_html(PAGE, body)
    assert file.url == "https://mirror.example/pkgs/demo-1.0.tar.gz"


def test_pep629_major_version_2_html_page_is_refused():
    body = (
        b'<html><head><meta name="pypi:repository-version" content="2.0"></head>'
        b"<body></body></html>"
    )
    with pytest.raises(
        IndexPageError, match=r"\(text/html\): .*is '2.0'; micropip2 reads version 1.x"
    ):
        parse_project_page("demo", PAGE, "text/html", body)


def test_an_empty_html_page_lists_no_files():
    assert parse_project_page("demo", PAGE, "text/html", b"<html><body></body></html>").files == ()


def test_json_and_html_forms_of_one_page_give_the_same_files():
    html = "".join(
        f'<a href="{f["url"]}#sha256={f["hashes"]["sha256"]}" '
        f'data-requires-python="{f["requires-python"]}" '
        f'data-core-metadata="sha256={SHA_M}">{f["filename"]}</a>'
        for f in SIMPLE_JSON_DOC["files"][:1]
    )
    from_json = parse_project_page(
        "demo", PAGE, JSON_V1, _json({**SIMPLE_JSON_DOC, "files": SIMPLE_JSON_DOC["files"][:1]})
    )
    from_html = parse_project_page("demo", PAGE, "text/html", html.encode())
    strip_pep700 = [dataclasses.replace(f, size=None, upload_time=None) for f in from_json.files]
    assert tuple(strip_pep700) == from_html.files


# -- PyPI JSON API -----------------------------------------------------------------------------

JSON_API_DOC = {
    "info": {"name": "Demo", "version": "1.0", "requires_python": ">=3.8"},
    "releases": {
        "0.9": [
            {
                "filename": "demo-0.9.tar.gz",
                "url": "/files/demo-0.9.tar.gz",
                "digests": {"sha256": SHA_B, "md5": "0" * 32},
                "requires_python": "",
                "yanked": True,
                "yanked_reason": None,
                "packagetype": "sdist",
                "size": 10,
                "upload_time": "2024-01-01T00:00:00",
            }
        ],
        "1.0": [
            {
                "filename": "demo-1.0-py3-none-any.whl",
                "url": "https://files.example/demo-1.0-py3-none-any.whl",
                "digests": {"sha256": SHA_A},
                "requires_python": ">=3.10",
                "yanked": True,
                "yanked_reason": "use 1.1",
                "size": 20,
                "upload_time": "2024-01-02T00:00:00",
                "upload_time_iso_8601": "2024-01-02T00:00:00.123456Z",
            }
        ],
        "1.1": [],
    },
    "urls": [],
}
API_URL = "https://index.example/pypi/demo/json"


def test_json_api_lists_every_release_resolving_relative_urls_against_the_document():
    page = parse_project_page(
        "demo",
        API_URL,
        "application/json",
        _json(JSON_API_DOC),
        index_url="https://index.example/pypi/{package_name}/json",
    )
    sdist, wheel = page.files
    assert sdist == _file(
        filename="demo-0.9.tar.gz",
        url="https://index.example/files/demo-0.9.tar.gz",
        sha256=SHA_B,
        yanked="",
        size=10,
        upload_time="2024-01-01T00:00:00",
        index_url="https://index.example/pypi/{package_name}/json",
    )
    assert (
        wheel.url,
        wheel.sha256,
        wheel.requires_python,
        wheel.yanked,
        wheel.upload_time,
        wheel.has_metadata,
    ) == (
        "https://files.example/demo-1.0-py3-none-any.whl",
        SHA_A,
        ">=3.10",
        "use 1.1",
        "2024-01-02T00:00:00.123456Z",
        False,
    )


def test_json_api_for_one_version_reads_urls():
    doc = {"info": {"name": "demo"}, "urls": JSON_API_DOC["releases"]["1.0"]}
    (file,) = parse_json_api("demo", "https://index.example/pypi/demo/1.0/json", _json(doc))
    assert file.filename == "demo-1.0-py3-none-any.whl"


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        (
            {"info": {"name": "demo"}},
            "needs 'releases' (an object) or 'urls' (a list); it has neither",
        ),
        (
            {"info": {"name": "other"}, "releases": {}},
            "lists project 'other', but 'demo' was asked for",
        ),
        (
            {"releases": {"1.0": {"filename": "x"}}},
            "releases['1.0'] must be a list of files, got an object",
        ),
        (
            {"releases": {"1.0": [{"filename": "demo-1.0.tar.gz"}]}},
            "file #0 (demo-1.0.tar.gz) has no 'url'",
        ),
    ],
)
def test_broken_json_api_documents_are_errors(doc, reason):
    with pytest.raises(IndexPageError, match="application/json") as caught:
        parse_project_page("demo", API_URL, "application/json", _json(doc))
    assert reason in str(caught.value)


# -- choosing the reader by the content type that came back ------------------------------------


def test_a_pep691_document_served_as_application_json_is_read_as_pep691():
    page = parse_project_page("demo", PAGE, "application/json", _json(SIMPLE_JSON_DOC))
    assert len(page.files) == 3 and page.files[0].has_metadata


def test_a_json_api_document_served_as_pep691_json_is_read_as_the_json_api():
    page = parse_project_page("demo", API_URL, JSON_V1, _json(JSON_API_DOC))
    assert [f.filename for f in page.files] == ["demo-0.9.tar.gz", "demo-1.0-py3-none-any.whl"]


@pytest.mark.parametrize(
    ("content_type", "shown"),
    [
        ("text/plain", "text/plain"),
        ("", "no content type"),
        ("application/octet-stream", "application/octet-stream"),
    ],
)
def test_other_content_types_are_errors_naming_url_and_type(content_type, shown):
    with pytest.raises(IndexPageError) as caught:
        parse_project_page("demo", PAGE, content_type, b"demo-1.0.tar.gz\n")
    assert str(caught.value).startswith(
        f"could not read the project page {PAGE} ({shown}): an index must answer with"
    )
    assert "is this URL a package index?" in str(caught.value)
