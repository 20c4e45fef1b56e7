"""A corpus of bad inputs (issue 13): broken wheels, index pages, metadata, requirements files,
lockfiles, hostile HTTP behaviour and careless or concurrent calls, each with the exact error
micropip2 must give and a promise that the environment (files below the install roots, and
``loadedPackages``) is left as it was.

Every case is data: ``setup`` prepares the loopback index (``IndexServer``) and returns the
:class:`Call` to make inside Pyodide. ``tests/test_bad_input_corpus.py`` runs them all in one
runtime call. The 30 broken wheels of :mod:`tests.support.bad_wheels` join as ``wheel`` cases.

Each case uses its own project names, so no case sees another's pages or files. Calls that
reach the network get ``timeout=1`` (a silent server costs three tries of one second, not 45 s)
and ``cache=False``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .bad_wheels import bad_wheels
from .index_server import IndexServer
from .wheels import simple_wheel

Kind = Literal["wheel", "page", "metadata", "requirements", "lockfile", "http", "call"]
KINDS: tuple[Kind, ...] = ("wheel", "page", "metadata", "requirements", "lockfile", "http", "call")
Op = Literal[
    "install",
    "sync",
    "uninstall",
    "freeze",
    "set_index_urls",
    "set_constraints",
    "add_mock_package",
    "gather",  # ``calls`` run together with asyncio.gather
    "during",  # ``calls[0]`` started, ``calls[1:]`` made while it runs, then it is awaited
    "wait_for",  # ``calls[0]`` cancelled after ``seconds``
]
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
QUICK: dict[str, object] = {"timeout": 1, "cache": False}
RUNTIME_INFO = "@runtime-info"  # in a lock dict: replaced by the running Pyodide's lock info
ZERO_HASHES = '{ sha256 = "' + "0" * 64 + '" }'
# a JSON API of our own files (the index server answers /pypi/ itself, before any added file)
JSON_API = "{url}/api/{{package_name}}/json"
NO_FILES = "the index's page of {} lists no files at all"
LINUX_WHEEL = "pylock_linux-1.0-cp314-cp314-manylinux_2_17_x86_64.whl"


@dataclass(frozen=True)
class Call:
    """One call of micropip2's API, as data (JSON-able ``args`` and ``kwargs``)."""

    op: Op
    args: tuple[object, ...] = ()
    kwargs: Mapping[str, object] = field(default_factory=dict)
    calls: tuple[Call, ...] = ()
    seconds: float = 0.0
    files: Mapping[str, bytes] = field(default_factory=dict)  # written in the Emscripten FS first

    def as_json(self) -> dict[str, object]:
        return {
            "op": self.op,
            "args": list(self.args),
            "kwargs": dict(self.kwargs),
            "calls": [c.as_json() for c in self.calls],
            "seconds": self.seconds,
            "files": {p: base64.b64encode(d).decode() for p, d in self.files.items()},
        }


@dataclass(frozen=True)
class BadInput:
    """One bad input: how to set it up, and what micropip2 must say about it.

    ``error``: the exception class name ("|"-joined, in order, for ``gather``/``during``, with
    ``None`` for a call that succeeds); ``fragment``: text the message must contain (for several
    calls, their messages joined by " || "). ``changes``: ``None`` when the environment must be
    unchanged, else text the change must show (a call that succeeds); ``cleanup``: projects
    to uninstall afterwards. ``node_only``: needs host files (skipped in a browser).
    """

    id: str
    kind: Kind
    setup: Callable[[IndexServer], Call]
    error: str
    fragment: str
    node_only: bool = False
    changes: str | None = None
    cleanup: tuple[str, ...] = ()


# -- helpers -------------------------------------------------------------------------------------


def _install(*args: object, **kwargs: object) -> Call:
    return Call("install", args, {**QUICK, **kwargs})


def _wheel(server: IndexServer, name: str, version: str = "1.0", **kwargs: object) -> str:
    """Publish a valid wheel of ``name`` on the index; returns its URL."""
    return _published(server, name, version, **kwargs)[0]


def _published(
    server: IndexServer, name: str, version: str = "1.0", **kwargs: object
) -> tuple[str, str]:
    """Publish a valid wheel of ``name`` on the index; returns its URL and sha256."""
    filename, data = simple_wheel(name, version)
    url = server.add_wheel(data, filename, **kwargs)  # type: ignore[arg-type]
    return url, hashlib.sha256(data).hexdigest()


def _from_index(name: str, server: IndexServer, **kwargs: object) -> Call:
    return _install(name, index_urls=[server.simple_url], **kwargs)


def _page_index(server: IndexServer, project: str, body: bytes, content_type: str) -> str:
    """Serve ``body`` as ``project``'s page; returns an index URL template for it."""
    server.add_file(f"pages/{project}/index", body, content_type=content_type)
    return f"{server.url}/pages/{{package_name}}/index"


def _json_page(server: IndexServer, project: str, doc: object) -> Call:
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    return _install(project, index_urls=[_page_index(server, project, body, SIMPLE_JSON)])


def _html_page(server: IndexServer, project: str, html: str) -> Call:
    return _install(project, index_urls=[_page_index(server, project, html.encode(), "text/html")])


def _file_entry(server: IndexServer, project: str, **fields: object) -> dict[str, object]:
    """A PEP 691 file entry for ``project`` 1.0, pointing at a real wheel, with ``fields``."""
    filename, data = simple_wheel(project)
    url = server.add_file(f"w/{project}/{filename}", data)
    entry: dict[str, object] = {"filename": filename, "url": url, "hashes": {}}
    entry.update(fields)
    return entry


def _json_doc(project: str, *files: object, **top: object) -> dict[str, object]:
    return {"meta": {"api-version": "1.1"}, "name": project, "files": list(files), **top}


