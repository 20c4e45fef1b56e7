"""Pyodide runtime fixtures for micropip2's tests (the machinery is in tests/support/).

Fixtures
    runtime       a fresh, booted Pyodide runtime per test, parametrized over
                  node-314.0.7 and node-0.29.5, plus chrome-314.0.7 for tests marked
                  ``@pytest.mark.smoke``; micropip2 (built from the working tree at
                  session start) and its dependencies are loaded.
    runtime_314   the same, on node-314.0.7 only.
    static_server the session's static server: /dist/<version>/, /support/, /wheels/
                  (build/wheels/, the pinned extra wheels): ``static_server.url("/wheels/")``.
    new_runtime   a factory for runtimes outside the pool (module-scoped fixtures, fresh
                  runtimes booted from a user's lock): ``new_runtime("node-314.0.7", **kw)``
                  boots a PyodideRuntime (kw as its constructor's; defaults: this session's
                  micropip2 build, the static server); the caller closes it (else: session end);
                  skips the test if the runtime is not selected (MICROPIP2_TEST_RUNTIMES,
                  MICROPIP2_NO_BROWSER).

Environment
    MICROPIP2_TEST_RUNTIMES=node-314.0.7,chrome-314.0.7   use only these runtimes
    MICROPIP2_NO_BROWSER=1                                skip the Chromium runtimes
    MICROPIP2_RUNNER_LOG=1                                echo the runners' logs live
    MICROPIP2_CHROMIUM=/path/to/chromium                  another Chromium binary
    MICROPIP2_POOL_LOOKAHEAD=2                            runtimes booted ahead of the tests

micropip2's persistent cache is off in the test process and in every runtime (no two tests
share files); a test that is about the cache turns it on for itself (``cache=`` of a runtime,
``micropip2.cache.settings`` on the host).
"""

from __future__ import annotations

import os

import pytest

os.environ["MICROPIP2_NO_CACHE"] = "1"

from tests.support import pyodide_runtime as rt

NODE_RUNTIMES = ["node-314.0.7", "node-0.29.5"]
SMOKE_RUNTIMES = ["chrome-314.0.7"]

_pool: rt.RuntimePool | None = None


def _runtime_params(ids: list[str]) -> list:
    selected = rt.selected_runtime_ids()
    params = []
    for ident in ids:
        if selected is not None and ident not in selected:
            continue
        marks = []
        if ident.startswith("chrome-") and rt.browser_disabled():
            marks = [pytest.mark.skip(reason="Chromium runtimes disabled by MICROPIP2_NO_BROWSER")]
        params.append(pytest.param(ident, id=ident, marks=marks))
    return params


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "runtime" in metafunc.fixturenames:
        ids = NODE_RUNTIMES + (
            SMOKE_RUNTIMES if metafunc.definition.get_closest_marker("smoke") else []
        )
        metafunc.parametrize("runtime", _runtime_params(ids), indirect=True)
    if "runtime_314" in metafunc.fixturenames:
        metafunc.parametrize("runtime_314", _runtime_params(["node-314.0.7"]), indirect=True)


def _prepare_dists() -> dict[str, str]:
    """Build micropip2's wheel from the working tree into build/dist/* (whole dists if missing).

    Returns {pyodide version: this session's lockfile, relative to the dist dir}."""
    from scripts import build_dist

    pins = build_dist.load_pins()
    if all((p.dir / build_dist.LOCK_NAME).exists() for p in pins.dists.values()):
        return build_dist.build_micropip2()
    return build_dist.build_all()


def _get_pool() -> rt.RuntimePool:
    global _pool
    if _pool is None:
        _pool = rt.RuntimePool(
            [], prepare=_prepare_dists, server_factory=rt.make_static_server
        ).start()
    return _pool


def pytest_collection_finish(session: pytest.Session) -> None:
    # Start rebuilding micropip2 and booting the first runtimes while pytest gets going.
    global _pool
    if session.config.option.collectonly:
        return
    schedule = rt.runtime_schedule(session.items)
    if schedule and _pool is None:
        _pool = rt.RuntimePool(
            schedule, prepare=_prepare_dists, server_factory=rt.make_static_server
        ).start()


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _pool is not None:
        _pool.close()


RERUN_LOG = "build/artifacts/reruns.log"
_reruns: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # pyproject.toml reruns a test once when its Chromium page crashed: keep why, with the log
    if report.outcome == "rerun":
        if not _reruns:
            os.makedirs(os.path.dirname(RERUN_LOG), exist_ok=True)
            open(RERUN_LOG, "w").close()
        _reruns.append(report.nodeid)
        with open(RERUN_LOG, "a", encoding="utf-8") as log:
            log.write(f"=== {report.nodeid} ({report.when})\n{report.longreprtext}\n\n")


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    if _reruns:
        terminalreporter.write_sep("=", "run again after a Chromium page crash", yellow=True)
        for nodeid in _reruns:
            terminalreporter.write_line(nodeid)
        terminalreporter.write_line(f"what the runners logged: {RERUN_LOG}")


def pytest_report_header(config: pytest.Config) -> list[str]:
    selected = rt.selected_runtime_ids()
    return [
        "pyodide runtimes: "
        f"{', '.join(selected) if selected else ', '.join(NODE_RUNTIMES + SMOKE_RUNTIMES)}"
        + (" (browser disabled)" if rt.browser_disabled() else "")
    ]


@pytest.fixture(scope="session")
def static_server():
    pool = _get_pool()
    pool.wait_prepared()  # the dist dirs and build/wheels/ exist once this returns
    return pool.server


def _acquire(request: pytest.FixtureRequest):
    pool = _get_pool()
    runtime = pool.acquire(request.param)
    yield runtime
    pool.release(runtime)


@pytest.fixture
def runtime(request: pytest.FixtureRequest):
    yield from _acquire(request)


@pytest.fixture
def runtime_314(request: pytest.FixtureRequest):
    yield from _acquire(request)


@pytest.fixture(scope="session")
def new_runtime(static_server):
    pool = _get_pool()
    made: list[rt.PyodideRuntime] = []

    def boot(ident: str, **kwargs) -> rt.PyodideRuntime:
        spec = rt.RuntimeSpec.parse(ident)
        selected = rt.selected_runtime_ids()
        if selected is not None and ident not in selected:
            pytest.skip(f"{ident} not in MICROPIP2_TEST_RUNTIMES")
        if spec.kind == "chrome" and rt.browser_disabled():
            pytest.skip("Chromium runtimes disabled by MICROPIP2_NO_BROWSER")
        kwargs.setdefault("lockfile", pool.lockfiles.get(spec.version, "pyodide-lock.json"))
        if spec.kind == "chrome":
            kwargs.setdefault("server", static_server)
            kwargs.setdefault("base_url", static_server.url(f"/dist/{spec.version}/"))
        runtime = rt.PyodideRuntime(spec, **kwargs)
        made.append(runtime)
        try:
            return runtime.wait_ready()
        except BaseException:
            runtime.close()
            raise

    yield boot
    for runtime in made:
        runtime.close()


PYODIDE_FIXTURES = {"runtime", "runtime_314", "new_runtime"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that boot no Pyodide runtime are marked ``host``: ``scripts/test.sh -m host`` runs
    them alone, on host CPython, without Node."""
    for item in items:
        boots = item.get_closest_marker("pyodide") is not None
        if not boots and not PYODIDE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.host)
