"""Hostile and careless input, on the host: the rules that decide it are pure logic (issue 13).

* what an index page may point to (micropip2.locations, applied by micropip2.index.pages);
* raw exceptions: every parser a server or a careless caller feeds raises only
  ``Micropip2Error`` (a seeded mutation fuzzer, no hypothesis: each document below is mutated
  a few hundred times, replacing values by others of every JSON/TOML type);
* credentials: taken out of URLs, scrubbed from every message;
* pylock.toml as PEP 751 says (normalized names), checked with packaging's own reader;
* the installer's own distributions are protected.

The same behaviours inside Pyodide: tests/test_hostile_input.py.
"""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import packaging.pylock
import pytest

from micropip2 import locations
from micropip2.direct_reference import parse_direct
from micropip2.errors import InvalidOptionError, Micropip2Error, without_credentials
from micropip2.fetch import with_url_credentials, without_url_credentials
from micropip2.headers import parse_headers
from micropip2.index.errors import IndexURLError
from micropip2.index.pages import parse_project_page
from micropip2.index.urls import parse_index_url, parse_index_urls
from micropip2.lockfiles.errors import LockFormatError
from micropip2.lockfiles.load import parse_lock
from micropip2.lockfiles.model import Lock, LockedFile, LockEntry
from micropip2.lockfiles.pylock_format import write_pylock
from micropip2.request import caller_hashes, requirement_texts
from micropip2.resolve.metadata import MetadataError, parse_metadata
from micropip2.target import Target

PAGE = "http://127.0.0.1:8000/simple/evil/"
WHEEL = "evil-1.0-py3-none-any.whl"


# -- 1. what an index may point to ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "url", "why"),
    [
        (PAGE, "file:///dev/zero", "'file:' location"),
        (PAGE, "file:///home/me/evil-1.0-py3-none-any.whl", "'file:' location"),
        (PAGE, "emfs:/dev/urandom", "'emfs:' location"),
        (PAGE, "javascript:alert(1)", "'javascript:' location"),
        (PAGE, "data:application/zip;base64,UEsDBA==", "'data:' location"),
        (PAGE, "x-1.0-py3-none-any.whl", "not an absolute URL"),
        (PAGE, "http://[::1/x.whl", "not a valid URL"),
        ("https://index.example/simple/x/", "http://cdn.example/x.whl", "came over https"),
    ],
)
def test_an_index_may_not_point_to_local_files_devices_scripts_or_plain_http_from_https(
    page, url, why
):
    refusal = locations.refusal_for_index_link(page, url)
    assert refusal is not None and why in refusal


@pytest.mark.parametrize(
    ("page", "url"),
    [
        (PAGE, "http://127.0.0.1:8000/files/x.whl"),
        (PAGE, "https://files.example/x.whl"),
        ("https://index.example/simple/x/", "https://cdn.example/x.whl"),
        ("https://index.example/simple/x/", "http://127.0.0.1:9/x.whl"),  # loopback
        ("https://index.example/simple/x/", "http://localhost:9/x.whl"),
        ("https://index.example/simple/x/", "http://[::1]:9/x.whl"),
    ],
)
def test_an_index_may_point_to_http_s_and_https_pages_to_https_or_loopback(page, url):
    assert locations.refusal_for_index_link(page, url) is None


def _json_page(*urls: str) -> bytes:
    files = [
        {"filename": f"evil-1.{i}-py3-none-any.whl", "url": url, "hashes": {}}
        for i, url in enumerate(urls)
    ]
    return json.dumps({"meta": {"api-version": "1.1"}, "name": "evil", "files": files}).encode()


