"""A JupyterLite site on loopback, for tests/test_jupyterlite.py: built with the pinned
jupyterlite-core and jupyterlite-pyodide-kernel (``jupyter lite build``, offline) the way
docs/jupyterlite.md tells a site admin to, and a notebook driven in Chromium
(``tests/support/jupyterlite_driver.mjs``).

    with JupyterLiteSite(lock_wheels, piplite_wheels) as site, Notebook(profile) as nb:
        nb.open(site.notebook_url)
        cell = nb.run("%pip install rich")  # cell.outputs: nbformat outputs; cell.text: shown

The site's Pyodide (``static/pyodide/``, which ``jupyter lite build`` copies and points the
kernel's ``pyodideUrl`` at) holds Pyodide 314.0.7's runtime files, ``wheels/`` and the lock
``scripts/site_lock.py`` makes from the release's own ``pyodide-lock.json`` and those wheels (the
``micropip`` shim, micropip2 and its dependencies, and what the kernel installs at start: the
IPython stack and comm). The release's other packages point at its CDN, which the tests never
reach. ``piplite_wheels`` go to the site's ``pypi/`` folder, which the build indexes into an
``all.json`` listed in ``pipliteUrls``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from .browser_driver import DriverProcess
from .static_server import StaticServer

REPO = Path(__file__).resolve().parents[2]
DIST = REPO / "build" / "dist" / "314.0.7"
DRIVER = Path(__file__).resolve().parent / "jupyterlite_driver.mjs"
RUNTIME_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip")
RELEASE_LOCK = REPO / "node_modules" / "pyodide-314" / "pyodide-lock.json"
CDN = "https://cdn.jsdelivr.net/pyodide/v314.0.7/full/"
KERNEL_SETTINGS = "@jupyterlite/pyodide-kernel-extension:kernel"


def jupyter_lite() -> Path:
    return Path(sys.executable).with_name("jupyter")


class JupyterLiteSite:
    """A built JupyterLite site served on 127.0.0.1 (files under ``build/``)."""

    def __init__(self, lock_wheels: list[Path], piplite_wheels: list[Path]) -> None:
        self.lock_wheels = lock_wheels
        self.piplite_wheels = piplite_wheels
        self.root = Path(tempfile.mkdtemp(dir=REPO / "build", prefix=".jupyterlite-site-"))
        self.lite = self.root / "lite"
        self.out = self.root / "out"
        self.server = StaticServer({"/": self.out})

    def __enter__(self) -> Self:
        try:
            self._write_lite_dir()
            self._build()
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def lab_url(self) -> str:
        """JupyterLab's page; the driver opens a new notebook in it."""
        return self.server.url("/lab/index.html")

    def _write_lite_dir(self) -> None:
        from scripts.site_lock import site_lock

        pyodide = self.lite / "static" / "pyodide"
        (pyodide / "wheels").mkdir(parents=True)
        for name in RUNTIME_FILES:
            _link(DIST / name, pyodide / name)
        for wheel in self.lock_wheels:
            _link(wheel, pyodide / "wheels" / wheel.name)
        served = [(w, f"./wheels/{w.name}") for w in self.lock_wheels]
        lock = site_lock(json.loads(RELEASE_LOCK.read_text()), served, CDN)
        (pyodide / "pyodide-lock.json").write_text(json.dumps(lock))
        (self.lite / "pypi").mkdir()
        for wheel in self.piplite_wheels:
            shutil.copyfile(wheel, self.lite / "pypi" / wheel.name)
        config = {
            "jupyter-lite-schema-version": 0,
            "jupyter-config-data": {"exposeAppInBrowser": True},
        }
        (self.lite / "jupyter-lite.json").write_text(json.dumps(config))

    def _build(self) -> None:
        done = subprocess.run(
            [
                str(jupyter_lite()),
                "lite",
                "build",
                "--lite-dir",
                ".",
                "--output-dir",
                str(self.out),
            ],
            cwd=self.lite,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            raise RuntimeError(f"jupyter lite build failed:\n{done.stdout}\n{done.stderr}")

    def config(self) -> dict[str, Any]:
        """The built site's jupyter-lite.json."""
        loaded: dict[str, Any] = json.loads((self.out / "jupyter-lite.json").read_text())
        return loaded


def _link(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


@dataclass
class Cell:
    index: int = -1
    outputs: list[dict[str, Any]] = field(default_factory=list)
    text: str = ""
    states: list[list[dict[str, Any]]] = field(default_factory=list)  # outputs after each change

    def shown(self, mime: str = "text/plain") -> list[str]:
        """Every output's ``mime`` text (stream text for ``text/plain``), in order."""
        found = []
        for output in self.outputs:
            if output.get("output_type") == "stream" and mime == "text/plain":
                found.append(_text(output.get("text", "")))
            elif mime in output.get("data", {}):
                found.append(_text(output["data"][mime]))
            elif output.get("output_type") == "error" and mime == "text/plain":
                found.append(f"{output.get('ename')}: {output.get('evalue')}")
        return found


def _text(value: str | list[str]) -> str:
    return "".join(value) if isinstance(value, list) else value


class DriverError(RuntimeError):
    pass


class Notebook(DriverProcess):
    """One Chromium (one tab) with the profile ``profile``, driving JupyterLite notebooks."""

    def __init__(self, profile: Path) -> None:
        super().__init__(DRIVER, profile)
        self.outside: list[str] = []
        self.console: list[str] = []

    def _ask(self, op: str, timeout_s: float = 120, **fields: Any) -> dict[str, Any]:
        reply = self.request({"op": op, "timeout_ms": int(timeout_s * 1000), **fields})
        self.outside = list(reply.get("outside", []))
        self.console = list(reply.get("console", []))
        if not reply.get("ok"):
            tail = "\n".join(self.console[-40:])
            raise DriverError(f"{op}: {reply.get('error')}\nconsole (last lines):\n{tail}")
        return reply

    def open(self, url: str, timeout_s: float = 120) -> None:
        self._ask("open", timeout_s, url=url)

    def run(self, source: str, timeout_s: float = 90) -> Cell:
        reply = self._ask("run", timeout_s, source=source)
        states = [list(state) for state in reply.get("states", [])]
        return Cell(int(reply["index"]), list(reply["outputs"]), str(reply["text"]), states)

    def restart(self, timeout_s: float = 120) -> None:
        self._ask("restart", timeout_s)

    def screenshot(self, index: int, path: Path, last: int | None = None) -> None:
        """A PNG of cells ``index`` to ``last`` (default: that one cell)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self._ask(
            "screenshot", 30, index=index, last=index if last is None else last, path=str(path)
        )
