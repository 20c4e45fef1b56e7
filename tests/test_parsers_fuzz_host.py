"""Property-based tests (hypothesis) of every parser a server or a lock feeds micropip2 (issue 13).

For each parser: documents built from the real schema with any field replaced by a value of the
wrong JSON/TOML type or shape (or left out), and raw bytes/text. The property: a result, or a
``Micropip2Error`` with a message; never a raw ``KeyError``/``TypeError``/``RecursionError``/...
A result is also used the way micropip2 uses it next (a lock's packages selected for a target, a
requirement's marker evaluated, a page's file names), since a value that parses but breaks its
first reader is the same bug.

tests/test_hostile_input_host.py has a seeded mutation fuzzer of fixed sample documents; this file
complements it with generated shapes, shrunk minimal failures (kept as ``@example`` below), raw
bytes, the PyPI JSON API hint reader (``index/hints.py``), requirements files and the first
consumers of each parser's result. Settings: ``derandomize=True`` (the same examples on every
run) and no example database, so CI is reproducible and the tree stays clean.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from packaging.markers import Marker

from micropip2.errors import InvalidRequirementError, Micropip2Error
from micropip2.headers import parse_headers
from micropip2.index.errors import IndexPageError
from micropip2.index.hints import info_complete, parse_hint
from micropip2.index.models import ProjectFile, ProjectPage, RefusedFile
from micropip2.index.pages import (
    PLAIN_JSON,
    SIMPLE_HTML,
    SIMPLE_JSON,
    TEXT_HTML,
    parse_json_api,
    parse_project_page,
    parse_simple_html,
    parse_simple_json,
)
from micropip2.lockfiles.errors import LockFormatError, LockMismatchError
from micropip2.lockfiles.fit import select, target_mismatches
from micropip2.lockfiles.load import parse_lock
from micropip2.lockfiles.model import Lock
from micropip2.plan import Plan
from micropip2.requirements_files import Collected, check_plan_hashes, read_sync
from micropip2.resolve.metadata import parse_metadata
from micropip2.target import Target
from micropip2.wheel_fit import check_wheel_tags

FUZZ = settings(
    max_examples=250,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TARGET = Target.for_pyodide("314.0.7")
PAGE = "http://127.0.0.1:8000/simple/evil/"
HEX = "ab" * 32
DEEP_JSON = b"[" * 100_000  # nesting past the interpreter's recursion limit
_ABSENT = object()


def only_micropip2_errors[T](call: Callable[..., T], *args: Any) -> T | None:
    """``call(*args)``'s result, or None when it raised a Micropip2Error; anything else propagates
    (and hypothesis reports it, shrunk to a minimal input)."""
    try:
        result = call(*args)
    except Micropip2Error as exc:
        assert str(exc).strip(), f"{type(exc).__name__} without a message"
        event(type(exc).__name__)  # --hypothesis-show-statistics: how far examples get
        return None
    event("a result")
    return result


# -- building blocks -------------------------------------------------------------------------

ODD_STRINGS = [
    "",
    " ",
    "banana",
    "1.0",
    "2.0",
    "1.x",
    ">=3.8",
    ">=>3",
    "true",
    "false",
    "sha256",
    "sha256=",
    f"sha256={HEX}",
    "=",
    "file:///dev/zero",
    "emfs:/dev/urandom",
    "javascript:x",
    "data:,x",
    "http://[::1/x",
    "http://h:port/x",
    "../x-1.0-py3-none-any.whl",
    "evil-1.0-py3-none-any.whl",
    "https://u:p@h/evil-1.0-py3-none-any.whl#sha256=AB",
    "pypi:repository-version",
    "\x00",
    "\udcff",
    "é",
    "\n",
]
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=12)  # surrogates too
ODD_TEXT = st.sampled_from(ODD_STRINGS) | ANY_TEXT
JSON_LEAF = st.none() | st.booleans() | st.integers() | st.floats() | ODD_TEXT | st.just(10**30)
JSON_ODD: st.SearchStrategy[Any] = st.recursive(
    JSON_LEAF,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["sha256", "name", "url", "x"]) | ANY_TEXT, inner, max_size=3
        )
    ),
    max_leaves=6,
)
# TOML has no null; its values also include dates and times.
TOML_LEAF = (
    st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from([s for s in ODD_STRINGS if s != "\udcff"])
    | st.dates()
    | st.datetimes()
)
TOML_ODD: st.SearchStrategy[Any] = st.recursive(
    TOML_LEAF,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["sha256", "name", "url"]) | st.text(max_size=5), inner, max_size=3
        )
    ),
    max_leaves=6,
)


def field(valid: st.SearchStrategy[Any], odd: st.SearchStrategy[Any] = JSON_ODD) -> Any:
    """A field's value: mostly valid, sometimes of the wrong type or shape (so that most
    documents are wrong in one or two places and the parser gets past its first checks)."""
    return st.integers(0, 9).flatmap(lambda n: odd if n == 0 else valid)


def obj(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """A JSON object / TOML table with these fields, each sometimes left out."""
    return st.fixed_dictionaries(
        {
            key: st.integers(0, 5).flatmap(lambda n, v=value: st.just(_ABSENT) if n == 0 else v)
            for key, value in fields.items()
        }
    ).map(lambda d: {k: v for k, v in d.items() if v is not _ABSENT})


def listed(item: st.SearchStrategy[Any], odd: st.SearchStrategy[Any] = JSON_ODD) -> Any:
    return field(st.lists(item, max_size=3), odd)


WHEEL_NAMES = st.builds(
    lambda name, version, tags: f"{name}-{version}-{tags}.whl",
    st.sampled_from(["evil", "Evil_Pkg", "e.v-il", "", "x y"]),
    st.sampled_from(["1.0", "1!2.0rc1", "banana", "", "1.0-1"]),
    st.sampled_from(
        [
            "py3-none-any",
            "cp314-cp314-pyemscripten_2026_0_wasm32",
            "cp313-cp313-pyodide_2025_0_wasm32",
            "cp310-abi3-pyemscripten_2026_0_wasm32",
            "py3-none",
            "a-b-c-d",
            "cp314-cp314-manylinux_2_17_x86_64",
        ]
    ),
) | st.sampled_from(["evil-1.0.tar.gz", "lib.zip", "x.whl", ".whl", "evil-1.0.egg"])
URLS = (
    st.builds(
        lambda scheme, credentials, host, path, name, fragment: (
            f"{scheme}{credentials}{host}{path}{name}{fragment}"
        ),
        st.sampled_from(["http://", "https://", "file://", "emfs:", "javascript:", "", "//", " "]),
        st.sampled_from(["", "u:p@", "u@", ":@", "u:p/w@", "u:%zz@"]),
        st.sampled_from(["127.0.0.1:8000", "h", "[::1]", "[::1", "localhost:x", ""]),
        st.sampled_from(["/", "/files/", "/../", "", "/%00/", "/?q="]),
        WHEEL_NAMES,
        st.sampled_from(["", "#", f"#sha256={HEX}", "#md5=x&sha256=AB", "#sha256", "#=&="]),
    )
    | ODD_TEXT
)
JSONISH_TEXT = st.lists(
    st.sampled_from(
        ["{", "}", "[", "]", '"info"', '"files"', '"urls"', ":", ",", "null", "1", '"x"', " ", "\\"]
    ),
    max_size=30,
).map("".join)
RAW_BODIES = st.binary(max_size=200) | JSONISH_TEXT.map(str.encode)


# -- PEP 691 JSON and the PyPI JSON API: index/pages.py --------------------------------------

SIMPLE_FILE = obj(
    {
        "filename": field(WHEEL_NAMES),
        "url": field(URLS),
        "hashes": field(obj({"sha256": field(st.just(HEX))})),
        "requires-python": field(st.sampled_from([">=3.8", "banana", " "])),
        "core-metadata": field(st.booleans() | obj({"sha256": field(st.just(HEX))})),
        "dist-info-metadata": field(st.booleans()),
        "yanked": field(st.booleans() | st.text(max_size=5)),
        "size": field(st.integers(min_value=0)),
        "upload-time": field(st.just("2024-01-01T00:00:00Z")),
    }
)
SIMPLE_DOC = obj(
    {
        "meta": field(obj({"api-version": field(st.sampled_from(["1.0", "1.1", "1.4", "2.0"]))})),
        "name": field(st.sampled_from(["evil", "Evil", "other"])),
        "files": listed(SIMPLE_FILE),
        "versions": field(st.lists(st.just("1.0"), max_size=2)),
    }
)
API_FILE = obj(
    {
        "filename": field(WHEEL_NAMES),
        "url": field(URLS),
        "digests": field(obj({"sha256": field(st.just(HEX)), "md5": field(st.just("x"))})),
        "requires_python": field(st.sampled_from([">=3.8", "banana"])),
        "yanked": field(st.booleans()),
        "yanked_reason": field(st.text(max_size=5)),
        "size": field(st.integers(min_value=0)),
        "upload_time": field(st.just("2024-01-01T00:00:00")),
        "upload_time_iso_8601": field(st.just("2024-01-01T00:00:00Z")),
    }
)
API_INFO = obj(
    {
        "name": field(st.sampled_from(["evil", "other"])),
        "version": field(st.sampled_from(["1.0", "banana"])),
        "requires_dist": listed(st.sampled_from(["a>=1", "b; extra == 'x'", ">=>"]) | ANY_TEXT),
    }
)
API_DOC = obj(
    {
        "info": field(API_INFO),
        "releases": field(
            st.dictionaries(st.sampled_from(["1.0", "2"]) | ANY_TEXT, listed(API_FILE))
        ),
        "urls": listed(API_FILE),
        "last_serial": field(st.integers()),
    }
)


def check_page(page: ProjectPage | None) -> None:
    """A page holds what its model says, and its wheels' names can be judged for the target."""
    if page is None:
        return
    for file in page.files:
        assert isinstance(file, ProjectFile)
        assert isinstance(file.filename, str) and isinstance(file.url, str)
        for value in (file.sha256, file.requires_python, file.yanked, file.metadata_sha256):
            assert value is None or isinstance(value, str)
        assert file.size is None or (isinstance(file.size, int) and not isinstance(file.size, bool))
        assert isinstance(file.has_metadata, bool)
        if file.is_wheel:
            only_micropip2_errors(check_wheel_tags, file.filename, TARGET)
        only_micropip2_errors(TARGET.python_fits, file.requires_python)
    assert all(isinstance(r, RefusedFile) and r.reason for r in page.refused)


