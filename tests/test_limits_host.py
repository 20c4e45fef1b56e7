"""Resource limits on wheels and metadata, and the uninstall helpers, on the host (issue 13,
item 4). The same files inside Pyodide: tests/test_limits.py."""

from __future__ import annotations

import io
import os
import struct
import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from micropip2 import limits
from micropip2.errors import InvalidOptionError, InvalidWheelError, LimitExceededError
from micropip2.install.environment import Environment, Ownership
from micropip2.install.journal import Journal
from micropip2.install.uninstall import _bytecode, _remove_empty_dirs
from micropip2.resolve.metadata import parse_metadata
from micropip2.wheel_file import _check_limits, _declared_entries, read_wheel
from tests.support.bad_wheels import (
    deep_wheel,
    long_name_wheel,
    many_members_wheel,
    requirements_metadata,
    with_declared_size,
    zeros_wheel,
)
from tests.support.wheels import WheelSpec, build_wheel, simple_wheel

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _default_limits() -> Iterator[None]:
    limits.reset_limits()
    yield
    limits.reset_limits()


def _refusal(filename: str, data: bytes) -> LimitExceededError:
    with pytest.raises(LimitExceededError) as caught:
        read_wheel(filename, data)
    return caught.value


def _peak_while(action) -> int:  # type: ignore[no-untyped-def]
    tracemalloc.start()
    try:
        action()
    except (LimitExceededError, InvalidWheelError):
        pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def test_real_wheels_are_far_within_every_default_limit():
    wheels = sorted((ROOT / "build").glob("corpus/*.whl")) + sorted(
        (ROOT / "build").glob("dist/*/*.whl")
    )
    if not wheels:
        pytest.skip("no wheels in build/corpus or build/dist: run scripts/setup.sh")
    bounds = limits.current()
    for path in wheels:  # the checks read_wheel makes before inflating anything
        data = path.read_bytes()
        assert (_declared_entries(data) or 0) <= bounds.wheel_members
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            _check_limits(path.name, infos, len(data))
            metadata = [i for i in infos if i.filename.endswith(".dist-info/METADATA")]
            assert all(i.file_size * 40 < bounds.metadata_size for i in metadata), path.name


def test_a_zip_bomb_is_refused_from_its_directory_before_inflating():
    filename, data = zeros_wheel(32 << 20)
    bomb = with_declared_size(data, "demo/zeros.bin", 1_500_000_000)  # as the bomb

    error = _refusal(filename, bomb)

    found = 1_500_000_000 + 450  # the zeros, and the other members
    assert (error.limit, error.value, error.found) == ("wheel_size", 1 << 30, found)
    assert error.how == "micropip2.limits.set_limits(wheel_size=2147483648)"
    assert error.file == filename
    assert str(error).startswith(
        f"{filename} was refused: its total uncompressed size is {found} bytes (1430.5 MiB), "
        "over micropip2's limit of 1073741824 bytes (1024.0 MiB) (wheel_size); it was refused "
        "before being unpacked or parsed, and nothing was installed. If you trust this file, "
        "raise the limit with micropip2.limits.set_limits(wheel_size=2147483648)"
    )
    assert _peak_while(lambda: read_wheel(filename, bomb)) < 2 << 20  # nothing inflated


def test_the_compression_ratio_is_limited_above_16_mib():
    filename, data = zeros_wheel(64 << 20)  # about 65 KB
    error = _refusal(filename, data)
    assert error.limit == "compression_ratio" and error.found > 900
    assert f"bytes uncompressed from {len(data)})" in str(error)

    small_name, small = zeros_wheel(8 << 20)  # the same ratio, but too small to matter
    assert read_wheel(small_name, small).members

    limits.set_limits(compression_ratio=2000)
    assert read_wheel(filename, data).members


def test_a_member_cannot_inflate_past_the_size_its_directory_declares():
    filename, data = zeros_wheel(64 << 20)
    liar = with_declared_size(data, "demo/zeros.bin", 100)

    with pytest.raises(InvalidWheelError, match="size or CRC-32 does not match"):
        read_wheel(filename, liar)
    assert _peak_while(lambda: read_wheel(filename, liar)) < 2 << 20


