"""The recorded corpus of real PyPI wheels, and a replay index that serves it.

The corpus is described by ``benchmarks/corpus.toml`` (the requirement sets and the version
rules) and recorded by ``python -m scripts.record_corpus`` into
``tests/fixtures/recorded/<set>.toml`` (one ``[[file]]`` per wheel: project, version, filename,
sha256, size, requires_python, yanked, upload_time). Wheels are downloaded with ``pip download``
into ``build/corpus/`` and checked against the recorded sha256; they are never committed.

    from benchmarks.corpus import load_set, replay_server
    s = load_set("aioboto3")
    with replay_server(s, latency=0.05) as index:     # a started IndexServer
        ...  # point an installer at index.simple_url

The replay server is ``tests/support/index_server.IndexServer``: PEP 691 JSON and PEP 503
HTML pages with absolute file URLs (as PyPI's), PEP 658/714 ``.metadata`` files (extracted
from each wheel), the PyPI-style JSON API, injected latency and a request log.
"""

from __future__ import annotations

import concurrent.futures
import os
import subprocess
import sys
import tempfile
import tomllib
import venv
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name

from tests.support.index_server import IndexServer
from tests.support.pypi_files import pip_download, sha256_of

REPO = Path(__file__).resolve().parent.parent
SPEC_FILE = REPO / "benchmarks" / "corpus.toml"
RECORDED_DIR = REPO / "tests" / "fixtures" / "recorded"
CORPUS_DIR = REPO / "build" / "corpus"
TOOLS_DIR = REPO / "build" / "bench-tools"


class CorpusError(RuntimeError):
    pass


