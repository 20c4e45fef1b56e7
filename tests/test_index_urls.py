"""Index URL forms on the host: simple bases, {package_name} templates, the JSON API, "PYPI",
credentials."""

from __future__ import annotations

import base64

import pytest

from micropip2.index.errors import IndexURLError
from micropip2.index.urls import (
    JSON_API_ACCEPT,
    SIMPLE_ACCEPT,
    origin_of,
    parse_index_url,
    parse_index_urls,
)


@pytest.mark.parametrize(
    ("given", "page"),
    [
        ("PYPI", "https://pypi.org/simple/my-pkg/"),
        ("https://host/simple", "https://host/simple/my-pkg/"),
        ("https://host/simple/", "https://host/simple/my-pkg/"),
        ("https://host/simple/{package_name}/", "https://host/simple/my-pkg/"),
        ("https://host/pypi/{package_name}/json", "https://host/pypi/my-pkg/json"),
    ],
)
def test_project_page_urls_of_each_form(given, page):
    assert parse_index_url(given).project_url("my-pkg") == page


def test_kind_decides_the_accept_header():
    simple = parse_index_url("https://host/simple")
    template = parse_index_url("https://host/simple/{package_name}/")
    api = parse_index_url("https://host/pypi/{package_name}/json")
    api_by_path = parse_index_url("https://host/api/{package_name}/json/")
    api_by_pypi = parse_index_url("https://host/pypi/{package_name}")
    assert (simple.kind, template.kind) == ("simple", "simple")
    assert {api.kind, api_by_path.kind, api_by_pypi.kind} == {"json-api"}
    assert simple.accept == SIMPLE_ACCEPT and api.accept == JSON_API_ACCEPT
    assert SIMPLE_ACCEPT.startswith("application/vnd.pypi.simple.v1+json")
    # CORS-safelisted in browsers: no preflight for an anonymous page request
    assert len(SIMPLE_ACCEPT) <= 128 and len(JSON_API_ACCEPT) <= 128


def test_a_base_with_pypi_in_its_path_is_still_a_simple_index():
    assert parse_index_url("https://m.devpi.net/root/pypi/+simple/").kind == "simple"


def test_credentials_are_taken_out_of_the_url_and_sent_only_to_the_same_origin():
    index = parse_index_url("https://us%40er:p%3Ass@Index.Example/simple")
    assert index.url == "https://Index.Example/simple"
    assert "p:ss" not in repr(index) and "us@er" not in repr(index)
    token = base64.b64encode(b"us@er:p:ss").decode()
    assert index.auth_headers("https://index.example:443/simple/x/") == {
        "Authorization": f"Basic {token}"
    }
    assert index.auth_headers("https://index.example/files/x.whl") == {
        "Authorization": f"Basic {token}"
    }
    assert index.auth_headers("https://files.example/x.whl") == {}
    assert index.auth_headers("http://index.example/x.whl") == {}
    assert index.auth_headers("https://index.example:8443/x.whl") == {}
    assert parse_index_url("https://host/simple").auth_headers("https://host/simple/x/") == {}


def test_a_user_without_password_sends_an_empty_password():
    index = parse_index_url("http://token@127.0.0.1:8080/simple")
    assert index.origin == "http://127.0.0.1:8080"
    assert index.auth_headers("http://127.0.0.1:8080/simple/x/") == {
        "Authorization": "Basic " + base64.b64encode(b"token:").decode()
    }


def test_origins_make_the_default_port_explicit():
    assert origin_of("HTTPS://Host/x") == origin_of("https://host:443/y") == "https://host:443"
    assert origin_of("http://host/x") == "http://host:80"
    assert origin_of("/relative/path") == ""


@pytest.mark.parametrize(
    "given", ["pypi.org/simple", "ftp://host/simple", "/simple", "file:///srv/simple", "https://"]
)
def test_other_forms_are_refused_with_the_forms_that_work(given):
    with pytest.raises(
        IndexURLError, match=r"is not an absolute http\(s\) URL; give 'https://host/simple'"
    ):
        parse_index_url(given)


def test_refusal_does_not_show_the_password():
    with pytest.raises(IndexURLError) as caught:
        parse_index_url("ftp://user:secret@host/simple")
    assert "secret" not in str(caught.value)


def test_index_lists_default_to_pypi_accept_one_string_and_count_repeats_once():
    assert [i.url for i in parse_index_urls(None)] == ["https://pypi.org/simple"]
    assert [i.url for i in parse_index_urls("https://a/simple")] == ["https://a/simple"]
    assert [i.url for i in parse_index_urls(["https://a/simple", "PYPI", "https://a/simple"])] == [
        "https://a/simple",
        "https://pypi.org/simple",
    ]
    with pytest.raises(IndexURLError, match="no index URLs were given"):
        parse_index_urls([])