@FUZZ
@given(doc=SIMPLE_DOC | JSON_ODD, content_type=st.sampled_from([SIMPLE_JSON, PLAIN_JSON]))
def test_pep691_pages_give_files_or_micropip2_errors(doc, content_type):
    body = json.dumps(doc).encode("utf-8", "surrogatepass")
    check_page(only_micropip2_errors(lambda: parse_project_page("evil", PAGE, content_type, body)))
    only_micropip2_errors(lambda: parse_simple_json("evil", PAGE, body))


@FUZZ
@given(doc=API_DOC | JSON_ODD)
def test_json_api_documents_give_files_or_micropip2_errors(doc):
    body = json.dumps(doc).encode("utf-8", "surrogatepass")
    check_page(only_micropip2_errors(lambda: parse_project_page("evil", PAGE, PLAIN_JSON, body)))
    only_micropip2_errors(lambda: parse_json_api("evil", PAGE, body))


@FUZZ
@given(body=RAW_BODIES, content_type=st.sampled_from([SIMPLE_JSON, PLAIN_JSON, "text/plain"]))
@example(body=DEEP_JSON, content_type=SIMPLE_JSON)
@example(body=b'{"files": ' + DEEP_JSON, content_type=PLAIN_JSON)
def test_raw_json_bodies_give_files_or_micropip2_errors(body, content_type):
    check_page(only_micropip2_errors(lambda: parse_project_page("evil", PAGE, content_type, body)))


