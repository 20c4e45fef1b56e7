"""A Node driver of Chromium (``pyscript_driver.mjs``, ``jupyterlite_driver.mjs``) as a child
process speaking JSON lines: it prints ``{"ready": true}`` once Chromium is up, then answers each
request line with one reply line. Its stderr is kept for error messages."""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path
from typing import Any, Self

REPO = Path(__file__).resolve().parents[2]


class DriverProcess:
    """``node <driver> --user-data-dir <profile>``: one Chromium (one tab) in ``profile``."""

    def __init__(self, driver: Path, profile: Path) -> None:
        self.driver = driver
        self.profile = profile
        self.proc: subprocess.Popen[str] | None = None
        self.stderr: list[str] = []
        self._id = 0

    def __enter__(self) -> Self:
        self.profile.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            ["node", str(self.driver), "--user-data-dir", str(self.profile)],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._drain, daemon=True).start()
        ready = self._read()
        if not ready.get("ready"):
            self.__exit__()
            raise RuntimeError(f"{self.driver.name} did not start: {ready}\n{''.join(self.stderr)}")
        return self

    def request(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Send one request (numbered here) and return its reply."""
        assert self.proc is not None and self.proc.stdin is not None
        self._id += 1
        self.proc.stdin.write(json.dumps({"id": self._id, **fields}) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def _drain(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)

    def _read(self) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.driver.name} exited:\n{''.join(self.stderr)}")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def __exit__(self, *exc: object) -> None:
        if self.proc is None:
            return
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
