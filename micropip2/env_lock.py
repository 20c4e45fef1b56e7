"""One lock per environment (its site-packages directory): ``install``, ``sync`` and
``uninstall`` change an environment one at a time.

An ``install`` or ``sync`` waits its turn (first come, first served) and reads what is installed
only once it holds the lock, so it sees the result of the call before it. ``uninstall`` is
synchronous (micropip's signature) and cannot wait: while another call holds the lock it raises
:class:`~.errors.ChangeInProgressError` and changes nothing. A call cancelled while it waits or
while it works gives the lock up (``asyncio.wait_for(install(...), t)``).

The lock is not an :class:`asyncio.Lock`: that one binds itself to the first event loop it
waits on, while the CLI and host tests run one loop after another in one process.
"""

from __future__ import annotations

import asyncio
import os
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ChangeInProgressError


@dataclass
class _Waiter:
    operation: str
    turn: asyncio.Future[None]


@dataclass
class EnvironmentLock:
    """Who is changing one environment now, and who waits (in order)."""

    path: str
    holder: str | None = None  # "install", "sync", "uninstall" while held
    _waiting: deque[_Waiter] = field(default_factory=deque)

    @property
    def busy(self) -> bool:
        return self.holder is not None

    @asynccontextmanager
    async def held(
        self, operation: str, *, on_wait: Callable[[str], None] | None = None
    ) -> AsyncIterator[None]:
        """Hold the lock for the block, after the calls that came first; ``on_wait`` is told
        which operation it waits for, when it has to."""
        await self._acquire(operation, on_wait)
        try:
            yield
        finally:
            self._release()

    @contextmanager
    def held_now(self, operation: str) -> Iterator[None]:
        """Hold the lock for the block, or refuse at once when another call holds it."""
        self.refuse_if_busy(operation)
        self.holder = operation
        try:
            yield
        finally:
            self._release()

    def refuse_if_busy(self, operation: str) -> None:
        """Raise :class:`~.errors.ChangeInProgressError` while another call holds the lock."""
        if self.holder is not None:
            raise ChangeInProgressError(
                f"cannot {operation} now: {_article(self.holder)} {self.holder} is in progress "
                f"in {self.path}; await it to finish, then call {operation} again",
                operation=operation,
                in_progress=self.holder,
                environment=self.path,
            )

    async def _acquire(self, operation: str, on_wait: Callable[[str], None] | None) -> None:
        if self.holder is None:
            self.holder = operation
            return
        if on_wait is not None:
            on_wait(self.holder)
        waiter = _Waiter(operation, asyncio.get_running_loop().create_future())
        self._waiting.append(waiter)
        try:
            await waiter.turn
        except asyncio.CancelledError:
            if waiter in self._waiting:
                self._waiting.remove(waiter)
            elif waiter.turn.done() and not waiter.turn.cancelled():
                self._release()  # handed the lock just as it was cancelled: pass it on
            raise

    def _release(self) -> None:
        """Hand the lock to the first waiter still waiting, or free it."""
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.turn.done():
                self.holder = waiter.operation
                waiter.turn.set_result(None)
                return
        self.holder = None


def _article(operation: str) -> str:
    return "an" if operation[:1] in "aeiou" else "a"


_LOCKS: dict[str, EnvironmentLock] = {}


def environment_lock(site_packages: Path) -> EnvironmentLock:
    """The one lock of the environment whose site-packages is ``site_packages``."""
    key = os.path.realpath(site_packages)
    lock = _LOCKS.get(key)
    if lock is None:
        lock = _LOCKS[key] = EnvironmentLock(key)
    return lock