# -- the PyPI JSON API's dependency hint: index/hints.py -------------------------------------


@FUZZ
@given(doc=API_DOC | JSON_ODD, cut=st.integers(min_value=0, max_value=400))
def test_json_api_hints_are_a_hint_or_none_from_any_prefix(doc, cut):
    body = json.dumps(doc).encode("utf-8", "surrogatepass")
    for prefix in (body, body[:cut]):
        assert isinstance(info_complete(prefix), bool)
        hint = parse_hint(prefix)  # never raises: a wrong hint costs requests, not correctness
        if hint is not None:
            assert isinstance(hint.version, str)
            assert all(isinstance(text, str) for text in hint.requires_dist)


@FUZZ
@given(body=RAW_BODIES)
@example(body=b'{"info": ' + DEEP_JSON)
def test_raw_bodies_are_no_hint_rather_than_an_error(body):
    assert parse_hint(body) is None or isinstance(parse_hint(body).version, str)  # type: ignore[union-attr]
    assert isinstance(info_complete(body), bool)


# -- PEP 503 HTML: index/pages.py through index/html_links.py -------------------------------

ATTR_NAMES = st.sampled_from(
    [
        "href",
        "HREF",
        "data-requires-python",
        "data-yanked",
        "data-core-metadata",
        "data-dist-info-metadata",
        "name",
        "content",
        "rel",
    ]
) | st.text(alphabet="abc-:=", max_size=4)
ATTR_VALUES = st.none() | URLS | ODD_TEXT | st.sampled_from(["sha256=" + HEX, "&gt;=3.8", "&#0;"])