def _entry_case(id: str, error: str, fragment: str, **fields: object) -> BadInput:
    def setup(server: IndexServer) -> Call:
        return _json_page(server, id, _json_doc(id, _file_entry(server, id, **fields)))

    return BadInput(id, "page", setup, error, fragment)


def _metadata_case(id: str, metadata: bytes, error: str, fragment: str) -> BadInput:
    """A valid wheel whose PEP 658 ``.metadata`` file is ``metadata`` (hash listed and true)."""

    def setup(server: IndexServer) -> Call:
        filename, data = simple_wheel(id)
        server.add_wheel(data, filename, metadata=metadata)
        return _from_index(id, server)

    return BadInput(id, "metadata", setup, error, fragment)


def _http_case(
    id: str,
    fault: Callable[[IndexServer, str], object],
    error: str,
    fragment: str,
    *,
    target: Literal["wheel", "page", "own-page"] = "wheel",
    **kwargs: object,
) -> BadInput:
    """``id`` 1.0 published; ``fault(server, path)`` breaks its wheel's or its page's path."""

    def setup(server: IndexServer) -> Call:
        url = _wheel(server, id)
        if target == "wheel":
            fault(server, url.removeprefix(server.url))
            return _from_index(id, server, **kwargs)
        if target == "page":
            fault(server, f"/simple/{id}/")
            return _from_index(id, server, **kwargs)
        # a page of its own (the index server answers /simple/ before any redirect)
        fault(server, f"/moved/{id}/")
        return _install(id, index_urls=[f"{server.url}/moved/{{package_name}}/"], **kwargs)

    return BadInput(id, "http", setup, error, fragment)


def _requirements_case(
    id: str, files: dict[str, str], error: str, fragment: str, *, requires: str = ""
) -> BadInput:
    """A requirements file (``/tmp/<id>/req.txt`` in the Emscripten FS, plus any others), with
    ``id`` 1.0 (needing ``requires``) and ``requires`` 1.0 on the index; in the files, @INDEX is
    the index URL and @SHA the sha256 of ``id``'s wheel."""

    def setup(server: IndexServer) -> Call:
        filename, data = simple_wheel(id, requires_dist=[requires] if requires else [])
        server.add_wheel(data, filename)
        if requires:
            _wheel(server, requires)
        written = {
            f"/tmp/{id}/{name}": text.replace("@INDEX", server.simple_url)
            .replace("@SHA", hashlib.sha256(data).hexdigest())
            .encode()
            for name, text in files.items()
        }
        return Call(
            "install",
            (),
            {**QUICK, "requirements_file": f"/tmp/{id}/req.txt"},
            files=written,
        )

    return BadInput(id, "requirements", setup, error, fragment)


def _sync_case(
    id: str, lock: Callable[[IndexServer], object], error: str, fragment: str
) -> BadInput:
    def setup(server: IndexServer) -> Call:
        return Call("sync", (lock(server),), QUICK)

    return BadInput(id, "lockfile", setup, error, fragment)


def _pyodide_lock(server: IndexServer, project: str, **entry: object) -> dict[str, object]:
    """A pyodide-lock.json (as a dict) of ``project`` 1.0, its real wheel, with ``entry``."""
    url, sha256 = _published(server, project)
    package: dict[str, object] = {
        "name": project,
        "version": "1.0",
        "file_name": url,
        "install_dir": "site",
        "sha256": sha256,
        "package_type": "package",
        "imports": [project.replace("-", "_")],
        "depends": [],
    }
    package.update(entry)
    package = {k: v for k, v in package.items() if v is not _DROP}
    return {"info": RUNTIME_INFO, "packages": {project: package}}


def _pylock(server: IndexServer, project: str, wheel: str | None = None, **extra: str) -> str:
    """A pylock.toml of ``project`` 1.0 with one wheel table (``wheel``: its inline fields)."""
    if wheel is None:
        url, digest = _published(server, project)
        wheel = f'url = "{url}", hashes = {{ sha256 = "{digest}" }}'
    lines = [
        'lock-version = "1.0"',
        'created-by = "tests"',
        "[[packages]]",
        f'name = "{project}"',
        'version = "1.0"',
        f"wheels = [{{ {wheel} }}]",
        *(f"{k} = {v}" for k, v in extra.items()),
    ]
    return "\n".join(lines) + "\n"


_DROP = object()  # an entry field to leave out


def _wheel_url(server: IndexServer, id: str, data: bytes, filename: str | None = None) -> str:
    return server.add_file(f"u/{id}/{filename or simple_wheel(id)[0]}", data)


# -- the corpus ----------------------------------------------------------------------------------


def _wheels_from_bad_wheels() -> list[BadInput]:
    """The 30 broken wheels of bad_wheels.py, installed by URL."""
    cases = []
    for bad in bad_wheels():

        def setup(server: IndexServer, bad=bad) -> Call:  # type: ignore[no-untyped-def]
            return _install(server.add_file(f"bad/{bad.id}/{bad.filename}", bad.data), deps=False)

        cases.append(BadInput(f"bad-wheel-{bad.id}", "wheel", setup, bad.error, bad.fragment))
    return cases


