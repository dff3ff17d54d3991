"""The in-process rate budget toward Cal: at most N requests per credential in any minute.

Going over Cal's limit gets a key locked for a while; waiting a little here is cheaper. Cal counts each key
in fixed 60 s windows that can start at any moment (``apps/api/v2/src/lib/throttler/throttler-guard.ts`` in
calcom/cal.com), so the only safe promise is "at most N in *any* minute". A token bucket does not keep it:
a full bucket emptied and refilled within one minute sends up to 2N. A log of grant times does, exactly; it
is the same algorithm the shared Redis budget runs for several replicas (``shared_state/redis_budget.py``).

A request is granted at ``t = max(now, (N-th latest grant) + window)``. A call waits for it up to
``max_wait`` seconds; past that it is refused, recording nothing, with the time to retry.
"""

from __future__ import annotations

import bisect
import hashlib
import time
from collections.abc import Awaitable, Callable

import anyio

from cal_mcp.errors import RateLimitedError

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

MINUTE = 60.0
# Seconds added to Cal's minute: the spread, between two requests, of the time from the grant to their
# arrival at Cal (scheduling, the network). Costs a request that waits a second more, rarely.
ARRIVAL_MARGIN = 1.0
WINDOW = MINUTE + ARRIVAL_MARGIN


class GrantLog:
    """One credential's grant times (some may lie a little ahead: granted callers still waiting)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self.grants: list[float] = []

    def next_grant(self, now: float) -> float:
        """The earliest moment at which one more grant keeps every window at ``limit`` or fewer."""
        del self.grants[: bisect.bisect_right(self.grants, now - self.window)]  # can constrain nothing now
        if len(self.grants) < self.limit:
            return now
        return max(now, self.grants[-self.limit] + self.window)

    def record(self, at: float) -> None:
        bisect.insort(self.grants, at)

    def release(self, at: float) -> None:
        index = bisect.bisect_left(self.grants, at)
        if index < len(self.grants) and self.grants[index] == at:
            del self.grants[index]


class RateBudget:
    """One grant log per credential; ``per_minute == 0`` turns the budget off.

    ``clock`` and ``sleep`` are injectable so tests can drive time instead of waiting on it (and a
    loaded machine cannot make them flaky); production uses the monotonic clock and ``anyio.sleep``.
    """

    def __init__(
        self, per_minute: int, max_wait: float, *, clock: Clock = time.monotonic, sleep: Sleep = anyio.sleep,
        window: float = WINDOW,
    ) -> None:
        self.per_minute = per_minute
        self.max_wait = max_wait
        self.clock = clock
        self.sleep = sleep
        self.window = window
        self._logs: dict[str, GrantLog] = {}

    async def acquire(self, credential: str) -> None:
        if self.per_minute <= 0:
            return
        # Keyed by a digest so the secret itself is not kept as a dictionary key.
        key = hashlib.sha256(credential.encode()).hexdigest()[:16]
        grants = self._logs.setdefault(key, GrantLog(self.per_minute, self.window))
        now = self.clock()
        at = grants.next_grant(now)
        wait = at - now
        if wait > self.max_wait:
            raise RateLimitedError(
                f"Local rate budget reached: at most {self.per_minute} Cal.com requests per minute per "
                "API key (Cal locks keys that go over).",
                retry_after=wait,
            )
        grants.record(at)
        if wait > 0:
            try:
                await self.sleep(wait)
            except BaseException:
                grants.release(at)  # cancelled while waiting: the place goes back unused
                raise
