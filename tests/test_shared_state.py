"""The state replicas share in Redis: the rate budget toward Cal and the single-flight lock.

Against a real redis-server started for this module (tests/stores.py). Concurrency is real: several
worker processes, each with its own event loop and many tasks, released at one moment. Time is
injected where the outcome depends on it (the budget takes ``now`` from the caller instead of
Redis's clock), so every assertion is about counts and limits, never about how fast a run went.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from pydantic import SecretStr

from cal_mcp.app import CalMcpApp
from cal_mcp.config import Settings
from cal_mcp.errors import RateLimitedError
from cal_mcp.rate_budget import MINUTE, RateBudget
from cal_mcp.registry import Registry
from cal_mcp.shared_state import locks_for, rate_budget_for
from cal_mcp.shared_state.redis_budget import RedisRateBudget
from cal_mcp.shared_state.redis_conn import RedisTarget, SharedStateUnavailableError
from cal_mcp.shared_state.redis_locks import LockTimeoutError, RedisLocks
from tests.conftest import free_port
from tests.fake_upstream import FakeUpstream
from tests.stores import running_redis, start_redis, stop

REPO = Path(__file__).resolve().parents[1]
SECRET = "cal_live_worker_secret"  # the credential the workers use
T0 = 1_900_000_000.0  # an injected "now", in seconds


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with running_redis() as url:
        yield url


@pytest.fixture
async def target(redis_url: str) -> AsyncIterator[RedisTarget]:
    target = RedisTarget(redis_url)
    await target.client().flushdb()
    yield target
    await target.aclose()


def fixed(now: float) -> Any:
    return lambda: now


def _spawn(count: int, mode: str, url: str, go: str, *args: str) -> list[subprocess.Popen[bytes]]:
    command = [sys.executable, "-m", "tests.shared_state_worker", mode, url, go, *args]
    return [subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(count)]


async def _run_workers(target: RedisTarget, count: int, *args: str) -> list[Any]:
    """Start ``count`` worker processes, release them together, return every task's result."""
    go = "test:go"
    procs = _spawn(count, args[0], target.url, go, *args[1:])
    try:
        redis = target.client()
        with anyio.fail_after(60):  # generous: only a hung start-up would take this long
            while int((await redis.info("clients"))["blocked_clients"]) < count:
                for proc in procs:
                    assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                await anyio.sleep(0.05)
        await redis.rpush(go, *["go"] * count)
        results: list[Any] = []
        for proc in procs:
            out, err = await anyio.to_thread.run_sync(proc.communicate)
            assert proc.returncode == 0, err.decode()
            results.extend(json.loads(out))
        return results
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def most_in_any_window(times: list[float], window: float) -> int:
    """The largest number of ``times`` that fit in one half-open interval of length ``window``."""
    ordered = sorted(times)
    most, first = 0, 0
    for last, at in enumerate(ordered):
        while at - ordered[first] >= window:
            first += 1
        most = max(most, last - first + 1)
    return most


# --- the budget ----------------------------------------------------------------------------------


async def test_many_processes_at_one_moment_are_granted_exactly_the_limit(target: RedisTarget) -> None:
    results = await _run_workers(target, 4, "budget", "25", "30", "0", str(int(T0 * 1000)))
    granted = [r for r in results if r["granted"]]
    assert len(results) == 100
    assert len(granted) == 30  # not 30 per process: one budget over all of them
    assert all(r["wait"] == 0 for r in granted)
    refused = [r for r in results if not r["granted"]]
    # Refused with the time until a place frees: one window after the first grants.
    assert {r["retry_after"] for r in refused} == {round(MINUTE + 1)}


async def test_waiting_callers_are_spread_so_no_window_ever_holds_more_than_the_limit(target: RedisTarget) -> None:
    # 60 callers at one moment, 10 a minute, each willing to wait 200 s: four windows' worth fit.
    results = await _run_workers(target, 3, "budget", "20", "10", "200", str(int(T0 * 1000)))
    granted = sorted(T0 + r["wait"] for r in results if r["granted"])
    assert len(granted) == 40
    window = MINUTE + 1
    assert most_in_any_window(granted, window) == 10
    assert [round(at - T0) for at in granted[::10]] == [0, 61, 122, 183]
    assert all(r["retry_after"] == 244 for r in results if not r["granted"])


async def test_the_window_slides_with_time(target: RedisTarget) -> None:
    async def granted_at(now: float, tries: int) -> int:
        budget = RedisRateBudget(target, 5, 0, clock=fixed(now))
        count = 0
        for _ in range(tries):
            try:
                await budget.reserve(SECRET)
                count += 1
            except RateLimitedError:
                pass
        return count

    assert await granted_at(T0, 8) == 5
    assert await granted_at(T0 + 30, 8) == 0  # still the same minute
    assert await granted_at(T0 + 60.9, 8) == 0  # Cal's minute plus the arrival margin is not over yet
    assert await granted_at(T0 + 61, 8) == 5  # the first five have left the window