def _wheel_cases() -> list[BadInput]:
    def from_index_html_bytes(server: IndexServer) -> Call:
        name = "html-bytes-listed"
        body = b"<!doctype html><title>502 Bad Gateway</title><h1>Bad Gateway</h1>"
        server.add_wheel(
            body,
            simple_wheel(name)[0],
            metadata=f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n".encode(),
        )
        return _from_index(name, server)

    def empty_wheel(server: IndexServer) -> Call:
        return _install(_wheel_url(server, "empty-wheel", b""))

    def emfs_directory(server: IndexServer) -> Call:
        path = "/tmp/emfs-dir/emfs_dir-1.0-py3-none-any.whl"
        return Call("install", ("emfs:" + path,), QUICK, files={path + "/x": b"x"})

    def emfs_missing(server: IndexServer) -> Call:
        return _install("emfs:/tmp/nowhere/emfs_missing-1.0-py3-none-any.whl")

    def host_file_missing(server: IndexServer) -> Call:
        path = Path(server.root) / "no" / "host_missing-1.0-py3-none-any.whl"
        return _install(path.as_uri())

    def host_file_directory(server: IndexServer) -> Call:
        path = Path(server.root) / "dirs" / "host_dir-1.0-py3-none-any.whl"
        path.mkdir(parents=True)
        return _install(path.as_uri())

    def name_mismatch(server: IndexServer) -> Call:
        filename, data = simple_wheel("realname")
        return _install(f"othername @ {_wheel_url(server, 'name-mismatch', data, filename)}")

    def bad_fragment(server: IndexServer) -> Call:
        filename, data = simple_wheel("badfragment")
        return _install(_wheel_url(server, "bad-fragment", data, filename) + "#sha256=xyz")

    def md5_fragment(server: IndexServer) -> Call:
        filename, data = simple_wheel("md5fragment")
        return _install(_wheel_url(server, "md5-fragment", data, filename) + "#md5=" + "0" * 32)

    def sdist_url(server: IndexServer) -> Call:
        return _install(server.add_file("u/sdist/sdisturl-1.0.tar.gz", b"\x1f\x8b not really"))

    def renamed_wheel(server: IndexServer) -> Call:
        # the file name says 2.0; the archive inside is renamed_wheel 1.0
        _, data = simple_wheel("renamed-wheel", "1.0")
        return _install(_wheel_url(server, "renamed", data, "renamed_wheel-2.0-py3-none-any.whl"))

    return [
        BadInput(
            "wheel-bytes-are-an-html-page",
            "wheel",
            from_index_html_bytes,
            "InvalidWheelError",
            "not a readable zip archive",
        ),
        BadInput("wheel-empty-file", "wheel", empty_wheel, "InvalidWheelError", "empty_wheel"),
        BadInput(
            "wheel-emfs-directory", "wheel", emfs_directory, "DownloadError", "not a regular file"
        ),
        BadInput("wheel-emfs-missing", "wheel", emfs_missing, "DownloadError", "emfs_missing"),
        BadInput(
            "wheel-host-file-missing",
            "wheel",
            host_file_missing,
            "DownloadError",
            "host_missing-1.0",
            node_only=True,
        ),
        BadInput(
            "wheel-host-path-is-a-directory",
            "wheel",
            host_file_directory,
            "DownloadError",
            "host_dir-1.0",
            node_only=True,
        ),
        BadInput(
            "wheel-name-at-url-disagree",
            "wheel",
            name_mismatch,
            "InvalidRequirementError",
            "othername",
        ),
        BadInput(
            "wheel-url-sha256-not-hex", "wheel", bad_fragment, "InvalidRequirementError", "xyz"
        ),
        BadInput("wheel-url-md5-fragment", "wheel", md5_fragment, "InvalidRequirementError", "md5"),
        BadInput(
            "wheel-url-is-an-sdist",
            "wheel",
            sdist_url,
            "InvalidRequirementError",
            "is not a wheel (.whl)",
        ),
        BadInput(
            "wheel-filename-version-lies",
            "wheel",
            renamed_wheel,
            "InvalidWheelError",
            "renamed_wheel-2.0",
        ),
    ]


