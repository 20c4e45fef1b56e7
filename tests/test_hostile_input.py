"""Hostile servers and careless calls, inside Pyodide (issue 13, items 1, 6, 7, 8 and 9).

Each failure is checked for its exact error type, a message that says what and why, and an
environment (every file below the install roots, and ``loadedPackages``) left exactly as it was.
The pure rules are also tested on the host: tests/test_hostile_input_host.py.
"""

from __future__ import annotations

import json

from tests.support.pylock_check import checked_pylock
from tests.support.wheels import WheelSpec, build_wheel, simple_wheel

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
PASSWORD = "hunter2-Secret"


def _page(project: str, *urls: str) -> bytes:
    """A PEP 691 page listing ``urls`` as wheels of ``project`` 1.0, 1.1, ..."""
    files = [
        {"filename": f"{project}-1.{i}-py3-none-any.whl", "url": url, "hashes": {}}
        for i, url in enumerate(urls)
    ]
    doc = {"meta": {"api-version": "1.1"}, "name": project, "files": files}
    return json.dumps(doc).encode()


async def _failures(cases, **kwargs):
    """Each (case id, requirement) installed expecting failure, with ``kwargs``."""
    from mp2test import install_error

    return {case: await install_error(requirement, **kwargs) for case, requirement in cases}


# -- item 1: an index page cannot make micropip2 read host files or devices ---------------------


def test_an_index_page_cannot_make_micropip2_read_host_files_or_devices(mp, index_server, tmp_path):
    # a valid wheel on the host: installed before this fix, though the user never named it
    filename, data = simple_wheel("localwheel", "1.0")
    (tmp_path / filename).write_bytes(data)
    pages = {
        "devzero": _page("devzero", "file:///dev/zero"),  # grew Node's memory without end
        "urandom": _page("urandom", "emfs:/dev/urandom"),  # blocked, then OverflowError
        "localwheel": _page("localwheel", (tmp_path / filename).as_uri()),
        "jsurl": _page("jsurl", "javascript:jsurl-1.0-py3-none-any.whl"),
    }
    for project, body in pages.items():
        index_server.add_file(f"pages/{project}.json", body, content_type=SIMPLE_JSON)
    html = b'<base href="javascript:void(0)/"><a href="jsbase-1.0-py3-none-any.whl">w</a>'
    index_server.add_file("pages/jsbase.json", html, content_type="text/html")
    template = f"{index_server.url}/pages/{{package_name}}.json"

    got = mp.call(
        _failures, [(p, p) for p in [*pages, "jsbase"]], index_urls=[template], timeout=120
    )

    expected = {
        "devzero": "'file:///dev/zero' was refused: it is a 'file:' location",
        "urandom": "'emfs:/dev/urandom' was refused: it is a 'emfs:' location",
        "localwheel": f"'{(tmp_path / filename).as_uri()}' was refused",
        "jsurl": "was refused: it is a 'javascript:' location",
        "jsbase": "the page's <base href='javascript:void(0)/'> was refused",
    }
    for project, fragment in expected.items():
        assert got[project]["type"] == "ResolutionError", (project, got[project])
        assert fragment in got[project]["message"], (project, got[project]["message"])
        assert "an index may only point to http(s) URLs" in got[project]["message"]
        assert got[project]["changed"] == "", (project, got[project]["changed"])
    assert "localwheel" not in mp.call(_installed_names)


async def _installed_names():
    import micropip2

    return sorted(micropip2.list())


# -- item 7: raw exceptions become micropip2 errors ---------------------------------------------


