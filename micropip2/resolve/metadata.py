"""Core metadata (METADATA / PKG-INFO) read into the few fields the resolver needs."""

from __future__ import annotations

from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from .. import limits
from ..errors import Micropip2Error
from ..headers import Headers, parse_headers
from ..wheel_file import WheelFile


@dataclass(frozen=True)
class Metadata:
    name: NormalizedName
    version: Version
    requires_dist: tuple[Requirement, ...]
    requires_python: str | None
    provides_extra: frozenset[str]


class MetadataError(Micropip2Error):
    """A project's metadata cannot be read."""


def parse_metadata(data: bytes, where: str) -> Metadata:
    """Parse ``data`` (a METADATA file); ``where`` names its source in errors. A file over
    :attr:`~micropip2.limits.Limits.metadata_size` is refused unread."""
    if len(data) > limits.current().metadata_size:
        raise limits.exceeded(f"the metadata of {where}", "metadata_size", len(data), file=where)
    try:
        headers = parse_headers(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise MetadataError(f"the metadata of {where} is not UTF-8", file=where) from None
    return metadata_from_headers(headers, where)


def metadata_from_wheel(wheel: WheelFile) -> Metadata:
    """The metadata of a validated wheel (when the index serves no PEP 658 file)."""
    return metadata_from_headers(wheel.metadata, wheel.filename)


def metadata_from_headers(headers: Headers, where: str) -> Metadata:
    name, version = headers.get("Name"), headers.get("Version")
    if not name or not version:
        raise MetadataError(f"the metadata of {where} lacks Name or Version", file=where)
    requirements = []
    texts = headers.get_all("Requires-Dist") or []
    if len(texts) > limits.current().requirements:  # parsing each costs about 0.1 ms in Pyodide
        raise limits.exceeded(f"the metadata of {where}", "requirements", len(texts), file=where)
    for text in texts:
        try:
            requirements.append(Requirement(text))
        except InvalidRequirement as exc:
            raise MetadataError(
                f"{where} has an invalid Requires-Dist {text!r}: {exc}", file=where
            ) from exc
    try:
        parsed_version = Version(version)
    except InvalidVersion:
        raise MetadataError(
            f"the metadata of {where} gives Version {version!r}, which is not a version "
            "(PEP 440); the file cannot be used",
            file=where,
        ) from None
    return Metadata(
        name=canonicalize_name(name),
        version=parsed_version,
        requires_dist=tuple(requirements),
        requires_python=headers.get("Requires-Python"),
        provides_extra=frozenset(
            canonicalize_name(e) for e in headers.get_all("Provides-Extra") or []
        ),
    )
