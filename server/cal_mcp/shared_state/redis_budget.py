"""The rate budget toward Cal, shared in Redis by every replica: a sliding window of reservations.

Why this algorithm. Cal counts requests per API key in a fixed window that starts at a key's first
request (``apps/api/v2/src/lib/throttler/throttler-guard.ts`` in calcom/cal.com: @nestjs/throttler
over Redis, ``ttl`` 60 s, ``limit`` 120) and blocks the key once a window goes over. Cal's windows
can start at any moment, so the only safe promise is: in *any* 60 s, at most N requests. A token
bucket of N tokens does not keep it (a full bucket, emptied and refilled within one minute, sends
up to 2N); a log of grant times does, exactly.

How. Per credential one sorted set holds the times (ms) at which requests were granted, including
ones granted for a moment a little ahead. A new request is granted at
``t = max(now, (N-th latest grant) + window)``: the earliest moment at which no window holds more
than N grants. If ``t - now`` is within ``max_wait`` the grant is recorded and the caller sleeps
until ``t``; otherwise nothing is recorded and the call is refused with the time to retry, as the
in-process ``RateBudget`` does. One Lua script reads and writes the set, so Redis runs each
decision alone: concurrent callers on any number of replicas cannot both take the last place.

Time comes from Redis (``TIME``), one clock for every replica; tests may pass their own ``now``.
The window is 60 s plus ``rate_budget.ARRIVAL_MARGIN``: a request granted at ``t`` reaches Cal a
little later, and two requests 60 s apart must not land in one of Cal's windows because the first was slower.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

import anyio

from cal_mcp.errors import RateLimitedError
from cal_mcp.rate_budget import WINDOW
from cal_mcp.shared_state.redis_conn import RedisTarget, redis_errors

log = logging.getLogger("cal_mcp.shared_state")


# KEYS[1] the credential's grant log. ARGV: limit, window ms, max wait ms, now ms ('' = Redis TIME),
# a unique member. Returns {1, wait ms} when granted (recorded), {0, wait ms} when refused (nothing
# recorded). Grants older than one window can constrain nothing from now on and are dropped first.
RESERVE = """
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local now
if ARGV[4] ~= '' then
  now = tonumber(ARGV[4])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local at = now
if count >= limit then
  local nth = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
  at = math.max(now, tonumber(nth[2]) + window)
end
local wait = at - now
if wait > max_wait then
  return {0, wait}
end
redis.call('ZADD', KEYS[1], at, ARGV[5])
redis.call('PEXPIRE', KEYS[1], math.ceil(wait + window) + 1000)
return {1, wait}
"""


class RedisRateBudget:
    """``per_minute`` requests per credential in any minute, over every process that shares Redis."""

    def __init__(
        self,
        target: RedisTarget,
        per_minute: int,
        max_wait: float,
        *,
        window: float = WINDOW,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.target = target
        self.per_minute = per_minute
        self.max_wait = max_wait
        self.window = window
        self.clock = clock  # seconds; None: Redis's own clock
        self._script = target.client().register_script(RESERVE)

    async def reserve(self, credential: str) -> tuple[str, float]:
        """Take a place for one request: its id and the seconds to wait for it; refuse past ``max_wait``."""
        member = secrets.token_hex(8)
        now = "" if self.clock is None else str(round(self.clock() * 1000))
        try:
            granted, wait_ms = await self._script(
                keys=[self.target.key("budget", credential)],
                args=[self.per_minute, round(self.window * 1000), round(self.max_wait * 1000), now, member],
            )
        except redis_errors() as exc:
            log.warning("shared rate budget unavailable at %s: %s", self.target.where, type(exc).__name__)
            raise self.target.unavailable(exc) from None
        wait = int(wait_ms) / 1000
        if not granted:
            raise RateLimitedError(
                f"Shared rate budget reached: at most {self.per_minute} Cal.com requests per minute per "
                "credential, counted over every replica of this server (Cal locks keys that go over).",
                retry_after=wait,
            )
        return member, wait

    async def release(self, credential: str, member: str) -> None:
        """Give back a place that will not be used (the caller was cancelled while waiting for it)."""
        try:
            await self.target.client().zrem(self.target.key("budget", credential), member)
        except redis_errors():
            pass  # the place then simply goes unused: conservative, never over the limit

    async def acquire(self, credential: str) -> None:
        if self.per_minute <= 0:
            return
        member, wait = await self.reserve(credential)
        if wait > 0:
            try:
                await anyio.sleep(wait)
            except BaseException:
                with anyio.CancelScope(shield=True):
                    await self.release(credential, member)
                raise

    async def aclose(self) -> None:
        await self.target.aclose()