def _attribute(name: str, value: str | None, quote: str) -> str:
    return name if value is None else f"{name}={quote}{value}{quote}"


ELEMENTS = st.builds(
    lambda tag, attrs, text, close: (
        f"<{tag} {' '.join(_attribute(*a) for a in attrs)}>{text}" + (f"</{tag}>" if close else "")
    ),
    st.sampled_from(["a", "A", "base", "BASE", "meta", "link", "script", "p", "a/"]),
    st.lists(st.tuples(ATTR_NAMES, ATTR_VALUES, st.sampled_from(['"', "'", ""])), max_size=4),
    ODD_TEXT,
    st.booleans(),
)
HTML_JUNK = st.sampled_from(
    ["<", "</", "<!--", "-->", "<!", "<![CDATA[", "]]>", "<?", "&", "&#", "&#x110000;", "<!DOCTYPE"]
)
HTML_PAGES = st.lists(ELEMENTS | HTML_JUNK | ANY_TEXT, max_size=8).map("".join)


@FUZZ
@given(
    html=HTML_PAGES,
    content_type=st.sampled_from([TEXT_HTML, SIMPLE_HTML]),
    page_url=st.sampled_from([PAGE, "https://index.example/simple/evil/", "http://[::1/x/"]),
)
def test_html_pages_give_files_or_micropip2_errors(html, content_type, page_url):
    body = html.encode("utf-8", "surrogatepass")
    check_page(
        only_micropip2_errors(lambda: parse_project_page("evil", page_url, content_type, body))
    )
    only_micropip2_errors(lambda: parse_simple_html(page_url, body))


@FUZZ
@given(body=st.binary(max_size=300))
def test_raw_html_bytes_give_files_or_micropip2_errors(body):
    check_page(only_micropip2_errors(lambda: parse_project_page("evil", PAGE, TEXT_HTML, body)))


# -- METADATA: headers.py + resolve/metadata.py ----------------------------------------------

