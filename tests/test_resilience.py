"""Cal misbehaving: retries that cannot duplicate a write, the rate budget, timeouts, garbage answers.

Most tests run ``CalMcpApp.call_tool`` against ``FakeUpstream`` over real loopback HTTP, so the
timeouts, dropped connections and streamed bodies are the real thing; a few use
``httpx.MockTransport`` where only counting matters. Timeouts are kept to fractions of a second.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
import httpx
import pytest

from cal_mcp.app import CalMcpApp
from cal_mcp.cal_client import backoff_delay, retry_after_seconds
from cal_mcp.config import Settings
from cal_mcp.errors import RateLimitedError
from cal_mcp.rate_budget import RateBudget
from cal_mcp.registry import Registry, load_registry
from tests.fake_clock import FakeClock
from tests.fake_upstream import (
    Delay,
    Drop,
    DropMidBody,
    FakeUpstream,
    Hang,
    Huge,
    cal_error,
    error_status,
    html_page,
    json_reply,
    raw_reply,
)

REGISTRY: Registry = load_registry()
BOOK = "CAL_POST_NEW_BOOKING_REQUEST"
BOOKING_ARGS: dict[str, Any] = {
    "start": "2026-12-01T09:00:00Z",
    "attendee": {"name": "Ada Lovelace", "email": "ada@example.com", "timeZone": "Europe/London"},
    "eventTypeId": 42,
}
BOOKED = json_reply(201, {"status": "success", "data": {"id": 1, "uid": "bk_1", "status": "accepted"}})
# One tool per idempotent method, with arguments and the path it calls.
IDEMPOTENT_CALLS = [
    ("GET", "CAL_RETRIEVE_MY_INFORMATION", {}, "/v2/me"),
    ("PATCH", "CAL_UPDATE_SCHEDULE_BY_ID", {"scheduleId": 7, "name": "Work"}, "/v2/schedules/7"),
    ("DELETE", "CAL_DELETE_WEBHOOK_BY_ID", {"webhookId": "wh1"}, "/v2/webhooks/wh1"),
    ("PUT", "CAL_UPDATE_DESTINATION_CALENDAR_INTEGRATION",
     {"integration": "google_calendar", "externalId": "primary"}, "/v2/destination-calendars"),
]


def settings(base_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "api_key": "cal_test_key_123",
        "oauth_client_id": "client-1",
        "oauth_client_secret": "oauth_secret_456",
        "base_url": base_url,
        "rate_limit_per_minute": 0,
        "sandbox": False,
        "timeout": 3.0,
        "connect_timeout": 1.0,
        "read_timeout": 1.0,
        "max_retries": 2,
    }
    values.update(overrides)
    return Settings(**values)


AppFactory = Callable[..., CalMcpApp]


@pytest.fixture
async def new_app() -> AsyncIterator[AppFactory]:
    """Builds apps and closes every one at teardown, even when the test failed half-way."""
    created: list[CalMcpApp] = []

    def make(base_url: str, transport: httpx.AsyncBaseTransport | None = None, **overrides: Any) -> CalMcpApp:
        app = CalMcpApp(settings(base_url, **overrides), REGISTRY, transport=transport)
        created.append(app)
        return app

    yield make
    for app in created:
        await app.aclose()


def drive_time(app: CalMcpApp) -> FakeClock:
    """Give the app's retry policy and rate budget a hand-driven clock: waits are recorded, not slept."""
    clock = FakeClock()
    client = app.client()
    client.clock, client.sleep = clock, clock.sleep
    client.budget = RateBudget(client.budget.per_minute, client.budget.max_wait, clock=clock, sleep=clock.sleep)
    return clock


def error_of(result: Any) -> dict[str, Any]:
    assert result.is_error, result
    error: dict[str, Any] = result.structured_content["error"]
    return error


def text_of(result: Any) -> str:
    return "".join(block.text for block in result.content)


# -- 1. retries only where a repeat cannot duplicate an effect -----------------------------------


async def test_a_booking_cal_accepted_then_answered_503_is_not_resent_and_is_reported_as_outcome_unknown(
    cal: FakeUpstream, new_app: AppFactory
) -> None:
    cal.program(error_status(503), method="POST", path="/v2/bookings")
    app = new_app(cal.url)
    result = await app.call_tool(BOOK, BOOKING_ARGS)

    assert len(cal.requests_to("POST", "/v2/bookings")) == 1  # exactly one booking reached Cal
    error = error_of(result)
    assert error["kind"] == "outcome_unknown"
    assert "CAL_FETCH_ALL_BOOKINGS" in error["hint"]
    assert "Do not repeat" in error["hint"]
    assert "CAL_FETCH_ALL_BOOKINGS" in text_of(result)