async def _careless_calls(simple_url, banana_url):
    import os

    from mp2test import diff, environment_state

    import micropip2

    os.symlink("/dev/urandom", "/tmp/device-1.0-py3-none-any.whl")  # a wheel name, a device

    bad_pylocks = {
        "packages-table": 'lock-version = "1.0"\n[packages]\nname = "x"\n',
        "wheels-string": 'lock-version = "1.0"\n[[packages]]\nname = "x"\nwheels = "x.whl"\n',
        "tool-string": 'lock-version = "1.0"\n[[packages]]\nname = "x"\ntool = "t"\n'
        'wheels = [{ url = "http://h/x-1.0-py3-none-any.whl" }]\n',
    }
    calls = {
        "install(None)": lambda: micropip2.install(None),
        "install(123)": lambda: micropip2.install(123),
        "install([None])": lambda: micropip2.install(["six", None]),
        "index_urls=[123]": lambda: micropip2.install("six", index_urls=[123]),
        "broken IPv6 index": lambda: micropip2.install("six", index_urls=["http://[::1/simple"]),
        "broken IPv6 wheel": lambda: micropip2.install("http://[::1/x-1.0-py3-none-any.whl"),
        "hashes=list": lambda: micropip2.install("six", hashes=["abc"]),
        "Version: banana": lambda: micropip2.install("banana", index_urls=[simple_url]),
        "banana by URL": lambda: micropip2.install(banana_url),
        "emfs device": lambda: micropip2.install("emfs:/tmp/device-1.0-py3-none-any.whl"),
        **{
            f"pylock {k}": (lambda text=text: micropip2.sync(text))
            for k, text in bad_pylocks.items()
        },
    }
    sync_calls = {
        "uninstall(None)": lambda: micropip2.uninstall(None),
        "uninstall(123)": lambda: micropip2.uninstall(123),
    }
    results = {}
    for case, call in {**calls, **sync_calls}.items():
        before = environment_state()
        try:
            outcome = call()
            if case in calls:
                await outcome
            results[case] = {"type": None, "message": "no error"}
        except Exception as exc:
            results[case] = {"type": type(exc).__name__, "message": str(exc)}
            results[case]["is_micropip2"] = isinstance(exc, micropip2.Micropip2Error)
        after = environment_state()
        results[case]["changed"] = diff(before["files"], after["files"]) + (
            "" if before["loaded"] == after["loaded"] else "loadedPackages changed"
        )
    return results


def test_careless_calls_and_broken_documents_raise_micropip2_errors_and_change_nothing(
    mp, index_server
):
    # a wheel whose own METADATA and whose PEP 658 file say "Version: banana"
    spec = WheelSpec(name="banana", version="1.0", metadata_version="banana")
    data = build_wheel(spec)
    index_server.add_wheel(data, spec.filename, metadata=b"Name: banana\nVersion: banana\n")
    got = mp.call(
        _careless_calls, index_server.simple_url, index_server.url_for(spec.filename), timeout=120
    )
    expected = {
        "install(None)": ("InvalidOptionError", "requirements must be"),
        "install(123)": ("InvalidOptionError", "requirements must be"),
        "install([None])": ("InvalidOptionError", "requirements must"),
        "index_urls=[123]": ("InvalidOptionError", "index_urls must"),
        "broken IPv6 index": ("IndexURLError", "is not a valid URL"),
        "broken IPv6 wheel": ("InvalidRequirementError", "is not a valid URL"),
        "hashes=list": ("InvalidOptionError", "hashes must map"),
        "Version: banana": ("MetadataError", "Version 'banana'"),
        "banana by URL": ("InvalidWheelError", "banana"),
        "emfs device": ("DownloadError", "it is not a regular file"),
        "pylock packages-table": ("LockFormatError", "'packages' must be [[packages]]"),
        "pylock wheels-string": ("LockFormatError", "'wheels' must be an array of tables"),
        "pylock tool-string": ("LockFormatError", "'tool' must be a table"),
        "uninstall(None)": ("InvalidOptionError", "packages must be"),
        "uninstall(123)": ("InvalidOptionError", "packages must be"),
    }
    problems = []
    for case, (error, fragment) in expected.items():
        result = got[case]
        if result["type"] != error or fragment not in result["message"]:
            problems.append(f"{case}: expected {error} ({fragment!r}), got {result}")
        elif not result["is_micropip2"] or result["changed"]:
            problems.append(f"{case}: not a Micropip2Error, or the environment changed: {result}")
    assert not problems, "\n".join(problems)


# -- item 8: credentials are sent as a header, and never echoed ----------------------------------


async def _credential_story(wheel_url, wrong_url, page_index, slash_index):
    from mp2test import install_error

    import micropip2

    installed = await micropip2.install(wheel_url)
    import authwheel

    from_page = await micropip2.install("pagewheel", index_urls=[page_index])
    import pagewheel

    wrong = await install_error(wrong_url)
    slash = await install_error("six", index_urls=[slash_index])
    return {
        "versions": [authwheel.VERSION, pagewheel.VERSION],
        "texts": [
            str(installed),
            repr(installed),
            str(from_page),
            repr(from_page),
            micropip2.freeze(),
            micropip2.freeze(format="pylock"),
            repr(micropip2.list()),
            *(repr(entry) for entry in micropip2.list().values()),
        ],
        "wrong": wrong,
        "slash": slash,
    }