MARKERS = st.sampled_from(
    [
        "sys_platform == 'emscripten'",
        "extra == 'x'",
        "extra == 'X_y'",
        "python_version >= '3.8'",
        "python_version >= 'banana'",
        "python_version ~= '3'",
        "platform_release ~= '5.0.3'",
        "os_name === 'posix'",
        "'a' < 'b'",
        "implementation_name in 'cpython pypy'",
        "python_full_version == '3.14.*'",
    ]
)
REQUIREMENTS = st.builds(
    lambda name, extras, spec, marker: f"{name}{extras}{spec}{marker}",
    st.sampled_from(["a", "A_b", "a.b", "", "1", "a b"]),
    st.sampled_from(["", "[x]", "[x,Y]", "[", "[]"]),
    st.sampled_from(
        ["", ">=1", "==1.*", "~=1", "<=>1", " (>=1)", "@ https://h/a-1-py3-none-any.whl"]
    ),
    st.sampled_from(["", "; ", " ;", ";;"]).flatmap(
        lambda sep: st.just("") if not sep else MARKERS.map(lambda m: sep + m)
    ),
)
HEADER_VALUES = (
    st.sampled_from(["evil", "1.0", "1!2.0.post1.dev3", "banana", "", ">=3.8", "x", "2.1"])
    | REQUIREMENTS
    | ANY_TEXT.filter(lambda t: "\n" not in t and "\r" not in t)
)
HEADER_LINES = st.one_of(
    st.builds(
        lambda key, sep, value: f"{key}{sep}{value}",
        st.sampled_from(
            [
                "Metadata-Version",
                "Name",
                "name",
                "Version",
                "Requires-Dist",
                "Requires-Python",
                "Provides-Extra",
                "Description",
            ]
        )
        | st.text(alphabet="abX-: ", max_size=5),
        st.sampled_from([": ", ":", " : ", "", "::"]),
        HEADER_VALUES,
    ),
    st.sampled_from([" continued", "\tcontinued", "", "no colon", "\x0c", "\x1c", "\u2028"]),
)
METADATA_TEXTS = st.lists(HEADER_LINES, max_size=10).map(
    lambda lines: "\n".join(["Metadata-Version: 2.4", "Name: evil", "Version: 1.0", *lines])
) | st.lists(HEADER_LINES, max_size=10).map("\n".join)


@FUZZ
@given(text=METADATA_TEXTS, encoding=st.sampled_from(["utf-8", "utf-16", "latin-1"]))
@example(text="Name: evil\nVersion: 1\nRequires-Dist: a; python_version ~= '3'", encoding="utf-8")
@example(text="Name: evil\nVersion: 1\nRequires-Dist: a; 'a' < 'b'", encoding="utf-8")
def test_metadata_gives_metadata_or_micropip2_errors(text, encoding):
    headers = parse_headers(text)  # never raises
    assert isinstance(headers.get_all("Requires-Dist"), list)
    data = text.encode(encoding, "surrogatepass" if encoding != "latin-1" else "replace")
    metadata = only_micropip2_errors(lambda: parse_metadata(data, "evil-1.0.metadata"))
    if metadata is None:
        return
    # what the resolver does next with it (resolve/provider.py, resolve/crawl.py)
    only_micropip2_errors(lambda: TARGET.python_fits(metadata.requires_python))
    for requirement in metadata.requires_dist:
        for extra in ["", *sorted(metadata.provides_extra)]:
            only_micropip2_errors(TARGET.marker_holds, requirement.marker, extra)


@FUZZ
@given(data=st.binary(max_size=200))
def test_raw_metadata_bytes_give_metadata_or_micropip2_errors(data):
    only_micropip2_errors(lambda: parse_metadata(data, "evil-1.0.metadata"))


# -- pylock.toml and pyodide-lock.json: lockfiles/ -------------------------------------------


