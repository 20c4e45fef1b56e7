"""A wheel archive checked against the binary distribution format before anything is written.

:func:`read_wheel` opens the archive in memory and rejects, with a reason, anything that a safe
install cannot trust: unreadable zips, paths escaping their directory, links, a missing or
doubled ``.dist-info``, a name or version that disagrees with the file name, an unsupported
``Wheel-Version``, files that do not match ``RECORD``, unknown ``.data`` schemes, and shared
libraries that are not WebAssembly. Before any member is inflated, the archive's directory is
held to :mod:`micropip2.limits` (members, total and relative uncompressed size, path depth and
lengths), and no member inflates past the size the directory declares for it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from functools import cached_property

from packaging.utils import (
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from . import limits
from .errors import InvalidWheelError
from .headers import Headers, parse_headers
from .record import RecordError, read_rows

SCHEMES = ("purelib", "platlib", "headers", "scripts", "data")
_SIGNATURES = ("RECORD.jws", "RECORD.p7s")
_ACCEPTED_HASHES = ("sha256", "sha384", "sha512")
_WASM_MAGIC = b"\0asm"
# A zip local file header is 30 bytes; the lengths of the name and the extra field that follow
# it are its last two 16-bit fields (little-endian, at offset 26).
_LOCAL_HEADER_SIZE = 30
_NAME_AND_EXTRA_LENGTHS = struct.Struct("<HH")
# The end of central directory record (22 bytes plus a comment of up to 65535) holds the number
# of entries at offset 10; when that is 0xFFFF, the ZIP64 record (found through its locator,
# 20 bytes before) holds it at offset 32.
_END_RECORD = b"PK\x05\x06"
_END_RECORD_SIZE = 22
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_LOCATOR_SIZE = 20
_ZIP64_END_RECORD = b"PK\x06\x06"


@dataclass(frozen=True)
class Member:
    """One file of the wheel: where it goes (scheme + path inside it) and its bytes."""

    archive_path: str
    scheme: str
    path: str  # relative to the scheme directory, "/"-separated
    data: bytes
    record_hash: str = (
        ""  # the verified RECORD hash field ("sha256=..."), reusable when data is written as is
    )


@dataclass(frozen=True)
class WheelFile:
    filename: str
    name: NormalizedName
    version: Version
    dist_info: str  # "pkg-1.0.dist-info"
    metadata: Headers
    members: tuple[Member, ...]
    size: int  # bytes of the archive

    @property
    def display_name(self) -> str:
        """The project name as its METADATA spells it."""
        return str(self.metadata.get("Name", self.name))

    @cached_property
    def shared_libraries(self) -> list[Member]:
        return [m for m in self.members if is_shared_library(m.path)]


def read_wheel(filename: str, data: bytes, *, pinned: bool = False) -> WheelFile:
    """Open and fully validate the wheel ``filename`` whose bytes are ``data``.

    ``pinned``: the archive's sha256 was just checked against the one promised for it (by a
    lock, an index page or a URL's fragment), so its bytes are exactly the published ones; each
    file's RECORD hash is then taken as written (its presence and size are still checked)
    instead of being recomputed: hashing every file is the largest CPU cost of validation, and
    what it would catch (a wheel built with a wrong RECORD) is not changed by who serves it."""
    name, version = _parse_filename(filename)
    declared = _declared_entries(data)
    if declared is not None and declared > limits.current().wheel_members:
        raise limits.exceeded(filename, "wheel_members", declared)
    with _open_zip(filename, data) as archive:
        _check_limits(filename, archive.infolist(), len(data))
        files = _read_entries(filename, archive, data)
    dist_info = _find_dist_info(filename, files, name, version)
    wheel_meta = _parse_headers(files, f"{dist_info}/WHEEL", filename)
    _check_wheel_version(filename, wheel_meta)
    metadata = _parse_headers(files, f"{dist_info}/METADATA", filename)
    _check_metadata_identity(filename, metadata, name, version)
    hashes = _check_record(filename, files, f"{dist_info}/RECORD", verify_hashes=not pinned)
    purelib = (wheel_meta.get("Root-Is-Purelib") or "true").strip().lower() == "true"
    members = _place_members(filename, files, dist_info, purelib, hashes)
    _check_shared_libraries(filename, members)
    return WheelFile(filename, name, version, dist_info, metadata, members, len(data))


def _fail(filename: str, why: str) -> InvalidWheelError:
    return InvalidWheelError(f"{filename} is not a valid wheel: {why}")


def _parse_filename(filename: str) -> tuple[NormalizedName, Version]:
    try:
        name, version, _, _ = parse_wheel_filename(filename)
    except InvalidWheelFilename as exc:
        raise _fail(filename, f"bad file name ({exc})") from None
    return name, version


def _open_zip(filename: str, data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _fail(
            filename,
            f"it is not a readable zip archive ({exc}; {len(data)} bytes: a truncated or "
            "corrupt download, or an error page instead of the file?)",
        ) from None


def _declared_entries(data: bytes) -> int | None:
    """The number of entries the archive's end record declares, read before ``zipfile`` builds
    an object for each of them; ``None`` when there is no readable end record (``zipfile`` then
    says why)."""
    tail_start = max(0, len(data) - _END_RECORD_SIZE - 0xFFFF)
    at = data.rfind(_END_RECORD, tail_start)
    if at < 0 or at + _END_RECORD_SIZE > len(data):
        return None
    (count,) = struct.unpack_from("<H", data, at + 10)
    if count != 0xFFFF:
        return int(count)
    locator = at - _ZIP64_LOCATOR_SIZE
    if locator < 0 or data[locator : locator + 4] != _ZIP64_LOCATOR:
        return None
    (record,) = struct.unpack_from("<Q", data, locator + 8)
    if record + 40 > len(data) or data[record : record + 4] != _ZIP64_END_RECORD:
        return None
    (count64,) = struct.unpack_from("<Q", data, record + 32)
    return int(count64)


def _check_limits(filename: str, infos: list[zipfile.ZipInfo], archive_size: int) -> None:
    """Hold the archive's directory to :mod:`micropip2.limits` before anything is inflated."""
    bounds = limits.current()
    if len(infos) > bounds.wheel_members:
        raise limits.exceeded(filename, "wheel_members", len(infos))
    total = sum(info.file_size for info in infos)
    if total > bounds.wheel_size:
        raise limits.exceeded(filename, "wheel_size", total)
    ratio = total / max(archive_size, 1)
    if total > limits.RATIO_APPLIES_ABOVE and ratio > bounds.compression_ratio:
        raise limits.exceeded(
            filename,
            "compression_ratio",
            ratio,
            f"{total} bytes uncompressed from {archive_size}",
        )
    for info in infos:
        _check_path_limits(filename, info.filename, bounds)


