"""A PyScript site on loopback, for tests/test_pyscript.py: the pinned ``@pyscript/core`` from
``node_modules``, a Pyodide 314.0.7 of the site's own whose ``pyodide-lock.json`` lists the
``micropip`` shim (what docs/pyscript.md tells a site admin to host), pages written by the test,
and Chromium driving them (``tests/support/pyscript_driver.mjs``).

    with PyScriptSite(wheels) as site, PyScriptBrowser(profile) as browser:
        url = site.page("app", config={"packages": ["rich"]}, code="import rich ...")
        page = browser.open(url)  # page.result: what the page's Python wrote last

The site's Pyodide folder (``/pyodide/``) is what docs/pyscript.md tells a site admin to host:
the runtime files of Pyodide 314.0.7 and the lock ``scripts/site_lock.py`` makes from the
release's own ``pyodide-lock.json`` (npm ``pyodide@314.0.7``) and the given wheels (the shim,
micropip2 and its dependencies of this test session's build, served from ``/dist/314.0.7/``).
The release's other packages point at its CDN, which the tests never reach (nor need).
"""

from __future__ import annotations

import html
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from .browser_driver import DriverProcess
from .static_server import StaticServer

REPO = Path(__file__).resolve().parents[2]
DIST = REPO / "build" / "dist" / "314.0.7"
PYSCRIPT_DIST = REPO / "node_modules" / "@pyscript" / "core" / "dist"
DRIVER = Path(__file__).resolve().parent / "pyscript_driver.mjs"
RUNTIME_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip")
RELEASE_LOCK = REPO / "node_modules" / "pyodide-314" / "pyodide-lock.json"
CDN = "https://cdn.jsdelivr.net/pyodide/v314.0.7/full/"


def pyscript_version() -> str:
    return str(json.loads((PYSCRIPT_DIST.parent / "package.json").read_text())["version"])


class PyScriptSite:
    """Static pages, PyScript and the site's Pyodide on 127.0.0.1 (files under ``build/``)."""

    def __init__(self, wheels: list[Path]) -> None:
        """``wheels``: files under ``build/dist/314.0.7/`` that the site's lock adds."""
        if not (PYSCRIPT_DIST / "core.js").exists():
            raise FileNotFoundError(f"{PYSCRIPT_DIST}/core.js is missing: run npm ci")
        self.wheels = wheels
        self.root = Path(tempfile.mkdtemp(dir=REPO / "build", prefix=".pyscript-site-"))
        self.pyodide = self.root / "pyodide"
        self.pages = self.root / "pages"
        self.server = StaticServer(
            {
                "/dist/314.0.7/": DIST,
                "/pyscript/": PYSCRIPT_DIST,
                "/pyodide/": self.pyodide,
                "/pages/": self.pages,
            }
        )

    def __enter__(self) -> Self:
        self.pyodide.mkdir()
        self.pages.mkdir()
        for name in RUNTIME_FILES:
            try:
                os.link(DIST / name, self.pyodide / name)
            except OSError:
                shutil.copyfile(DIST / name, self.pyodide / name)
        self.server.start()
        from scripts.site_lock import site_lock

        dist_url = self.server.url("/dist/314.0.7/")
        served = [(w, dist_url + w.relative_to(DIST).as_posix()) for w in self.wheels]
        lock = site_lock(json.loads(RELEASE_LOCK.read_text()), served, CDN)
        (self.pyodide / "pyodide-lock.json").write_text(json.dumps(lock))
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def interpreter(self) -> str:
        return self.server.url("/pyodide/pyodide.mjs")

    def page(self, name: str, config: dict[str, Any], code: str) -> str:
        """Write ``pages/<name>.html``, whose one ``<script type="py">`` runs ``code`` with
        ``config`` (the site's Pyodide as its ``interpreter``); return its URL. ``code`` ends by
        setting ``js.window.pyscriptTest`` to a JSON string, which the driver waits for."""
        (self.pages / f"{name}.json").write_text(
            json.dumps({"interpreter": self.interpreter, **config})
        )
        core = self.server.url("/pyscript/core.js")
        text = (
            "<!doctype html>\n<html><head><meta charset='utf-8'>\n"
            f"<link rel='stylesheet' href='{self.server.url('/pyscript/core.css')}'>\n"
            f"<script type='module' src='{core}'></script>\n"
            f"</head><body>\n<script type='py' config='./{name}.json'>\n"
            f"{html.escape(code, quote=False)}\n</script>\n</body></html>\n"
        )
        (self.pages / f"{name}.html").write_text(text)
        return self.server.url(f"/pages/{name}.html")


@dataclass
class PageResult:
    ok: bool
    result: Any = None
    error: str = ""
    progress: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def explain(self) -> str:
        """Everything the page said, for an assertion message."""
        return "\n".join(
            [f"error: {self.error}", "py:progress:", *self.progress, "console:", *self.console]
            + ["page errors:", *self.errors]
        )


class PyScriptBrowser(DriverProcess):
    """One Chromium (one tab) with the profile ``profile``: open a URL again to reload it."""

    def __init__(self, profile: Path) -> None:
        super().__init__(DRIVER, profile)

    def open(self, url: str, timeout_s: float = 60) -> PageResult:
        reply = self.request({"url": url, "timeout_ms": int(timeout_s * 1000)})
        return PageResult(
            ok=bool(reply.get("ok")),
            result=reply.get("result"),
            error=str(reply.get("error", "")),
            progress=list(reply.get("progress", [])),
            console=list(reply.get("console", [])),
            errors=list(reply.get("errors", [])),
        )