@pytest.mark.parametrize(
    ("total_s", "read_s"),
    [pytest.param(3.0, 0.3, id="read-timeout"), pytest.param(0.4, 5.0, id="total-timeout")],
)
async def test_a_booking_cal_accepted_and_never_answered_is_sent_once_and_reported_as_outcome_unknown(
    cal: FakeUpstream, new_app: AppFactory, total_s: float, read_s: float
) -> None:
    cal.program(Hang(), method="POST", path="/v2/bookings")
    app = new_app(cal.url, timeout=total_s, read_timeout=read_s)
    with anyio.fail_after(5):
        result = await app.call_tool(BOOK, BOOKING_ARGS)

    assert len(cal.requests_to("POST", "/v2/bookings")) == 1
    error = error_of(result)
    assert error["kind"] == "outcome_unknown"
    assert "CAL_FETCH_ALL_BOOKINGS" in error["hint"]


async def test_a_booking_whose_connection_drops_after_sending_is_not_resent(
    cal: FakeUpstream, new_app: AppFactory,
) -> None:
    cal.program(Drop(), method="POST", path="/v2/bookings")
    app = new_app(cal.url)
    result = await app.call_tool(BOOK, BOOKING_ARGS)

    assert len(cal.requests_to("POST", "/v2/bookings")) == 1
    assert error_of(result)["kind"] == "outcome_unknown"


async def test_a_booking_is_sent_again_when_the_connection_failed_before_a_byte_left(
    new_app: AppFactory,
) -> None:
    attempts: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        if len(attempts) == 1:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(201, json={"status": "success", "data": {"uid": "bk_1"}})

    app = new_app("http://cal.test", httpx.MockTransport(handler))
    result = await app.call_tool(BOOK, BOOKING_ARGS)

    assert not result.is_error, text_of(result)
    assert result.structured_content == {"data": {"uid": "bk_1"}}
    assert len(attempts) == 2


async def test_a_booking_to_a_port_nobody_listens_on_ends_unreachable_not_outcome_unknown(
    new_app: AppFactory,
) -> None:
    with socket.socket() as probe:  # a free port, then closed: connecting is refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = new_app(f"http://127.0.0.1:{port}")
    result = await app.call_tool(BOOK, BOOKING_ARGS)
    assert error_of(result)["kind"] == "unreachable"


@pytest.mark.parametrize(("method", "tool", "args", "path"), IDEMPOTENT_CALLS, ids=[c[0] for c in IDEMPOTENT_CALLS])
@pytest.mark.parametrize("code", [429, 502, 503, 504])
async def test_an_idempotent_call_is_retried_after_a_transient_status(
    cal: FakeUpstream, new_app: AppFactory, method: str, tool: str, args: dict[str, Any], path: str, code: int
) -> None:
    cal.program(error_status(code, [("Retry-After", "0")]), json_reply(200, {"status": "success", "data": {"ok": 1}}),
                method=method, path=path)
    app = new_app(cal.url)
    result = await app.call_tool(tool, args)

    assert not result.is_error, text_of(result)
    assert result.structured_content["data"] == {"ok": 1}
    assert len(cal.requests_to(method, path)) == 2


async def test_an_idempotent_call_is_retried_after_a_read_timeout(
    cal: FakeUpstream, new_app: AppFactory,
) -> None:
    cal.program(Hang(), json_reply(200, {"status": "success", "data": {"id": 1}}), method="GET", path="/v2/me")
    app = new_app(cal.url, read_timeout=0.2)
    result = await app.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})

    assert not result.is_error, text_of(result)
    assert len(cal.requests_to("GET", "/v2/me")) == 2


async def test_a_post_answered_429_is_not_resent(cal: FakeUpstream, new_app: AppFactory) -> None:
    cal.program(error_status(429, [("Retry-After", "0")]), method="POST", path="/v2/bookings")
    app = new_app(cal.url)
    result = await app.call_tool(BOOK, BOOKING_ARGS)

    assert len(cal.requests_to("POST", "/v2/bookings")) == 1
    assert error_of(result)["kind"] == "rate_limited"


