"""The ``micropip2`` command line, for a CPython host (>= 3.12): lock ahead of time for a Pyodide
release, check a lock against one, and download a lock's files into a folder Pyodide can boot from.

    micropip2 lock rich "httpx[http2]" --pyodide 314.0.7 -o pyodide-lock.json
    micropip2 lock --check pyodide-lock.json --pyodide 314.0.7
    micropip2 download pyodide-lock.json -d site-packages-dir

See docs/cli.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from .aot.check import check_lock
from .aot.download import LOCK_NAME, download_lock
from .aot.pyodide_release import ReleaseLock, default_dist_url, load_release_lock
from .aot.requirements_file import Collected, read_requirements
from .aot.resolve_for import resolve_for_target, with_hashes
from .errors import Micropip2Error
from .index.client import STRATEGIES
from .locations import is_remote
from .lockfiles.from_plan import lock_from_plan
from .lockfiles.load import load_lock, parse_lock
from .lockfiles.model import FORMATS, Lock
from .lockfiles.pyodide_packages import PyodidePackages
from .lockfiles.render import render_lock
from .operations import InstallOptions
from .runtime.host import HostRuntime
from .target import Target, UnknownTargetError


class UsageError(Micropip2Error):
    """The command line asks for something inconsistent."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="micropip2",
        description=(
            "Lock Python packages for Pyodide ahead of time, check locks, download their files."
        ),
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    lock = commands.add_parser(
        "lock",
        help="resolve requirements for a Pyodide release and write a lock (or --check one)",
        description=(
            "Resolve requirements for a Pyodide release, as micropip2 would inside it, "
            "and write the lock."
        ),
    )
    lock.add_argument(
        "requirements", nargs="*", metavar="REQUIREMENT", help='PEP 508 requirements ("rich>=14")'
    )
    lock.add_argument(
        "-r",
        "--requirement",
        action="append",
        default=[],
        metavar="FILE",
        help="read requirements from a pip-style requirements file (repeatable)",
    )
    lock.add_argument(
        "-c",
        "--constraint",
        action="append",
        default=[],
        metavar="FILE",
        help="constrain versions with a constraints file (repeatable)",
    )
    _add_target_options(lock)
    lock.add_argument(
        "--dist-url",
        metavar="URL",
        help="where the Pyodide distribution's files are (default: the jsDelivr full/ folder of "
        "--pyodide; with a --pyodide-lock URL, that URL's folder)",
    )
    lock.add_argument(
        "--index-url",
        action="append",
        default=[],
        metavar="URL",
        help=(
            "a package index (PEP 503/691; repeatable, in order; 'PYPI' is pypi.org). Default: PYPI"
        ),
    )
    lock.add_argument(
        "--index-strategy",
        choices=STRATEGIES,
        help="first-index (default): a project's files come from the first index that has it; "
        "all-indexes: merged from every index",
    )
    lock.add_argument("--pre", action="store_true", help="allow pre-releases")
    lock.add_argument(
        "--override",
        action="append",
        default=[],
        metavar="REQUIREMENT",
        help="replace every requirement on its project with this one (repeatable; uv's "
        "override-dependencies), as install(overrides=...)",
    )
    lock.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="PROJECT",
        help="drop requirements on PROJECT from every package (repeatable), as "
        "install(exclude=...)",
    )
    lock.add_argument(
        "--max-versions-tried",
        type=int,
        metavar="N",
        help="stop resolving after trying N versions (default 2000; 0: no limit)",
    )
    lock.add_argument(
        "--format",
        choices=FORMATS,
        help="pyodide-lock (pyodide-lock.json, default) or pylock (PEP 751 pylock.toml)",
    )
    lock.add_argument(
        "-o", "--output", metavar="FILE", help="where to write the lock (default: stdout)"
    )
    lock.add_argument(
        "--check",
        metavar="LOCKFILE",
        help="instead of locking: check that LOCKFILE still installs for the target",
    )
    lock.add_argument("-v", "--verbose", action="store_true", help="print the resolution to stderr")

    download = commands.add_parser(
        "download",
        help=(
            "download a lock's files into a folder, with a pyodide-lock.json naming them relatively"
        ),
        description=(
            "Download every file of a lock (sha256-checked) into DIR and write "
            "DIR/pyodide-lock.json with relative file names: "
            "the folder Pyodide on Node boots from."
        ),
    )
    download.add_argument(
        "lockfile", metavar="LOCKFILE", help="a pyodide-lock.json or pylock.toml (path or URL)"
    )
    download.add_argument("-d", "--dest", required=True, metavar="DIR", help="the folder to fill")
    _add_target_options(download)
    return parser


