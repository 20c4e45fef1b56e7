"""``micropip.package_index`` as the ``micropip`` shim gives it: the names JupyterLite's piplite
imports and patches, and the project source its patch becomes (docs/jupyterlite.md).

piplite 0.9 (jupyterlite-pyodide-kernel's in-kernel package) imports ``ProjectInfo``,
``CompatibilityLayer`` and ``query_package`` from here, and around each ``micropip.install`` it
replaces ``query_package`` (``unittest.mock.patch``) by its own function, which reads the site's
``pipliteUrls`` (Warehouse-JSON ``all.json`` files, fetched with
``compat_layer.fetch_string_and_headers``), answers ``ProjectInfo._compatible_only(name,
releases)`` for a project listed there, raises when the site disabled the PyPI fallback, and
otherwise calls the original ``query_package``.

micropip2 does not resolve through ``query_package``. The shim's ``install`` looks at this
module: when ``query_package`` is not the one defined here, it passes :class:`PatchedQuery` as a
project source (:mod:`micropip2.index.sources`), which the index client asks for each project
before the configured indexes. The original ``query_package`` answers "ask micropip2's own
indexes", so piplite's fallback becomes micropip2's ``index_urls`` (PyPI by default).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from packaging.utils import NormalizedName

from .errors import DownloadError, Micropip2Error
from .fetch import Fetcher
from .index.errors import IndexRequestError
from .index.models import ProjectPage
from .index.pages import PLAIN_JSON, parse_project_page
from .index.sources import SourceAnswer
from .runtime import current_runtime

LABEL = "piplite (the site's pipliteUrls)"

Query = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class ProjectInfo:
    """A project's releases as a piplite index lists them (``releases`` of the Warehouse JSON
    API: version -> files), or ``releases=None``: micropip2's own indexes are to be asked."""

    name: str
    releases: Mapping[str, Any] | None

    @classmethod
    def _compatible_only(cls, name: str, releases: Mapping[str, Any]) -> ProjectInfo:
        """What piplite builds from its ``all.json`` entry. micropip2 keeps every file: which
        fit, and why the others do not, is decided (and explained) by its resolver."""
        return cls(name, releases)


class CompatibilityLayer:
    """The fetch piplite uses for its ``all.json`` files. During an install it is bound to that
    install's fetcher (its persistent page cache, time limits and retries)."""

    def __init__(self, fetcher: Fetcher | None = None) -> None:
        self._fetcher = fetcher

    async def fetch_string_and_headers(
        self, url: str, kwargs: Mapping[str, Any] | None = None
    ) -> tuple[str, dict[str, str]]:
        """The text of ``url`` and its headers; a status other than 2xx raises."""
        fetcher = self._fetcher or Fetcher(current_runtime())
        response = await fetcher.page(url, {"Accept": "application/json"})
        if not response.ok:
            raise DownloadError(f"could not fetch {url}: HTTP {response.status}")
        return response.body.decode("utf-8", errors="replace"), dict(response.headers)


async def query_package(
    name: str,
    index_urls: list[str] | str | None = None,
    *,
    compat_layer: object = None,
    fetch_kwargs: Mapping[str, Any] | None = None,
) -> ProjectInfo:
    """micropip's lookup of one project, as piplite calls it when its indexes do not list the
    project: micropip2's own indexes (``index_urls``) are asked, by the resolver."""
    return ProjectInfo(name, None)


def patched_query() -> Query | None:
    """piplite's function, while it has patched this module's ``query_package``; else None."""
    module = sys.modules.get("micropip.package_index")
    query = getattr(module, "query_package", None) if module is not None else None
    if query is None or query is query_package:
        return None
    return query  # type: ignore[no-any-return]


@dataclass(frozen=True)
class PatchedQuery:
    """A patched ``query_package`` as a project source: asked for each project with a
    :class:`CompatibilityLayer` bound to the install's fetcher."""

    query: Query
    label: str = LABEL

    async def project(self, name: NormalizedName, fetcher: Fetcher) -> SourceAnswer:
        layer = CompatibilityLayer(fetcher)
        try:
            info = await self.query(name, None, compat_layer=layer, fetch_kwargs={})
        except Micropip2Error:  # from micropip2 itself (a ValueError too): not a refusal
            raise
        except ValueError as exc:  # piplite's PiplitePyPIDisabled: not there, ask nobody else
            return SourceAnswer(None, ask_indexes=False, note=str(exc))
        except Exception as exc:
            raise IndexRequestError(
                self.label,
                f"query_package({name!r})",
                f"raised {type(exc).__name__}: {exc}",
                "the function that replaced micropip.package_index.query_package failed",
            ) from exc
        if not isinstance(info, ProjectInfo):
            raise IndexRequestError(
                self.label,
                f"query_package({name!r})",
                f"answered {type(info).__name__}, not micropip.package_index.ProjectInfo",
                "the function that replaced micropip.package_index.query_package must "
                "answer ProjectInfo._compatible_only(name, releases) or call the original",
            )
        if info.releases is None:
            return SourceAnswer(None)
        return SourceAnswer(_page(name, info.releases, self.label))


def _page(name: NormalizedName, releases: Mapping[str, Any], label: str) -> ProjectPage:
    """The files of ``releases`` (Warehouse JSON), read as a JSON API document would be. piplite
    has made their URLs absolute (``<all.json's folder>/./<file>?sha256=...``); a relative one
    is read against the first file's."""
    files = [f for version in releases.values() if isinstance(version, list) for f in version]
    base = next((f["url"] for f in files if isinstance(f, dict) and "url" in f), "")
    body = json.dumps({"releases": dict(releases)}).encode()
    page = parse_project_page(name, str(base), PLAIN_JSON, body, index_url=label)
    return replace(
        page, files=tuple(replace(f, url=_without_dot_segments(f.url)) for f in page.files)
    )


def _without_dot_segments(url: str) -> str:
    """``https://site/pypi/./x.whl`` -> ``https://site/pypi/x.whl`` (RFC 3986 5.2.4, ``.``
    only: what piplite's joining leaves)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=re.sub(r"/(?:\./)+", "/", parts.path)))