def pylock_docs(odd: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """PEP 751 documents whose values may be of the wrong TOML type (``odd``)."""

    def f(valid: st.SearchStrategy[Any]) -> Any:
        return field(valid, odd)

    locked_file = obj(
        {
            "name": f(WHEEL_NAMES),
            "url": f(URLS),
            "path": f(st.sampled_from(["x-1.0-py3-none-any.whl", "/abs/x.whl", "../x.zip"])),
            "size": f(st.integers(min_value=0, max_value=2**40)),
            "hashes": f(obj({"sha256": f(st.just(HEX))})),
        }
    )
    package = obj(
        {
            "name": f(st.sampled_from(["evil", "Evil_Pkg", "lib"])),
            "version": f(st.sampled_from(["1.0", "banana"])),
            "marker": f(MARKERS),
            "requires-python": f(st.sampled_from([">=3.8", "<3", "banana"])),
            "dependencies": listed(obj({"name": f(st.sampled_from(["a", "B"]))}), odd),
            "wheels": listed(locked_file, odd),
            "archive": f(locked_file),
            "sdist": f(locked_file),
            "vcs": f(obj({"url": f(URLS)})),
            "tool": f(
                obj(
                    {
                        "micropip2": f(
                            obj(
                                {
                                    "package-type": f(
                                        st.sampled_from(["package", "shared_library"])
                                    ),
                                    "install-dir": f(st.sampled_from(["site", "dynlib"])),
                                    "imports": listed(st.sampled_from(["evil", "x.y"]), odd),
                                }
                            )
                        )
                    }
                )
            ),
        }
    )
    target = obj(
        {
            "abi_version": f(st.sampled_from(["2026_0", "2025_0"])),
            "arch": f(st.sampled_from(["wasm32", "x86_64"])),
            "python": f(st.sampled_from(["3.14.2", "3.13.2", "banana"])),
        }
    )
    return obj(
        {
            "lock-version": f(st.sampled_from(["1.0", "1.0", "1", "2.0"])),
            "environments": listed(MARKERS, odd),
            "requires-python": f(st.sampled_from(["==3.14.*", ">=3.8", "banana"])),
            "extras": f(st.just([])),
            "dependency-groups": f(st.just([])),
            "created-by": f(st.just("fuzz")),
            "packages": listed(package, odd),
            "tool": f(obj({"micropip2": f(obj({"target": f(target)}))})),
        }
    )


PYODIDE_ENTRY = obj(
    {
        "name": field(st.sampled_from(["evil", "Evil_Pkg", "ruamel.yaml"])),
        "version": field(st.sampled_from(["1.0", "banana"])),
        "file_name": field(WHEEL_NAMES | URLS),
        "install_dir": field(st.sampled_from(["site", "dynlib"])),
        "sha256": field(st.just(HEX)),
        "package_type": field(st.sampled_from(["package", "shared_library", "cpython_module"])),
        "imports": listed(st.sampled_from(["evil", "x"])),
        "depends": listed(st.sampled_from(["a", "B_c"])),
        "unvendored_tests": field(st.booleans()),
        "tool": field(obj({"micropip2": field(obj({"size": field(st.integers(min_value=0))}))})),
    }
)
PYODIDE_DOC = obj(
    {
        "info": st.one_of(
            obj(
                {
                    "abi_version": field(st.sampled_from(["2026_0", "2025_0"])),
                    "arch": field(st.sampled_from(["wasm32", "x86_64"])),
                    "platform": field(st.just("emscripten_5_0_3")),
                    "python": field(st.sampled_from(["3.14.2", "3.13.2", "banana"])),
                }
            ),
            JSON_ODD,
        ),
        "packages": st.one_of(
            st.dictionaries(
                st.sampled_from(["evil", "lib", "a"]) | ANY_TEXT,
                PYODIDE_ENTRY | JSON_ODD,
                max_size=3,
            ),
            JSON_ODD,
        ),
        "tool": field(st.just({})),
    }
)


def check_lock(lock: Lock | None) -> None:
    """A lock that parsed holds what its model says, and can be selected for a target (what
    ``sync`` and ``install(lockfile=)`` do next)."""
    if lock is None:
        return
    for entry in lock.packages:
        assert isinstance(entry.name, str) and isinstance(entry.version, str)
        assert entry.files and all(
            isinstance(f.url, str) and isinstance(f.sha256, str) for f in entry.files
        )
        assert all(isinstance(d, str) for d in entry.depends)
        assert all(isinstance(i, str) for i in entry.imports)
    only_micropip2_errors(lambda: target_mismatches(lock, TARGET))
    only_micropip2_errors(lambda: select(lock, TARGET))


@FUZZ
@given(doc=pylock_docs(JSON_ODD))
def test_pylock_documents_give_a_lock_or_micropip2_errors(doc):
    check_lock(only_micropip2_errors(lambda: parse_lock(doc)))


@FUZZ
@given(doc=pylock_docs(TOML_ODD))
def test_pylock_toml_text_gives_a_lock_or_micropip2_errors(doc):
    text = tomli_w.dumps(doc)
    check_lock(only_micropip2_errors(lambda: parse_lock(text)))
    check_lock(only_micropip2_errors(lambda: parse_lock(text.encode("utf-8", "surrogatepass"))))


@FUZZ
@given(doc=PYODIDE_DOC)
@example(
    doc={
        "info": {},
        "packages": {"x": {"name": "x", "version": "1", "file_name": "x.whl", "depends": "numpy"}},
    }
)
@example(doc={"info": {}, "packages": {"x": {"name": None, "version": 1, "file_name": "x.whl"}}})
def test_pyodide_lock_documents_give_a_lock_or_micropip2_errors(doc):
    lock = only_micropip2_errors(lambda: parse_lock(doc))
    check_lock(lock)
    if lock is not None:  # values are taken as written, never coerced ("numpy" is no list)
        for entry, raw in zip(lock.packages, doc["packages"].values(), strict=True):
            assert entry.display_name == raw["name"] and entry.version == raw["version"]
            assert list(entry.depends) == raw.get("depends", [])
            assert list(entry.imports) == raw.get("imports", [])
    body = json.dumps(doc).encode("utf-8", "surrogatepass")
    check_lock(only_micropip2_errors(lambda: parse_lock(body)))


@FUZZ
@given(data=RAW_BODIES | st.text(max_size=100) | st.dictionaries(JSON_LEAF, JSON_ODD, max_size=3))
@example(data=b"\xff\xfe{}")
@example(data=DEEP_JSON.replace(b"[", b"{", 1))
@example(data=b'lock-version = "1.0"\nx = ' + DEEP_JSON)
@example(data={1: "x", "y": 2})
def test_raw_locks_give_a_lock_or_micropip2_errors(data):
    check_lock(only_micropip2_errors(lambda: parse_lock(data)))


# -- requirements files: requirements_files.py ------------------------------------------------

VALID_REQUIREMENTS = st.sampled_from(
    ["evil", "evil==1.0", "Evil_Pkg[x]>=1; sys_platform == 'emscripten'", "a; extra == 'x'"]
)
REQUIREMENT_LINES = st.one_of(
    VALID_REQUIREMENTS,
    VALID_REQUIREMENTS,
    REQUIREMENTS,
    REQUIREMENTS.map(lambda r: f"{r} --hash=sha256:{HEX}"),
    REQUIREMENTS.map(lambda r: f"{r} --hash sha256:{'C' * 64} --hash=md5:x"),
    st.sampled_from(
        [
            "-r sub/more.txt",
            "--requirement=../up.txt",
            "-r https://h/r.txt",
            "-r http://[::1/r.txt",
            "-c c.txt",
            "--constraint",
            "-i https://h/simple",
            "--index-url=",
            "--extra-index-url https://u:p@h/simple",
            "--pre",
            "-e .",
            "--find-links x",
            "-r 'unclosed",
            "-",
            "--",
            "-r main.txt",
            "evil==1.0 --no-binary :all:",
            "evil; os_name == '--x'",
            f"https://h/evil-1.0-py3-none-any.whl#sha256={HEX}",
            "./evil-1.0-py3-none-any.whl",
            "file:///dev/zero",
            "# comment",
            "evil  # comment",
            "evil \\",
            "\\",
        ]
    ),
    ANY_TEXT,
)
REQUIREMENTS_TEXTS = st.lists(REQUIREMENT_LINES, max_size=6).map("\n".join)


@FUZZ
@given(main=REQUIREMENTS_TEXTS, nested=REQUIREMENTS_TEXTS)
@example(main="-r a/x.txt", nested="-r a/x.txt")  # every nested file names a deeper one
def test_requirements_files_give_requirements_or_micropip2_errors(main, nested):
    def load(location: str) -> str:
        return main if location == "/r/main.txt" else nested

    collected = only_micropip2_errors(lambda: read_sync("/r/main.txt", Collected(), load))
    if collected is None:
        return
    assert all(isinstance(text, str) for text in collected.requirements + collected.constraints)
    # what install(requirements_file=) does next (manager.py)
    applicable = only_micropip2_errors(lambda: collected.applicable(TARGET.marker_holds))
    if applicable is not None:
        only_micropip2_errors(lambda: check_plan_hashes(Plan(()), applicable))


# -- what the crashes hypothesis found now say -----------------------------------------------


def test_deeply_nested_json_is_an_index_page_error_and_no_hint():
    with pytest.raises(IndexPageError, match="nests JSON arrays or objects too deeply"):
        parse_project_page("evil", PAGE, SIMPLE_JSON, DEEP_JSON)
    assert parse_hint(b'{"info": ' + DEEP_JSON) is None


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"\xff\xfe{}", "is not UTF-8 text"),
        (b'{"a": ' + DEEP_JSON, "nests arrays or tables too deeply"),
        (b'lock-version = "1.0"\nx = ' + DEEP_JSON, "nests arrays or tables too deeply"),
        ({1: "x", "y": 2}, "it has: 1, y"),
        (
            {
                "info": {},
                "packages": {
                    "x": {"name": "x", "version": "1", "file_name": "x.whl", "depends": "numpy"}
                },
            },
            "package 'x' is malformed ('depends' must be a list of strings, not a string",
        ),
        (
            {"info": {}, "packages": {"x": {"name": None, "version": "1", "file_name": "x.whl"}}},
            "package 'x' is malformed ('name' must be a non-empty string, not missing)",
        ),
    ],
    ids=["not-utf8", "deep-json", "deep-toml", "int-key", "depends-str", "name-null"],
)
def test_unreadable_locks_are_lock_format_errors_saying_why(data, fragment):
    with pytest.raises(LockFormatError) as caught:
        parse_lock(data, source="app.lock")
    assert fragment in str(caught.value) and "app.lock" in str(caught.value)