def _add_target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pyodide", metavar="VERSION", help='the Pyodide release to lock for ("314.0.7", "0.29.5")'
    )
    parser.add_argument(
        "--pyodide-lock",
        metavar="PATH_OR_URL",
        help="that release's pyodide-lock.json (default: downloaded from the jsDelivr CDN, "
        "else from the npm package pyodide@VERSION)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    # requirements may come after options too ("lock rich --pyodide 314.0.7 httpx")
    unknown = [word for word in rest if word.startswith("-") or args.command != "lock"]
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if rest:
        args.requirements = [*args.requirements, *rest]
    try:
        if args.command == "download":
            return asyncio.run(_download(args))
        if args.check:
            return asyncio.run(_check(args))
        return asyncio.run(_lock(args))
    except (Micropip2Error, UnknownTargetError) as exc:
        print(f"micropip2: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


# -- lock ------------------------------------------------------------------------------------


async def _lock(args: argparse.Namespace) -> int:
    collected = Collected(requirements=list(args.requirements))
    for path in args.requirement:
        read_requirements(path, collected)
    for path in args.constraint:
        read_requirements(path, collected, as_constraints=True)
    if not collected.requirements:
        raise UsageError("nothing to lock: give requirements or -r FILE")
    release = load_release_lock(args.pyodide, args.pyodide_lock)
    target = _target_of_release(release, args.pyodide)
    dist_url = _dist_url(args, release)
    runtime = HostRuntime()
    plan, notes = await resolve_for_target(
        collected.requirements,
        target=target,
        pyodide_packages=PyodidePackages.from_lock(release.document, dist_url),
        runtime=runtime,
        constraints=collected.constraints,
        index_urls=[*args.index_url, *collected.index_urls] or ["PYPI"],
        pre=args.pre or collected.pre,
        index_strategy=args.index_strategy or "first-index",
        overrides=args.override,
        exclude=args.exclude,
        max_versions_tried=_max_versions_tried(args.max_versions_tried),
    )
    for note in notes:
        print(f"micropip2: warning: {note}", file=sys.stderr)
    plan = await with_hashes(plan, runtime)
    if args.verbose:
        print(str(plan), file=sys.stderr)
    lock = lock_from_plan(
        plan,
        target,
        release.document["info"],
        distribution_lock=release.document,
        dist_url=dist_url,
        format=args.format or "pyodide-lock",
    )
    _write(render_lock(lock, args.format or "pyodide-lock", target), args.output or "-")
    if args.output not in (None, "-"):
        print(
            f"locked {len(lock.packages)} packages for {target.describe()} into {args.output}",
            file=sys.stderr,
        )
    return 0


def _max_versions_tried(given: int | None) -> int | None:
    default: int | None = InstallOptions.max_versions_tried
    if given is None:
        return default
    if given < 0:
        raise UsageError(f"--max-versions-tried takes a number of versions, not {given}")
    return given or None


def _target_of_release(release: ReleaseLock, version: str | None) -> Target:
    """The target the release's lockfile describes; it must agree with ``--pyodide``."""
    target = Target.from_lock_info(release.document["info"])
    if version is None:
        return target
    try:
        expected = Target.for_pyodide(version)
    except UnknownTargetError:
        return replace(
            target, pyodide_version=version
        )  # a release newer than micropip2: trust its lockfile
    if (expected.platform_version, expected.python_minor) != (
        target.platform_version,
        target.python_minor,
    ):
        raise UsageError(
            f"{release.source} is for CPython {target.python_version} ({target.platform_tag}), "
            f"but Pyodide {version} is CPython {expected.python_version} "
            f"({expected.platform_tag}); "
            "give the lockfile of that release"
        )
    return replace(target, pyodide_version=version)


def _dist_url(args: argparse.Namespace, release: ReleaseLock) -> str:
    if args.dist_url:
        url = str(args.dist_url)
        return url if url.endswith("/") else url + "/"
    if release.location:
        return release.location
    if args.pyodide:
        return default_dist_url(args.pyodide)
    raise UsageError(
        "say where the distribution's files are: --dist-url URL (or --pyodide VERSION for its CDN)"
    )


def _write(text: str, output: str) -> None:
    if output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from None


# -- lock --check ----------------------------------------------------------------------------


async def _check(args: argparse.Namespace) -> int:
    if args.requirements or args.requirement:
        raise UsageError("--check takes a lock, not requirements")
    for_locking = {
        "-c": args.constraint,
        "--dist-url": args.dist_url,
        "--index-url": args.index_url,
        "--index-strategy": args.index_strategy,
        "--pre": args.pre,
        "--override": args.override,
        "--exclude": args.exclude,
        "--max-versions-tried": args.max_versions_tried is not None,
        "--format": args.format,
        "-o": args.output,
    }
    given = [flag for flag, value in for_locking.items() if value]
    if given:
        raise UsageError(
            f"--check reads a lock and writes nothing; {', '.join(given)} only apply when locking"
        )
    lock = await _read_lock(args.check)
    target = _target_for(lock, args.pyodide, args.pyodide_lock)
    problems = await check_lock(lock, target, HostRuntime())
    for problem in problems:
        print(problem)
    if problems:
        print(
            f"{args.check} does not install on {target.describe()}: {len(problems)} problem(s)",
            file=sys.stderr,
        )
        return 1
    print(
        f"{args.check} installs on {target.describe()}: {len(lock.packages)} packages, "
        "every file checked"
    )
    return 0


def _target_for(lock: Lock, version: str | None, lock_ref: str | None) -> Target:
    """``--pyodide-lock``'s info, else ``--pyodide``, else what the lock says it is for."""
    if lock_ref is not None:
        return _target_of_release(load_release_lock(version, lock_ref), version)
    if version is not None:
        try:
            return Target.for_pyodide(version)
        except UnknownTargetError:
            return _target_of_release(load_release_lock(version, None), version)
    if lock.info:
        return Target.from_lock_info(lock.info)
    raise UsageError(f"{lock.source} does not say which Pyodide it is for: give --pyodide VERSION")


async def _read_lock(ref: str) -> Lock:
    """A lock by URL (through :func:`load_lock`) or a host path, whose folder is the base."""
    if is_remote(ref):
        return await load_lock(ref, HostRuntime())
    path = Path(urlsplit(ref).path if ref.startswith("file:") else ref)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read the lock {ref}: {exc.strerror}") from None
    return parse_lock(data, str(path.resolve().parent) + os.sep, ref)


# -- download --------------------------------------------------------------------------------


async def _download(args: argparse.Namespace) -> int:
    lock = await _read_lock(args.lockfile)
    target = _target_for(lock, args.pyodide, args.pyodide_lock)
    folder = Path(args.dest)
    written = await download_lock(lock, target, folder, HostRuntime())
    print(
        f"downloaded {len(written.packages)} files for {target.describe()} into {folder}; "
        f"lock: {folder / LOCK_NAME}"
    )
    return 0