def test_refused_files_are_never_candidates_and_say_which_url_and_why():
    body = _json_page("file:///dev/zero", "emfs:/dev/urandom", "javascript:x", "../ok.whl")
    page = parse_project_page("evil", PAGE, "application/vnd.pypi.simple.v1+json", body)
    assert [f.url for f in page.files] == ["http://127.0.0.1:8000/simple/ok.whl"]
    reasons = {r.filename: r.reason for r in page.refused}
    assert "'file:///dev/zero' was refused" in reasons["evil-1.0-py3-none-any.whl"]
    assert "'emfs:/dev/urandom' was refused" in reasons["evil-1.1-py3-none-any.whl"]
    assert "'javascript:x' was refused" in reasons["evil-1.2-py3-none-any.whl"]


def test_a_javascript_base_href_refuses_every_file_of_the_html_page():
    body = f'<base href="javascript:void(0)/"><a href="{WHEEL}">x</a>'.encode()
    page = parse_project_page("evil", PAGE, "text/html", body)
    assert page.files == ()
    [refused] = page.refused
    assert refused.filename == WHEEL and "<base href='javascript:void(0)/'>" in refused.reason


def test_the_json_api_obeys_the_same_rule():
    doc = {"info": {"name": "evil"}, "urls": [{"filename": WHEEL, "url": "file:///etc/passwd"}]}
    page = parse_project_page("evil", PAGE, "application/json", json.dumps(doc).encode())
    assert page.files == () and "'file:' location" in page.refused[0].reason


# -- 2. no raw exceptions ------------------------------------------------------------------------


def test_a_version_that_is_not_pep440_is_a_metadata_error():
    with pytest.raises(MetadataError, match="Version 'banana'"):
        parse_metadata(b"Metadata-Version: 2.1\nName: x\nVersion: banana\n", "x.metadata")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('lock-version = "1.0"\n[packages]\nname = "x"\n', "'packages' must be [[packages]]"),
        (
            'lock-version = "1.0"\n[[packages]]\nname = "x"\nwheels = "x.whl"\n',
            "'wheels' must be an array of tables",
        ),
        (
            'lock-version = "1.0"\n[[packages]]\nname = "x"\ntool = "t"\n'
            'wheels = [{ url = "http://h/x-1-py3-none-any.whl" }]\n',
            "'tool' must be a table",
        ),
        ('lock-version = "1.0"\ntool = "t"\n', "'tool' must be a table"),
    ],
)
def test_a_pylock_with_values_of_the_wrong_type_is_a_lock_format_error(text, fragment):
    with pytest.raises(LockFormatError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        parse_lock(text)


@pytest.mark.parametrize(
    "text", ["http://[::1/simple", "http://host:port/simple", "https://u:p/w@host/simple"]
)
def test_index_urls_that_are_not_urls_are_index_url_errors(text):
    with pytest.raises(IndexURLError):
        parse_index_url(text)


@pytest.mark.parametrize("value", [[123], 123, [None], [b"https://x/simple"]])
def test_index_urls_of_the_wrong_type_are_errors_not_type_errors(value):
    with pytest.raises(IndexURLError):
        parse_index_urls(value)


@pytest.mark.parametrize("value", [None, 123, [123], b"rich", {"rich": "1"}, ["rich", None]])
def test_requirements_of_the_wrong_type_are_invalid_option_errors(value):
    with pytest.raises(InvalidOptionError, match="requirements must be"):
        requirement_texts(value)


@pytest.mark.parametrize("value", [["a"], "x", {"a": 1}, {1: "x"}])
def test_hashes_of_the_wrong_type_are_invalid_option_errors(value):
    with pytest.raises(InvalidOptionError, match="hashes must map"):
        caller_hashes(value)


def test_a_wheel_url_that_is_not_a_url_is_an_invalid_requirement():
    with pytest.raises(Micropip2Error, match="not a valid URL"):
        parse_direct("http://[::1/x-1.0-py3-none-any.whl")


# The fuzzer: documents a server (or a lock) feeds micropip2, mutated; only Micropip2Error.

_SAMPLE_JSON_PAGE = {
    "meta": {"api-version": "1.1"},
    "name": "evil",
    "files": [
        {
            "filename": WHEEL,
            "url": "../../files/" + WHEEL,
            "hashes": {"sha256": "ab" * 32},
            "requires-python": ">=3.8",
            "core-metadata": {"sha256": "cd" * 32},
            "yanked": "bad",
            "size": 10,
            "upload-time": "2024-01-01T00:00:00Z",
        }
    ],
}
_SAMPLE_JSON_API = {
    "info": {"name": "evil", "requires_dist": ["a>=1"]},
    "releases": {"1.0": [{"filename": WHEEL, "url": "https://f/" + WHEEL, "digests": {}}]},
    "urls": [],
}
_SAMPLE_PYLOCK: dict[str, Any] = {
    "lock-version": "1.0",
    "environments": ["sys_platform == 'emscripten'"],
    "requires-python": "==3.14.*",
    "packages": [
        {
            "name": "evil",
            "version": "1.0",
            "dependencies": [{"name": "a"}],
            "wheels": [{"name": WHEEL, "url": "https://f/" + WHEEL, "size": 3, "hashes": {}}],
            "tool": {"micropip2": {"package-type": "package", "imports": ["evil"]}},
        },
        {"name": "lib", "version": "1", "archive": {"url": "lib.zip", "hashes": {}}},
    ],
    "tool": {"micropip2": {"target": {"abi_version": "2026_0"}}},
}
_SAMPLE_PYODIDE_LOCK: dict[str, Any] = {
    "info": {"abi_version": "2026_0", "arch": "wasm32", "platform": "emscripten_5_0_3"},
    "packages": {
        "evil": {
            "name": "evil",
            "version": "1.0",
            "file_name": WHEEL,
            "sha256": "ab" * 32,
            "depends": ["a"],
            "imports": ["evil"],
            "tool": {"micropip2": {"size": 3}},
        }
    },
}
_ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    10**30,
    1.5,
    "",
    "banana",
    "file:///dev/zero",
    "http://[::1/x",
    "javascript:x",
    "\x00\udcff",
    [],
    [1, "a"],
    {},
    {"sha256": 5},
]


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            found += _paths(value, (*prefix, i))
    return found