def test_credentials_in_a_wheel_url_are_sent_as_basic_auth_and_never_shown(mp, index_server):
    index_server.require_auth("alice", PASSWORD, "/files/*")
    auth_name, auth_data = simple_wheel("authwheel", "1.0")
    page_name, page_data = simple_wheel("pagewheel", "2.0")
    wrong_name, wrong_data = simple_wheel("wrongwheel", "1.0")
    for name, data in [(auth_name, auth_data), (page_name, page_data), (wrong_name, wrong_data)]:
        index_server.add_wheel(data, name)
    host = index_server.url.removeprefix("http://")
    wheel_url = f"http://alice:{PASSWORD}@{host}/files/{auth_name}"
    wrong_url = f"http://alice:wrong-{PASSWORD}@{host}/files/{wrong_name}"
    # an index page (no credentials of its own) listing a file URL that carries them
    page = _page("pagewheel", f"http://alice:{PASSWORD}@{host}/files/{page_name}")
    page = page.replace(b"pagewheel-1.0-py3", b"pagewheel-2.0-py3")
    index_server.add_file("pages/pagewheel.json", page, content_type=SIMPLE_JSON)
    page_index = f"{index_server.url}/pages/{{package_name}}.json"
    slash_index = f"http://alice:hun/ter2-{PASSWORD}@{host}/simple"

    got = mp.call(_credential_story, wheel_url, wrong_url, page_index, slash_index)

    assert got["versions"] == ["1.0", "2.0"]
    everything = json.dumps(got)
    assert PASSWORD not in everything and "ter2" not in everything
    assert all(f"{host}/files/" in text for text in got["texts"][4:6])  # freeze kept the URLs
    assert got["wrong"]["type"] == "DownloadError" and "401" in got["wrong"]["message"]
    assert got["wrong"]["changed"] == ""
    assert got["slash"]["type"] == "IndexURLError"
    assert "percent-encode" in got["slash"]["message"] and got["slash"]["changed"] == ""
    # the credentials went over the wire, as a header, to the file URLs only
    asked = [r for r in index_server.requests if r.path.startswith("/files/")]
    assert {r.auth for r in asked if r.path.endswith(".whl")} >= {("alice", PASSWORD)}
    assert all("@" not in r.path for r in index_server.requests)


# -- items 9 and 6: the lock's names, and the installer's own distributions ---------------------


async def _freeze_pylock(url):
    import micropip2

    await micropip2.install(url)
    return micropip2.freeze(format="pylock")


def test_freeze_writes_normalized_names_that_packagings_pylock_reader_accepts(mp, index_server):
    filename, data = simple_wheel("Odd_Name.Thing", "1.0")
    text = mp.call(_freeze_pylock, index_server.add_file(f"w/{filename}", data))
    doc = checked_pylock(text)
    names = [p["name"] for p in doc["packages"]]
    assert "odd-name-thing" in names and "micropip2" in names
    assert 'name = "Odd_Name.Thing"' not in text  # as the wheel spells it: not PEP 751's name


async def _protected_story(simple_url):
    from mp2test import diff, environment_state

    import micropip2

    results = {}
    for case, call in {
        "uninstall micropip2": lambda: micropip2.uninstall(["micropip2"]),
        "uninstall packaging": lambda: micropip2.uninstall("packaging"),
        "uninstall pyodide-lock": lambda: micropip2.uninstall(["pyodide-lock"]),
        "install needs packaging>=99": lambda: micropip2.install("needy", index_urls=[simple_url]),
    }.items():
        before = environment_state()
        try:
            outcome = call()
            if case.startswith("install"):
                await outcome
            results[case] = {"type": None, "message": "no error"}
        except Exception as exc:
            results[case] = {"type": type(exc).__name__, "message": str(exc)}
            results[case]["chain"] = getattr(exc, "chain", None)
        after = environment_state()
        results[case]["changed"] = diff(before["files"], after["files"]) + (
            "" if before["loaded"] == after["loaded"] else "loadedPackages changed"
        )
    # the installer still works afterwards
    await micropip2.install("fine", index_urls=[simple_url])
    import fine

    results["after"] = fine.VERSION
    return results


