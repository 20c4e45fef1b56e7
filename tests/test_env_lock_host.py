"""The environment lock (micropip2/env_lock.py) on host CPython: order, refusal, cancellation,
and two installs through ``micropip2.operations`` gathered into one throwaway environment."""

from __future__ import annotations

import asyncio

import pytest

from micropip2 import operations
from micropip2.env_lock import EnvironmentLock, environment_lock
from micropip2.errors import ChangeInProgressError, Micropip2Error
from micropip2.operations import InstallOptions
from tests.support.host_place import throwaway_place
from tests.support.publish import publish


def test_calls_take_turns_in_the_order_they_came():
    lock = EnvironmentLock("/site")
    order: list[str] = []
    waited_for: list[str] = []

    async def call(name: str, operation: str) -> None:
        async with lock.held(operation, on_wait=waited_for.append):
            order.append(f"{name} in")
            await asyncio.sleep(0.01)
            order.append(f"{name} out")

    async def main() -> None:
        await asyncio.gather(call("a", "install"), call("b", "sync"), call("c", "install"))

    asyncio.run(main())
    assert order == ["a in", "a out", "b in", "b out", "c in", "c out"]
    assert waited_for == ["install", "install"]  # b and c found a's install holding it
    assert lock.holder is None


def test_uninstall_is_refused_while_an_install_holds_the_lock():
    lock = EnvironmentLock("/lib/python3.14/site-packages")

    async def main() -> ChangeInProgressError:
        async with lock.held("install"):
            with pytest.raises(ChangeInProgressError) as caught, lock.held_now("uninstall"):
                pass
        with lock.held_now("uninstall"):  # free again: taken and given back
            assert lock.holder == "uninstall"
        return caught.value

    error = asyncio.run(main())
    assert isinstance(error, Micropip2Error)
    assert (error.operation, error.in_progress, error.environment) == (
        "uninstall",
        "install",
        "/lib/python3.14/site-packages",
    )
    assert "an install is in progress in /lib/python3.14/site-packages" in str(error)
    assert "await it to finish, then call uninstall again" in str(error)
    assert lock.holder is None


def test_a_cancelled_holder_and_a_cancelled_waiter_give_the_lock_up():
    lock = EnvironmentLock("/site")

    async def hold_forever() -> None:
        async with lock.held("install"):
            await asyncio.sleep(3600)

    async def main() -> list[str]:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(hold_forever(), 0.05)
        assert lock.holder is None
        # a waiter cancelled while it waits leaves the queue; the next caller still gets a turn
        holder = asyncio.create_task(hold_forever())
        await asyncio.sleep(0)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(lock.held("sync").__aenter__(), 0.05)
        holder.cancel()
        got = []
        async with lock.held("install"):
            got.append(lock.holder or "")
        return got

    assert asyncio.run(main()) == ["install"]
    assert lock.holder is None and not lock._waiting


def test_a_waiter_handed_the_lock_as_it_is_cancelled_passes_it_on():
    lock = EnvironmentLock("/site")

    async def main() -> str:
        holder_in = asyncio.Event()
        release = asyncio.Event()
        tasks: list[asyncio.Task[None]] = []

        async def holder() -> None:
            async with lock.held("install"):
                holder_in.set()
                await release.wait()
            # the lock was just handed to the second task, which has not run yet: cancel it
            assert lock.holder == "sync"
            tasks[0].cancel()

        async def waiter(operation: str) -> None:
            async with lock.held(operation):
                pass

        first = asyncio.create_task(holder())
        await holder_in.wait()
        tasks.append(asyncio.create_task(waiter("sync")))
        tasks.append(asyncio.create_task(waiter("install")))
        await asyncio.sleep(0)
        release.set()
        await first
        with pytest.raises(asyncio.CancelledError):
            await tasks[0]
        await asyncio.wait_for(tasks[1], 1)  # the third got its turn
        return lock.holder or "free"

    assert asyncio.run(main()) == "free"


def test_one_lock_per_site_packages_and_one_loop_after_another(tmp_path):
    site = tmp_path / "site-packages"
    site.mkdir()
    assert environment_lock(site) is environment_lock(tmp_path / "x" / ".." / "site-packages")
    assert environment_lock(site) is not environment_lock(tmp_path)

    async def contended() -> None:
        lock = environment_lock(site)
        await asyncio.gather(*(_briefly(lock) for _ in range(3)))

    # asyncio.run makes a new loop each time (the CLI, host tests): the lock is not bound to one
    asyncio.run(contended())
    asyncio.run(contended())
    assert environment_lock(site).holder is None


async def _briefly(lock: EnvironmentLock) -> None:
    async with lock.held("install"):
        await asyncio.sleep(0.001)


@pytest.fixture
def place():
    with throwaway_place() as place:
        yield place


def test_two_gathered_installs_of_one_project_leave_one_version(place, index_server):
    publish(index_server, "dd", "1.0")
    publish(index_server, "dd", "2.0")
    index_server.delay("/files/dd-1.0-*", 0.3)  # the first install is still running
    options = InstallOptions(index_urls=[index_server.simple_url], cache=False)
    said: list[str] = []

    async def main():
        return await asyncio.gather(
            operations.install(["dd==1.0"], options, place),
            operations.install(["dd==2.0"], options, place, say=said.append),
            operations.install(["dd"], options, place, say=said.append),
        )

    first, second, third = asyncio.run(main())
    site = place.environment.site_packages
    assert sorted(p.name for p in site.glob("*.dist-info")) == ["dd-2.0.dist-info"]
    assert [(i.name, i.version, i.replaces) for i in first.installed] == [("dd", "1.0", None)]
    assert [(i.name, i.version, i.replaces) for i in second.installed] == [("dd", "2.0", "1.0")]
    assert third.installed == [] and third.already_satisfied == ("dd==2.0",)
    assert f"Waiting for the install in progress in {site}" in said
    assert "Requirement already satisfied: dd==2.0" in said
    assert environment_lock(site).holder is None
