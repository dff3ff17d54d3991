"""A token bucket per credential, so the server itself stays inside Cal's 120 requests/min per key.

Going over Cal's limit gets a key locked for a while; waiting a little here is cheaper. A call waits
inside the budget up to ``max_wait`` seconds; past that it is refused with the time to retry.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable

import anyio

from cal_mcp.errors import RateLimitedError

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class TokenBucket:
    def __init__(self, per_minute: int, clock: Clock = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.tokens = self.capacity
        self.clock = clock
        self.updated = clock()

    def _refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def reserve(self) -> float:
        """Take one token now or in the future; return how long to wait for it."""
        now = self.clock()
        self._refill(now)
        self.tokens -= 1.0
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def give_back(self) -> None:
        self.tokens = min(self.capacity, self.tokens + 1.0)


class RateBudget:
    """One bucket per credential; ``per_minute == 0`` turns the budget off.

    ``clock`` and ``sleep`` are injectable so tests can drive time instead of waiting on it (and a
    loaded machine cannot make them flaky); production uses the monotonic clock and ``anyio.sleep``.
    """

    def __init__(
        self, per_minute: int, max_wait: float, *, clock: Clock = time.monotonic, sleep: Sleep = anyio.sleep
    ) -> None:
        self.per_minute = per_minute
        self.max_wait = max_wait
        self.clock = clock
        self.sleep = sleep
        self._buckets: dict[str, TokenBucket] = {}

    async def acquire(self, credential: str) -> None:
        if self.per_minute <= 0:
            return
        # Keyed by a digest so the secret itself is not kept as a dictionary key.
        key = hashlib.sha256(credential.encode()).hexdigest()[:16]
        bucket = self._buckets.setdefault(key, TokenBucket(self.per_minute, self.clock))
        wait = bucket.reserve()
        if wait > self.max_wait:
            bucket.give_back()
            raise RateLimitedError(
                f"Local rate budget reached: at most {self.per_minute} Cal.com requests per minute per "
                "API key (Cal locks keys that go over).",
                retry_after=wait,
            )
        if wait > 0:
            await self.sleep(wait)