def _mutants(doc: Any, seed: int, count: int) -> list[Any]:
    rng = random.Random(seed)
    paths = _paths(doc)[1:]
    mutants = []
    for _ in range(count):
        mutant = copy.deepcopy(doc)
        for path in rng.sample(paths, k=min(len(paths), rng.randint(1, 3))):
            parent = mutant
            try:
                for key in path[:-1]:
                    parent = parent[key]
                parent[path[-1]] = copy.deepcopy(rng.choice(_ODD_VALUES))
            except (KeyError, IndexError, TypeError):
                continue  # an ancestor was replaced already
        mutants.append(mutant)
    return mutants


def _only_micropip2_errors(call, inputs) -> list[str]:
    escaped = []
    for value in inputs:
        try:
            call(value)
        except Micropip2Error:
            pass
        except Exception as exc:  # what this test looks for
            escaped.append(f"{type(exc).__name__}: {exc} <- {value!r:.300}")
    return escaped


@pytest.mark.parametrize(
    ("kind", "sample", "parse"),
    [
        (
            "pep691",
            _SAMPLE_JSON_PAGE,
            lambda d: parse_project_page(
                "evil", PAGE, "application/vnd.pypi.simple.v1+json", json.dumps(d).encode()
            ),
        ),
        (
            "json-api",
            _SAMPLE_JSON_API,
            lambda d: parse_project_page("evil", PAGE, "application/json", json.dumps(d).encode()),
        ),
        ("pylock", _SAMPLE_PYLOCK, parse_lock),
        ("pyodide-lock", _SAMPLE_PYODIDE_LOCK, parse_lock),
    ],
)
def test_mutated_documents_raise_only_micropip2_errors(kind, sample, parse):
    escaped = _only_micropip2_errors(parse, _mutants(sample, seed=len(kind), count=400))
    assert not escaped, f"{len(escaped)} raw exceptions, e.g.:\n" + "\n".join(escaped[:5])