def _page_cases() -> list[BadInput]:
    def captive_portal(server: IndexServer) -> Call:
        html = (
            "<!doctype html><html><head><title>Hotel WiFi</title></head><body>"
            "<form method=post action=/login><input name=room><input type=password name=pw>"
            "<button>Log in</button></form></body></html>"
        )
        return _html_page(server, "captive-portal", html)

    def empty_200(server: IndexServer) -> Call:
        return _json_page(server, "empty-page", b"")

    def json_garbage(server: IndexServer) -> Call:
        return _json_page(server, "json-garbage", b'{"meta": {"api-version": "1.1"}, "files": [')

    def json_list(server: IndexServer) -> Call:
        return _json_page(server, "json-top-list", [])

    def files_object(server: IndexServer) -> Call:
        return _json_page(server, "files-object", _json_doc("files-object") | {"files": {}})

    def api_v2(server: IndexServer) -> Call:
        doc = _json_doc("api-v2", _file_entry(server, "api-v2"))
        doc["meta"] = {"api-version": "2.0"}
        return _json_page(server, "api-v2", doc)

    def meta_string(server: IndexServer) -> Call:
        doc = _json_doc("meta-string", _file_entry(server, "meta-string"))
        doc["meta"] = "1.1"
        return _json_page(server, "meta-string", doc)

    def other_name(server: IndexServer) -> Call:
        return _json_page(
            server, "page-name", _json_doc("someone-else", _file_entry(server, "page-name"))
        )

    def entry_string(server: IndexServer) -> Call:
        return _json_page(server, "entry-string", _json_doc("entry-string", "entry-1.0.whl"))

    def binary_html(server: IndexServer) -> Call:
        body = bytes(range(256)) * 8
        return _install(
            "binary-page", index_urls=[_page_index(server, "binary-page", body, "text/html")]
        )

    def html_broken_base(server: IndexServer) -> Call:
        filename, data = simple_wheel("broken-base")
        server.add_file(f"w/broken-base/{filename}", data)
        return _html_page(
            server, "broken-base", f'<base href="http://[::1/"><a href="{filename}">w</a>'
        )

    def html_broken_link(server: IndexServer) -> Call:
        return _html_page(
            server,
            "broken-link",
            '<a href="http://[::1/broken_link-1.0-py3-none-any.whl">broken_link-1.0-py3-none-any.whl</a>',
        )

    def html_link_not_wheel(server: IndexServer) -> Call:
        return _html_page(
            server, "only-junk-links", '<a href="/about">about</a><a href="mailto:x@y">mail</a>'
        )

    def json_api_garbage(server: IndexServer) -> Call:
        server.add_file(
            "api/json-api-garbage/json",
            b"<html>Service Unavailable</html>",
            content_type="application/json",
        )
        return _install("json-api-garbage", index_urls=[JSON_API.format(url=server.url)])

    def json_api_urls_string(server: IndexServer) -> Call:
        doc = {"info": {"name": "json-api-urls", "version": "1.0"}, "urls": "x"}
        server.add_file(
            "api/json-api-urls/json", json.dumps(doc).encode(), content_type="application/json"
        )
        return _install("json-api-urls", index_urls=[JSON_API.format(url=server.url)])

    def yanked_only(server: IndexServer) -> Call:
        _wheel(server, "yanked-only", "1.0", yanked="broken build")
        _wheel(server, "yanked-only", "1.1", yanked=True)
        return _from_index("yanked-only", server)

    def python_excluded(server: IndexServer) -> Call:
        for version in ("1.0", "2.0"):
            _wheel(server, "future-python", version, requires_python=">=3.99")
        return _from_index("future-python", server)

    def only_sdist(server: IndexServer) -> Call:
        server.add_sdist(b"\x1f\x8bsdist", "only_sdist-1.0.tar.gz")
        return _from_index("only-sdist", server)

    def only_linux(server: IndexServer) -> Call:
        filename, data = simple_wheel("only-linux", tag="cp314-cp314-manylinux_2_17_x86_64")
        server.add_wheel(data, filename)
        return _from_index("only-linux", server)

    def no_such_project(server: IndexServer) -> Call:
        return _from_index("no-such-project", server)

    def empty_project(server: IndexServer) -> Call:
        server.add_project("empty-project")
        return _from_index("empty-project", server)

    def version_does_not_exist(server: IndexServer) -> Call:
        _wheel(server, "pinned-away", "1.0")
        return _from_index("pinned-away==9.9", server)

    return [
        BadInput(
            "page-captive-portal",
            "page",
            captive_portal,
            "ResolutionError",
            NO_FILES.format("captive-portal"),
        ),
        BadInput(
            "page-empty-200", "page", empty_200, "IndexPageError", "the body is not valid JSON"
        ),
        BadInput(
            "page-json-garbage", "page", json_garbage, "IndexPageError", "pages/json-garbage/index"
        ),
        BadInput("page-json-top-level-list", "page", json_list, "IndexPageError", "this is a list"),
        BadInput(
            "page-json-files-object",
            "page",
            files_object,
            "IndexPageError",
            "'files' must be a list",
        ),
        BadInput("page-json-api-version-2", "page", api_v2, "IndexPageError", "reads version 1.x"),
        BadInput(
            "page-json-meta-string",
            "page",
            meta_string,
            "IndexPageError",
            "'meta' must be an object",
        ),
        BadInput(
            "page-json-other-project",
            "page",
            other_name,
            "IndexPageError",
            "lists project 'someone-else'",
        ),
        BadInput(
            "page-json-entry-string",
            "page",
            entry_string,
            "IndexPageError",
            "file #0 must be a JSON object",
        ),
        _entry_case("page-json-no-url", "IndexPageError", "has no 'url'", url=None),
        _entry_case("page-json-url-number", "IndexPageError", "'url' must be a string", url=5),
        _entry_case(
            "page-json-hashes-string", "IndexPageError", "'hashes' must be an object", hashes="abc"
        ),
        _entry_case(
            "page-json-yanked-number", "IndexPageError", "'yanked' must be a boolean", yanked=5
        ),
        _entry_case(
            "page-json-requires-python-number",
            "IndexPageError",
            "'requires-python' must be a string",
            **{"requires-python": 3},
        ),
        _entry_case(
            "page-json-size-string", "IndexPageError", "'size' must be an integer", size="big"
        ),
        _entry_case(
            "page-json-metadata-list",
            "IndexPageError",
            "'core-metadata' must be",
            **{"core-metadata": [1]},
        ),
        _entry_case(
            "page-json-filename-traversal",
            "ResolutionError",
            "../",
            filename="../../page_json_filename_traversal-1.0-py3-none-any.whl",
        ),
        _entry_case("page-json-wrong-size", "DownloadError", "size", size=5),
        _entry_case(
            "page-json-wrong-sha256", "HashMismatchError", "0000000000", hashes={"sha256": "0" * 64}
        ),
        BadInput(
            "page-binary-garbage-as-html",
            "page",
            binary_html,
            "ResolutionError",
            NO_FILES.format("binary-page"),
        ),
        BadInput("page-html-broken-base", "page", html_broken_base, "ResolutionError", "[::1"),
        BadInput(
            "page-html-broken-link",
            "page",
            html_broken_link,
            "ResolutionError",
            "broken_link-1.0-py3-none-any.whl: its URL 'http://[::1/broken_link-1.0-py3-none-any"
            ".whl' was refused",
        ),
        BadInput(
            "page-html-no-file-links",
            "page",
            html_link_not_wheel,
            "ResolutionError",
            NO_FILES.format("only-junk-links"),
        ),
        BadInput(
            "page-json-api-garbage",
            "page",
            json_api_garbage,
            "IndexPageError",
            "the body is not valid JSON",
        ),
        BadInput(
            "page-json-api-urls-string",
            "page",
            json_api_urls_string,
            "IndexPageError",
            "'urls' (a list)",
        ),
        BadInput("page-yanked-only", "page", yanked_only, "ResolutionError", "yanked"),
        BadInput(
            "page-requires-python-excludes-all",
            "page",
            python_excluded,
            "ResolutionError",
            ">=3.99",
        ),
        BadInput("page-only-sdist", "page", only_sdist, "ResolutionError", "only-sdist"),
        BadInput("page-only-linux-wheels", "page", only_linux, "ResolutionError", "manylinux"),
        BadInput(
            "page-404-no-such-project",
            "page",
            no_such_project,
            "ResolutionError",
            "no-such-project",
        ),
        BadInput(
            "page-project-without-files",
            "page",
            empty_project,
            "ResolutionError",
            NO_FILES.format("empty-project"),
        ),
        BadInput(
            "page-pinned-version-missing", "page", version_does_not_exist, "ResolutionError", "9.9"
        ),
    ]


