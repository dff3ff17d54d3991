"""A single-flight lock across replicas, in Redis: one holder per key at a time, everywhere.

For refreshing a user's Cal token: when several replicas find the same token expired at once,
exactly one refreshes it (a refresh token is single-use at Cal; two refreshes would leave one
replica holding a revoked token), the others wait and then read the fresh token from the store.
It has the shape of the OAuth store's in-process ``KeyedLocks``: ``async with locks.hold(key):``.

Taking: ``SET key token NX PX ttl`` with a random token; a taken lock is polled with a short,
growing, jittered pause. Releasing: a Lua compare-and-delete, so a holder whose lock expired (it
overran ``ttl``) can never delete the lock someone else has taken since. The expiry is what keeps a
crashed replica (SIGKILL, a lost machine) from blocking the key for ever; ``ttl`` must exceed the
longest a holder may take (a refresh is one Cal call, bounded by CAL_MCP_TIMEOUT).
"""

from __future__ import annotations

import logging
import random
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio

from cal_mcp.errors import CalMcpError
from cal_mcp.shared_state.redis_conn import RedisTarget, redis_errors

log = logging.getLogger("cal_mcp.shared_state")

DEFAULT_TTL = 60.0  # seconds a lock lives without its holder releasing it (> CAL_MCP_TIMEOUT's 30 s default)
DEFAULT_WAIT = 65.0  # seconds a caller waits for a taken lock: past one ttl, its holder is gone
POLL_FIRST, POLL_MAX = 0.01, 0.25

RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class LockTimeoutError(CalMcpError):
    """The lock stayed taken for longer than a caller may wait."""

    kind = "lock_timeout"

    def __init__(self, waited: float) -> None:
        super().__init__(
            f"Another request has held the lock for this operation for over {waited:g} s.",
            "Try again in a moment.",
        )


class RedisLocks:
    """Named locks shared by every process that uses the same Redis (and key prefix)."""

    def __init__(self, target: RedisTarget, *, ttl: float = DEFAULT_TTL, wait: float = DEFAULT_WAIT) -> None:
        self.target, self.ttl, self.wait = target, ttl, wait
        self._release = target.client().register_script(RELEASE)

    async def _try_take(self, name: str, token: str) -> bool:
        try:
            taken = await self.target.client().set(name, token, nx=True, px=round(self.ttl * 1000))
        except redis_errors() as exc:
            raise self.target.unavailable(exc) from None
        return bool(taken)

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        name = self.target.key("lock", key)
        token = secrets.token_hex(16)
        pause = POLL_FIRST
        with anyio.move_on_after(self.wait) as scope:
            while not await self._try_take(name, token):
                await anyio.sleep(pause * random.uniform(0.5, 1.0))
                pause = min(POLL_MAX, pause * 2)
        if scope.cancelled_caught:
            raise LockTimeoutError(self.wait)
        try:
            yield
        finally:
            with anyio.CancelScope(shield=True):
                await self._give_back(name, token)

    async def _give_back(self, name: str, token: str) -> None:
        try:
            released = await self._release(keys=[name], args=[token])
        except redis_errors() as exc:
            # It expires by itself after ttl; others wait until then.
            log.warning("could not release a lock at %s (%s); it expires in %g s",
                        self.target.where, type(exc).__name__, self.ttl)
            return
        if not released:
            log.warning("a lock outlived its %g s expiry while held; another holder may have run at the same time",
                        self.ttl)
