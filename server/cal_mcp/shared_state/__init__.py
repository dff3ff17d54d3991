"""State that several cal-mcp processes (replicas behind a load balancer) must share.

Without ``CAL_MCP_REDIS_URL`` everything stays in the process (``rate_budget.RateBudget``), as a
single server needs. With it, the rate budget toward Cal lives in Redis (``redis_budget``), so N
replicas sharing one Cal credential together stay inside that credential's limit, and
``redis_locks.RedisLocks`` offers a single-flight lock across replicas (for refreshing a user's
Cal token once, not once per replica). ``redis`` is imported only when a URL is configured.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from cal_mcp.config import Settings
    from cal_mcp.shared_state.redis_locks import RedisLocks


log = logging.getLogger("cal_mcp.shared_state")


class Budget(Protocol):
    """What ``CalClient`` needs from a rate budget: wait for room to send one request, or refuse."""

    async def acquire(self, credential: str) -> None: ...


def rate_budget_for(settings: Settings) -> Budget:
    """The in-process budget by default; the Redis one when ``CAL_MCP_REDIS_URL`` is set."""
    from cal_mcp.rate_budget import RateBudget

    per_minute, max_wait = settings.effective_rate_limit, settings.rate_limit_max_wait
    if settings.redis_url is None or per_minute <= 0:
        return RateBudget(per_minute, max_wait)
    from cal_mcp.shared_state.redis_budget import RedisRateBudget
    from cal_mcp.shared_state.redis_conn import RedisTarget

    target = RedisTarget.from_settings(settings)
    log.info("rate budget toward Cal: %d requests a minute per credential, shared by every replica in Redis at %s",
             per_minute, target.where)
    return RedisRateBudget(target, per_minute, max_wait)


def locks_for(settings: Settings) -> RedisLocks | None:
    """A Redis single-flight lock when ``CAL_MCP_REDIS_URL`` is set; ``None``: use an in-process one."""
    if settings.redis_url is None:
        return None
    from cal_mcp.shared_state.redis_conn import RedisTarget
    from cal_mcp.shared_state.redis_locks import RedisLocks

    return RedisLocks(RedisTarget.from_settings(settings))