def _check_path_limits(filename: str, path: str, bounds: limits.Limits) -> None:
    if (
        path.isascii()
        and len(path) <= min(bounds.name_length, bounds.path_length)
        and path.count("/") < bounds.path_depth
    ):
        return  # within every bound as a whole (each name is shorter than the path)
    encoded = path.encode("utf-8", "surrogateescape")
    parts = [part for part in encoded.split(b"/") if part]
    if len(parts) > bounds.path_depth:
        raise limits.exceeded(filename, "path_depth", len(parts), f"{_short(path)!r}")
    longest = max(parts, key=len, default=b"")
    if len(longest) > bounds.name_length:
        name = longest.decode("utf-8", "replace")
        raise limits.exceeded(
            filename, "name_length", len(longest), f"{_short(name)!r} in {_short(path)!r}"
        )
    if len(encoded) > bounds.path_length:
        raise limits.exceeded(filename, "path_length", len(encoded), f"{_short(path)!r}")


def _short(text: str, keep: int = 60) -> str:
    return text if len(text) <= keep else f"{text[: keep // 2]}...{text[-keep // 2 :]}"


def _read_entries(filename: str, archive: zipfile.ZipFile, data: bytes) -> dict[str, bytes]:
    """Every regular file of the archive by its checked path; reject unsafe entries."""
    files: dict[str, bytes] = {}
    for info in archive.infolist():
        path = _safe_path(filename, info.filename)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise _fail(
                filename, f"{info.filename!r} is a symbolic link; wheels may not contain links"
            )
        if info.is_dir():
            continue
        if path in files:
            raise _fail(filename, f"{info.filename!r} appears twice in the archive")
        try:
            files[path] = _member_bytes(info, data)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
            raise _fail(filename, f"{info.filename!r} cannot be extracted ({exc})") from None
    return files


_READABLE_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


