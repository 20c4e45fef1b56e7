"""A corpus of broken or unsuitable wheels, each with the error micropip2 must give for it.

Every case fails on every runtime we test (Python 3.13 and 3.14), before or during the install.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .wheels import WheelSpec, build_wheel

GOOD_INIT = {"demo/__init__.py": "VALUE = 1\n"}


@dataclass(frozen=True)
class BadWheel:
    id: str
    filename: str
    data: bytes
    error: str  # exception class name
    fragment: str  # text the message must contain
    host_checkable: bool = True  # rejected by validation alone (no Pyodide needed)


def _spec_case(id: str, error: str, fragment: str, **kwargs) -> BadWheel:  # type: ignore[no-untyped-def]
    kwargs.setdefault("files", dict(GOOD_INIT))
    spec = WheelSpec(**kwargs)
    return BadWheel(id, spec.filename, build_wheel(spec), error, fragment)


def _truncated() -> BadWheel:
    spec = WheelSpec(files={"demo/__init__.py": "x = 1\n" * 2000})
    data = build_wheel(spec)
    return BadWheel(
        "truncated-zip",
        spec.filename,
        data[: len(data) // 2],
        "InvalidWheelError",
        "not a readable zip archive",
    )


def _corrupted() -> BadWheel:
    spec = WheelSpec(files={"demo/__init__.py": "import os\n" * 500 + "VALUE = 1\n"})
    data = bytearray(build_wheel(spec))
    data[60:70] = bytes(b ^ 0xFF for b in data[60:70])  # inside the first member's compressed bytes
    return BadWheel(
        "corrupted-member", spec.filename, bytes(data), "InvalidWheelError", "cannot be extracted"
    )


def bad_wheels() -> list[BadWheel]:
    invalid = "InvalidWheelError"
    incompatible = "IncompatibleWheelError"
    return [
        _spec_case(
            "path-traversal",
            invalid,
            "points outside its directory",
            raw_entries={"../evil.py": b"x"},
        ),
        _spec_case(
            "nested-traversal",
            invalid,
            "points outside its directory",
            raw_entries={"demo/../../evil.py": b"x"},
        ),
        _spec_case(
            "absolute-path", invalid, "is an absolute path", raw_entries={"/etc/evil.cfg": b"x"}
        ),
        _spec_case("backslash-path", invalid, "backslash", raw_entries={"demo\\evil.py": b"x"}),
        _spec_case("symlink", invalid, "symbolic link", symlinks={"demo/passwd": "/etc/passwd"}),
        _spec_case(
            "record-hash-mismatch",
            invalid,
            "does not match its RECORD hash",
            record_overrides={
                "demo/__init__.py": "sha256=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
            },
        ),
        _spec_case(
            "record-weak-hash",
            invalid,
            "accepted: sha256",
            record_overrides={"demo/__init__.py": "md5=AAAA"},
        ),
        _spec_case(
            "file-not-in-record",
            invalid,
            "is not listed in RECORD",
            unrecorded=["demo/__init__.py"],
        ),
        _spec_case(
            "record-lists-missing-file",
            invalid,
            "which is not in the archive",
            record_extra=["demo/gone.py"],
        ),
        _spec_case("no-record", invalid, "RECORD is missing", omit=["RECORD"]),
        _spec_case(
            "no-dist-info",
            invalid,
            "has no .dist-info directory",
            omit=["RECORD", "WHEEL", "METADATA"],
        ),
        _spec_case(
            "two-dist-info", invalid, ".dist-info directories", extra_dist_info="other-1.dist-info"
        ),
        _spec_case(
            "dist-info-other-name",
            invalid,
            "is for other 1.0",
            dist_info_name="other-1.0.dist-info",
        ),
        _spec_case(
            "metadata-other-version", invalid, "METADATA describes demo 2.0", metadata_version="2.0"
        ),
        _spec_case("no-wheel-file", invalid, "WHEEL is missing", omit=["WHEEL"]),
        _spec_case("wheel-version-2", invalid, "Wheel-Version 2.0", wheel_version="2.0"),
        _spec_case(
            "unknown-data-scheme",
            invalid,
            "unknown .data scheme 'weird'",
            files={**GOOD_INIT, "demo-1.0.data/weird/x.txt": "x"},
        ),
        _spec_case(
            "linux-so-in-pure-wheel",
            invalid,
            "Linux (ELF) shared library",
            files={
                **GOOD_INIT,
                "demo/_ext.cpython-314-x86_64-linux-gnu.so": b"\x7fELF\x02\x01\x01" + b"\0" * 64,
            },
        ),
        _truncated(),
        _corrupted(),
        BadWheel(
            "html-error-page",
            "demo-1.0-py3-none-any.whl",
            b"<html><body>404 Not Found</body></html>",
            invalid,
            "not a readable zip archive",
        ),
        _spec_case(
            "linux-tags",
            incompatible,
            "built for Linux (manylinux_2_17_x86_64)",
            tag="cp314-cp314-manylinux_2_17_x86_64",
        ),
        _spec_case(
            "macos-tags", incompatible, "built for macOS", tag="cp313-cp313-macosx_11_0_arm64"
        ),
        _spec_case(
            "older-platform-year",
            incompatible,
            "built for platform 2024_0",
            tag="cp312-cp312-pyemscripten_2024_0_wasm32",
        ),
        _spec_case(
            "abi3-other-year",
            incompatible,
            "abi3 wheel built for platform 2024_0",
            tag="cp310-abi3-pyemscripten_2024_0_wasm32",
        ),
        _spec_case(
            "wasm64", incompatible, "built for wasm64", tag="cp313-cp313-pyemscripten_2026_0_wasm64"
        ),
        _spec_case("python2-only", incompatible, "built for Python 2", tag="py2-none-any"),
        BadWheel(
            "requires-python",
            WheelSpec(requires_python=">=3.99", files=dict(GOOD_INIT)).filename,
            build_wheel(WheelSpec(requires_python=">=3.99", files=dict(GOOD_INIT))),
            "ResolutionError",
            "Python >=3.99 (required by demo 1.0)",
            host_checkable=False,
        ),
        BadWheel("bad-filename", "demo.whl", b"PK", incompatible, "not a valid wheel file name"),
        _spec_case(
            "broken-wasm-library",
            "InstallFailedError",
            "load shared libraries",
            files={**GOOD_INIT, "demo/_broken.so": b"\0asm\x01\0\0\0" + b"\xff" * 32},
        ),
    ]


# -- wheels that exceed micropip2's resource limits (issue 13, item 4) ---------------------------
#
# Built on demand (some take seconds): not part of bad_wheels(), which every atomicity test
# installs. Each is a valid wheel apart from its size, shape or a lying zip directory.


def _wheel_with(files: dict[str, bytes | str], name: str = "demo", **kwargs) -> tuple[str, bytes]:  # type: ignore[no-untyped-def]
    spec = WheelSpec(name=name, files={**GOOD_INIT, **files}, **kwargs)
    return spec.filename, build_wheel(spec)


def zeros_wheel(size: int, name: str = "bomb") -> tuple[str, bytes]:
    """A wheel holding ``size`` zero bytes in one deflated member (about ``size / 1000`` bytes of
    archive): a zip bomb. Streamed, so building it needs no ``size`` bytes of memory; its RECORD
    is true."""
    import base64
    import hashlib
    import io
    import zipfile

    from .wheels import record_hash

    spec = WheelSpec(name=name, files=dict(GOOD_INIT))
    info = spec.dist_info
    digest = hashlib.sha256()
    chunk = bytes(1 << 20)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("demo/zeros.bin", "w") as member:
            left = size
            while left:
                piece = chunk[: min(left, len(chunk))]
                member.write(piece)
                digest.update(piece)
                left -= len(piece)
        zeros_hash = "sha256=" + base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
        small = {
            "demo/__init__.py": GOOD_INIT["demo/__init__.py"].encode(),
            f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n".encode(),
            f"{info}/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        }
        rows = [f"demo/zeros.bin,{zeros_hash},{size}"]
        for path, data in small.items():
            archive.writestr(path, data)
            rows.append(f"{path},{record_hash(data)},{len(data)}")
        rows.append(f"{info}/RECORD,,")
        archive.writestr(f"{info}/RECORD", "\n".join(rows) + "\n")
    return spec.filename, buffer.getvalue()


def with_declared_size(data: bytes, member: str, declared: int) -> bytes:
    """``data`` (a zip) with the uncompressed size its central directory declares for ``member``
    changed to ``declared``: a lying header."""
    out = bytearray(data)
    end = data.rfind(b"PK\x05\x06")
    count, _, offset = struct.unpack_from("<HII", data, end + 10)
    for _ in range(count):
        assert out[offset : offset + 4] == b"PK\x01\x02"
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", out, offset + 28)
        name = bytes(out[offset + 46 : offset + 46 + name_length]).decode()
        if name == member:
            struct.pack_into("<I", out, offset + 24, declared)
            return bytes(out)
        offset += 46 + name_length + extra_length + comment_length
    raise KeyError(member)


def many_members_wheel(count: int) -> tuple[str, bytes]:
    """A valid wheel of ``count`` zip members (empty modules, 100 to a directory)."""
    files = {f"demo/p{i // 100}/m{i}.py": b"" for i in range(count - 4)}  # + 4: init, dist-info
    return _wheel_with(files)


def deep_wheel(depth: int) -> tuple[str, bytes]:
    """A valid wheel with a file ``depth`` directories deep below ``demo/``."""
    return _wheel_with({"demo/" + "d/" * depth + "deep.py": "DEEP = 1\n"})


def long_name_wheel(length: int) -> tuple[str, bytes]:
    """A valid wheel with a module whose file name is ``length`` characters long."""
    return _wheel_with({"demo/" + "n" * (length - 3) + ".py": "LONG = 1\n"})


def requirements_metadata(count: int, name: str = "demo") -> bytes:
    """A METADATA text of ``count`` distinct ``Requires-Dist`` lines."""
    lines = ["Metadata-Version: 2.1", f"Name: {name}", "Version: 1.0"]
    lines += [f"Requires-Dist: dependency-number-{i}>=1.0" for i in range(count)]
    return ("\n".join(lines) + "\n").encode()
