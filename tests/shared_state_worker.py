"""A separate process (own interpreter, own event loop) that uses the shared state, for the tests.

    python -m tests.shared_state_worker budget URL GO_KEY TASKS PER_MINUTE MAX_WAIT NOW_MS|-
    python -m tests.shared_state_worker lock URL GO_KEY TASKS LOCK_NAME

Every worker first blocks on ``BLPOP GO_KEY``, so the test releases them all at one moment; then it
runs TASKS concurrent tasks and prints one JSON line with what they got. ``budget``: each task
reserves one request (``NOW_MS`` fixes the clock; ``-`` takes Redis's). ``lock``: each task holds
the lock while it counts itself in and out of a Redis counter, reporting the most it ever saw.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from cal_mcp.errors import RateLimitedError
from cal_mcp.shared_state.redis_budget import RedisRateBudget
from cal_mcp.shared_state.redis_conn import RedisTarget
from cal_mcp.shared_state.redis_locks import RedisLocks


async def _budget(target: RedisTarget, tasks: int, per_minute: int, max_wait: float, now_ms: str) -> list[Any]:
    clock = None if now_ms == "-" else (lambda: int(now_ms) / 1000)
    budget = RedisRateBudget(target, per_minute, max_wait, clock=clock)

    async def one() -> dict[str, Any]:
        try:
            _, wait = await budget.reserve("cal_live_worker_secret")
        except RateLimitedError as exc:
            return {"granted": False, "retry_after": exc.retry_after}
        return {"granted": True, "wait": wait}

    return list(await asyncio.gather(*(one() for _ in range(tasks))))


async def _lock(target: RedisTarget, tasks: int, name: str) -> list[Any]:
    locks = RedisLocks(target, ttl=30, wait=60)
    redis = target.client()

    async def one() -> int:
        async with locks.hold(name):
            inside = int(await redis.incr("test:inside"))
            await asyncio.sleep(0.002)
            await redis.incr("test:done")
            await redis.decr("test:inside")
            return inside

    return list(await asyncio.gather(*(one() for _ in range(tasks))))


async def main(argv: list[str]) -> None:
    mode, url, go_key, tasks = argv[0], argv[1], argv[2], int(argv[3])
    target = RedisTarget(url)
    await target.client().blpop([go_key], timeout=60)
    if mode == "budget":
        result = await _budget(target, tasks, int(argv[4]), float(argv[5]), argv[6])
    else:
        result = await _lock(target, tasks, argv[4])
    await target.aclose()
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