def _member_bytes(info: zipfile.ZipInfo, data: bytes) -> bytes:
    """A member's bytes, inflated straight from the archive's bytes (``ZipFile.read`` costs
    about as much again per member inside Pyodide), never past the size the archive's directory
    declares. Its CRC-32 and size are checked as ``ZipFile.read`` checks them. Only stored and
    deflated members are read (each of 1,197 real wheels measured uses only these):
    ``zipfile`` inflates bzip2 and LZMA members whole, whatever size they declare."""
    if info.flag_bits & 0x1:
        raise NotImplementedError("it is encrypted")
    if info.compress_type not in _READABLE_METHODS:
        raise NotImplementedError(
            f"it uses compression method {info.compress_type}; micropip2 reads stored and "
            "deflated members"
        )
    header = data[info.header_offset : info.header_offset + _LOCAL_HEADER_SIZE]
    if len(header) != _LOCAL_HEADER_SIZE or not header.startswith(b"PK\x03\x04"):
        raise zipfile.BadZipFile("bad local file header")
    name_length, extra_length = _NAME_AND_EXTRA_LENGTHS.unpack_from(header, 26)
    start = info.header_offset + _LOCAL_HEADER_SIZE + name_length + extra_length
    raw = data[start : start + info.compress_size]
    if len(raw) != info.compress_size:
        raise zipfile.BadZipFile("the archive ends inside this member")
    if info.compress_type == zipfile.ZIP_STORED:
        member = raw
    else:  # at most one byte more than announced, so a lying size cannot inflate without end
        member = zlib.decompressobj(-zlib.MAX_WBITS).decompress(raw, info.file_size + 1)
    if len(member) != info.file_size or zlib.crc32(member) != info.CRC:
        raise zipfile.BadZipFile("its size or CRC-32 does not match the archive's directory")
    return member


def _safe_path(filename: str, raw: str) -> str:
    """The archive path as "/"-separated parts, or an error if it could leave its directory."""
    if "\\" in raw or "\0" in raw:
        raise _fail(filename, f"{raw!r} has a backslash or NUL byte in its path")
    if raw.startswith("/") or (len(raw) > 1 and raw[1] == ":"):
        raise _fail(filename, f"{raw!r} is an absolute path")
    parts = [part for part in raw.rstrip("/").split("/") if part not in ("", ".")]
    if ".." in parts:
        raise _fail(filename, f"{raw!r} points outside its directory ('..')")
    if not parts:
        raise _fail(filename, f"{raw!r} is an empty path")
    return "/".join(parts)


def _find_dist_info(
    filename: str, files: dict[str, bytes], name: NormalizedName, version: Version
) -> str:
    found = sorted({p.split("/")[0] for p in files if p.split("/")[0].endswith(".dist-info")})
    if not found:
        raise _fail(filename, "it has no .dist-info directory")
    if len(found) > 1:
        raise _fail(
            filename,
            f"it has {len(found)} .dist-info directories ({', '.join(found)}); "
            "a wheel has exactly one",
        )
    dist_info = found[0]
    stem = dist_info.removesuffix(".dist-info")
    info_name, _, info_version = stem.rpartition("-")
    if canonicalize_name(info_name) != name or not _same_version(info_version, version):
        raise _fail(
            filename,
            f"its metadata directory {dist_info!r} is for {info_name} {info_version}, "
            f"but the file name says {name} {version}",
        )
    return dist_info


def _same_version(text: str, version: Version) -> bool:
    try:
        return Version(text) == version
    except InvalidVersion:
        return False


def _parse_headers(files: dict[str, bytes], path: str, filename: str) -> Headers:
    if path not in files:
        raise _fail(filename, f"{path} is missing")
    if len(files[path]) > limits.current().metadata_size:
        raise limits.exceeded(filename, "metadata_size", len(files[path]), path)
    try:
        return parse_headers(files[path].decode("utf-8"))
    except UnicodeDecodeError:
        raise _fail(filename, f"{path} is not UTF-8 text") from None


def _check_wheel_version(filename: str, wheel_meta: Headers) -> None:
    declared = (wheel_meta.get("Wheel-Version") or "").strip()
    try:
        major = int(declared.split(".")[0])
    except ValueError:
        raise _fail(filename, f"WHEEL has no usable Wheel-Version (found {declared!r})") from None
    if major != 1:
        raise _fail(filename, f"it uses Wheel-Version {declared}; micropip2 reads wheel format 1.x")


def _check_metadata_identity(
    filename: str, metadata: Headers, name: NormalizedName, version: Version
) -> None:
    meta_name, meta_version = metadata.get("Name"), metadata.get("Version")
    if not meta_name or not meta_version:
        raise _fail(filename, "METADATA lacks Name or Version")
    if canonicalize_name(meta_name) != name or not _same_version(meta_version, version):
        raise _fail(
            filename,
            f"METADATA describes {meta_name} {meta_version}, "
            f"but the file name says {name} {version}",
        )


