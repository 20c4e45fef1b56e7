"""Build real wheel archives for tests, correct by default, with knobs to break them on purpose."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import stat
import zipfile
from dataclasses import dataclass, field


def record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


@dataclass
class WheelSpec:
    """A wheel to build. ``files`` maps archive paths (relative to the wheel root) to contents."""

    name: str = "demo"
    version: str = "1.0"
    tag: str = "py3-none-any"
    files: dict[str, bytes | str] = field(default_factory=dict)
    requires_dist: list[str] = field(default_factory=list)
    requires_python: str | None = None
    root_is_purelib: bool = True
    wheel_version: str = "1.0"
    metadata_name: str | None = None  # override METADATA's Name
    metadata_version: str | None = None  # override METADATA's Version
    dist_info_name: str | None = None  # override the .dist-info directory name
    extra_dist_info: str | None = None  # add a second .dist-info directory
    record_overrides: dict[str, str] = field(default_factory=dict)  # path -> hash field in RECORD
    unrecorded: list[str] = field(default_factory=list)  # paths left out of RECORD
    record_extra: list[str] = field(
        default_factory=list
    )  # paths listed in RECORD but not in the zip
    raw_entries: dict[str, bytes] = field(default_factory=dict)  # added verbatim, not in RECORD
    symlinks: dict[str, str] = field(default_factory=dict)  # archive path -> link target
    omit: list[str] = field(
        default_factory=list
    )  # dist-info files to leave out: "WHEEL", "METADATA", "RECORD"

    @property
    def filename(self) -> str:
        return f"{self.name.replace('-', '_')}-{self.version}-{self.tag}.whl"

    @property
    def dist_info(self) -> str:
        return self.dist_info_name or f"{self.name.replace('-', '_')}-{self.version}.dist-info"


def build_wheel(spec: WheelSpec) -> bytes:
    contents: dict[str, bytes] = {path: _bytes(data) for path, data in spec.files.items()}
    info = spec.dist_info
    metadata = [
        "Metadata-Version: 2.1",
        f"Name: {spec.metadata_name or spec.name}",
        f"Version: {spec.metadata_version or spec.version}",
    ]
    if spec.requires_python:
        metadata.append(f"Requires-Python: {spec.requires_python}")
    metadata += [f"Requires-Dist: {r}" for r in spec.requires_dist]
    generated = {
        "METADATA": "\n".join(metadata) + "\n",
        "WHEEL": (
            f"Wheel-Version: {spec.wheel_version}\nGenerator: micropip2-tests\n"
            f"Root-Is-Purelib: {'true' if spec.root_is_purelib else 'false'}\nTag: {spec.tag}\n"
        ),
    }
    for name, text in generated.items():
        if name not in spec.omit:
            contents[f"{info}/{name}"] = text.encode()
    if spec.extra_dist_info:
        contents[f"{spec.extra_dist_info}/METADATA"] = (
            b"Metadata-Version: 2.1\nName: other\nVersion: 1\n"
        )
    rows = []
    for path, data in contents.items():
        if path in spec.unrecorded:
            continue
        rows.append((path, spec.record_overrides.get(path, record_hash(data)), str(len(data))))
    rows += [(path, record_hash(b"gone"), "4") for path in spec.record_extra]
    rows.append((f"{info}/RECORD", "", ""))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    if "RECORD" not in spec.omit:
        contents[f"{info}/RECORD"] = out.getvalue().encode()
    contents.update(spec.raw_entries)

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in contents.items():
            archive.writestr(path, data)
        for path, target in spec.symlinks.items():
            entry = zipfile.ZipInfo(path)
            entry.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(entry, target)
    return buffer.getvalue()


def _bytes(data: bytes | str) -> bytes:
    return data.encode() if isinstance(data, str) else data


def simple_wheel(name: str = "demo", version: str = "1.0", **kwargs) -> tuple[str, bytes]:  # type: ignore[no-untyped-def]
    """A small valid pure wheel with one importable module named after the project."""
    module = name.replace("-", "_")
    files = kwargs.pop("files", None) or {f"{module}/__init__.py": f"VERSION = {version!r}\n"}
    spec = WheelSpec(name=name, version=version, files=files, **kwargs)
    return spec.filename, build_wheel(spec)
