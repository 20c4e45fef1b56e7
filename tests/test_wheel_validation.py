"""Validation of wheel archives on the host (pure logic; the same corpus runs inside Pyodide in
test_install_atomic.py)."""

from __future__ import annotations

import pytest

from micropip2.errors import IncompatibleWheelError, InvalidWheelError
from micropip2.target import Target
from micropip2.wheel_file import read_wheel
from micropip2.wheel_fit import check_wheel_tags
from tests.support.bad_wheels import bad_wheels
from tests.support.wheels import WheelSpec, build_wheel, simple_wheel

TARGETS = [Target.for_pyodide("314.0.7"), Target.for_pyodide("0.29.5")]
CASES = [
    case for case in bad_wheels() if case.host_checkable and case.error != "InstallFailedError"
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
@pytest.mark.parametrize("target", TARGETS, ids=["314", "0.29.5"])
def test_bad_wheel_is_rejected_with_its_reason(case, target):
    with pytest.raises((InvalidWheelError, IncompatibleWheelError)) as caught:
        fit = check_wheel_tags(case.filename, target)
        if not fit.ok:
            raise IncompatibleWheelError(fit.reason)
        read_wheel(case.filename, case.data)
    assert type(caught.value).__name__ == case.error
    assert case.fragment in str(caught.value)


def test_the_corpus_has_at_least_fifteen_distinct_cases():
    cases = bad_wheels()
    assert len({c.id for c in cases}) == len(cases) >= 15


def test_valid_wheel_members_are_placed_by_scheme():
    spec = WheelSpec(
        files={
            "demo/__init__.py": "",
            "demo-1.0.data/scripts/demo-tool": "#!python\nprint('hi')\n",
            "demo-1.0.data/data/share/demo/readme.txt": "data",
            "demo-1.0.data/headers/demo.h": "int x;",
            "demo-1.0.data/platlib/demo_native.py": "",
        }
    )
    wheel = read_wheel(spec.filename, build_wheel(spec))
    placed = {(m.scheme, m.path) for m in wheel.members}
    assert ("purelib", "demo/__init__.py") in placed
    assert ("scripts", "demo-tool") in placed
    assert ("data", "share/demo/readme.txt") in placed
    assert ("headers", "demo.h") in placed
    assert ("platlib", "demo_native.py") in placed


def test_root_goes_to_platlib_when_not_purelib():
    spec = WheelSpec(files={"demo/__init__.py": ""}, root_is_purelib=False)
    wheel = read_wheel(spec.filename, build_wheel(spec))
    assert {m.scheme for m in wheel.members} == {"platlib"}


def test_name_and_version_compare_normalized():
    spec = WheelSpec(
        name="My.Package",
        version="1.0",
        files={"x.py": ""},
        metadata_name="my_package",
        dist_info_name="My_Package-1.0.0.dist-info",
    )
    wheel = read_wheel("my_package-1.0-py3-none-any.whl", build_wheel(spec))
    assert (wheel.name, str(wheel.version)) == ("my-package", "1.0")


def test_sha384_record_hashes_are_accepted():
    import base64
    import hashlib

    data = b"VALUE = 1\n"
    digest = base64.urlsafe_b64encode(hashlib.sha384(data).digest()).rstrip(b"=").decode()
    spec = WheelSpec(
        files={"demo/__init__.py": data}, record_overrides={"demo/__init__.py": f"sha384={digest}"}
    )
    assert read_wheel(spec.filename, build_wheel(spec)).name == "demo"


def test_wheel_minor_version_above_ours_is_accepted():
    filename, data = simple_wheel(wheel_version="1.9")
    assert read_wheel(filename, data).name == "demo"


def test_a_member_is_checked_against_the_directory_as_it_is_inflated():
    import struct
    import zipfile
    from io import BytesIO

    filename, data = simple_wheel()
    info = zipfile.ZipFile(BytesIO(data)).infolist()[0]
    wrong_crc = struct.pack("<L", info.CRC ^ 1)
    central = data.rindex(struct.pack("<L", info.CRC))  # the central directory's copy
    bad_crc = data[:central] + wrong_crc + data[central + 4 :]
    with pytest.raises(InvalidWheelError, match="cannot be extracted .*CRC-32"):
        read_wheel(filename, bad_crc)
    # a directory that announces fewer bytes than the member inflates to
    size_at = central + 8  # CRC-32, compressed size, then uncompressed size
    smaller = struct.pack("<L", max(info.file_size - 1, 0))
    lying = data[:size_at] + smaller + data[size_at + 4 :]
    with pytest.raises(InvalidWheelError, match="cannot be extracted"):
        read_wheel(filename, lying)
