"""Installing several validated wheels as one transaction: all of them, or none.

Before this runs, every wheel is downloaded, hash-checked and validated
(:mod:`micropip2.wheel_file`). Here the files are written through a
:class:`~micropip2.install.journal.Journal`, installer metadata is added, shared libraries are
loaded and ``loadedPackages`` is updated; if any step fails, the journal puts the file tree back and
``loadedPackages`` is restored, and :class:`~micropip2.errors.InstallFailedError` names the wheel
and the step.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import InstallConflictError, InstallFailedError
from ..installed import INSTALLER_NAME, SOURCE_FILE, InstalledDist
from ..plan import Source
from ..record import write_rows
from ..runtime import Runtime
from ..wheel_file import Member, WheelFile
from .dynlibs import load_order
from .environment import Environment, python_for_scripts
from .journal import Journal
from .uninstall import owner_of, remove_with


@dataclass(frozen=True)
class WheelInstall:
    """One wheel to install and what to record about it."""

    wheel: WheelFile
    url: str  # where the bytes came from
    sha256: str
    kind: Source  # where it came from; "url" also gets direct_url.json (PEP 610)
    requested: bool  # asked for by the user (PEP 376 REQUESTED)
    # the user's overrides and exclusions that changed its requirements (freeze writes them)
    overrides: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()


class _StepFailed(Exception):
    def __init__(self, current: str, step: str, cause: BaseException) -> None:
        super().__init__(current, step)
        self.current, self.step, self.cause = current, step, cause


class Transaction:
    """One all-or-nothing change of the environment, made step by step: :meth:`remove` and
    :meth:`write` (a caller may write each wheel as soon as it is ready), then :meth:`finish`.
    If anything fails, :meth:`abort` puts files and ``loadedPackages`` back as they were."""

    def __init__(self, env: Environment, runtime: Runtime) -> None:
        self.env = env
        self.runtime = runtime
        self.journal = Journal()
        self.loaded_before = runtime.loaded_packages()
        self.removed: list[InstalledDist] = []
        self.written: list[WheelInstall] = []

    def remove(self, dist: InstalledDist) -> None:
        """Remove ``dist``'s files; one held in memory only (an in-memory mock package) has none,
        and its caller forgets it once the change is made."""
        if dist.dist_info is not None:
            with self._step(f"{dist.display_name} {dist.version}", "remove the replaced version"):
                remove_with(dist, self.env, self.journal)
        self.removed.append(dist)

    def write(self, item: WheelInstall) -> None:
        with self._step(item.wheel.filename, "write files"):
            _write_wheel(item, self.env, self.journal)
        self.written.append(item)

    async def finish(self) -> None:
        """Load the written wheels' shared libraries and update ``loadedPackages``."""
        importlib.invalidate_caches()
        for item in self.written:
            with self._step(item.wheel.filename, "load shared libraries"):
                libraries = [
                    _destination(m, item.wheel, self.env) for m in item.wheel.shared_libraries
                ]
                for library in load_order(libraries):
                    await self.runtime.load_dynlib(library)
        for dist in self.removed:
            self.runtime.set_loaded_package(dist.display_name, None)
        for item in self.written:
            self.runtime.set_loaded_package(item.wheel.display_name, item.url)

    def abort(self, exc: BaseException) -> BaseException:
        """Undo everything; the error to raise (a failed step is described with what was
        restored)."""
        problems = self.journal.rollback()
        _restore_loaded(self.runtime, self.loaded_before)
        importlib.invalidate_caches()
        if not isinstance(exc, _StepFailed):
            return exc
        if isinstance(exc.cause, InstallConflictError):
            return exc.cause
        restored = (
            "the environment is as it was"
            if not problems
            else "restoring failed: " + "; ".join(problems)
        )
        error = InstallFailedError(
            f"installing {exc.current} failed while trying to {exc.step}: {_reason(exc.cause)}; "
            f"nothing was installed, {restored}",
            step=exc.step,
            file=exc.current,
        )
        error.__cause__ = exc.cause
        return error

    @contextmanager
    def _step(self, current: str, step: str) -> Iterator[None]:
        try:
            yield
        except Exception as exc:
            raise _StepFailed(current, step, exc) from exc


