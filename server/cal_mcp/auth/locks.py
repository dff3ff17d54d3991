"""Single-flight per key: one Cal token refresh at a time per user.

``KeyedLocks`` is the seam: the in-process implementation below serves one process; a shared one (Redis,
PostgreSQL advisory locks) with the same ``hold`` method serves several replicas.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

import anyio


class KeyedLocks(Protocol):
    def hold(self, key: str) -> AbstractAsyncContextManager[None]:
        """Hold the lock for ``key`` while the context is open; other holders of ``key`` wait."""
        ...


class InProcessKeyedLocks:
    """One ``anyio.Lock`` per key while anyone holds or waits for it; forgotten once idle."""

    def __init__(self) -> None:
        self._locks: dict[str, anyio.Lock] = {}
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def _hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = anyio.Lock()
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key], self._locks[key]

    def hold(self, key: str) -> AbstractAsyncContextManager[None]:
        return self._hold(key)

    def held_keys(self) -> int:
        return len(self._locks)