def _check_record(
    filename: str, files: dict[str, bytes], record_path: str, verify_hashes: bool = True
) -> dict[str, str]:
    """Every file but RECORD (and its signatures) is listed with a matching hash and size, and vice
    versa; returns the verified hash field of each file."""
    if record_path not in files:
        raise _fail(filename, f"{record_path} is missing")
    exempt = {record_path} | {f"{record_path.rsplit('/', 1)[0]}/{s}" for s in _SIGNATURES}
    listed: dict[str, tuple[str, str]] = {}
    try:
        for row in read_rows(files[record_path].decode("utf-8")):
            if not row:
                continue
            if len(row) != 3:
                raise _fail(filename, f"RECORD row {_short(repr(row), 200)} does not have 3 fields")
            # a path the archive has was checked already (RECORD lists every one)
            path = row[0] if row[0] in files else _safe_path(filename, row[0])
            if path not in files and path not in exempt:  # stop at once: RECORD may be huge
                raise _fail(filename, f"RECORD lists {_short(path)}, which is not in the archive")
            listed[path] = (row[1], row[2])
    except (UnicodeDecodeError, RecordError) as exc:
        raise _fail(filename, f"RECORD cannot be parsed ({exc})") from None
    for path, data in files.items():
        if path in exempt:
            continue
        if path not in listed:
            raise _fail(filename, f"{path} is not listed in RECORD")
        _check_record_entry(filename, path, data, *listed[path], verify_hash=verify_hashes)
    return {path: fields[0] for path, fields in listed.items()}


def _check_record_entry(
    filename: str,
    path: str,
    data: bytes,
    hash_field: str,
    size_field: str,
    verify_hash: bool = True,
) -> None:
    algorithm, _, expected = hash_field.partition("=")
    if not expected:
        raise _fail(filename, f"RECORD gives no hash for {path}")
    if algorithm not in _ACCEPTED_HASHES:
        raise _fail(
            filename,
            f"RECORD hashes {path} with {algorithm!r}; accepted: {', '.join(_ACCEPTED_HASHES)}",
        )
    if size_field and size_field != str(len(data)):
        raise _fail(filename, f"{path} is {len(data)} bytes, but RECORD says {size_field}")
    if not verify_hash:
        return
    actual = base64.urlsafe_b64encode(hashlib.new(algorithm, data).digest()).rstrip(b"=").decode()
    if actual != expected.rstrip("="):
        raise _fail(
            filename,
            f"{path} does not match its RECORD hash "
            f"({algorithm}={expected} listed, {algorithm}={actual} found)",
        )


def _place_members(
    filename: str, files: dict[str, bytes], dist_info: str, purelib: bool, hashes: dict[str, str]
) -> tuple[Member, ...]:
    data_dir = dist_info.removesuffix(".dist-info") + ".data"
    root_scheme = "purelib" if purelib else "platlib"
    members = []
    for path, data in files.items():
        top, _, rest = path.partition("/")
        if top != data_dir:
            members.append(Member(path, root_scheme, path, data, hashes.get(path, "")))
            continue
        scheme, _, inner = rest.partition("/")
        if scheme not in SCHEMES:
            raise _fail(
                filename,
                f"{path} is in an unknown .data scheme {scheme!r}; known: {', '.join(SCHEMES)}",
            )
        if not inner:
            raise _fail(filename, f"{path} names a scheme but no file inside it")
        members.append(Member(path, scheme, inner, data, hashes.get(path, "")))
    return tuple(members)


def _check_shared_libraries(filename: str, members: tuple[Member, ...]) -> None:
    for member in members:
        if not is_shared_library(member.path) or member.data.startswith(_WASM_MAGIC):
            continue
        kind = _binary_kind(member.data)
        raise _fail(
            filename,
            f"{member.archive_path} is {kind}, not a WebAssembly module; it cannot load in Pyodide",
        )


def _binary_kind(data: bytes) -> str:
    if data.startswith(b"\x7fELF"):
        return "a Linux (ELF) shared library"
    if data[:4] in (b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe"):
        return "a macOS (Mach-O) library"
    if data.startswith(b"MZ"):
        return "a Windows (PE) library"
    return f"not a recognised binary (starts with {data[:4]!r})"


_SHARED_LIBRARY = re.compile(r"\.so(\.\d+)*$")


def is_shared_library(path: str) -> bool:
    """``foo.cpython-314-wasm32-emscripten.so``, ``libbar.so``, ``libbar.so.1`` ..."""
    if ".so" not in path:  # nearly every member: no regular expression for them
        return False
    return bool(_SHARED_LIBRARY.search(path.rsplit("/", 1)[-1]))
