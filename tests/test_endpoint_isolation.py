"""One slow Cal endpoint must not starve the others (issue 13, item 6).

Against ``FakeUpstream`` over real loopback HTTP: calls piling up on a hanging endpoint take at
most ``ENDPOINT_CONCURRENCY`` connections (the rest are refused as saturated, unsent), a call to a
healthy endpoint meanwhile goes through, and timed-out requests are not retried onto an endpoint
that has just timed out. No assertion is about speed; timeouts are short only to keep tests quick.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest

from cal_mcp.app import CalMcpApp
from cal_mcp.cal_client import (
    ENDPOINT_CONCURRENCY,
    POOL_CONNECTIONS,
    TIMEOUT_QUIET_WINDOW,
    EndpointGuard,
)
from cal_mcp.errors import EndpointSaturatedError
from tests.fake_upstream import FakeUpstream, Hang, json_reply
from tests.test_resilience import REGISTRY, error_of, settings, text_of

ME = ("CAL_RETRIEVE_MY_INFORMATION", "/v2/me")
TEAMS = ("CAL_GET_TEAMS_LIST", "/v2/teams")
HUNG_CALLS = 110  # the figure: more calls than the pool has connections


@pytest.fixture
async def apps() -> AsyncIterator[list[CalMcpApp]]:
    created: list[CalMcpApp] = []
    yield created
    for app in created:
        await app.aclose()


def make_app(created: list[CalMcpApp], base_url: str, guard: EndpointGuard | None = None,
             **overrides: Any) -> CalMcpApp:
    app = CalMcpApp(settings(base_url, **overrides), REGISTRY)
    created.append(app)
    if guard is not None:
        app.client().endpoints = guard
    return app


async def wait_for_requests(cal: FakeUpstream, path: str, count: int) -> None:
    with anyio.fail_after(10):
        while len(cal.requests_to("GET", path)) < count:  # noqa: ASYNC110 (the fake records in its own thread)
            await anyio.sleep(0.01)


def test_one_endpoint_can_never_take_the_whole_pool() -> None:
    assert 0 < ENDPOINT_CONCURRENCY < POOL_CONNECTIONS
    assert EndpointGuard().limit == ENDPOINT_CONCURRENCY


async def test_a_healthy_endpoint_answers_while_many_calls_hang_on_another(
    cal: FakeUpstream, apps: list[CalMcpApp]
) -> None:
    tool, path = ME
    cal.program(Hang(), method="GET", path=path)
    cal.program(json_reply(200, {"status": "success", "data": [{"id": 3}]}), method="GET", path=TEAMS[1])
    # The hung calls hold their connections (read_timeout) longer than a call starved of
    # connections would keep trying (three pool waits of connect_timeout, plus backoff): without
    # the per-endpoint limit the healthy call fails, as in the issue; with it, it goes through.
    app = make_app(apps, cal.url, EndpointGuard(slot_wait=0.2), timeout=3.0, read_timeout=2.2,
                   connect_timeout=0.4, max_retries=2)
    results: list[Any] = []

    async def hung_call() -> None:
        results.append(await app.call_tool(tool, {}))

    with anyio.fail_after(20):
        async with anyio.create_task_group() as group:
            for _ in range(HUNG_CALLS):
                group.start_soon(hung_call)
            await wait_for_requests(cal, path, ENDPOINT_CONCURRENCY)
            assert app.client().endpoints.in_flight(f"GET {path}") == ENDPOINT_CONCURRENCY
            healthy = await app.call_tool(TEAMS[0], {})
            assert not healthy.is_error, text_of(healthy)
            assert healthy.structured_content == {"data": [{"id": 3}]}

    assert len(results) == HUNG_CALLS
    kinds = [error_of(r)["kind"] for r in results]
    assert kinds.count("unreachable") == ENDPOINT_CONCURRENCY
    assert kinds.count("endpoint_saturated") == HUNG_CALLS - ENDPOINT_CONCURRENCY
    saturated = next(error_of(r) for r in results if error_of(r)["kind"] == "endpoint_saturated")
    assert saturated["endpoint"] == f"GET {path}"
    assert "saturated" in saturated["message"] and "not sent" in saturated["message"]
    assert saturated["retryAfterSeconds"] >= 1 and "Wait" in saturated["hint"]
    # Only the calls holding a slot reached Cal, and their timeouts were not retried into more
    # requests (at most the first timeout, before the endpoint was known to hang, was retried).
    sent = len(cal.requests_to("GET", path))
    assert ENDPOINT_CONCURRENCY <= sent <= ENDPOINT_CONCURRENCY + 1
    assert len(cal.requests_to("GET", TEAMS[1])) == 1
    assert app.client().endpoints.in_flight(f"GET {path}") == 0

    # Once it answers again, the endpoint serves as before.
    cal.program(json_reply(200, {"status": "success", "data": {"id": 5}}), method="GET", path=path)
    after = await app.call_tool(tool, {})
    assert after.structured_content["data"] == {"id": 5}


async def test_a_timed_out_request_is_not_retried_while_its_endpoint_timed_out_recently(
    cal: FakeUpstream, apps: list[CalMcpApp]
) -> None:
    now = [1000.0]
    tool, path = ME
    cal.program(Hang(), method="GET", path=path)
    app = make_app(apps, cal.url, EndpointGuard(clock=lambda: now[0]), timeout=5.0, read_timeout=0.2,
                   max_retries=3)

    # The first timeout is retried (a one-off loss); the second, moments later, is not.
    first = error_of(await app.call_tool(tool, {}))
    assert first["kind"] == "unreachable"
    assert "did not answer in time" in first["message"] and "not retried" in first["message"]
    assert "Try again" in first["hint"]
    assert len(cal.requests_to("GET", path)) == 2

    # Still within the quiet window: one request, no retry.
    now[0] += TIMEOUT_QUIET_WINDOW / 2
    assert error_of(await app.call_tool(tool, {}))["kind"] == "unreachable"
    assert len(cal.requests_to("GET", path)) == 3

    # Another endpoint is not held to this one's timeouts: its timeout is retried, and succeeds.
    cal.program(Hang(), json_reply(200, {"status": "success", "data": []}), method="GET", path=TEAMS[1])
    other = await app.call_tool(TEAMS[0], {})
    assert not other.is_error, text_of(other)
    assert len(cal.requests_to("GET", TEAMS[1])) == 2

    # Past the window, a timeout counts as a one-off again and is retried once.
    now[0] += TIMEOUT_QUIET_WINDOW + 1
    assert error_of(await app.call_tool(tool, {}))["kind"] == "unreachable"
    assert len(cal.requests_to("GET", path)) == 5


async def test_the_guard_refuses_a_call_over_its_endpoints_limit_and_forgets_idle_endpoints() -> None:
    guard = EndpointGuard(limit=2, slot_wait=0.05)
    release, both_in = anyio.Event(), anyio.Event()
    entered = 0

    async def hold() -> None:
        nonlocal entered
        async with guard.slot("GET /v2/me", retry_after=5):
            entered += 1
            if entered == 2:
                both_in.set()
            await release.wait()

    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(hold)
            group.start_soon(hold)
            await both_in.wait()
            with pytest.raises(EndpointSaturatedError) as refused:
                async with guard.slot("GET /v2/me", retry_after=5):
                    raise AssertionError("a third call got a slot")
            assert refused.value.kind == "endpoint_saturated"
            assert refused.value.retry_after == 5
            async with guard.slot("GET /v2/teams", retry_after=5):  # another endpoint: unaffected
                assert guard.in_flight("GET /v2/teams") == 1
            assert guard.in_flight("GET /v2/me") == 2
            release.set()
    assert guard.in_flight("GET /v2/me") == 0
    assert not guard._slots and not guard._users


def test_the_timeout_memory_allows_one_retry_per_quiet_window() -> None:
    now = [0.0]
    guard = EndpointGuard(quiet=10, clock=lambda: now[0])
    assert guard.timed_out("GET /v2/me")
    now[0] = 9.9
    assert not guard.timed_out("GET /v2/me")
    assert guard.timed_out("GET /v2/teams")
    now[0] = 20.0
    assert guard.timed_out("GET /v2/me")