def _metadata_cases() -> list[BadInput]:
    def hash_mismatch(server: IndexServer) -> Call:
        _wheel(server, "metadata-corrupt")
        server.corrupt("/files/metadata_corrupt-1.0-py3-none-any.whl.metadata")
        return _from_index("metadata-corrupt", server)

    def missing_dependency(server: IndexServer) -> Call:
        filename, data = simple_wheel("needs-ghost", requires_dist=["ghost-dependency>=1"])
        server.add_wheel(data, filename)
        return _from_index("needs-ghost", server)

    def conflicting_dependency(server: IndexServer) -> Call:
        filename, data = simple_wheel("wants-old", requires_dist=["shared-dep<1"])
        server.add_wheel(data, filename)
        _wheel(server, "shared-dep", "2.0")
        return _from_index("wants-old", server)

    def disagrees_with_wheel(server: IndexServer) -> Call:
        # the .metadata file lists no dependency; the wheel's own METADATA needs one
        filename, data = simple_wheel("two-faced", requires_dist=["ghost-two>=1"])
        server.add_wheel(
            data, filename, metadata=b"Metadata-Version: 2.1\nName: two-faced\nVersion: 1.0\n"
        )
        return _from_index("two-faced", server)

    def python_only_in_metadata(server: IndexServer) -> Call:
        # the page lists no Requires-Python; the .metadata file excludes this Python
        filename, data = simple_wheel("python-in-metadata", requires_python=">=3.99")
        server.add_wheel(data, filename, requires_python="")
        return _from_index("python-in-metadata", server)

    return [
        _metadata_case(
            "metadata-is-html",
            b"<html><body>Not Found</body></html>",
            "MetadataError",
            "lacks Name or Version",
        ),
        _metadata_case(
            "metadata-no-version",
            b"Metadata-Version: 2.1\nName: metadata-no-version\n",
            "MetadataError",
            "lacks Name or Version",
        ),
        _metadata_case("metadata-binary", bytes(range(256)) * 4, "MetadataError", "is not UTF-8"),
        _metadata_case(
            "metadata-other-name",
            b"Metadata-Version: 2.1\nName: somebody\nVersion: 1.0\n",
            "MetadataError",
            "describes somebody 1.0, not metadata-other-name 1.0",
        ),
        _metadata_case(
            "metadata-other-version",
            b"Metadata-Version: 2.1\nName: metadata-other-version\nVersion: 7.0\n",
            "MetadataError",
            "describes metadata-other-version 7.0, not metadata-other-version 1.0",
        ),
        _metadata_case(
            "metadata-bad-requires-dist",
            b"Metadata-Version: 2.1\nName: metadata-bad-requires-dist\nVersion: 1.0\n"
            b"Requires-Dist: !!! not a requirement\n",
            "MetadataError",
            "!!! not a requirement",
        ),
        _metadata_case(
            "metadata-bad-marker",
            b"Metadata-Version: 2.1\nName: metadata-bad-marker\nVersion: 1.0\n"
            b'Requires-Dist: six; python_version >> "3"\n',
            "MetadataError",
            "python_version",
        ),
        BadInput(
            "metadata-hash-mismatch", "metadata", hash_mismatch, "HashMismatchError", ".metadata"
        ),
        BadInput(
            "metadata-missing-dependency",
            "metadata",
            missing_dependency,
            "ResolutionError",
            "ghost-dependency",
        ),
        BadInput(
            "metadata-conflicting-dependency",
            "metadata",
            conflicting_dependency,
            "ResolutionError",
            "shared-dep",
        ),
        BadInput(
            "metadata-file-disagrees-with-wheel",
            "metadata",
            disagrees_with_wheel,
            "InvalidWheelError",
            "does not match the wheel's own METADATA (the index's file leaves out ghost-two>=1)",
        ),
        BadInput(
            "metadata-requires-python-excludes",
            "metadata",
            python_only_in_metadata,
            "ResolutionError",
            "Python >=3.99 (required by python-in-metadata 1.0)",
        ),
    ]