def _write_wheel(item: WheelInstall, env: Environment, journal: Journal) -> None:
    wheel = item.wheel
    root = env.site_packages
    record_rows: list[tuple[str, str, str]] = []
    real: dict[str, str] = {}
    own_record = f"{wheel.dist_info}/RECORD"
    for member in wheel.members:
        if member.path == own_record and member.scheme in ("purelib", "platlib"):
            continue  # replaced by the RECORD of what was really written
        destination = _destination(member, wheel, env, real)
        data, mode = _prepared(member)
        exists = journal.exists(destination)
        if exists:
            _refuse_foreign_overwrite(Path(destination), item, env)
        journal.write(destination, data, mode, exists=exists)
        hash_field = (
            member.record_hash if data is member.data and member.record_hash else _hash_field(data)
        )
        record_rows.append(
            (_record_path(member, destination, root, env), hash_field, str(len(data)))
        )
    dist_info = root / wheel.dist_info
    for name, data in _installer_files(item).items():
        journal.write(str(dist_info / name), data)
        record_rows.append((f"{wheel.dist_info}/{name}", _hash_field(data), str(len(data))))
    record_rows.append((own_record, "", ""))
    journal.write(str(dist_info / "RECORD"), _record_text(record_rows))


def _record_path(member: Member, destination: str, root: Path, env: Environment) -> str:
    """RECORD paths are relative to the directory holding .dist-info (site-packages)."""
    if member.scheme in ("purelib", "platlib") and env.scheme_dir(member.scheme, "") == root:
        return member.path
    return os.path.relpath(destination, root).replace(os.sep, "/")


def _destination(
    member: Member, wheel: WheelFile, env: Environment, real: dict[str, str] | None = None
) -> str:
    """Where ``member`` is written. The archive paths are already free of ".." and absolute parts;
    a symlinked directory on disk could still lead elsewhere, so check where the bytes would land
    (``real`` caches resolved directories across the members of a wheel)."""
    real = {} if real is None else real
    base = str(env.scheme_dir(member.scheme, wheel.display_name))
    destination = f"{base.rstrip('/')}/{member.path}"
    real_base = _realpath(base, real)
    real_parent = _realpath(destination.rsplit("/", 1)[0], real)
    if real_parent != real_base and not real_parent.startswith(real_base.rstrip("/") + "/"):
        raise InstallConflictError(
            f"{wheel.filename}: {member.archive_path} would be written to {real_parent}, outside "
            f"{real_base} (a symbolic link on disk points elsewhere); nothing was installed"
        )
    return destination


def _realpath(path: str, cache: dict[str, str]) -> str:
    if path not in cache:
        cache[path] = os.path.realpath(path)
    return cache[path]


def _prepared(member: Member) -> tuple[bytes, int]:
    """The bytes and file mode to write; ``#!python`` scripts get a real interpreter line."""
    if member.scheme != "scripts":
        return member.data, 0o644
    data = member.data
    if data.startswith(b"#!python"):
        data = b"#!" + python_for_scripts().encode() + data[len(b"#!python") :]
    return data, 0o755


def _refuse_foreign_overwrite(destination: Path, item: WheelInstall, env: Environment) -> None:
    """A file another installed distribution owns is not silently replaced."""
    owner = owner_of(destination, env, ignore=item.wheel.name)
    if owner is not None:
        raise InstallConflictError(
            f"{item.wheel.filename} contains {destination}, which belongs to the installed "
            f"{owner.display_name} {owner.version}; nothing was installed. Uninstall "
            f"{owner.display_name} first if the new wheel should replace it"
        )


def _installer_files(item: WheelInstall) -> dict[str, bytes]:
    files = {
        "INSTALLER": f"{INSTALLER_NAME}\n".encode(),
        SOURCE_FILE: json.dumps(
            {
                "kind": item.kind,
                "url": item.url,
                "sha256": item.sha256,
                "size": item.wheel.size,
                **({"overrides": list(item.overrides)} if item.overrides else {}),
                **({"exclude": list(item.excluded)} if item.excluded else {}),
            },
            indent=2,
        ).encode(),
    }
    if item.requested:
        files["REQUESTED"] = b""
    if item.kind is Source.URL:
        files["direct_url.json"] = json.dumps(
            {"url": _pep610_url(item.url), "archive_info": {"hashes": {"sha256": item.sha256}}}
        ).encode()
    return files


def _pep610_url(url: str) -> str:
    """PEP 610 wants a URL; an Emscripten-FS path is a local file, so it becomes ``file://``."""
    if url.startswith("emfs:"):
        return "file://" + url.removeprefix("emfs:")
    return url.split("#", 1)[0]


def _hash_field(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _record_text(rows: list[tuple[str, str, str]]) -> bytes:
    return write_rows(rows).encode()


def _restore_loaded(runtime: Runtime, before: dict[str, str]) -> None:
    for name in runtime.loaded_packages().keys() - before.keys():
        runtime.set_loaded_package(name, None)
    for name, source in before.items():
        runtime.set_loaded_package(name, source)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0] if len(text) < 400 else text[:400] + "..."
