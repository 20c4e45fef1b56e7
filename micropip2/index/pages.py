"""Reading project pages (PEP 691 JSON, PEP 503 HTML, the PyPI JSON API) into a ProjectPage; no I/O.

The parser is chosen by the content type the server answered with, never by what was asked for:
some indexes answer HTML to a request that preferred JSON (PEP 691 allows it). File URLs are made
absolute against the page's final URL (after redirects) and their ``#sha256=`` fragment is moved
into :attr:`ProjectFile.sha256`.

Every location a page gives (file URLs, ``<base href>``) must pass
:func:`micropip2.locations.refusal_for_index_link` (http(s) only; https from an https page,
except to a loopback host): a file that does not becomes a :class:`RefusedFile`, never a
candidate. Credentials written in a file URL are taken out of it and handed to the fetch layer
(:func:`micropip2.fetch.without_url_credentials`), which sends them to that URL only.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NoReturn
from urllib.parse import unquote, urldefrag

from packaging.utils import canonicalize_name

from .. import locations
from ..fetch import without_url_credentials
from ..locations import refusal_for_index_link
from .errors import IndexPageError
from .models import ProjectFile, ProjectPage, RefusedFile

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
SIMPLE_HTML = "application/vnd.pypi.simple.v1+html"
TEXT_HTML = "text/html"
PLAIN_JSON = "application/json"  # the PyPI JSON API (``/pypi/<name>/json``)

# PEP 691 says servers answer with a versioned type; "latest" is tolerated as the same thing.
_SIMPLE_JSON_TYPES = frozenset({SIMPLE_JSON, "application/vnd.pypi.simple.latest+json"})
_HTML_TYPES = frozenset({TEXT_HTML, SIMPLE_HTML, "application/vnd.pypi.simple.latest+html"})
SUPPORTED_API_MAJOR = "1"  # PEP 629 / PEP 691: a different major version must not be read

# What a link on a PEP 503 page must end with to be a distribution (other links are navigation).
_DISTRIBUTION_SUFFIXES = (".whl", ".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar", ".egg")

Listed = ProjectFile | RefusedFile


def parse_project_page(
    name: str, url: str, content_type: str, body: bytes, *, index_url: str = ""
) -> ProjectPage:
    """The files of project ``name`` on the page that came from ``url`` with ``content_type``.

    ``url`` is the page's final URL (after redirects): relative file URLs are resolved against it.
    ``index_url`` is recorded on every file (:attr:`ProjectFile.index_url`)."""
    project = canonicalize_name(name)
    page = _Page(url, content_type)
    if content_type in _SIMPLE_JSON_TYPES:
        files = _simple_json_files(page, project, _load_json(page, body), index_url)
    elif content_type in _HTML_TYPES:
        files = _simple_html_files(page, body, index_url)
    elif content_type == PLAIN_JSON:
        files = _plain_json_files(page, project, _load_json(page, body), index_url)
    else:
        page.fail(
            "an index must answer with "
            f"{SIMPLE_JSON} (PEP 691), {SIMPLE_HTML} or {TEXT_HTML} (PEP 503), or {PLAIN_JSON} "
            "(the PyPI JSON API); is this URL a package index?"
        )
    return ProjectPage(
        name=project,
        files=tuple(f for f in files if isinstance(f, ProjectFile)),
        index_urls=(index_url,),
        refused=tuple(f for f in files if isinstance(f, RefusedFile)),
    )


def parse_simple_json(
    name: str, url: str, body: bytes, *, index_url: str = ""
) -> list[ProjectFile]:
    """The files of a PEP 691 JSON project page."""
    page = _Page(url, SIMPLE_JSON)
    return _usable(
        _simple_json_files(page, canonicalize_name(name), _load_json(page, body), index_url)
    )


def parse_simple_html(url: str, body: bytes, *, index_url: str = "") -> list[ProjectFile]:
    """The files of a PEP 503 HTML project page."""
    return _usable(_simple_html_files(_Page(url, TEXT_HTML), body, index_url))


def parse_json_api(name: str, url: str, body: bytes, *, index_url: str = "") -> list[ProjectFile]:
    """The files of a PyPI JSON API document (``/pypi/<name>/json``, or one version's)."""
    page = _Page(url, PLAIN_JSON)
    return _usable(
        _json_api_files(page, canonicalize_name(name), _load_json(page, body), index_url)
    )


def _usable(files: list[Listed]) -> list[ProjectFile]:
    return [file for file in files if isinstance(file, ProjectFile)]


class _Page:
    """The page being read: where it came from, for URLs and for error messages."""

    def __init__(self, url: str, content_type: str) -> None:
        self.url = url
        self.content_type = content_type

    def fail(self, reason: str) -> NoReturn:
        raise IndexPageError(self.url, self.content_type, reason)

    def absolute(self, href: str, base: str | None = None) -> tuple[str, str]:
        """(absolute URL without fragment, fragment) of a link on this page; the URL still
        holds any credentials written in it (see :meth:`link`)."""
        joined = locations.href(base or self.url, href.strip())
        try:
            url, fragment = urldefrag(joined or href.strip())
        except ValueError:  # not a URL at all: link() refuses it
            return joined or href.strip(), ""
        return url, fragment

    def link(self, href: str, base: str | None = None) -> tuple[str, str, str | None]:
        """(absolute URL without fragment and credentials, fragment, why it is refused or
        ``None``) of a file link on this page."""
        url, fragment = self.absolute(href, base)
        refusal = refusal_for_index_link(self.url, url)
        return without_url_credentials(url) if refusal is None else url, fragment, refusal


def _load_json(page: _Page, body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        page.fail(f"the body is not valid JSON ({exc}); first bytes: {body[:60]!r}")
    except RecursionError:  # arrays/objects nested thousands deep: no index page looks so
        page.fail(
            f"the body nests JSON arrays or objects too deeply to read; first bytes: {body[:60]!r}"
        )


def _check_api_version(page: _Page, version: object, where: str) -> None:
    """PEP 629/691: read any 1.x page; refuse another major version rather than guess."""
    if not isinstance(version, str) or not version.strip():
        page.fail(f"{where} is {version!r}, not a version string like '1.1'")
    major = version.strip().split(".")[0]
    if major != SUPPORTED_API_MAJOR:
        page.fail(
            f"{where} is {version!r}; micropip2 reads version {SUPPORTED_API_MAJOR}.x of the "
            "simple repository API (PEP 629/691)"
        )


def _check_project_name(page: _Page, project: str, listed: object) -> None:
    if isinstance(listed, str) and listed and canonicalize_name(listed) != project:
        page.fail(f"the page lists project {listed!r}, but {project!r} was asked for")


# -- PEP 691 JSON ------------------------------------------------------------------------------


def _simple_json_files(page: _Page, project: str, doc: Any, index_url: str) -> list[Listed]:
    if not isinstance(doc, dict):
        page.fail(f"a PEP 691 page is a JSON object, this is a {type(doc).__name__}")
    if "info" in doc and "releases" in doc:  # served with the wrong type, but unmistakable
        return _json_api_files(page, project, doc, index_url)
    meta = doc.get("meta", {})
    if not isinstance(meta, dict):
        page.fail(f"'meta' must be an object, got {type(meta).__name__}")
    if "api-version" in meta:  # required by PEP 691; an index that leaves it out is read as 1.0
        _check_api_version(page, meta["api-version"], "meta.api-version")
    _check_project_name(page, project, doc.get("name"))
    entries = doc.get("files")
    if not isinstance(entries, list):
        page.fail(f"'files' must be a list (PEP 691), got {_kind(entries)}")
    return [_simple_json_file(page, i, entry, index_url) for i, entry in enumerate(entries)]


def _simple_json_file(page: _Page, i: int, entry: Any, index_url: str) -> Listed:
    get = _field_reader(page, i, entry)
    filename = get("filename", str, required=True)
    url, fragment, refusal = page.link(get("url", str, required=True))
    if refusal is not None:
        return _refused(filename, url, refusal)
    hashes = get("hashes", dict) or {}
    # PEP 714: "core-metadata" replaces "dist-info-metadata"; the old key only counts alone.
    key = "core-metadata" if "core-metadata" in entry else "dist-info-metadata"
    has_metadata, metadata_sha256 = _json_metadata(get(key, (bool, dict)))
    return ProjectFile(
        filename=filename,
        url=url,
        sha256=_sha256(hashes) or _fragment_sha256(fragment),
        requires_python=_requires_python(get("requires-python", str)),
        yanked=_yanked(get("yanked", (bool, str))),
        metadata_sha256=metadata_sha256,
        has_metadata=has_metadata,
        size=get("size", int),
        upload_time=get("upload-time", str),
        index_url=index_url,
    )


def _json_metadata(value: bool | dict[str, Any] | None) -> tuple[bool, str | None]:
    """PEP 691/714: ``true``, or a dict of hashes of the metadata file; absent/``false``: none."""
    if isinstance(value, dict):
        return True, _sha256(value)
    return bool(value), None


# -- PyPI JSON API -----------------------------------------------------------------------------


def _plain_json_files(page: _Page, project: str, doc: Any, index_url: str) -> list[Listed]:
    """``application/json``: the PyPI JSON API, or a PEP 691 page served with a generic type."""
    if isinstance(doc, dict) and "files" in doc and "releases" not in doc and "urls" not in doc:
        return _simple_json_files(page, project, doc, index_url)
    return _json_api_files(page, project, doc, index_url)


def _json_api_files(page: _Page, project: str, doc: Any, index_url: str) -> list[Listed]:
    if not isinstance(doc, dict):
        page.fail(f"a JSON API document is a JSON object, this is a {type(doc).__name__}")
    info = doc.get("info")
    if isinstance(info, dict):
        _check_project_name(page, project, info.get("name"))
    releases = doc.get("releases")
    if isinstance(releases, dict):  # /pypi/<name>/json: every version
        entries: list[Any] = []
        for version, files in releases.items():
            if not isinstance(files, list):
                page.fail(f"releases[{version!r}] must be a list of files, got {_kind(files)}")
            entries.extend(files)
    elif isinstance(doc.get("urls"), list):  # /pypi/<name>/<version>/json: one version
        entries = doc["urls"]
    else:
        page.fail(
            "a JSON API document needs 'releases' (an object) or 'urls' (a list); it has neither"
        )
    return [_json_api_file(page, i, entry, index_url) for i, entry in enumerate(entries)]


def _json_api_file(page: _Page, i: int, entry: Any, index_url: str) -> Listed:
    get = _field_reader(page, i, entry)
    filename = get("filename", str, required=True)
    url, fragment, refusal = page.link(get("url", str, required=True))
    if refusal is not None:
        return _refused(filename, url, refusal)
    yanked = get("yanked", bool)
    reason = get("yanked_reason", str)
    return ProjectFile(
        filename=filename,
        url=url,
        sha256=_sha256(get("digests", dict) or {}) or _fragment_sha256(fragment),
        requires_python=_requires_python(get("requires_python", str)),
        yanked=(reason or "") if yanked else None,
        metadata_sha256=None,
        has_metadata=False,  # the JSON API does not say whether <url>.metadata exists
        size=get("size", int),
        upload_time=get("upload_time_iso_8601", str) or get("upload_time", str),
        index_url=index_url,
    )


# -- PEP 503 HTML ------------------------------------------------------------------------------


def _simple_html_files(page: _Page, body: bytes, index_url: str) -> list[Listed]:
    from .html_links import LinkCollector  # html.parser costs ~0.1 s inside Pyodide: only here

    collector = LinkCollector()
    collector.feed(body.decode("utf-8", errors="replace"))
    collector.close()
    if collector.api_version is not None:
        _check_api_version(page, collector.api_version, "<meta name='pypi:repository-version'>")
    base = page.absolute(collector.base_href)[0] if collector.base_href else None
    base_refusal = refusal_for_index_link(page.url, base) if base is not None else None
    if base is not None and base_refusal is not None:
        base_refusal = f"the page's <base href={base!r}> was refused: {base_refusal}"
    files = (
        _html_file(page, anchor, base, base_refusal, index_url) for anchor in collector.anchors
    )
    return [file for file in files if file is not None]


def _html_file(
    page: _Page,
    anchor: Mapping[str, str | None],
    base: str | None,
    base_refusal: str | None,
    index_url: str,
) -> Listed | None:
    href = anchor.get("href")
    if not href:
        return None
    url, fragment, refusal = page.link(href, base)
    path = _path_of(url) or _path_of(href.strip()) or _without_query(href.strip())
    filename = unquote(posixpath.basename(path))
    if not filename.lower().endswith(_DISTRIBUTION_SUFFIXES):
        return None
    if base_refusal is not None or refusal is not None:
        return _refused(filename, url, base_refusal or refusal or "")
    # PEP 714: data-core-metadata replaces data-dist-info-metadata; the old one only counts alone.
    key = "data-core-metadata" if "data-core-metadata" in anchor else "data-dist-info-metadata"
    has_metadata, metadata_sha256 = _html_metadata(key in anchor, anchor.get(key))
    return ProjectFile(
        filename=filename,
        url=url,
        sha256=_fragment_sha256(fragment),
        requires_python=_requires_python(anchor.get("data-requires-python")),
        yanked=(anchor.get("data-yanked") or "") if "data-yanked" in anchor else None,  # PEP 592
        metadata_sha256=metadata_sha256,
        has_metadata=has_metadata,
        index_url=index_url,
    )


def _html_metadata(present: bool, value: str | None) -> tuple[bool, str | None]:
    """PEP 658/714: ``"true"`` or ``"<hashname>=<hex>"``; a bare attribute counts as ``"true"``."""
    if not present or (value is not None and value.strip().lower() == "false"):
        return False, None
    if value is None or "=" not in value:
        return True, None
    return True, _sha256(dict([value.strip().split("=", 1)]))


# -- shared field readers ----------------------------------------------------------------------


def _refused(filename: str, url: str, reason: str) -> RefusedFile:
    shown = locations.split_credentials(url)[0]
    return RefusedFile(filename, shown, f"its URL {shown!r} was refused: {reason}")


def _without_query(href: str) -> str:
    """``href`` without its query and fragment, even when it is not a valid URL (so that a
    broken link to a wheel is still reported by its file name)."""
    return href.split("#", 1)[0].split("?", 1)[0]


def _path_of(url: str) -> str:
    parts = locations.split_url(url)
    return parts.path if parts is not None else ""


def _field_reader(page: _Page, i: int, entry: Any) -> Callable[..., Any]:
    """A getter for the fields of file entry ``i`` that names the entry when a type is wrong."""
    if not isinstance(entry, dict):
        page.fail(f"file #{i} must be a JSON object, got {_kind(entry)}")
    label = f"file #{i}" + (
        f" ({entry['filename']})" if isinstance(entry.get("filename"), str) else ""
    )

    def get(key: str, types: type | tuple[type, ...], *, required: bool = False) -> Any:
        value = entry.get(key)
        if value is None:
            if required:
                page.fail(f"{label} has no {key!r}")
            return None
        if not isinstance(value, types) or (isinstance(value, bool) and types is int):
            page.fail(f"{label}: {key!r} must be {_type_names(types)}, got {_kind(value)}")
        return value

    return get


def _sha256(hashes: Mapping[str, Any]) -> str | None:
    value = hashes.get("sha256")
    return value.strip().lower() if isinstance(value, str) and value.strip() else None


def _fragment_sha256(fragment: str) -> str | None:
    """PEP 503: ``#<hashname>=<hexdigest>``; only sha256 is kept."""
    pairs = (part.split("=", 1) for part in fragment.split("&") if "=" in part)
    return _sha256({name.lower(): value for name, value in pairs})


def _requires_python(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def _yanked(value: bool | str | None) -> str | None:
    """PEP 592/691: ``true``, or the reason as a string; ``None`` when not yanked."""
    if value is None or value is False:
        return None
    return "" if value is True else value


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


def _type_names(types: type | Iterable[type]) -> str:
    names = {
        bool: "a boolean",
        dict: "an object",
        int: "an integer",
        str: "a string",
        list: "a list",
    }
    group = (types,) if isinstance(types, type) else tuple(types)
    return " or ".join(names.get(t, t.__name__) for t in group)