def _requirements_cases() -> list[BadInput]:
    def missing_file(server: IndexServer) -> Call:
        return _install(requirements_file="/tmp/no-such-requirements.txt")

    def url_404(server: IndexServer) -> Call:
        return _install(requirements_file=f"{server.url}/nowhere/requirements.txt")

    def binary(server: IndexServer) -> Call:
        path = "/tmp/req-binary/req.txt"
        return Call(
            "install", (), {**QUICK, "requirements_file": path}, files={path: bytes(range(256))}
        )

    return [
        _requirements_case(
            "req-r-loop",
            {"req.txt": "-r other.txt\n", "other.txt": "-r req.txt\n"},
            "InvalidRequirementError",
            "includes itself",
        ),
        _requirements_case(
            "req-unknown-option",
            {"req.txt": "--frobnicate\n"},
            "InvalidRequirementError",
            "micropip2 does not support the option --frobnicate in a requirements file",
        ),
        _requirements_case(
            "req-editable", {"req.txt": "-e ./src\n"}, "InvalidRequirementError", "-e"
        ),
        _requirements_case(
            "req-find-links",
            {"req.txt": "--find-links https://x/\n"},
            "InvalidRequirementError",
            "--find-links",
        ),
        _requirements_case(
            "req-not-a-requirement",
            {"req.txt": "this is not a requirement\n"},
            "InvalidRequirementError",
            "this is not a requirement",
        ),
        _requirements_case(
            "req-option-without-value",
            {"req.txt": "-c\n"},
            "InvalidRequirementError",
            "needs a value",
        ),
        _requirements_case(
            "req-md5-hash",
            {"req.txt": "req-md5-hash==1.0 --hash=md5:" + "0" * 32 + "\n"},
            "InvalidRequirementError",
            "md5",
        ),
        _requirements_case(
            "req-hash-not-hex",
            {"req.txt": "req-hash-not-hex==1.0 --hash=sha256:xyz\n"},
            "InvalidRequirementError",
            "xyz",
        ),
        _requirements_case(
            "req-hash-mismatch",
            {
                "req.txt": "--index-url @INDEX\nreq-hash-mismatch==1.0 --hash=sha256:"
                + "0" * 64
                + "\n"
            },
            "HashMismatchError",
            "0000000000",
        ),
        _requirements_case(
            "req-hash-unpinned",
            {"req.txt": "--index-url @INDEX\nreq-hash-unpinned --hash=sha256:" + "0" * 64 + "\n"},
            "InvalidRequirementError",
            "==",
        ),
        _requirements_case(
            "req-hash-missing-for-one",
            {"req.txt": "--index-url @INDEX\nreq-hash-missing-for-one==1.0 --hash=sha256:@SHA\n"},
            "InvalidRequirementError",
            "these files to install have no --hash in the requirements file:\n  "
            "req-hash-dependency 1.0",
            requires="req-hash-dependency",
        ),
        _requirements_case(
            "req-bad-index-url",
            {"req.txt": "--index-url http://[::1/simple\nreq-bad-index-url\n"},
            "IndexURLError",
            "[::1",
        ),
        _requirements_case(
            "req-constraint-file-missing",
            {"req.txt": "-c missing-constraints.txt\nreq-constraint-file-missing\n"},
            "DownloadError",
            # Node: ENOENT; a browser fetches it: 404
            "/tmp/req-constraint-file-missing/missing-constraints.txt",
        ),
        BadInput(
            "req-file-missing",
            "requirements",
            missing_file,
            "DownloadError",
            "/tmp/no-such-requirements.txt",  # Node: ENOENT; a browser fetches it: 404
        ),
        BadInput("req-url-404", "requirements", url_404, "DownloadError", "404"),
        BadInput(
            "req-binary-file", "requirements", binary, "InvalidRequirementError", "req-binary"
        ),
    ]


def _lockfile_cases() -> list[BadInput]:
    def gone(server: IndexServer) -> dict[str, object]:
        doc = _pyodide_lock(server, "lock-gone")
        server.fail("/files/lock_gone-1.0-py3-none-any.whl", 404)
        return doc

    def pylock_gone(server: IndexServer) -> str:
        text = _pylock(server, "pylock-gone")
        server.fail("/files/pylock_gone-1.0-py3-none-any.whl", 404)
        return text

    def install_with_bad_lock(server: IndexServer) -> Call:
        return _install("x", lockfile="{not json", index_urls=[server.simple_url])

    def lock_url_404(server: IndexServer) -> Call:
        return Call("sync", (f"{server.url}/nowhere/pylock.toml",), QUICK)

    def lock_host_missing(server: IndexServer) -> Call:
        return Call("sync", (str(Path(server.root) / "no" / "pyodide-lock.json"),), QUICK)

    return [
        _sync_case(
            "lock-not-json", lambda s: "{not json\n", "LockFormatError", "is not valid JSON"
        ),
        _sync_case(
            "lock-packages-list",
            lambda s: {"info": RUNTIME_INFO, "packages": []},
            "LockFormatError",
            "'packages'",
        ),
        _sync_case(
            "lock-no-info",
            lambda s: {"packages": {}},
            "LockFormatError",
            "is neither a pylock.toml (no lock-version) nor a pyodide-lock.json",
        ),
        _sync_case(
            "lock-entry-string",
            lambda s: {"info": RUNTIME_INFO, "packages": {"x": "y"}},
            "LockFormatError",
            "'x'",
        ),
        _sync_case(
            "lock-version-number",
            lambda s: _pyodide_lock(s, "lock-version-number", version=1),
            "LockFormatError",
            "'version'",
        ),
        _sync_case(
            "lock-no-sha256",
            lambda s: _pyodide_lock(s, "lock-no-sha256", sha256=_DROP),
            "LockMismatchError",
            "gives no sha256 for",
        ),
        _sync_case(
            "lock-no-file-name",
            lambda s: _pyodide_lock(s, "lock-no-file-name", file_name=_DROP),
            "LockFormatError",
            "'file_name'",
        ),
        _sync_case(
            "lock-depends-string",
            lambda s: _pyodide_lock(s, "lock-depends-string", depends="six"),
            "LockFormatError",
            "'depends'",
        ),
        _sync_case(
            "lock-wrong-sha256",
            lambda s: _pyodide_lock(s, "lock-wrong-sha256", sha256="0" * 64),
            "HashMismatchError",
            "lock_wrong_sha256",
        ),
        _sync_case(
            "lock-unknown-version",
            lambda s: _pyodide_lock(s, "lock-unknown-version", version="9.9"),
            "InvalidWheelError",
            "9.9",
        ),
        _sync_case("lock-file-404", gone, "DownloadError", "404"),
        _sync_case(
            "lock-other-abi",
            lambda s: {
                **_pyodide_lock(s, "lock-other-abi"),
                "info": {
                    "abi_version": "2020_0",
                    "arch": "wasm32",
                    "platform": "emscripten_1_0_0",
                    "python": "3.10.0",
                },
            },
            "LockMismatchError",
            "2020_0",
        ),
        _sync_case(
            "pylock-not-toml",
            lambda s: 'lock-version = "1.0"\n[[packages]\n',
            "LockFormatError",
            "TOML",
        ),
        _sync_case(
            "pylock-version-2", lambda s: 'lock-version = "2.0"\n', "LockFormatError", "'2.0'"
        ),
        _sync_case(
            "pylock-sdist-only",
            lambda s: (
                'lock-version = "1.0"\n[[packages]]\nname = "sdist-only"\n'
                'sdist = { url = "http://h/x.tar.gz" }\n'
            ),
            "LockFormatError",
            "wheels only",
        ),
        _sync_case(
            "pylock-no-hashes",
            lambda s: _pylock(
                s, "pylock-no-hashes", wheel=f'url = "{_wheel(s, "pylock-no-hashes")}"'
            ),
            "LockMismatchError",
            "gives no sha256 for",
        ),
        _sync_case(
            "pylock-wrong-hash",
            lambda s: _pylock(
                s,
                "pylock-wrong-hash",
                wheel=f'url = "{_wheel(s, "pylock-wrong-hash")}", hashes = {ZERO_HASHES}',
            ),
            "HashMismatchError",
            "pylock_wrong_hash",
        ),
        _sync_case("pylock-file-404", pylock_gone, "DownloadError", "404"),
        _sync_case(
            "pylock-linux-wheel",
            lambda s: _pylock(
                s,
                "pylock-linux",
                wheel=f'url = "{s.url}/x/{LINUX_WHEEL}", hashes = {ZERO_HASHES}',
            ),
            "LockMismatchError",
            "manylinux",
        ),
        _sync_case(
            "pylock-dependencies-string",
            lambda s: _pylock(s, "pylock-dependencies-string", dependencies='"six"'),
            "LockFormatError",
            "'dependencies'",
        ),
        _sync_case(
            "pylock-requires-python-excludes",
            lambda s: 'requires-python = ">=3.99"\n' + _pylock(s, "pylock-future"),
            "LockMismatchError",
            ">=3.99",
        ),
        BadInput(
            "lock-install-lockfile-not-json",
            "lockfile",
            install_with_bad_lock,
            "LockFormatError",
            "is not valid JSON",
        ),
        BadInput("lock-url-404", "lockfile", lock_url_404, "DownloadError", "404"),
        BadInput(
            "lock-host-path-missing",
            "lockfile",
            lock_host_missing,
            "DownloadError",
            "pyodide-lock.json",
            node_only=True,
        ),
    ]


