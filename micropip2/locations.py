"""Where a file is, and how a name relative to a folder becomes a location: the one place that
joins locations, and the one place that decides which locations a package index may point to.

A location is an ``http(s)://`` URL, a ``file:`` URL or ``emfs:`` path, an absolute path, or a
path relative to the working directory (Node) or the page (browsers). A *folder* is where the
relative file names of a lock or of a distribution point into; it is written with a trailing
``/`` (:func:`folder_of` gives one).

Who may name what (docs/security.md):

* the user (a requirement, a lock they pass, an index URL they configure) may name any location;
* what a package index answers (file URLs, ``<base href>``, and the metadata URLs derived from
  them) may only be ``http(s)``, and only ``https`` when the page itself came over ``https``
  (except files on a loopback host): :func:`refusal_for_index_link` says why a link is refused.

A URL's ``user:password@`` is never kept in the URL: :func:`split_credentials` takes it out and
:func:`basic_authorization` turns it into an ``Authorization: Basic`` value (RFC 7617).
"""

from __future__ import annotations

import base64
import os
import re
from urllib.parse import SplitResult, unquote, urljoin, urlsplit, urlunsplit

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
WEB_SCHEMES = ("http", "https")
_LOOPBACK_NAMES = ("localhost",)


def has_scheme(location: str) -> bool:
    return bool(_SCHEME.match(location))


def split_url(url: str) -> SplitResult | None:
    """``urlsplit(url)``, or ``None`` for text no URL parser accepts (``http://[::1/x``)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises for a port that is not a number
    except ValueError:
        return None
    return parts


def scheme_of(location: str) -> str:
    parts = split_url(location)
    return parts.scheme.lower() if parts is not None else ""


def is_remote(location: str) -> bool:
    return scheme_of(location) in WEB_SCHEMES


def join(folder: str, name: str) -> str:
    """``name`` in ``folder``. A ``name`` that is already absolute (it has a scheme, or starts
    with ``/``) stays as it is, as does any name when there is no folder."""
    if not folder or has_scheme(name) or name.startswith("/"):
        return name
    if "://" in folder:
        return urljoin(folder if folder.endswith("/") else folder + "/", name)
    return folder.rstrip("/") + "/" + name  # a local folder, or emfs:/path


def folder_of(location: str) -> str:
    """The folder holding the file at ``location`` (with its trailing ``/``)."""
    if "://" in location:
        return urljoin(location, ".")
    directory = os.path.dirname(location)
    if not directory:
        return "./"
    return directory if directory.endswith("/") else directory + "/"


def href(document_url: str, reference: str) -> str:
    """A link in a web document (an index page) resolved as a browser would (RFC 3986); ``""``
    when either is not a URL at all. The result still has to pass
    :func:`refusal_for_index_link` before anything is fetched from it."""
    try:
        return urljoin(document_url, reference)
    except ValueError:
        return ""


# -- what an index may point to -----------------------------------------------------------------


def refusal_for_index_link(page_url: str, url: str) -> str | None:
    """Why a location given by an index page (a file URL, a ``<base href>``) must not be
    fetched, or ``None`` when it may be.

    Only ``http(s)`` with a host is allowed: a ``file:``/``emfs:`` URL, a path, or any other
    scheme (``javascript:``, ``data:``) would let a server make micropip2 read the user's
    files or devices. A page that came over ``https`` may not send micropip2 to plain ``http``
    (a downgrade anyone on the path could tamper with), except to a loopback host."""
    parts = split_url(url)
    if parts is None:
        return "it is not a valid URL"
    scheme = parts.scheme.lower()
    if scheme not in WEB_SCHEMES or not parts.hostname:
        kind = f"a '{scheme}:' location" if scheme else "not an absolute URL"
        return (
            f"it is {kind}, and an index may only point to http(s) URLs "
            "(only you can name local files, in a requirement or a lock)"
        )
    if scheme == "http" and scheme_of(page_url) == "https" and not is_loopback(parts.hostname):
        return "the index page came over https, and it may not send micropip2 to plain http"
    return None


def is_loopback(host: str) -> bool:
    """``localhost``, ``127.0.0.0/8`` or ``::1``: this machine."""
    import ipaddress  # only when a page points to plain http (cold start)

    host = host.strip("[]").lower()
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# -- credentials in URLs -----------------------------------------------------------------------


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """(``url`` without ``user:password@``, user, password): user and password percent-decoded,
    ``None`` when the URL has none (the password is ``""`` when only a user is given)."""
    parts = split_url(url)
    if parts is None or "@" not in parts.netloc:
        return url, None, None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, has_password, secret = userinfo.partition(":")
    plain = urlunsplit((parts.scheme, hostport, parts.path, parts.query, parts.fragment))
    return plain, unquote(user), unquote(secret) if has_password else ""


def basic_authorization(user: str, password: str | None) -> str:
    """The ``Authorization`` header value for HTTP Basic authentication (RFC 7617)."""
    token = base64.b64encode(f"{user}:{password or ''}".encode()).decode("ascii")
    return f"Basic {token}"
