"""Index URLs: the forms micropip accepts, the page URL of a project on each, and their credentials.

Forms (as micropip's ``index_urls``):

* a simple-index base, ``https://host/simple`` -> ``https://host/simple/<normalized-name>/``
  (PEP 503);
* a template holding ``{package_name}``, replaced by the normalized name; when its path ends in
  ``/json`` or contains ``/pypi/`` it is the PyPI JSON API, otherwise a simple page;
* ``"PYPI"``, an alias of ``https://pypi.org/simple``.

An index URL may carry ``user:password@`` in its authority. The credentials are taken out of
every URL micropip2 uses, shows or records, and sent as ``Authorization: Basic`` only to that
index's own origin (scheme, host and port).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from packaging.utils import NormalizedName

from ..errors import without_credentials
from ..locations import basic_authorization, split_credentials, split_url
from .errors import IndexURLError

PYPI_ALIAS = "PYPI"
PYPI_SIMPLE_URL = "https://pypi.org/simple"
TEMPLATE_FIELD = "{package_name}"

# PEP 691 content negotiation: JSON preferred, HTML accepted. Both values stay CORS-safelisted
# (no preflight in browsers): under 128 bytes, no forbidden characters.
SIMPLE_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, "
    "text/html;q=0.01"
)
JSON_API_ACCEPT = "application/json, application/vnd.pypi.simple.v1+json;q=0.5, text/html;q=0.01"

IndexKind = Literal["simple", "json-api"]
_DEFAULT_PORTS = {"http": 80, "https": 443}
_JSON_API_PATH = re.compile(r"/json/?$|/pypi/")


@dataclass(frozen=True)
class IndexURL:
    """One configured index, with its credentials taken out of the URL."""

    url: str  # as given, without credentials ("PYPI" expanded): what messages and records show
    kind: IndexKind
    is_template: bool
    origin: str  # "scheme://host:port", what credentials are bound to
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)

    @property
    def has_credentials(self) -> bool:
        return self.username is not None

    @property
    def accept(self) -> str:
        return JSON_API_ACCEPT if self.kind == "json-api" else SIMPLE_ACCEPT

    def project_url(self, name: NormalizedName) -> str:
        """Where this index lists ``name`` (already PEP 503-normalized)."""
        if self.is_template:
            return self.url.replace(TEMPLATE_FIELD, name)
        return f"{self.url.rstrip('/')}/{name}/"

    def auth_headers(self, url: str) -> dict[str, str]:
        """``Authorization`` for ``url`` when it is on this index's origin and credentials were
        given."""
        if self.username is None or origin_of(url) != self.origin:
            return {}
        return {"Authorization": basic_authorization(self.username, self.password)}


def parse_index_url(text: str) -> IndexURL:
    """Read one index URL in any of the accepted forms."""
    if not isinstance(text, str):
        raise IndexURLError(
            f"an index URL must be a string, not {type(text).__name__} ({text!r}); give "
            f"'https://host/simple', a URL with {TEMPLATE_FIELD}, or {PYPI_ALIAS!r}"
        )
    if text.strip().upper() == PYPI_ALIAS:
        text = PYPI_SIMPLE_URL
    text = text.strip()
    _check_no_stray_at(text)
    parts = split_url(text)
    if parts is None or parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        why = "is not a valid URL" if parts is None else "is not an absolute http(s) URL"
        raise IndexURLError(
            f"index URL {without_credentials(text)!r} {why}; give "
            f"'https://host/simple', a URL with {TEMPLATE_FIELD}, or {PYPI_ALIAS!r}",
            url=without_credentials(text),
        )
    url, username, password = split_credentials(text)
    is_template = TEMPLATE_FIELD in url
    kind: IndexKind = "json-api" if is_template and _JSON_API_PATH.search(parts.path) else "simple"
    return IndexURL(url, kind, is_template, origin_of(url), username, password)


def _check_no_stray_at(text: str) -> None:
    """An ``@`` after the host is almost always a password holding an unencoded ``/``, ``?`` or
    ``#`` (which end the host part, RFC 3986): the "password" would end up in the path, in
    every URL asked for and every message. Refused, without echoing what precedes the ``@``."""
    _scheme, _, rest = text.partition("://")
    after_host = re.split(r"[/?#]", rest, maxsplit=1)[1:]
    if not after_host or "@" not in after_host[0] or ":" not in rest.partition("@")[0]:
        return
    shown = f"{_scheme}://{rest.rpartition('@')[2]}"
    raise IndexURLError(
        f"index URL {shown!r} (shown without what precedes its last '@') has an '@' after its "
        "host; if that is user:password, percent-encode the '/', '?' and '#' in the password "
        "(%2F, %3F, %23)",
        url=shown,
    )


def parse_index_urls(texts: str | Iterable[str] | None) -> tuple[IndexURL, ...]:
    """The configured indexes in order; ``None`` means PyPI; a repeated index counts once."""
    if texts is None:
        texts = [PYPI_ALIAS]
    elif isinstance(texts, str):
        texts = [texts]
    elif not isinstance(texts, Iterable):
        raise IndexURLError(
            f"index_urls must be a URL or a list of URLs, not {type(texts).__name__}"
        )
    indexes: dict[str, IndexURL] = {}
    for text in texts:
        index = parse_index_url(text)
        indexes.setdefault(index.url, index)
    if not indexes:
        raise IndexURLError(f"no index URLs were given; pass None (or [{PYPI_ALIAS!r}]) for PyPI")
    return tuple(indexes.values())


def origin_of(url: str) -> str:
    """``scheme://host:port`` with the default port made explicit; ``""`` for a URL without a
    host."""
    parts = split_url(url)  # None for a port that is not a number, or a broken IPv6 host
    if parts is None or not parts.hostname:
        return ""
    scheme = parts.scheme.lower()
    port = parts.port or _DEFAULT_PORTS.get(scheme)
    return f"{scheme}://{parts.hostname.lower()}:{port}"