def _redirect_loop(server: IndexServer, path: str) -> None:
    server.add_redirect(path, path + "-b")
    server.add_redirect(path + "-b", path)


def _http_cases() -> list[BadInput]:
    wheel_to_file = lambda s, p: s.add_redirect(p, "file:///etc/passwd")  # noqa: E731
    page_to_file = lambda s, p: s.add_redirect(p, "file:///etc/passwd")  # noqa: E731
    return [
        _http_case("http-wheel-404", lambda s, p: s.fail(p, 404), "DownloadError", "404"),
        _http_case(
            "http-wheel-401", lambda s, p: s.require_auth("u", "p", p), "DownloadError", "401"
        ),
        _http_case("http-wheel-403", lambda s, p: s.fail(p, 403), "DownloadError", "403"),
        _http_case("http-wheel-410", lambda s, p: s.fail(p, 410), "DownloadError", "410"),
        _http_case(
            "http-wheel-500-thrice",
            lambda s, p: s.fail(p, 500, headers={"Retry-After": "0"}),
            "DownloadError",
            "after 3 tries",
        ),
        _http_case(
            "http-wheel-clean-short",
            lambda s, p: s.truncate(p, 100),
            "HashMismatchError",
            "http_wheel_clean_short",
        ),
        _http_case(
            "http-wheel-cut",
            lambda s, p: s.truncate(p, 100, close_early=True),
            "DownloadError",
            "http_wheel_cut",
        ),
        _http_case(
            "http-wheel-corrupt",
            lambda s, p: s.corrupt(p),
            "HashMismatchError",
            "http_wheel_corrupt",
        ),
        _http_case(
            "http-wheel-stalls",
            lambda s, p: s.stall(p, 10, 30),
            "DownloadError",
            "timed out after 1 s",
        ),
        _http_case(
            "http-wheel-redirect-loop", _redirect_loop, "DownloadError", "http_wheel_redirect_loop"
        ),
        _http_case(
            "http-wheel-redirect-to-file",
            wheel_to_file,
            "DownloadError",
            "http_wheel_redirect_to_file",
        ),
        _http_case(
            "http-page-401",
            lambda s, p: s.require_auth("u", "p", p),
            "IndexRequestError",
            "401",
            target="page",
        ),
        _http_case(
            "http-page-403", lambda s, p: s.fail(p, 403), "IndexRequestError", "403", target="page"
        ),
        _http_case(
            "http-page-500-thrice",
            lambda s, p: s.fail(p, 500, headers={"Retry-After": "0"}),
            "IndexRequestError",
            "the request was tried again, and failed each time",
            target="page",
        ),
        _http_case(
            "http-page-429-huge-retry-after",
            lambda s, p: s.fail(p, 429, headers={"Retry-After": "999999"}),
            "DeadlineExceededError",
            "deadline of 3 s",
            target="page",
            deadline=3,
        ),
        _http_case(
            "http-page-cut",
            lambda s, p: s.truncate(p, 20, close_early=True),
            "IndexRequestError",
            "http-page-cut",
            target="page",
        ),
        _http_case(
            "http-page-stalls",
            lambda s, p: s.stall(p, 10, 30),
            "IndexRequestError",
            "timed out after 1 s",
            target="page",
        ),
        _http_case(
            "http-page-redirect-loop",
            _redirect_loop,
            "IndexRequestError",
            "http-page-redirect-loop",
            target="own-page",
        ),
        _http_case(
            "http-page-redirect-to-file",
            page_to_file,
            "IndexRequestError",
            "http-page-redirect-to-file",
            target="own-page",
        ),
    ]