async def test_retry_after_is_waited_for_before_the_retry(cal: FakeUpstream, new_app: AppFactory) -> None:
    cal.program(error_status(503, [("Retry-After", "1")]), json_reply(), method="GET", path="/v2/me")
    app = new_app(cal.url)
    clock = drive_time(app)
    result = await app.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})

    assert not result.is_error
    assert len(cal.requests_to("GET", "/v2/me")) == 2
    # Cal's Retry-After, not the backoff (which would wait at most 0.25 s before the first retry).
    assert clock.sleeps == [1.0]


@pytest.mark.parametrize("code", [429, 503])
async def test_a_retry_after_beyond_the_deadline_is_returned_at_once_instead_of_waited_for(
    cal: FakeUpstream, new_app: AppFactory, code: int
) -> None:
    cal.program(error_status(code, [("Retry-After", "120")]), method="GET", path="/v2/me")
    app = new_app(cal.url, timeout=3.0)
    clock = drive_time(app)
    result = await app.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})

    assert clock.sleeps == []  # not even part of the 120 s is waited
    assert len(cal.requests_to("GET", "/v2/me")) == 1
    error = error_of(result)
    if code == 429:
        assert error == {**error, "kind": "rate_limited", "retryAfterSeconds": 120}
    else:
        assert error["kind"] == "cal_api_error"
        assert error["status"] == 503


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    future = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    assert 25 <= (retry_after_seconds(future) or 0) <= 31


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    for attempt in range(8):
        samples = [backoff_delay(attempt) for _ in range(200)]
        ceiling = min(4.0, 0.25 * 2**attempt)
        assert all(0.5 * ceiling <= s <= ceiling for s in samples)
        assert len(set(samples)) > 150  # jittered, not a fixed schedule
    assert max(backoff_delay(20) for _ in range(50)) <= 4.0


async def test_retries_of_an_idempotent_call_back_off_exponentially_and_then_stop(
    cal: FakeUpstream, new_app: AppFactory,
) -> None:
    cal.program(error_status(503), method="GET", path="/v2/me")
    app = new_app(cal.url, max_retries=2)
    clock = drive_time(app)
    result = await app.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})

    error = error_of(result)
    assert (error["kind"], error["status"]) == ("cal_api_error", 503)
    assert len(cal.requests_to("GET", "/v2/me")) == 3
    gap1, gap2 = clock.sleeps  # no wait after the last attempt
    assert 0.125 <= gap1 <= 0.25
    assert 0.25 <= gap2 <= 0.5


async def test_a_backoff_that_would_end_past_the_deadline_is_not_started(
    cal: FakeUpstream, new_app: AppFactory,
) -> None:
    cal.program(error_status(503), method="GET", path="/v2/me")
    app = new_app(cal.url, max_retries=5, timeout=3.0)
    clock = drive_time(app)  # the deadline is fixed when the call starts: now + 3 s
    real_sleep = clock.sleep

    async def slow_sleep(seconds: float) -> None:
        await real_sleep(seconds)
        clock.advance(1.4)  # each wait also sees 1.4 s of Cal's slowness pass

    app.client().sleep = slow_sleep
    result = await app.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})

    assert error_of(result)["status"] == 503
    # Two waits bring the clock within a backoff of the deadline: the third retry is not begun.
    assert len(clock.sleeps) == 2
    assert len(cal.requests_to("GET", "/v2/me")) == 3


async def test_retries_stop_at_the_total_deadline(cal: FakeUpstream, new_app: AppFactory) -> None:
    cal.program(Hang(), method="GET", path="/v2/me")
    app = new_app(cal.url, timeout=0.7, read_timeout=0.2, max_retries=10)
    result = await app.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})

    assert error_of(result)["kind"] == "unreachable"
    # Eleven attempts would need at least 11 × 0.2 s of read timeouts: the 0.7 s deadline ended it first
    # (a bound on how many, not on how fast this machine is).
    assert 1 <= len(cal.requests_to("GET", "/v2/me")) < 11


# -- 2. the rate budget per credential -----------------------------------------------------------


