"""A Pyodide release's own pyodide-lock.json, read on a CPython host.

Where it comes from, in order:

1. ``--pyodide-lock``: a path or an ``http(s)``/``file:`` URL given by the user;
2. a copy cached by an earlier run (``$XDG_CACHE_HOME/micropip2/pyodide-lock-<version>.json``);
3. the jsDelivr CDN, ``https://cdn.jsdelivr.net/pyodide/v<version>/full/pyodide-lock.json``;
4. the npm registry: ``https://registry.npmjs.org/pyodide/-/pyodide-<version>.tgz`` holds the
   same file as ``package/pyodide-lock.json`` (useful where the CDN is blocked).
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ..errors import DownloadError, Micropip2Error
from ..locations import folder_of

CDN_FULL = "https://cdn.jsdelivr.net/pyodide/v{version}/full/"
NPM_TARBALL = "https://registry.npmjs.org/pyodide/-/pyodide-{version}.tgz"
NPM_MEMBER = "package/pyodide-lock.json"
TIMEOUT = 30.0


class PyodideLockError(Micropip2Error):
    """A Pyodide release's pyodide-lock.json could not be obtained or read."""


@dataclass(frozen=True)
class ReleaseLock:
    """A Pyodide distribution's lockfile and where it was read from."""

    document: dict[str, Any]
    source: str  # the path or URL it was read from, for messages
    location: str | None  # a URL its relative file names are relative to, when it was read from one


def default_dist_url(version: str) -> str:
    """Where a browser fetches the release's packages: the jsDelivr ``full/`` folder."""
    return CDN_FULL.format(version=version)


def load_release_lock(version: str | None, lock_ref: str | None) -> ReleaseLock:
    """The lockfile named by ``lock_ref`` (path or URL), else the one of Pyodide ``version``."""
    if lock_ref is not None:
        return _from_ref(lock_ref)
    if version is None:
        raise PyodideLockError("give --pyodide VERSION or --pyodide-lock PATH_OR_URL")
    cached = _cache_dir() / f"pyodide-lock-{version}.json"
    if cached.exists():
        return ReleaseLock(_parse(cached.read_bytes(), str(cached)), str(cached), None)
    problems = []
    cdn = default_dist_url(version) + "pyodide-lock.json"
    try:
        data = _get(cdn)
        return ReleaseLock(_remember(cached, data, cdn), cdn, None)
    except DownloadError as exc:
        problems.append(str(exc))
    npm = NPM_TARBALL.format(version=version)
    try:
        data = _member_of_tarball(_get(npm), NPM_MEMBER, npm)
        return ReleaseLock(
            _remember(cached, data, f"{npm} ({NPM_MEMBER})"), f"{npm} ({NPM_MEMBER})", None
        )
    except DownloadError as exc:
        problems.append(str(exc))
    raise PyodideLockError(
        f"cannot get the pyodide-lock.json of Pyodide {version}:\n  "
        + "\n  ".join(problems)
        + "\npass it with --pyodide-lock PATH_OR_URL"
    )


def _from_ref(ref: str) -> ReleaseLock:
    scheme = urlsplit(ref).scheme
    if scheme in ("http", "https"):
        return ReleaseLock(_parse(_get(ref), ref), ref, folder_of(ref))
    path = Path(unquote(urlsplit(ref).path)) if scheme == "file" else Path(ref)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PyodideLockError(f"cannot read the Pyodide lockfile {ref}: {exc.strerror}") from None
    return ReleaseLock(_parse(data, ref), ref, None)


def _parse(data: bytes, source: str) -> dict[str, Any]:
    try:
        document = json.loads(data)
    except ValueError as exc:
        raise PyodideLockError(f"{source} is not JSON: {exc}") from None
    if (
        not isinstance(document, dict)
        or not isinstance(document.get("info"), dict)
        or "packages" not in document
    ):
        raise PyodideLockError(f"{source} is not a pyodide-lock.json (no info and packages)")
    return document


def _remember(cached: Path, data: bytes, source: str) -> dict[str, Any]:
    document = _parse(data, source)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        temporary = cached.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(data)
        temporary.replace(cached)
    except OSError:
        pass  # a cache we cannot write is no reason to fail
    return document


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "micropip2"


def _get(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as answer:
            return bytes(answer.read())
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"{url}: HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise DownloadError(f"{url}: {getattr(exc, 'reason', exc)}") from None


def _member_of_tarball(data: bytes, member: str, url: str) -> bytes:
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            handle = archive.extractfile(member)
            if handle is None:
                raise DownloadError(f"{url}: {member} is not a file")
            return handle.read()
    except KeyError:
        raise DownloadError(f"{url}: the tarball has no {member}") from None
    except (tarfile.TarError, OSError) as exc:
        raise DownloadError(f"{url}: not a readable tarball ({exc})") from None