def test_a_marker_that_cannot_be_evaluated_is_a_micropip2_error_naming_it():
    with pytest.raises(InvalidRequirementError, match="the marker 'python_version ~= \"3\"'"):
        TARGET.marker_holds(Marker("python_version ~= '3'"))
    with pytest.raises(InvalidRequirementError, match="cannot be evaluated for Pyodide 314.0.7"):
        TARGET.marker_holds(Marker("'a' < 'b'"))  # packaging raises a KeyError here
    lock = parse_lock('lock-version = "1.0"\nenvironments = ["os_name === \'posix\'"]\n')
    with pytest.raises(LockMismatchError, match="has a marker micropip2 cannot use"):
        select(lock, TARGET)


def test_requirements_files_that_nest_without_end_or_name_no_url_are_errors():
    def endless(location: str) -> str:
        return "-r a/x.txt"

    with pytest.raises(InvalidRequirementError, match="reads at most 32 levels"):
        read_sync("/r/main.txt", Collected(), endless)

    def bad_url(location: str) -> str:
        return "-r http://[::1/r.txt" if location == "/r/main.txt" else "-r more.txt"

    with pytest.raises(InvalidRequirementError, match="does not name a file micropip2 can find"):
        read_sync("/r/main.txt", Collected(), bad_url)