async def test_past_the_rate_budget_a_call_is_refused_without_reaching_cal(
    cal: FakeUpstream, new_app: AppFactory,
) -> None:
    app = new_app(cal.url, rate_limit_per_minute=2, rate_limit_max_wait=0)
    drive_time(app)
    first = await app.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})
    second = await app.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})
    third = await app.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})

    assert not first.is_error and not second.is_error
    error = error_of(third)
    assert error["kind"] == "rate_limited"
    assert error["retryAfterSeconds"] == 61  # 2/min: the next place comes when the first grant's minute (+1 s) ends
    assert len(cal.requests_to("GET", "/v2/me")) == 2

    # The OAuth client secret is another credential, with its own budget.
    oauth = await app.call_tool("CAL_GET_OAUTH_CLIENTS_USER", {})
    assert not oauth.is_error, text_of(oauth)
    assert cal.requests[-1].path == "/v2/oauth-clients/client-1/users"
    assert cal.requests[-1].headers["x-cal-secret-key"] == "oauth_secret_456"


async def test_a_second_server_with_another_api_key_has_its_own_budget(
    cal: FakeUpstream, new_app: AppFactory,
) -> None:
    one = new_app(cal.url, rate_limit_per_minute=1, rate_limit_max_wait=0)
    other = new_app(cal.url, rate_limit_per_minute=1, rate_limit_max_wait=0, api_key="another_key_789")
    assert not (await one.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})).is_error
    assert error_of(await one.call_tool("CAL_RETRIEVE_MY_INFORMATION", {}))["kind"] == "rate_limited"
    assert not (await other.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})).is_error


def counting_app(new_app: AppFactory, **overrides: Any) -> tuple[CalMcpApp, list[float], FakeClock]:
    """An app on a hand-driven clock whose Cal records the (fake) time each request arrives."""
    seen: list[float] = []
    clock = FakeClock()

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(clock())
        return httpx.Response(200, json={"status": "success", "data": {}})

    app = new_app("http://cal.test", httpx.MockTransport(handler), **overrides)
    client = app.client()
    client.clock, client.sleep = clock, clock.sleep
    client.budget = RateBudget(client.budget.per_minute, client.budget.max_wait, clock=clock, sleep=clock.sleep)
    return app, seen, clock


async def test_a_call_past_the_budget_waits_until_the_minute_of_the_first_call_has_passed(
    new_app: AppFactory,
) -> None:
    app, seen, clock = counting_app(new_app, rate_limit_per_minute=120, rate_limit_max_wait=70)
    for _ in range(120):
        assert not (await app.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})).is_error
    assert clock.sleeps == []  # 120 in a burst are within the minute
    clock.advance(20)
    late = await app.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})

    assert not late.is_error
    assert len(seen) == 121
    assert clock.sleeps == [pytest.approx(41.0)]  # the burst's minute (+1 s for the trip to Cal) ends at 61 s
    assert seen[-1] - seen[0] == pytest.approx(61.0)  # and Cal saw it only then: never 121 in one minute


async def test_the_budget_queues_callers_refuses_a_wait_longer_than_allowed_and_frees_places_with_time() -> None:
    clock = FakeClock()
    waits: list[float] = []

    async def wait_without_time_passing(seconds: float) -> None:
        waits.append(seconds)  # as if these callers all arrived at the same instant

    budget = RateBudget(3, max_wait=70.0, clock=clock, sleep=wait_without_time_passing)
    for _ in range(3):
        await budget.acquire("cal_key_a")
    assert waits == []  # three in a burst: within the budget
    clock.advance(10)
    for _ in range(3):
        await budget.acquire("cal_key_a")
    assert waits == [pytest.approx(51.0)] * 3  # queued for the moment the burst's minute ends (61 s)
    await budget.acquire("cal_key_b")  # another credential has its own places
    assert len(waits) == 3

    with pytest.raises(RateLimitedError) as refused:
        await budget.acquire("cal_key_a")  # the next place is at 122 s: a 112 s wait, past max_wait
    assert refused.value.retry_after == pytest.approx(112.0)
    assert len(waits) == 3

    clock.advance(600)  # a quiet spell frees every place, and no more than the budget
    for _ in range(3):
        await budget.acquire("cal_key_a")
    assert len(waits) == 3
    await budget.acquire("cal_key_a")
    assert waits[-1] == pytest.approx(61.0)


async def test_no_minute_ever_holds_more_grants_than_the_budget() -> None:
    clock = FakeClock()
    granted: list[float] = []

    async def sleep(seconds: float) -> None:
        granted.append(clock() + seconds)

    budget = RateBudget(5, max_wait=100.0, clock=clock, sleep=sleep)
    refused = 0
    for step in range(200):  # callers arrive at uneven moments, some in bursts
        clock.advance((step * 7919) % 13 / 2)
        before = len(granted)
        try:
            await budget.acquire("cal_key")
        except RateLimitedError:
            refused += 1  # not sent at all
            continue
        if len(granted) == before:
            granted.append(clock())
    assert refused and len(granted) > 50
    granted.sort()
    for index, start in enumerate(granted):
        inside = bisect.bisect_left(granted, start + 60.0) - index
        assert inside <= 5, (start, inside)


