"""pip's requirements-file format as micropip2 reads it (micropip2/requirements_files.py), on
host CPython: lines, options, nesting, hashes, and the hash check of a Plan. The same reading
inside Pyodide, through ``install(requirements_file=...)``: tests/test_requirements_install.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from micropip2.aot.requirements_file import read_requirements
from micropip2.errors import HashMismatchError, InvalidRequirementError
from micropip2.plan import Action, Plan, PlanItem, Source
from micropip2.requirements_files import Collected, check_plan_hashes, read_sync

A = "a" * 64
B = "b" * 64
C = "c" * 64


def _read(files: dict[str, str], first: str = "/r/main.txt") -> Collected:
    asked: list[str] = []

    def load(location: str) -> str:
        asked.append(location)
        return files[location]

    collected = read_sync(first, Collected(), load)
    assert asked == list(dict.fromkeys(asked))  # each file read once
    return collected


def test_lines_comments_continuations_markers_and_options():
    got = _read(
        {
            "/r/main.txt": (
                "# the app\n"
                "rich>=13  # pretty output\n"
                "httpx[http2] >=0.27 ; sys_platform == 'emscripten'\n"
                "pydantic \\\n"
                "   ==2.11.0\n"
                f"w @ https://w.example/w-1.0-py3-none-any.whl#sha256={A}\n"  # not a comment
                "-i https://first.example/simple\n"
                "--index-url=https://private.example/simple\n"
                "--extra-index-url https://extra.example/simple\n"
                "--pre\n"
                "-r sub/more.txt\n"
                "-c constraints.txt\n"
            ),
            "/r/sub/more.txt": "six\n--requirement ../shared.txt\n",
            "/r/shared.txt": "idna<4\n",
            "/r/constraints.txt": "urllib3<3\n-r nested-in-constraints.txt\n",
            "/r/nested-in-constraints.txt": "certifi==2025.1.31\n",
        }
    )
    assert got.requirements == [
        "rich>=13",
        "httpx[http2] >=0.27 ; sys_platform == 'emscripten'",
        "pydantic     ==2.11.0",
        f"w @ https://w.example/w-1.0-py3-none-any.whl#sha256={A}",
        "six",
        "idna<4",
    ]
    assert got.constraints == ["urllib3<3", "certifi==2025.1.31"]
    assert got.index_urls == ["https://private.example/simple", "https://extra.example/simple"]
    assert got.pre is True and not got.hash_checking


def test_lines_whose_markers_do_not_hold_are_left_out():
    from micropip2.target import Target

    got = _read(
        {
            "/r/main.txt": (
                "here ; sys_platform == 'emscripten'\n"
                "not-here ; sys_platform == 'linux'\n"
                "https://w.example/w-1.0-py3-none-any.whl\n"
                "-c c.txt\n"
            ),
            "/r/c.txt": "dep<2 ; platform_machine == 'x86_64'\ndep2<3\n",
        }
    ).applicable(Target.for_pyodide("314.0.7").marker_holds)
    assert got.requirements == [
        "here ; sys_platform == 'emscripten'",
        "https://w.example/w-1.0-py3-none-any.whl",
    ]
    assert got.constraints == ["dep2<3"] and "not-here" not in " ".join(got.unhashed)


def test_urls_nest_relative_to_their_file():
    got = _read(
        {
            "https://h.example/app/reqs.txt": "-r base/deps.txt\n-c https://o.example/c.txt\n",
            "https://h.example/app/base/deps.txt": "rich\n",
            "https://o.example/c.txt": "rich<15\n",
        },
        first="https://h.example/app/reqs.txt",
    )
    assert (got.requirements, got.constraints) == (["rich"], ["rich<15"])


def test_hashes_are_collected_per_project_and_per_wheel_url():
    got = _read(
        {
            "/r/main.txt": (
                f"Rich==14.0.0 --hash=sha256:{A} \\\n"
                f"    --hash=sha256:{B.upper()}\n"
                f"pkg @ https://w.example/pkg-1.0-py3-none-any.whl --hash sha256:{C}\n"
                f"-c c.txt\n"
            ),
            "/r/c.txt": f"pygments==2.19.1 --hash=sha256:{C}\n",
        }
    )
    assert got.requirements == ["Rich==14.0.0", "pkg @ https://w.example/pkg-1.0-py3-none-any.whl"]
    assert got.hashes == {"rich": {A, B}, "pygments": {C}}
    assert got.url_hashes == {"https://w.example/pkg-1.0-py3-none-any.whl": C}
    assert got.constraints == ["pygments==2.19.1"] and got.unhashed == []
    assert got.hash_checking


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("-e ./src\n", "does not support the option -e"),
        ("--find-links https://x\n", "does not support the option --find-links"),
        ("rich --install-option=x\n", "the option --install-option after a requirement"),
        ("rich==1 --hash=md5:abc\n", "is not a sha256 hash"),
        ("rich==1 --hash=sha256:123\n", "is not a sha256 hash"),
        ("rich>=>1\n", "cannot understand the requirement 'rich>=>1'"),
        ("-r\n", "-r needs a value"),
        ("-r main.txt\n", "includes itself"),
        ("-r ../r/./main.txt\n", "includes itself"),
        (f"p @ https://w/p-1-py3-none-any.whl --hash=sha256:{A} --hash=sha256:{B}\n", "one --hash"),
    ],
)
def test_what_is_not_understood_is_refused_by_name(text, says):
    with pytest.raises(InvalidRequirementError, match=says) as caught:
        _read({"/r/main.txt": text})
    assert "/r/main.txt:1" in str(caught.value) or "includes itself" in says


def _plan(*items: tuple[str, str, str | None]) -> Plan:
    return Plan(
        tuple(
            PlanItem(
                name,
                "1.0",
                Action.INSTALL,
                Source.INDEX,
                url=f"https://files.example/{name}-1.0-py3-none-any.whl",
                filename=f"{name}-1.0-py3-none-any.whl",
                sha256=sha256,
                required_by=(required_by,),
            )
            for name, required_by, sha256 in items
        )
    )


def _hashed(text: str) -> Collected:
    return _read({"/r/main.txt": text})


def test_a_plan_passes_the_hash_check_only_with_every_file_hashed():
    collected = _hashed(
        f"app==1.0 --hash=sha256:{A}\ndep==1.0 --hash=sha256:{B} --hash=sha256:{C}\n"
    )
    check_plan_hashes(_plan(("app", "you", A), ("dep", "app 1.0", C)), collected)

    with pytest.raises(HashMismatchError) as caught:
        check_plan_hashes(_plan(("app", "you", B), ("dep", "app 1.0", None)), collected)
    message = str(caught.value)
    assert f"app 1.0: app-1.0-py3-none-any.whl has sha256 {B}, the file allows {A}" in message
    assert "dep 1.0: dep-1.0-py3-none-any.whl has sha256 unknown before download" in message
    assert "\nnothing was installed" in message
    assert (caught.value.project, caught.value.actual, caught.value.expected) == ("app", B, A)

    with pytest.raises(InvalidRequirementError, match=r"have no --hash .*\n  extra 1.0"):
        check_plan_hashes(_plan(("app", "you", A), ("extra", "app 1.0", A)), collected)

    check_plan_hashes(_plan(("anything", "you", None)), _hashed("anything\n"))  # no hashes: off


def test_hash_checking_needs_every_requirement_hashed_and_pinned():
    collected = _hashed(f"app==1.0 --hash=sha256:{A}\nloose>=1 --hash=sha256:{B}\nbare==2\n")
    with pytest.raises(InvalidRequirementError) as caught:
        check_plan_hashes(_plan(), collected)
    assert "bare==2: no --hash" in str(caught.value)
    assert "loose>=1: not pinned with ==" in str(caught.value)


def test_the_cli_reads_the_same_format_and_refuses_hashes_it_would_not_check(tmp_path: Path):
    (tmp_path / "reqs.txt").write_text("rich  # x\n-c sub/c.txt\n--pre\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.txt").write_text("rich<15\n")
    got = read_requirements(str(tmp_path / "reqs.txt"), Collected(requirements=["six"]))
    assert (got.requirements, got.constraints, got.pre) == (["six", "rich"], ["rich<15"], True)

    (tmp_path / "hashed.txt").write_text(f"rich==14.0.0 --hash=sha256:{A}\n")
    with pytest.raises(InvalidRequirementError, match="micropip2 lock does not check them"):
        read_requirements(str(tmp_path / "hashed.txt"), Collected())
    with pytest.raises(InvalidRequirementError, match="cannot read the requirements file"):
        read_requirements(str(tmp_path / "missing.txt"), Collected())
