"""Where a file is, and how a name relative to a folder becomes a location: the one place that
joins locations.

A location is an ``http(s)://`` URL, a ``file:`` URL or ``emfs:`` path, an absolute path, or a
path relative to the working directory (Node) or the page (browsers). A *folder* is where the
relative file names of a lock or of a distribution point into; it is written with a trailing
``/`` (:func:`folder_of` gives one).
"""

from __future__ import annotations

import os
import re
from urllib.parse import urljoin, urlsplit

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def has_scheme(location: str) -> bool:
    return bool(_SCHEME.match(location))


def is_remote(location: str) -> bool:
    return urlsplit(location).scheme in ("http", "https")


def is_host_file(location: str) -> bool:
    """A path of the host machine, or a ``file:`` URL (read on Node, or by the CLI)."""
    return not has_scheme(location) or urlsplit(location).scheme == "file"


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
    """A link in a web document (an index page) resolved as a browser would (RFC 3986)."""
    return urljoin(document_url, reference)
