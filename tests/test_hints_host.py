"""Dependency hints from the PyPI JSON API (micropip2/index/hints.py), on the host: where the
document is, reading ``info`` from a prefix, and anything else being no hint."""

from __future__ import annotations

import json

from micropip2.index.hints import MAX_HINT_BYTES, Hint, info_complete, json_api_url, parse_hint
from micropip2.index.urls import parse_index_urls


def _index(url: str):
    return parse_index_urls([url])[0]


def test_the_json_api_is_looked_for_beside_a_simple_path_only():
    assert json_api_url(_index("PYPI"), "rich") == "https://pypi.org/pypi/rich/json"
    assert (
        json_api_url(_index("http://127.0.0.1:8/simple/"), "a") == "http://127.0.0.1:8/pypi/a/json"
    )
    assert json_api_url(_index("https://u:p@host/x/simple"), "a") == "https://host/x/pypi/a/json"
    assert json_api_url(_index("https://host/simple/{package_name}/"), "a") is None
    assert json_api_url(_index("https://host/pypi/{package_name}/json"), "a") is None
    assert json_api_url(_index("https://host/packages/"), "a") is None


def _document(requires: list[str] | None, version: str = "2.0") -> bytes:
    info = {"description": "x" * 50_000, "requires_dist": requires, "version": version}
    releases = {f"1.{i}": [{"filename": f"f-{i}.whl"}] * 20 for i in range(500)}
    return json.dumps({"info": info, "last_serial": 1, "releases": releases}).encode()


def test_info_is_read_from_the_first_bytes_of_the_document():
    body = _document(["lib>=1", 'extra-dep; extra == "x"'])
    cut = next(n for n in range(1024, len(body), 1024) if info_complete(body[:n]))
    assert cut < len(body) // 4  # the releases after info are not needed
    assert parse_hint(body[:cut]) == Hint("2.0", ("lib>=1", 'extra-dep; extra == "x"'))
    assert parse_hint(body[: cut - 1024]) is None
    assert parse_hint(_document(None)) == Hint("2.0", ())


def test_anything_else_is_no_hint():
    for body in (
        b"",
        b"<html>not found</html>",
        b'{"info": 3}',
        b'{"info": {"version": 2}}',
        b'{"info": {"version": "1", "requires_dist": "lib"}}',
        b'{"releases": {}, "info": {"version": "1"}}',
        b"\xff\xfe{",
    ):
        assert parse_hint(body) is None, body
    assert info_complete(b" " * MAX_HINT_BYTES)  # reading stops there, hint or not