def log(msg: str) -> None:
    print(f"[corpus] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------
# the spec and the recorded lists


def load_spec(path: Path = SPEC_FILE) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def set_names() -> list[str]:
    return list(load_spec()["set"])


@dataclass(frozen=True)
class RecordedFile:
    project: str  # normalized
    version: str
    filename: str
    sha256: str
    size: int
    requires_python: str  # "" when the index lists none
    yanked: bool | str  # False, True, or the reason
    upload_time: str  # PEP 700 form, "...Z"

    @property
    def path(self) -> Path:
        return CORPUS_DIR / self.filename


@dataclass(frozen=True)
class RecordedSet:
    name: str
    description: str
    requirements: list[str]
    imports: list[str]
    resolution: dict[str, list[str]]  # pyodide version -> ["name==version", ...] (uv's)
    files: list[RecordedFile] = field(default_factory=list)
    # from corpus.toml (how the set is benchmarked; see the comments there)
    pyodide: tuple[str, ...] | None = None  # the only Pyodide versions it resolves on, or all
    why_not: str = ""  # why not on the others
    boot_with: tuple[str, ...] = ()  # "name==version" loaded at boot instead of the dist's
    backtracking: bool = False  # a greedy resolver cannot solve it

    def skip_reason(self, pyodide: str) -> str | None:
        """Why the set is not benchmarked on ``pyodide``, or None when it is."""
        if self.pyodide is None or pyodide in self.pyodide:
            return None
        only = ", ".join(self.pyodide)
        return f"{self.name} resolves on Pyodide {only} only: {self.why_not or 'see corpus.toml'}"

    def boot_files(self, target_fits) -> list[RecordedFile]:
        """The recorded files of ``boot_with``: per pin the first one ``target_fits(filename)``."""
        out = []
        for pin in self.boot_with:
            name, _, version = pin.partition("==")
            key = canonicalize_name(name)
            match = [
                f
                for f in self.files
                if f.project == key and f.version == version and target_fits(f.filename)
            ]
            if not match:
                raise CorpusError(f"{self.name}: boot_with {pin} has no recorded file that fits")
            out.append(match[0])
        return out

    @property
    def projects(self) -> list[str]:
        return sorted({f.project for f in self.files})

    @property
    def total_size(self) -> int:
        return sum(f.size for f in self.files)


def recorded_path(name: str) -> Path:
    return RECORDED_DIR / f"{name}.toml"


def load_set(name: str) -> RecordedSet:
    path = recorded_path(name)
    if not path.exists():
        raise CorpusError(f"{path} is missing: run python -m scripts.record_corpus --set {name}")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    options = load_spec()["set"].get(name, {})
    files = [
        RecordedFile(
            project=f["project"],
            version=f["version"],
            filename=f["filename"],
            sha256=f["sha256"],
            size=int(f["size"]),
            requires_python=f.get("requires_python", ""),
            yanked=f.get("yanked", False),
            upload_time=f["upload_time"],
        )
        for f in data.get("file", [])
    ]
    return RecordedSet(
        name=data["set"],
        description=data.get("description", ""),
        requirements=list(data["requirements"]),
        imports=list(data.get("imports", [])),
        resolution={k: list(v) for k, v in data.get("resolution", {}).items()},
        files=files,
        pyodide=tuple(options["pyodide"]) if "pyodide" in options else None,
        why_not=options.get("why_not", ""),
        boot_with=tuple(options.get("boot_with", ())),
        backtracking=bool(options.get("backtracking", False)),
    )


# --------------------------------------------------------------------------------------
# downloading with pip, hash-checked


def _download(file: RecordedFile) -> Path:
    return pip_download(file.filename, file.sha256, CORPUS_DIR, error=CorpusError)


def _present(file: RecordedFile) -> bool:
    return (
        file.path.exists()
        and file.path.stat().st_size == file.size
        and sha256_of(file.path) == file.sha256
    )


def fetch(files: list[RecordedFile], jobs: int = 4, offline: bool = False) -> None:
    """Make every file present and verified in build/corpus/ (downloads the missing ones)."""
    missing = [f for f in {f.filename: f for f in files}.values() if not _present(f)]
    if not missing:
        return
    if offline:
        raise CorpusError(
            f"{len(missing)} corpus files are missing from {CORPUS_DIR}, e.g. {missing[0].filename}"
        )
    total = sum(f.size for f in missing) / 1e6
    log(f"downloading {len(missing)} wheels ({total:.1f} MB) into {CORPUS_DIR.relative_to(REPO)}/")
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for done in pool.map(_download, missing):
            log(f"  {done.name}")


def fetch_tool_micropip() -> Path:
    """micropip's pinned wheel (benchmarks/corpus.toml [tools.micropip]) in build/corpus/."""
    pin = load_spec()["tools"]["micropip"]
    file = RecordedFile(
        "micropip",
        pin["file"].split("-")[1],
        pin["file"],
        pin["sha256"].lower(),
        size=-1,
        requires_python="",
        yanked=False,
        upload_time="",
    )
    if not (file.path.exists() and sha256_of(file.path) == file.sha256):
        log(f"downloading {file.filename}")
        _download(file)
    return file.path


# --------------------------------------------------------------------------------------
# the replay server


def replay_server(
    recorded: RecordedSet | str, latency: float = 0.0, *, offline: bool = False
) -> IndexServer:
    """A started IndexServer listing every recorded file of the set (fetched if needed).

    ``latency`` (seconds) is slept before every response; it can be changed later through
    ``server.latency``. Stop it with ``server.stop()`` (or use it as a context manager).
    """
    s = load_set(recorded) if isinstance(recorded, str) else recorded
    fetch(s.files, offline=offline)
    # Absolute file URLs, as PyPI's pages have: micropip 0.11.1 cannot download the
    # relative ones ("Cannot download from a non-remote location: '../../files/...'").
    server = IndexServer(latency=latency, absolute_urls=True)
    try:
        for f in s.files:
            server.add_wheel(
                f.path,
                yanked=f.yanked,
                requires_python=f.requires_python,  # "" lists none, as the index did
                upload_time=f.upload_time,
            )
        return server.start()
    except BaseException:
        server.stop()
        raise


def widen_listen_backlog(size: int = 128) -> None:
    """Let the replay server queue many new connections at once.

    ``socketserver.TCPServer`` listens with a backlog of 5: when a client opens 16
    connections at once (Node's fetch does: it has no per-host limit), the kernel drops the
    SYNs that do not fit (``nstat``: TcpExtListenOverflows) and the client retries them
    after Linux's initial 1 s retransmission timeout, which adds a whole second and a
    second round trip to some runs. A real index or CDN does not do that.
    """
    from tests.support import index_server

    index_server._HTTPServer.request_queue_size = max(
        size, index_server._HTTPServer.request_queue_size
    )


# --------------------------------------------------------------------------------------
# uv (the reference resolver), from PyPI through pip into build/bench-tools/


def ensure_uv() -> Path:
    """The path of uv's binary, pinned in corpus.toml; installed into a venv on first use."""
    version = load_spec()["tools"]["uv"]
    env_dir = TOOLS_DIR / f"uv-{version}"
    uv = env_dir / "bin" / "uv"
    if uv.exists():
        return uv
    log(f"installing uv=={version} into {env_dir.relative_to(REPO)}")
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    proc = subprocess.run(
        [
            str(env_dir / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--only-binary=:all:",
            f"uv=={version}",
        ],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0 or not uv.exists():
        raise CorpusError(f"installing uv=={version} failed:\n{proc.stdout}{proc.stderr}")
    return uv


def uv_compile(
    requirements: list[str],
    *,
    python_version: str,
    index_url: str | None = None,
    constraints: list[str] | None = None,
    extra_args: list[str] | None = None,
    platform: str = "wasm32-pyodide2025",
) -> tuple[int, list[str], str]:
    """``uv pip compile`` for Pyodide (wasm32-pyodide2025, or another ``platform``), wheels only.

    Returns (exit code, ["name==version", ...] sorted, uv's stderr). ``index_url=None`` means
    uv's default index (PyPI).
    """
    uv = ensure_uv()
    with tempfile.TemporaryDirectory(prefix="uv-compile-") as tmp:
        reqs = Path(tmp) / "requirements.in"
        reqs.write_text("\n".join(requirements) + "\n")
        cmd = [
            str(uv),
            "pip",
            "compile",
            str(reqs),
            "--python-platform",
            platform,
            "--python-version",
            python_version,
            "--only-binary",
            ":all:",
            "--no-annotate",
            "--no-header",
            "--no-python-downloads",
            "--no-cache",
            "--quiet",
        ]
        if index_url is not None:
            cmd += ["--index-url", index_url]
        if constraints:
            cons = Path(tmp) / "constraints.txt"
            cons.write_text("\n".join(constraints) + "\n")
            cmd += ["--constraint", str(cons)]
        cmd += extra_args or []
        env = {**os.environ, "UV_NO_CONFIG": "1", "UV_PYTHON_DOWNLOADS": "never"}
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp)
    pins = sorted(
        line.strip()
        for line in proc.stdout.splitlines()
        if line.strip() and not line.lstrip().startswith("#") and "==" in line
    )
    return proc.returncode, pins, proc.stderr