def test_the_member_count_is_read_from_the_end_record_before_zipfile_parses_the_directory():
    # a real ZIP64 archive (more than 65,535 entries), refused from its end record
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for i in range(70_000):
            archive.writestr(f"e/{i}", b"")
    limits.set_limits(wheel_members=65_536)
    error = _refusal("demo-1.0-py3-none-any.whl", buffer.getvalue())
    assert (error.limit, error.found) == ("wheel_members", 70_000)

    # an end record that claims more than the directory holds is refused as well
    filename, data = simple_wheel()
    end = data.rfind(b"PK\x05\x06")
    claims = bytearray(data)
    struct.pack_into("<HH", claims, end + 8, 60_000, 60_000)
    limits.set_limits(wheel_members=1000)
    assert _refusal(filename, bytes(claims)).found == 60_000

    limits.reset_limits()
    filename, data = many_members_wheel(1001)
    limits.set_limits(wheel_members=1000)
    assert _refusal(filename, data).found == 1001
    limits.set_limits(wheel_members=1001)
    assert len(read_wheel(filename, data).members) == 1001


def test_path_depth_name_and_path_length():
    filename, data = deep_wheel(3000)
    error = _refusal(filename, data)
    assert (error.limit, error.value, error.found) == ("path_depth", 64, 3002)
    assert "its path depth (directories + file name) is 3002 ('demo/d/d/" in str(error)
    assert "..." in str(error) and "/d/d/deep.py'), over" in str(error)
    assert read_wheel(*deep_wheel(62)).members  # 64 components

    filename, data = long_name_wheel(300)
    error = _refusal(filename, data)
    assert (error.limit, error.value, error.found) == ("name_length", 255, 300)
    assert read_wheel(*long_name_wheel(255)).members
    # bytes, not characters: 128 two-byte letters are 256 bytes
    spec = WheelSpec(files={"demo/__init__.py": "", "demo/" + "é" * 128 + ".txt": ""})
    assert _refusal(spec.filename, build_wheel(spec)).found == 260

    spec = WheelSpec(files={"demo/__init__.py": "", "demo/" + ("p" * 250 + "/") * 5 + "x": ""})
    error = _refusal(spec.filename, build_wheel(spec))
    assert (error.limit, error.value, error.found) == ("path_length", 1024, 1261)


def test_metadata_size_and_requirement_count():
    huge = requirements_metadata(300_000)  # about 11 MB
    with pytest.raises(LimitExceededError) as caught:
        parse_metadata(huge, "demo-1.0-py3-none-any.whl")
    assert caught.value.limit == "metadata_size" and caught.value.found == len(huge)
    assert caught.value.file == "demo-1.0-py3-none-any.whl"
    assert str(caught.value).startswith("the metadata of demo-1.0-py3-none-any.whl was refused")

    many = requirements_metadata(10_001)
    with pytest.raises(LimitExceededError) as caught:
        parse_metadata(many, "demo-1.0-py3-none-any.whl")
    assert (caught.value.limit, caught.value.found) == ("requirements", 10_001)
    assert len(parse_metadata(requirements_metadata(10_000), "x").requires_dist) == 10_000

    spec = WheelSpec(files={"demo/__init__.py": ""})
    spec.requires_dist = [f"dependency-number-{i}>=1.0" for i in range(300_000)]
    error = _refusal(spec.filename, build_wheel(spec))
    assert error.limit == "metadata_size" and "(demo-1.0.dist-info/METADATA)" in str(error)


def test_set_limits_checks_its_arguments_and_reset_restores_the_defaults():
    assert limits.current() == limits.DEFAULT_LIMITS
    changed = limits.set_limits(wheel_size=2 << 30, path_depth=100)
    assert (changed.wheel_size, changed.path_depth, changed.wheel_members) == (
        2 << 30,
        100,
        200_000,
    )
    assert limits.current() is changed
    with pytest.raises(InvalidOptionError, match="'wheel_sise', which is not a limit"):
        limits.set_limits(wheel_sise=1)
    for bad in (0, -1, 1.5, True, "10"):
        with pytest.raises(InvalidOptionError, match="needs a positive whole number"):
            limits.set_limits(wheel_size=bad)  # type: ignore[arg-type]
    assert limits.current() is changed  # a refused change changes nothing
    assert limits.reset_limits() == limits.DEFAULT_LIMITS


def _with_member_flags(
    data: bytes, member: str, *, flag: int = 0, method: int | None = None
) -> bytes:
    out = bytearray(data)
    end = data.rfind(b"PK\x05\x06")
    count, _, offset = struct.unpack_from("<HII", data, end + 10)
    for _ in range(count):
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", out, offset + 28)
        if bytes(out[offset + 46 : offset + 46 + name_length]).decode() == member:
            (flags,) = struct.unpack_from("<H", out, offset + 8)
            struct.pack_into("<H", out, offset + 8, flags | flag)
            if method is not None:
                struct.pack_into("<H", out, offset + 10, method)
        offset += 46 + name_length + extra_length + comment_length
    return bytes(out)