def _call_cases() -> list[BadInput]:
    def const(call: Call) -> Callable[[IndexServer], Call]:
        return lambda server: call

    def uninstall_during_install(server: IndexServer) -> Call:
        url = _wheel(server, "slow-and-broken")
        server.delay(url, 0.5)
        server.corrupt(url)
        return Call(
            "during",
            calls=(
                _from_index("slow-and-broken", server),
                Call("uninstall", ("keeper",)),
            ),
        )

    def gather_two_broken(server: IndexServer) -> Call:
        for name in ("broken-one", "broken-two"):
            server.corrupt(_wheel(server, name))
        return Call(
            "gather",
            calls=(_from_index("broken-one", server), _from_index("broken-two", server)),
        )

    def gather_good_then_broken(server: IndexServer) -> Call:
        _wheel(server, "turns", "1.0")
        server.corrupt(_wheel(server, "turns", "2.0"))
        return Call(
            "gather",
            calls=(_from_index("turns==1.0", server), _from_index("turns==2.0", server)),
        )

    def cancelled(server: IndexServer) -> Call:
        server.stall(_wheel(server, "cancelled"), 10, 30)
        return Call("wait_for", calls=(_from_index("cancelled", server, timeout=20),), seconds=1.0)

    c = Call
    return [
        BadInput(
            "call-constraints-number",
            "call",
            const(_install("x", constraints=5)),
            "InvalidOptionError",
            "constraints",
        ),
        BadInput(
            "call-index-urls-number",
            "call",
            const(_install("x", index_urls=123)),
            "InvalidOptionError",
            "index_urls",
        ),
        BadInput(
            "call-index-url-ftp",
            "call",
            const(_install("x", index_urls=["ftp://host/simple"])),
            "IndexURLError",
            "ftp",
        ),
        BadInput(
            "call-index-strategy-bogus",
            "call",
            const(_install("x", index_strategy="bogus")),
            "InvalidOptionError",
            "bogus",
        ),
        BadInput(
            "call-timeout-zero",
            "call",
            const(c("install", ("x",), {"timeout": 0})),
            "InvalidOptionError",
            "timeout",
        ),
        BadInput(
            "call-timeout-string",
            "call",
            const(c("install", ("x",), {"timeout": "1"})),
            "InvalidOptionError",
            "timeout",
        ),
        BadInput(
            "call-deadline-negative",
            "call",
            const(_install("x", deadline=-1)),
            "InvalidOptionError",
            "deadline",
        ),
        BadInput(
            "call-hashes-number-values",
            "call",
            const(_install("x", hashes={"x": 1})),
            "InvalidOptionError",
            "hashes",
        ),
        BadInput(
            "call-requirement-unclosed-extra",
            "call",
            const(_install("pkg[")),
            "InvalidRequirementError",
            "pkg[",
        ),
        BadInput(
            "call-requirement-empty", "call", const(_install("")), "InvalidRequirementError", "''"
        ),
        BadInput(
            "call-lockfile-number",
            "call",
            const(_install("x", lockfile=123)),
            "InvalidOptionError",
            "a lock is given as a URL, a path, its text, a dict or a Lock; got int 123",
        ),
        BadInput(
            "call-requirements-file-number",
            "call",
            const(_install(requirements_file=123)),
            "InvalidOptionError",
            "requirements_file",
        ),
        BadInput("call-sync-number", "call", const(c("sync", (123,))), "InvalidOptionError", "123"),
        BadInput(
            "call-uninstall-list-of-numbers",
            "call",
            const(c("uninstall", ([1, 2],))),
            "InvalidOptionError",
            "packages",
        ),
        BadInput(
            "call-freeze-bogus-format",
            "call",
            const(c("freeze", (), {"format": "bogus"})),
            "LockFormatError",
            "unknown lock format 'bogus'; choose one of pyodide-lock, pylock",
        ),
        BadInput(
            "call-set-index-urls-number",
            "call",
            const(c("set_index_urls", (123,))),
            "InvalidOptionError",
            "index_urls",
        ),
        BadInput(
            "call-set-constraints-none-item",
            "call",
            const(c("set_constraints", (["a", None],))),
            "InvalidOptionError",
            "constraints",
        ),
        BadInput(
            "call-mock-bad-version",
            "call",
            const(c("add_mock_package", ("mocky", "not a version"))),
            "MockPackageError",
            "'not a version' is not a valid version for the mock of mocky",
        ),
        BadInput(
            "call-uninstall-during-install",
            "call",
            uninstall_during_install,
            "HashMismatchError|ChangeInProgressError",
            "slow_and_broken",
        ),
        BadInput(
            "call-gather-two-broken",
            "call",
            gather_two_broken,
            "HashMismatchError|HashMismatchError",
            "broken_one",
        ),
        BadInput(
            "call-gather-good-then-broken",
            "call",
            gather_good_then_broken,
            "None|HashMismatchError",
            "turns-2.0",
            changes="turns-1.0.dist-info",
            cleanup=("turns",),
        ),
        BadInput("call-cancelled-by-wait-for", "call", cancelled, "TimeoutError", ""),
    ]


def bad_inputs() -> list[BadInput]:
    """Every case, in the order the runner makes them."""
    return [
        *_wheels_from_bad_wheels(),
        *_wheel_cases(),
        *_page_cases(),
        *_metadata_cases(),
        *_requirements_cases(),
        *_lockfile_cases(),
        *_http_cases(),
        *_call_cases(),
    ]
