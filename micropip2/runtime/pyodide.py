"""The Pyodide side of the runtime boundary: the only module that imports ``js``/``pyodide_js``.

Names under ``pyodide_js._api`` are private to Pyodide and have changed between releases; each
one used here is named once, in this file.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Mapping
from typing import Any

import js
import pyodide_js
from pyodide.ffi import to_js

from ..errors import DownloadError
from . import Response


class PyodideRuntime:
    def __init__(self) -> None:
        self._js = pyodide_js
        self._api = pyodide_js._api
        self._fetch = js.fetch
        self._object_from_entries = js.Object.fromEntries

    @property
    def in_node(self) -> bool:
        process = getattr(js, "process", None)
        return (
            process is not None and getattr(getattr(process, "release", None), "name", "") == "node"
        )

    async def get(
        self, url: str, headers: Mapping[str, str] | None = None, credentials: str | None = None
    ) -> Response:
        return await self._answer(url, self._request(url, headers, credentials))

    async def fetch(
        self, url: str, headers: Mapping[str, str] | None = None, credentials: str | None = None
    ) -> bytes:
        if "://" not in url and self.in_node:  # Node's fetch has no base URL: a path of the host
            return await self.read_host_file(url)
        return _body(url, await self.get(url, headers, credentials))

    def start_fetch(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        credentials: str | None = None,
    ) -> Awaitable[bytes]:
        if "://" not in url and self.in_node:
            return self.read_host_file(url)
        answer = self._answer(url, self._request(url, headers, credentials))  # sent here

        async def body() -> bytes:
            return _body(url, await answer)

        return body()

    def _request(self, url: str, headers: Mapping[str, str] | None, credentials: str | None) -> Any:
        """Send the request now (the JS fetch itself: pyodide.http.pyfetch's Python wrapper costs
        ~1.5 ms a call) and return its JS promise."""
        options: dict[str, Any] = {}
        if headers:
            options["headers"] = dict(headers)
        if credentials:
            options["credentials"] = credentials
        if options:
            return self._fetch(url, to_js(options, dict_converter=self._object_from_entries))
        return self._fetch(url)

    async def _answer(self, url: str, request: Any) -> Response:
        try:
            response = await request
            body = (await response.arrayBuffer()).to_bytes()
        except Exception as exc:  # JsException (network error, CORS refusal, broken transfer)
            raise DownloadError(f"could not fetch {url}: {_js_reason(exc)}", url=url) from exc
        content_type = (response.headers.get("content-type") or "").split(";")[0].strip().lower()
        return Response(str(response.url or url), int(response.status), content_type, body)

    async def read_host_file(self, path: str) -> bytes:
        if not self.in_node:
            raise DownloadError(
                f"cannot read the local file {path!r}: a browser has no access "
                "to the host's files; "
                "serve it over http(s) or put it in the Emscripten file system "
                "and use an emfs: path",
                url=path,
            )
        try:
            data = await self._api.loadBinaryFile(path)
        except Exception as exc:
            raise DownloadError(
                f"could not read the host file {path!r}: {_js_reason(exc)}", url=path
            ) from exc
        return bytes(data.to_py())

    async def load_dynlib(self, path: str) -> None:
        await self._api.loadDynlib(path)

    def distribution_lock(self) -> tuple[dict[str, Any], str]:
        lock = self._api.lockfile.to_py()
        base = getattr(self._js, "lockfileBaseUrl", None) or str(self._api.config.indexURL)
        return lock, str(base)

    async def load_distribution_packages(self, names: list[str]) -> None:
        from pyodide.ffi import to_js

        errors: list[str] = []
        await self._js.loadPackage(
            to_js(names), errorCallback=errors.append, messageCallback=lambda _m: None
        )
        missing = [name for name in names if name not in self.loaded_packages()]
        if missing or errors:
            detail = "; ".join(errors) or "no reason given"
            raise DownloadError(
                f"Pyodide could not load {', '.join(missing or names)} "
                f"from its distribution: {detail}"
            )

    def loaded_packages(self) -> dict[str, str]:
        return dict(self._js.loadedPackages.to_py())

    def set_loaded_package(self, name: str, source: str | None) -> None:
        if source is None:
            with contextlib.suppress(AttributeError):
                delattr(self._js.loadedPackages, name)
        else:
            setattr(self._js.loadedPackages, name, source)


def _body(url: str, response: Response) -> bytes:
    if not response.ok:
        raise DownloadError(
            f"could not fetch {url}: the server answered HTTP {response.status}",
            status=response.status,
            url=url,
        )
    return response.body


def _js_reason(exc: Any) -> str:
    message = getattr(exc, "message", None) or str(exc)
    return message.strip().splitlines()[0] if message.strip() else type(exc).__name__
