"""The Target: tags in PEP 783 order, the legacy alias, marker values, construction without
Pyodide."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from micropip2.target import Target, UnknownTargetError
from micropip2.wheel_fit import check_wheel_tags

ROOT = Path(__file__).resolve().parent.parent


def _tags(target: Target) -> list[str]:
    return [str(tag) for tag in target.tags]


def test_314_ranks_its_own_platform_first_then_generic_then_abi3():
    tags = _tags(Target.for_pyodide("314.0.7"))
    assert tags[:4] == [
        "cp314-cp314-pyemscripten_2026_0_wasm32",
        "cp314-cp314-emscripten_5_0_3_wasm32",
        "cp314-abi3-pyemscripten_2026_0_wasm32",
        "cp314-abi3-emscripten_5_0_3_wasm32",
    ]
    assert tags.index("cp310-abi3-pyemscripten_2026_0_wasm32") < tags.index("py3-none-any")
    assert tags[-1] == "py30-none-any"


def test_314_has_no_legacy_pyodide_alias():
    assert not any("pyodide_" in tag for tag in _tags(Target.for_pyodide("314.0.7")))


def test_2025_accepts_the_legacy_alias_right_after_its_pep783_name():
    tags = _tags(Target.for_pyodide("0.29.5"))
    assert tags[:3] == [
        "cp313-cp313-pyemscripten_2025_0_wasm32",
        "cp313-cp313-pyodide_2025_0_wasm32",
        "cp313-cp313-emscripten_4_0_9_wasm32",
    ]


@pytest.mark.parametrize(
    "other", ["pyemscripten_2025_0_wasm32", "pyemscripten_2026_5_wasm32", "pyodide_2026_0_wasm32"]
)
def test_no_other_platform_version_is_accepted(other):
    assert not any(other in tag for tag in _tags(Target.for_pyodide("314.0.7")))


@pytest.mark.parametrize("version", ["314.0.7", "0.29.5"])
def test_lockfile_info_gives_the_same_target_as_the_release_number(version):
    package = {"314.0.7": "pyodide-314", "0.29.5": "pyodide-0295"}[version]
    info = json.loads((ROOT / "node_modules" / package / "pyodide-lock.json").read_text())["info"]
    assert Target.from_lock_info(info) == Target.for_pyodide(version)


def test_lockfile_info_from_pyodide_lock_library():
    from pyodide_lock import PyodideLockSpec

    spec = PyodideLockSpec.from_json(ROOT / "node_modules" / "pyodide-314" / "pyodide-lock.json")
    assert Target.from_lock_info(spec.info).platform_tag == "pyemscripten_2026_0_wasm32"


def test_unknown_release_is_an_error_that_lists_the_known_ones():
    with pytest.raises(UnknownTargetError, match="known releases: 315.0.x, 314.0.x"):
        Target.for_pyodide("1.0.0")


def test_current_outside_pyodide_says_what_to_use_instead():
    with pytest.raises(UnknownTargetError, match="for_pyodide"):
        Target.current()


def test_markers_describe_emscripten():
    markers = Target.for_pyodide("314.0.7").marker_environment
    assert markers["sys_platform"] == "emscripten"
    assert markers["platform_system"] == "Emscripten"
    assert markers["platform_machine"] == "wasm32"
    assert markers["python_version"] == "3.14"


@pytest.mark.parametrize(
    "filename, reason",
    [
        (
            "uuid_utils-1.2.0-cp310-abi3-pyemscripten_2025_0_wasm32.whl",
            "abi3 wheel built for platform 2025_0",
        ),
        ("librt-0.16.0-cp313-cp313-pyemscripten_2025_0_wasm32.whl", "built for platform 2025_0"),
        ("librt-0.16.0-cp313-cp313-pyemscripten_2026_0_wasm32.whl", "built for CPython 3.13"),
        ("x-1-cp315-abi3-pyemscripten_2026_0_wasm32.whl", "abi3 wheel needs CPython >= 3.15"),
        ("x-1-cp314-cp314-emscripten_4_0_9_wasm32.whl", "built for Emscripten 4.0.9"),
        ("x-1-cp314-cp314-win_amd64.whl", "built for Windows"),
        ("x-1-pp310-pypy310_pp73-pyemscripten_2026_0_wasm32.whl", "interpreter 'pp310'"),
    ],
)
def test_incompatible_wheels_say_why(filename, reason):
    fit = check_wheel_tags(filename, Target.for_pyodide("314.0.7"))
    assert not fit.ok and reason in fit.reason


def test_better_tag_ranks_lower():
    target = Target.for_pyodide("314.0.7")
    specific = check_wheel_tags("x-1-cp314-cp314-pyemscripten_2026_0_wasm32.whl", target)
    abi3 = check_wheel_tags("x-1-cp310-abi3-pyemscripten_2026_0_wasm32.whl", target)
    pure = check_wheel_tags("x-1-py3-none-any.whl", target)
    assert specific.rank < abi3.rank < pure.rank


# -- inside Pyodide ------------------------------------------------------------------------


def _current_target_facts():
    import sys
    import sysconfig

    from packaging.markers import default_environment

    from micropip2.install.environment import scheme_paths
    from micropip2.runtime import current_runtime
    from micropip2.target import Target

    def build_variables_read() -> bool:
        return any(name.startswith("_sysconfigdata") for name in sys.modules)

    read_before = build_variables_read()
    paths = scheme_paths()  # before anything reads sysconfig's build variables
    read_by_paths = build_variables_read()

    target = Target.current()
    from_runtime = Target.current(current_runtime().abi_version())  # no sysconfig variables
    from packaging.tags import sys_tags

    # after the paths: packaging reads the build variables to know the running ABI
    running = {str(tag) for tag in sys_tags()}
    return {
        "running_tags_accepted": sorted(running - {str(t) for t in target.tags}),
        "same_from_runtime": from_runtime == target
        and from_runtime.pyodide_version == target.pyodide_version,
        "abi_version": current_runtime().abi_version(),
        "scheme_paths_as_sysconfig": paths == sysconfig.get_paths(),
        "build_variables_read": (read_before, read_by_paths),
        "tags": [str(t) for t in target.tags],
        "markers": target.marker_environment,
        "real_markers": {k: v for k, v in default_environment().items()},
        "platform": sysconfig.get_config_var("PYEMSCRIPTEN_PLATFORM_VERSION"),
    }


@pytest.mark.smoke
def test_current_target_in_pyodide_matches_the_release_table(runtime):
    facts = runtime.call(_current_target_facts)
    assert facts["tags"] == _tags(Target.for_pyodide(runtime.version))
    assert facts["tags"][0].endswith(f"pyemscripten_{facts['platform']}_wasm32")
    assert facts["abi_version"] == facts["platform"]
    assert facts["same_from_runtime"]
    assert facts["scheme_paths_as_sysconfig"]
    assert facts["running_tags_accepted"] == []  # every tag packaging says this Pyodide runs
    assert facts["build_variables_read"] == [False, False]  # the fast way, not the fallback


def test_synthesized_markers_equal_the_real_ones(runtime):
    facts = runtime.call(_current_target_facts)
    assert facts["markers"] == facts["real_markers"]