def test_install_and_uninstall_refuse_to_remove_or_replace_the_installer_and_its_needs(
    mp, index_server
):
    for name, version, requires in [
        ("needy", "1.0", ["packaging>=99"]),
        ("packaging", "99.0", []),
        ("fine", "1.0", []),
    ]:
        filename, data = simple_wheel(name, version, requires_dist=requires)
        index_server.add_wheel(data, filename)
    got = mp.call(_protected_story, index_server.simple_url, timeout=120)
    expected = {
        "uninstall micropip2": ("it is the installer itself", "micropip2"),
        "uninstall packaging": ("micropip2 needs it (micropip2 -> packaging)", None),
        "uninstall pyodide-lock": ("micropip2 needs it (micropip2 -> pyodide-lock)", None),
        "install needs packaging>=99": ("with 99.0 (asked for by needy 1.0)", None),
    }
    for case, (fragment, chain) in expected.items():
        result = got[case]
        assert result["type"] == "ProtectedPackageError", (case, result)
        assert fragment in result["message"], (case, result["message"])
        assert chain is None or result["chain"] == chain
        assert result["changed"] == "", (case, result["changed"])
    assert "constraints=['packaging==" in got["install needs packaging>=99"]["message"]
    assert got["after"] == "1.0"


async def _upgrade_story(simple_url):
    import micropip2

    report = await micropip2.install("modern", index_urls=[simple_url])
    return sorted(f"{i.name}=={i.version}" for i in report.installed)


def test_a_newer_release_of_the_same_major_that_the_installer_accepts_may_replace_its_dependency(
    mp, index_server
):
    # pydantic 2.14 asks for typing-extensions>=4.16 while the installer's 4.15 is installed
    for name, version, requires in [
        ("modern", "1.0", ["typing-extensions>=4.16"]),
        ("typing-extensions", "4.16.0", []),
    ]:
        filename, data = simple_wheel(name, version, requires_dist=requires)
        index_server.add_wheel(data, filename)
    assert mp.call(_upgrade_story, index_server.simple_url) == [
        "modern==1.0",
        "typing-extensions==4.16.0",
    ]


# -- item 5: PEP 658 metadata is checked against the wheel's own METADATA ----------------------


def _metadata(name: str, version: str, requires: list[str]) -> bytes:
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    return ("\n".join(lines + [f"Requires-Dist: {r}" for r in requires]) + "\n").encode()


def test_an_index_metadata_file_that_disagrees_with_its_wheel_is_refused(mp, index_server):
    filename, data = simple_wheel("dep", "1.0")
    index_server.add_wheel(data, filename)
    cases = {
        # leaves out what the wheel requires: its real dependency would never be installed
        "leaves-out": (["dep"], [], "the index's file leaves out dep"),
        "other-project": ([], None, "describes someone-else"),  # names another project
        "adds": ([], ["dep"], "the index's file adds dep"),
    }
    for project, (requires, declared, _) in cases.items():
        filename, data = simple_wheel(project, "1.0", requires_dist=requires)
        metadata = (
            _metadata("someone-else", "9.0", [])
            if declared is None
            else _metadata(project, "1.0", declared)
        )
        index_server.add_wheel(data, filename, metadata=metadata)
    got = mp.call(_failures, [(p, p) for p in cases], index_urls=[index_server.simple_url])
    for project, (_, declared, fragment) in cases.items():
        result = got[project]
        expected = "MetadataError" if declared is None else "InvalidWheelError"
        assert result["type"] == expected, (project, result)
        if declared is not None:
            assert "does not match the wheel's own METADATA" in result["message"]
        assert fragment in result["message"], (project, result["message"])
        assert result["changed"] == "", (project, result["changed"])


async def _devices(host_link):
    import os

    from mp2test import install_error

    os.symlink("/dev/urandom", "/tmp/zero-1.0-py3-none-any.whl")  # in the Emscripten FS
    return {
        "host": await install_error(host_link),
        "emfs": await install_error("emfs:/tmp/zero-1.0-py3-none-any.whl"),
    }


def test_a_device_the_user_names_is_refused_before_it_is_read(mp, tmp_path):
    if not mp.id.startswith("node"):
        return  # a browser cannot name host files at all
    link = tmp_path / "zero-1.0-py3-none-any.whl"
    link.symlink_to("/dev/zero")  # a wheel's name, a device's bytes
    got = mp.call(_devices, link.as_uri())
    for case, result in got.items():
        assert result["type"] == "DownloadError", (case, result)
        assert "not a regular file" in result["message"], (case, result["message"])
        assert result["changed"] == ""
