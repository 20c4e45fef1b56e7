"""Errors carry their facts as attributes (requirement, project, url, file), and no credential
reaches a message or an attribute, wherever the error is raised."""

from __future__ import annotations

import pytest

from micropip2.errors import (
    IncompatibleWheelError,
    InvalidRequirementError,
    Micropip2Error,
    without_credentials,
)
from micropip2.index.errors import IndexURLError
from micropip2.index.urls import parse_index_url
from micropip2.lockfiles.errors import LockFormatError
from micropip2.lockfiles.pylock_format import read_pylock
from micropip2.request import build_request
from micropip2.resolve.metadata import MetadataError, parse_metadata
from micropip2.target import Target

TARGET = Target.for_pyodide("314.0.7")
SECRET = "s3cr3t-token"


def _request(*texts: str, constraints: tuple[str, ...] = ()) -> None:
    build_request(texts, constraints, None, TARGET)


def test_an_unreadable_requirement_names_itself():
    with pytest.raises(InvalidRequirementError) as caught:
        _request("rich>=>1")
    assert caught.value.requirement == "rich>=>1"
    assert isinstance(caught.value, ValueError)


def test_a_constraint_with_extras_names_the_constraint():
    with pytest.raises(InvalidRequirementError) as caught:
        _request("rich", constraints=("rich[jupyter]<14",))
    assert caught.value.requirement == "rich[jupyter]<14"


def test_a_wheel_for_another_platform_names_the_requirement_and_file():
    text = "https://files.example/demo-1.0-cp312-cp312-manylinux_2_17_x86_64.whl"
    with pytest.raises(IncompatibleWheelError) as caught:
        _request(text)
    assert caught.value.requirement == text
    assert caught.value.file == "demo-1.0-cp312-cp312-manylinux_2_17_x86_64.whl"


def test_a_url_with_credentials_never_shows_them():
    text = f"demo @ https://user:{SECRET}@files.example/demo-1.0-py3-none-any.whl#sha256=xyz"
    with pytest.raises(InvalidRequirementError) as caught:
        _request(text)
    error = caught.value
    assert SECRET not in str(error) and SECRET not in (error.requirement or "")
    assert error.requirement == text.replace(f"user:{SECRET}@", "")
    assert "files.example/demo-1.0-py3-none-any.whl" in str(error)


def test_an_index_url_error_keeps_the_url_without_credentials():
    with pytest.raises(IndexURLError) as caught:
        parse_index_url(f"ftp://user:{SECRET}@index.example/simple")
    assert caught.value.url == "ftp://index.example/simple"
    assert SECRET not in str(caught.value)


def test_a_malformed_lock_entry_names_its_project():
    doc = {"lock-version": "1.0", "packages": [{"name": "demo", "version": "1.0"}]}
    with pytest.raises(LockFormatError) as caught:
        read_pylock(doc, source="pylock.toml")
    assert caught.value.project == "demo"
    assert "pylock.toml: package 'demo' is malformed" in str(caught.value)


def test_bad_metadata_names_its_file():
    with pytest.raises(MetadataError) as caught:
        parse_metadata(b"Metadata-Version: 2.1\nName: demo\n", "demo-1.0-py3-none-any.whl")
    assert caught.value.file == "demo-1.0-py3-none-any.whl"


def test_every_error_scrubs_what_it_is_given():
    error = Micropip2Error(
        f"https://me:{SECRET}@a.example/x failed",
        url=f"https://me:{SECRET}@a.example/x",
        requirement=f"x @ https://{SECRET}@a.example/x.whl",
    )
    assert SECRET not in str(error) and SECRET not in repr(error.args)
    assert error.url == "https://a.example/x"
    assert error.requirement == "x @ https://a.example/x.whl"


def test_scrubbing_leaves_urls_without_userinfo_alone():
    text = "https://a.example/simple/?email=me@b.example and name @ file:///tmp/x.whl"
    assert without_credentials(text) == text