def test_encrypted_and_other_compression_methods_are_refused_not_inflated():
    filename, data = simple_wheel()
    encrypted = _with_member_flags(data, "demo/__init__.py", flag=0x1)
    with pytest.raises(InvalidWheelError, match=r"'demo/__init__.py' cannot be extracted \(it is"):
        read_wheel(filename, encrypted)
    bzip2 = _with_member_flags(data, "demo/__init__.py", method=zipfile.ZIP_BZIP2)
    with pytest.raises(InvalidWheelError, match="compression method 12; micropip2 reads stored"):
        read_wheel(filename, bzip2)


# -- uninstall's helpers -----------------------------------------------------------------------


def test_bytecode_is_matched_per_module_from_one_listing(tmp_path):
    cache = tmp_path / "__pycache__"
    cache.mkdir()
    names = [
        "m.cpython-314.pyc",
        "m.cpython-314.opt-1.pyc",
        "mx.cpython-314.pyc",
        "a.b.cpython-314.pyc",
        "m.txt",
        "[m].cpython-314.pyc",
    ]
    for name in names:
        (cache / name).touch()
    found = sorted(os.path.basename(p) for p in _bytecode(str(tmp_path), ["m", "a.b", "[m]"]))
    assert found == [
        "[m].cpython-314.pyc",
        "a.b.cpython-314.pyc",
        "m.cpython-314.opt-1.pyc",
        "m.cpython-314.pyc",
    ]
    assert list(_bytecode(str(tmp_path / "none"), ["m"])) == []


def _environment(root: Path) -> Environment:
    site = root / "site"
    return Environment(
        purelib=site,
        platlib=site,
        scripts=root / "bin",
        include=root / "include",
        data=root,
        stdlib=root / "lib",
    )


def test_ownership_resolves_like_realpath_and_owns_like_before(tmp_path):
    env = _environment(tmp_path)
    (tmp_path / "site" / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "site" / "pkg" / "out").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "site" / "pkg" / "link.py").symlink_to("/etc/hostname")
    (tmp_path / "lib").mkdir()
    (tmp_path / "site" / "pkg" / "std").symlink_to(tmp_path / "lib")
    ownership = Ownership(env)
    paths = [
        *(
            str(tmp_path / relative)
            for relative in (
                "site/pkg/sub/a.py",
                "site/pkg/out/b.py",
                "site/pkg/link.py",
                "site/pkg/std/os.py",
                "site/x/y",
                "site",
                "lib/os.py",
                "bin/tool",
                "elsewhere/c",
            )
        ),
        "/tmp",
        "/etc/passwd",
        "/dev/null",
        "/",
    ]
    for path in paths:
        assert ownership.realpath(path) == os.path.realpath(path), path
        assert ownership.owns(path) == _owned_as_before(env, Path(path)), path
    assert ownership.owns(str(tmp_path / "site" / "pkg" / "sub" / "a.py"))
    assert not ownership.owns(str(tmp_path / "site" / "pkg" / "link.py"))  # leads to /etc
    assert not ownership.owns(str(tmp_path / "site" / "pkg" / "std" / "os.py"))  # to the stdlib


def _owned_as_before(env: Environment, path: Path) -> bool:
    """Environment.owns as it was written before (a realpath per path and per root)."""

    def inside(path: Path, root: Path) -> bool:
        root = Path(os.path.realpath(root))
        return path == root or root in path.parents

    path = Path(os.path.realpath(path))
    if any(inside(path, root) for root in (env.purelib, env.platlib, env.scripts, env.include)):
        return True
    never = ("/dev", "/proc", "/sys", "/tmp", "/home")
    if inside(path, env.stdlib) or any(inside(path, Path(p)) for p in never):
        return False
    return inside(path, env.data)


def test_empty_directories_are_removed_deepest_first_and_restored_on_rollback(tmp_path):
    env = _environment(tmp_path)
    site = tmp_path / "site"
    for directory in ("ns/a/b/c", "ns/a/d", "ns/keep", "other"):
        (site / directory).mkdir(parents=True)
    (site / "ns" / "keep" / "user.txt").touch()
    journal = Journal()
    starts = {str(site / d) for d in ("ns/a/b/c", "ns/a/d", "ns/a", "other")}
    starts.add(str(site))  # never removed, though empty of these

    _remove_empty_dirs(starts, str(site), env, journal)

    left = sorted(str(p.relative_to(site)) for p in site.rglob("*"))
    assert left == ["ns", "ns/keep", "ns/keep/user.txt"]
    assert journal.rollback() == []
    assert (site / "ns" / "a" / "b" / "c").is_dir() and (site / "other").is_dir()