def _html_mutants(seed: int, count: int) -> list[bytes]:
    rng = random.Random(seed)
    pieces = [
        f'<a href="{WHEEL}#sha256={"ab" * 32}" data-requires-python="&gt;=3.8">x</a>',
        '<a href="file:///dev/zero">evil-2.0-py3-none-any.whl</a>',
        '<a href="http://[::1/evil-3.0-py3-none-any.whl">x</a>',
        '<a href="javascript:evil-4.0-py3-none-any.whl">x</a>',
        '<base href="javascript:x/">',
        '<base href="http://[::1/">',
        '<meta name="pypi:repository-version" content="1.1">',
        '<meta name="pypi:repository-version" content="2.0">',
        '<a data-dist-info-metadata="sha256" href="e-1-py3-none-any.whl">',
        '<a data-core-metadata="=" data-yanked href="e-2-py3-none-any.whl">',
        "<a href>",
        "\x00\xff<",
    ]
    return [
        "".join(rng.choices(pieces, k=rng.randint(1, 6))).encode("utf-8", "surrogatepass")
        for _ in range(count)
    ]


def test_mutated_html_pages_raise_only_micropip2_errors():
    escaped = _only_micropip2_errors(
        lambda body: parse_project_page("evil", PAGE, "text/html", body), _html_mutants(1, 300)
    )
    assert not escaped, "\n".join(escaped[:5])


def test_mutated_metadata_raises_only_micropip2_errors():
    rng = random.Random(7)
    lines = [
        "Metadata-Version: 2.1",
        "Name: evil",
        "Version: 1.0",
        "Version: banana",
        "Version: ",
        "Requires-Dist: a>=1",
        "Requires-Dist: a>=>1",
        "Requires-Dist: b; extra == 'x'",
        "Requires-Python: >=3.8",
        "Requires-Python: banana",
        "Provides-Extra: x",
        "Name:",
        " continuation",
        "",
        "no colon here",
    ]
    bodies = ["\n".join(rng.choices(lines, k=rng.randint(0, 8))).encode() for _ in range(400)]
    bodies += [b"\xff\xfe", b"Name: x\nVersion: 1\n\n\x00body"]
    escaped = _only_micropip2_errors(lambda data: parse_metadata(data, "evil.metadata"), bodies)
    assert not escaped, "\n".join(escaped[:5])
    assert parse_headers("Name: x\n\tcontinued\nVersion: 1").get("name") == "x\ncontinued"


def test_mutated_index_urls_and_requirements_raise_only_micropip2_errors():
    rng = random.Random(3)
    parts = [
        "http",
        "https",
        "file",
        "://",
        "[",
        "::1",
        "]",
        ":",
        "80",
        "port",
        "@",
        "u",
        "p",
        "/",
        "#",
        "?",
        "simple",
        "{package_name}",
        "x-1.0-py3-none-any.whl",
        " @ ",
        "%",
    ]
    texts = ["".join(rng.choices(parts, k=rng.randint(1, 9))) for _ in range(600)]
    assert not _only_micropip2_errors(parse_index_url, texts)
    assert not _only_micropip2_errors(requirement_texts, texts)
    assert not _only_micropip2_errors(lambda t: locations.refusal_for_index_link(PAGE, t), texts)


# -- 3. credentials ----------------------------------------------------------------------------