async def test_a_caller_cancelled_while_waiting_gives_its_place_back() -> None:
    clock = FakeClock()

    async def cancelled(seconds: float) -> None:
        raise anyio.get_cancelled_exc_class()

    budget = RateBudget(1, max_wait=100.0, clock=clock, sleep=cancelled)
    await budget.acquire("cal_key")
    with pytest.raises(anyio.get_cancelled_exc_class()):
        await budget.acquire("cal_key")  # granted for 61 s, then cancelled while waiting
    waits: list[float] = []
    budget.sleep = lambda seconds: _record(waits, seconds)
    await budget.acquire("cal_key")
    assert waits == [pytest.approx(61.0)]  # the cancelled caller's place (61 s) went back: not 122 s


async def _record(waits: list[float], seconds: float) -> None:
    waits.append(seconds)


async def test_a_rate_budget_of_zero_is_off(new_app: AppFactory) -> None:
    app, seen, _ = counting_app(new_app, rate_limit_per_minute=0, rate_limit_max_wait=0)
    results = [await app.call_tool("CAL_RETRIEVE_MY_INFORMATION", {}) for _ in range(300)]
    assert not any(r.is_error for r in results)
    assert len(seen) == 300


def test_the_rate_budget_is_configured_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAL_MCP_RATE_LIMIT", "7")
    monkeypatch.setenv("CAL_MCP_RATE_LIMIT_MAX_WAIT", "0.5")
    configured = Settings()
    assert (configured.rate_limit_per_minute, configured.rate_limit_max_wait) == (7, 0.5)
    monkeypatch.delenv("CAL_MCP_RATE_LIMIT")
    assert Settings().effective_rate_limit == 120
    # Unset and pointed at a loopback API (a standalone sandbox), there is no Cal limit to keep.
    assert Settings(base_url="http://127.0.0.1:8787").effective_rate_limit == 0
    assert Settings(base_url="http://127.0.0.1:8787", rate_limit_per_minute=120).effective_rate_limit == 120


# -- 3. timeouts end in a clear error, and the server keeps serving -------------------------------