async def test_redis_clock_without_injection_still_grants_exactly_the_limit(target: RedisTarget) -> None:
    # Redis's TIME for every process; all of this happens well inside one 61 s window.
    results = await _run_workers(target, 3, "budget", "20", "20", "0", "-")
    assert sum(r["granted"] for r in results) == 20


async def test_a_caller_cancelled_while_waiting_gives_its_place_back(target: RedisTarget) -> None:
    budget = RedisRateBudget(target, 1, 1000, clock=fixed(T0))
    await budget.acquire(SECRET)  # the only place this minute, no wait
    with anyio.move_on_after(0.05):
        await budget.acquire(SECRET)  # granted for T0 + 61 s, then cancelled while it sleeps
        pytest.fail("the second caller should still be waiting")
    later = RedisRateBudget(target, 1, 0, clock=fixed(T0 + 61))
    _, wait = await later.reserve(SECRET)  # the cancelled caller's place at T0 + 61 is free again
    assert wait == 0


async def test_the_credential_is_never_a_redis_key_or_value(target: RedisTarget) -> None:
    budget = RedisRateBudget(target, 5, 0, clock=fixed(T0))
    await budget.reserve(SECRET)
    redis = target.client()
    keys = [key.decode() for key in await redis.keys("*")]
    assert len(keys) == 1 and keys[0].startswith("cal-mcp:budget:")
    assert SECRET not in keys[0]
    members = await redis.zrange(keys[0], 0, -1)
    assert all(SECRET.encode() not in member for member in members)


async def test_unreachable_redis_fails_closed_naming_the_host_but_not_the_password() -> None:
    port = free_port()  # nothing listens there
    budget = RedisRateBudget(RedisTarget(f"redis://:hunter2-password@127.0.0.1:{port}/3"), 5, 0)
    with pytest.raises(SharedStateUnavailableError) as caught:
        await budget.acquire(SECRET)
    error = caught.value
    assert f"127.0.0.1:{port}/3" in error.message and "CAL_MCP_REDIS_URL" in error.hint
    assert "hunter2" not in error.message + error.hint
    assert error.to_result().structured_content == {"error": {
        "kind": "shared_state_unavailable", "message": error.message, "hint": error.hint}}
    await budget.aclose()


async def test_calls_fail_closed_while_redis_is_down_and_work_again_once_it_is_back(tmp_path: Path) -> None:
    port = free_port()
    redis = await anyio.to_thread.run_sync(start_redis, port, tmp_path)
    budget = RedisRateBudget(RedisTarget(f"redis://127.0.0.1:{port}/0"), 100, 0, clock=fixed(T0))
    try:
        await budget.acquire(SECRET)
        await anyio.to_thread.run_sync(stop, redis)  # Redis goes away under a running server
        with pytest.raises(SharedStateUnavailableError):
            await budget.acquire(SECRET)
        redis = await anyio.to_thread.run_sync(start_redis, port, tmp_path)  # and comes back (empty)
        await budget.acquire(SECRET)  # the same budget object reconnects: no restart of cal-mcp needed
    finally:
        await budget.aclose()
        await anyio.to_thread.run_sync(stop, redis)


def test_without_a_redis_url_the_in_process_budget_stays_the_default() -> None:
    base = {"CAL_API_KEY": SECRET, "CAL_MCP_RATE_LIMIT": 120}
    assert isinstance(rate_budget_for(Settings(**base)), RateBudget)  # type: ignore[arg-type]
    assert locks_for(Settings(**base)) is None  # type: ignore[arg-type]
    shared = Settings(**base, CAL_MCP_REDIS_URL="redis://127.0.0.1:1/0")  # type: ignore[arg-type]
    assert isinstance(rate_budget_for(shared), RedisRateBudget)
    assert isinstance(locks_for(shared), RedisLocks)
    # A budget switched off needs no Redis at all.
    off = Settings(**{**base, "CAL_MCP_RATE_LIMIT": 0}, CAL_MCP_REDIS_URL="redis://127.0.0.1:1/0")  # type: ignore[arg-type]
    assert isinstance(rate_budget_for(off), RateBudget)


def test_a_redis_url_of_another_scheme_is_refused_at_start_without_quoting_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cal_mcp.cli import main

    monkeypatch.setenv("CAL_MCP_REDIS_URL", "http://user:s3cret@redis:6379")
    assert main(["--transport", "http"]) == 2
    err = capsys.readouterr().err
    assert "CAL_MCP_REDIS_URL must start with redis://" in err
    assert "s3cret" not in err