def test_credentials_leave_the_url_and_are_sent_to_that_url_and_its_metadata_only():
    url = "https://alice:s%2Fcr3t@files.example/x/evil-1.0-py3-none-any.whl"
    plain = without_url_credentials(url)
    assert plain == "https://files.example/x/evil-1.0-py3-none-any.whl"
    expected = "Basic " + __import__("base64").b64encode(b"alice:s/cr3t").decode()
    assert with_url_credentials(plain, None)[1] == {"Authorization": expected}
    assert with_url_credentials(plain + ".metadata", {"Accept": "*/*"})[1] == {
        "Accept": "*/*",
        "Authorization": expected,
    }
    assert with_url_credentials("https://files.example/x/other.whl", None)[1] is None
    assert with_url_credentials("https://evil.example/x/evil-1.0-py3-none-any.whl", None)[1] is None


def test_a_requirement_loses_its_credentials_at_the_door():
    [text] = requirement_texts("evil @ https://bob:hunter2@files.example/evil-1.0-py3-none-any.whl")
    assert text == "evil @ https://files.example/evil-1.0-py3-none-any.whl"


@pytest.mark.parametrize(
    "text",
    [
        "could not fetch https://u:hunter2@h/x.whl: refused",
        "https://u:hun/ter2@h/simple/x/ answered 401",
        "https://u:hun#ter2@h/simple",
        "https://u:hun@ter2@h/simple",
        "'https://hunter2@h/x'",
    ],
)
def test_the_scrubber_removes_passwords_with_unencoded_characters(text):
    assert "hunter2" not in without_credentials(text) and "ter2" not in without_credentials(text)


def test_an_index_url_whose_password_holds_a_slash_is_refused_without_showing_it():
    for text in ("https://u:hun/ter2@h/simple", "https://u:hun#ter2@h/simple"):
        with pytest.raises(IndexURLError) as caught:
            parse_index_url(text)
        assert "ter2" not in str(caught.value) and "hun" not in str(caught.value)
        assert "percent-encode" in str(caught.value)


# -- 4. pylock.toml as PEP 751 says ------------------------------------------------------------


def test_pylock_names_are_normalized_and_packaging_reads_the_lock():
    entry = LockEntry(
        name="uuid-utils",  # type: ignore[arg-type]
        display_name="uuid_utils",
        version="1.2.0",
        files=(
            LockedFile(
                "https://f/uuid_utils-1.2.0-py3-none-any.whl",
                "uuid_utils-1.2.0-py3-none-any.whl",
                "ab" * 32,
                5,
            ),
        ),
        depends=("Pygments",),
    )
    pygments = LockEntry(
        name="pygments",  # type: ignore[arg-type]
        display_name="Pygments",
        version="2.19.1",
        files=(
            LockedFile(
                "https://f/pygments-2.19.1-py3-none-any.whl",
                "pygments-2.19.1-py3-none-any.whl",
                "cd" * 32,
            ),
        ),
    )
    text = write_pylock(
        Lock("pylock", {"abi_version": "2026_0"}, (entry, pygments)), Target.for_pyodide("314.0.7")
    )
    assert 'name = "uuid-utils"' in text and 'name = "pygments"' in text
    assert "Pygments" not in text and 'name = "uuid_utils"' not in text
    import tomllib

    validated = packaging.pylock.Pylock.from_dict(tomllib.loads(text))
    assert [p.name for p in validated.packages] == ["pygments", "uuid-utils"]


async def _load(ref):
    from micropip2.lockfiles.load import load_lock

    return await load_lock(ref, runtime=None)  # type: ignore[arg-type]


@pytest.mark.parametrize("ref", [None, 123, ["lock"]])
def test_a_lock_of_the_wrong_type_is_an_invalid_option_error(ref):
    import asyncio

    with pytest.raises(InvalidOptionError, match="a lock is given as"):
        asyncio.run(_load(ref))


def test_a_base_url_of_the_wrong_type_is_an_invalid_option_error():
    from micropip2.lockfiles.render import render_lock

    lock = Lock("pylock", None, ())
    with pytest.raises(InvalidOptionError, match="base_url must be"):
        render_lock(lock, "pylock", Target.for_pyodide("314.0.7"), base_url=123)  # type: ignore[arg-type]