@pytest.fixture
def unresponsive_port() -> Iterator[int]:
    """A listening socket whose accept queue is full: new connections hang in the handshake."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    yield port
    for filler in fillers:
        filler.close()
    listener.close()


async def test_a_connect_timeout_ends_in_a_clear_error(unresponsive_port: int, new_app: AppFactory) -> None:
    app = new_app(f"http://127.0.0.1:{unresponsive_port}", connect_timeout=0.2, max_retries=1)
    with anyio.fail_after(5):
        result = await app.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})
    error = error_of(result)
    assert error["kind"] == "unreachable"
    assert "connect" in error["message"].lower()


async def test_a_read_timeout_ends_in_a_clear_error_and_the_next_call_succeeds(
    cal: FakeUpstream, new_app: AppFactory,
) -> None:
    cal.program(Hang(), method="GET", path="/v2/me")
    app = new_app(cal.url, read_timeout=0.2, max_retries=1)
    with anyio.fail_after(5):
        result = await app.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})
    error = error_of(result)
    assert error["kind"] == "unreachable"
    assert "did not answer in time" in error["message"]

    cal.program(json_reply(200, {"status": "success", "data": {"id": 5}}), method="GET", path="/v2/me")
    after = await app.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})
    assert after.structured_content["data"] == {"id": 5}


async def test_the_total_timeout_ends_in_a_clear_error_and_the_next_call_succeeds(
    cal: FakeUpstream, new_app: AppFactory,
) -> None:
    cal.program(Delay(3.0), method="GET", path="/v2/me")
    app = new_app(cal.url, timeout=0.4, read_timeout=10)
    with anyio.fail_after(5):
        result = await app.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})
    error = error_of(result)
    assert error["kind"] == "unreachable"
    assert "CAL_MCP_TIMEOUT" in error["message"]

    cal.program(json_reply(), method="GET", path="/v2/me")
    after = await app.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})
    assert not after.is_error


# -- 4. garbage from upstream becomes a clean error; output is capped ----------------------------

GARBAGE = {
    "html-error-page": (html_page(502), {"cal_api_error"}),
    "html-200-page": (raw_reply(200, "<html><body>Maintenance</body></html>", "text/html"), {"bad_response"}),
    "empty-500": (raw_reply(500, b"", None), {"cal_api_error"}),
    "empty-502-json": (raw_reply(502, b"", "application/json"), {"cal_api_error"}),
    "non-json-body": (raw_reply(200, "{not json at all", "application/json"), {"bad_response"}),
    "nan-in-json": (raw_reply(200, '{"status":"success","data":{"x":NaN}}', "application/json"), {"bad_response"}),
    "binary-body": (raw_reply(200, b"\xff\xfe\x00garbage", "application/json"), {"bad_response"}),
    "wrong-content-type": (raw_reply(200, '{"status":"success","data":{}}', "text/plain"), {"bad_response"}),
    "no-content-type": (raw_reply(200, '{"status":"success","data":{}}', None), {"bad_response"}),
    "error-non-json": (raw_reply(400, "Bad Request", "text/plain"), {"cal_api_error"}),
    "huge-declared": (Huge(5_000_000, declare_length=True), {"bad_response"}),
    "huge-chunked": (Huge(5_000_000, declare_length=False), {"bad_response"}),
    "cut-mid-body": (DropMidBody(), {"unreachable"}),
}


@pytest.mark.parametrize("name", list(GARBAGE))
async def test_garbage_from_upstream_becomes_a_clean_error_result(
    cal: FakeUpstream, new_app: AppFactory, name: str,
) -> None:
    reply, kinds = GARBAGE[name]
    cal.program(reply, method="GET", path="/v2/me")
    app = new_app(cal.url, max_retries=0, max_response_bytes=1_000_000)
    with anyio.fail_after(5):
        result = await app.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})
    error = error_of(result)
    text = text_of(result)
    assert error["kind"] in kinds, error
    assert error["message"] and "Next step:" in text
    for leak in ("Traceback", "internal error", "Internal error", 'File "', "Exception"):
        assert leak not in text and leak not in json.dumps(result.structured_content)
    assert len(text) < 2_000

    cal.program(json_reply(), method="GET", path="/v2/me")
    assert not (await app.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})).is_error


async def test_a_huge_list_is_cut_to_the_output_cap_with_a_note_on_paging(
    cal: FakeUpstream, new_app: AppFactory,
) -> None:
    item = {"id": 0, "uid": "u" * 40, "title": "Meeting with a fairly long title " * 3, "status": "accepted"}
    items = [{**item, "id": i} for i in range(26_000)]
    payload = {"status": "success", "data": items, "pagination": {"totalItems": 26_000, "hasNextPage": False}}
    body = json.dumps(payload)
    assert len(body) > 5_000_000
    cal.program(json_reply(200, payload), method="GET", path="/v2/bookings")
    app = new_app(cal.url)
    with anyio.fail_after(10):
        result = await app.call_tool("CAL_FETCH_ALL_BOOKINGS", {})

    assert not result.is_error
    structured = result.structured_content
    assert len(text_of(result).encode()) <= 100_000
    assert len(json.dumps(structured, separators=(",", ":")).encode()) <= 100_000
    assert "truncated" in structured
    assert "take" in structured["truncated"] and "skip" in structured["truncated"]
    shown = structured["data"]
    assert 0 < len(shown) < 26_000
    assert shown[0]["id"] == 0 and shown[-1]["id"] == len(shown) - 1  # a prefix, in order


async def test_the_output_cap_is_configurable(cal: FakeUpstream, new_app: AppFactory) -> None:
    cal.program(json_reply(200, {"status": "success", "data": {"bookings": [{"n": i} for i in range(5_000)]}}),
                method="GET", path="/v2/bookings")
    app = new_app(cal.url, max_output_bytes=5_000)
    result = await app.call_tool("CAL_FETCH_ALL_BOOKINGS", {})
    assert len(text_of(result).encode()) <= 5_000
    assert "truncated" in result.structured_content


async def test_cal_error_details_are_passed_on_cleanly(cal: FakeUpstream, new_app: AppFactory) -> None:
    cal.program(cal_error(404, "Booking not found", "NotFoundException"), method="GET", path="/v2/me")
    app = new_app(cal.url)
    result = await app.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})
    error = error_of(result)
    assert (error["kind"], error["status"], error["code"]) == ("cal_api_error", 404, "NotFoundException")