def test_the_redis_password_is_among_the_secrets_masked_in_logs() -> None:
    settings = Settings(CAL_MCP_REDIS_URL="redis://default:pa55-w0rd-xyz@redis:6379/0")  # type: ignore[call-arg]
    assert "pa55-w0rd-xyz" in settings.secret_values()


# --- through the Cal client: replicas share one budget ------------------------------------------------


def _app(registry: Registry, cal: FakeUpstream, redis_url: str, per_minute: int) -> CalMcpApp:
    settings = Settings(
        api_key=SecretStr(SECRET), base_url=cal.url, rate_limit_per_minute=per_minute, rate_limit_max_wait=0,
        redis_url=SecretStr(redis_url),
    )
    return CalMcpApp(settings, registry)


async def test_two_servers_sharing_redis_send_cal_no_more_than_one_budget(
    target: RedisTarget, registry: Registry, cal: FakeUpstream, redis_url: str
) -> None:
    apps = [_app(registry, cal, redis_url, 3) for _ in range(2)]
    try:
        results = [await apps[i % 2].call_tool("CAL_RETRIEVE_MY_INFORMATION", {}) for i in range(6)]
    finally:
        for app in apps:
            await app.aclose()
    assert len(cal.requests) == 3  # 3 a minute over both servers, not 3 each
    refused = [r for r in results if r.is_error]
    assert len(refused) == 3
    for result in refused:
        error = (result.structured_content or {})["error"]
        assert error["kind"] == "rate_limited" and error["retryAfterSeconds"] >= 60
        assert "every replica" in error["message"]


async def test_a_call_with_redis_down_is_not_sent_to_cal(registry: Registry, cal: FakeUpstream) -> None:
    app = _app(registry, cal, f"redis://127.0.0.1:{free_port()}/0", 120)
    try:
        result = await app.call_tool("CAL_POST_NEW_BOOKING_REQUEST", {
            "start": "2026-12-01T10:00:00Z", "eventTypeId": 1,
            "attendee": {"name": "A", "email": "a@example.com", "timeZone": "UTC"}})
    finally:
        await app.aclose()
    assert result.is_error
    assert (result.structured_content or {})["error"]["kind"] == "shared_state_unavailable"
    assert cal.requests == []


# --- the lock -------------------------------------------------------------------------------------


async def test_one_holder_at_a_time_across_processes(target: RedisTarget) -> None:
    results = await _run_workers(target, 4, "lock", "10", "user:42")
    assert len(results) == 40
    assert max(results) == 1  # nobody ever saw another holder inside
    assert int(await target.client().get("test:done")) == 40


async def test_different_keys_do_not_wait_for_each_other(target: RedisTarget) -> None:
    locks = RedisLocks(target, wait=0.5)
    async with locks.hold("user:1"), locks.hold("user:2"):
        pass  # would raise LockTimeoutError if user:2 waited on user:1


async def test_a_holder_whose_lock_expired_does_not_release_the_next_holders_lock(target: RedisTarget) -> None:
    first, second = RedisLocks(target), RedisLocks(target)
    redis = target.client()
    name = target.key("lock", "user:7")
    async with first.hold("user:7"):
        await redis.delete(name)  # as if it expired while the first holder was still working
        async with second.hold("user:7"):
            token = await redis.get(name)
        assert await redis.get(name) is None  # the second released its own
        async with second.hold("user:7"):
            token = await redis.get(name)
            await first._give_back(name, "not-the-token")
            assert await redis.get(name) == token  # a wrong token deletes nothing


async def test_a_lock_left_by_a_killed_holder_expires(target: RedisTarget) -> None:
    redis = target.client()
    await redis.set(target.key("lock", "user:9"), "a-crashed-replica", px=300)
    locks = RedisLocks(target, wait=30)
    async with locks.hold("user:9"):
        assert await redis.get(target.key("lock", "user:9")) != b"a-crashed-replica"


async def test_a_lock_held_too_long_ends_the_wait_with_a_clear_error(target: RedisTarget) -> None:
    await target.client().set(target.key("lock", "user:5"), "someone-else", px=60_000)
    with pytest.raises(LockTimeoutError, match="held the lock"):
        async with RedisLocks(target, wait=0.2).hold("user:5"):
            pytest.fail("the lock was taken twice")


async def test_an_unreachable_redis_makes_hold_fail_closed() -> None:
    locks = RedisLocks(RedisTarget(f"redis://127.0.0.1:{free_port()}/0"), wait=5)
    with pytest.raises(SharedStateUnavailableError):
        async with locks.hold("user:1"):
            pytest.fail("held a lock without Redis")
    await locks.target.aclose()

