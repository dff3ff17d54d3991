"""Answers Cal sends that cannot be used as they are: a write is never reported as "try again".

After a write Cal may have acted on, an answer that cannot be read (nested too deep, not JSON, too
big, a redirect) leaves the outcome unknown: repeating the call could book twice, so the result
says so and names the tool to check with. Whatever Cal answers, the client gets a tool result,
never a JSON-RPC error: checked through the in-memory ``mcp.Client`` in both eras.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client

from cal_mcp.app import CalMcpApp
from cal_mcp.config import Settings
from cal_mcp.registry import Registry, load_registry
from cal_mcp.results import MAX_JSON_DEPTH
from tests.fake_upstream import FakeUpstream, Huge, Static, cal_error, html_page, json_reply, raw_reply

REGISTRY: Registry = load_registry()
BOOK = "CAL_POST_NEW_BOOKING_REQUEST"
BOOKING_ARGS: dict[str, Any] = {
    "start": "2026-12-01T09:00:00Z",
    "attendee": {"name": "Ada Lovelace", "email": "ada@example.com", "timeZone": "Europe/London"},
    "eventTypeId": 42,
}
MODES = ["auto", "legacy"]


def settings(base_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "api_key": "cal_test_key_123", "base_url": base_url, "rate_limit_per_minute": 0, "sandbox": False,
        "timeout": 3.0, "connect_timeout": 1.0, "read_timeout": 1.0, "max_retries": 2,
        "max_response_bytes": 1_000_000,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
async def app(cal: FakeUpstream) -> AsyncIterator[CalMcpApp]:
    application = CalMcpApp(settings(cal.url), REGISTRY)
    yield application
    await application.aclose()


def nested(depth: int) -> bytes:
    """Cal's success envelope around ``data`` nested ``depth`` objects deep (a booking ID at the bottom)."""
    return b'{"status":"success","data":' + b'{"a":' * depth + b'{"uid":"bk_1"}' + b"}" * depth + b"}"


def deep_reply(depth: int, status: int = 201) -> Static:
    return raw_reply(status, nested(depth), "application/json")


def error_of(result: Any) -> dict[str, Any]:
    assert result.is_error, result
    error: dict[str, Any] = result.structured_content["error"]
    return error


def text_of(result: Any) -> str:
    return "".join(block.text for block in result.content)


def assert_outcome_unknown(result: Any, verify_tool: str = "CAL_FETCH_ALL_BOOKINGS") -> dict[str, Any]:
    error = error_of(result)
    assert error["kind"] == "outcome_unknown", error
    assert verify_tool in error["hint"] and "Do not repeat" in error["hint"]
    assert "try once more" not in text_of(result).lower()
    return error


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 300, 500, 1_000, 100_000])
async def test_a_booking_answered_with_json_nested_too_deep_is_outcome_unknown_never_a_protocol_error(
    cal: FakeUpstream, app: CalMcpApp, mode: str, depth: int
) -> None:
    cal.program(deep_reply(depth), method="POST", path="/v2/bookings")
    with anyio.fail_after(10):
        async with Client(app.build_server(), mode=mode) as client:  # type: ignore[arg-type]
            result = await client.call_tool(BOOK, BOOKING_ARGS)

    assert len(cal.requests_to("POST", "/v2/bookings")) == 1
    error = assert_outcome_unknown(result)
    assert "nested" in error["message"] and "201" in error["message"]


@pytest.mark.parametrize("mode", MODES)
async def test_an_answer_nested_just_within_the_limit_is_a_success(
    cal: FakeUpstream, app: CalMcpApp, mode: str
) -> None:
    cal.program(deep_reply(MAX_JSON_DEPTH - 3), method="POST", path="/v2/bookings")
    async with Client(app.build_server(), mode=mode) as client:  # type: ignore[arg-type]
        result = await client.call_tool(BOOK, BOOKING_ARGS)
    assert not result.is_error, text_of(result)
    assert '"uid":"bk_1"' in text_of(result)


@pytest.mark.parametrize("depth", [300, 1_000, 100_000])
async def test_a_read_answered_with_json_nested_too_deep_is_a_bad_response(
    cal: FakeUpstream, app: CalMcpApp, depth: int
) -> None:
    cal.program(deep_reply(depth, status=200), method="GET", path="/v2/me")
    result = await app.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})
    assert error_of(result)["kind"] == "bad_response"


@pytest.mark.parametrize("mode", MODES)
async def test_an_error_answer_nested_too_deep_is_still_cals_refusal_as_a_result(
    cal: FakeUpstream, app: CalMcpApp, mode: str
) -> None:
    details = b"[" * 400 + b"]" * 400
    body = b'{"status":"error","error":{"code":"BadRequestException","message":"nope","details":' + details + b"}}"
    cal.program(raw_reply(400, body, "application/json"), method="POST", path="/v2/bookings")
    async with Client(app.build_server(), mode=mode) as client:  # type: ignore[arg-type]
        result = await client.call_tool(BOOK, BOOKING_ARGS)
    error = error_of(result)
    assert (error["kind"], error["status"]) == ("cal_api_error", 400)
    assert "details" not in error


UNUSABLE = {
    "html-200": raw_reply(200, "<html><body>Maintenance</body></html>", "text/html"),
    "not-json": raw_reply(201, "{not json", "application/json"),
    "nan": raw_reply(201, '{"status":"success","data":{"x":NaN}}', "application/json"),
    "no-content-type": raw_reply(201, '{"status":"success","data":{}}', None),
    "huge-declared": Huge(5_000_000, declare_length=True),
    "huge-chunked": Huge(5_000_000, declare_length=False),
    "html-502": html_page(502),
}


@pytest.mark.parametrize("name", list(UNUSABLE))
async def test_every_unusable_answer_to_a_booking_is_outcome_unknown(
    cal: FakeUpstream, app: CalMcpApp, name: str
) -> None:
    cal.program(UNUSABLE[name], method="POST", path="/v2/bookings")
    with anyio.fail_after(10):
        result = await app.call_tool(BOOK, BOOKING_ARGS)
    assert len(cal.requests_to("POST", "/v2/bookings")) == 1
    assert_outcome_unknown(result)


async def test_an_unusable_answer_to_a_patch_names_that_toolsets_listing_tool(
    cal: FakeUpstream, app: CalMcpApp
) -> None:
    cal.program(deep_reply(1_000, status=200), method="PATCH", path="/v2/schedules/7")
    result = await app.call_tool("CAL_UPDATE_SCHEDULE_BY_ID", {"scheduleId": 7, "name": "Work"})
    assert_outcome_unknown(result, "CAL_RETRIEVE_SCHEDULES_LIST")


async def test_cals_refusal_of_a_booking_with_a_non_json_body_is_still_a_refusal(
    cal: FakeUpstream, app: CalMcpApp
) -> None:
    cal.program(raw_reply(400, "Bad Request", "text/plain"), method="POST", path="/v2/bookings")
    result = await app.call_tool(BOOK, BOOKING_ARGS)
    assert error_of(result)["kind"] == "cal_api_error"


@pytest.mark.parametrize("mode", MODES)
async def test_a_lone_surrogate_in_cals_answer_is_replaced_and_the_booking_id_kept(
    cal: FakeUpstream, app: CalMcpApp, mode: str
) -> None:
    body = '{"status":"success","data":{"uid":"bk_1","title":"x\\ud800y","\\udfff":1}}'
    cal.program(raw_reply(201, body, "application/json"), method="POST", path="/v2/bookings")
    async with Client(app.build_server(), mode=mode) as client:  # type: ignore[arg-type]
        result = await client.call_tool(BOOK, BOOKING_ARGS)
    assert not result.is_error, text_of(result)
    assert json.loads(text_of(result)) == {"data": {"uid": "bk_1", "title": "x\ufffdy", "\ufffd": 1}}


async def test_a_paired_surrogate_escape_is_kept_as_the_character_it_encodes(
    cal: FakeUpstream, app: CalMcpApp
) -> None:
    cal.program(raw_reply(201, '{"status":"success","data":{"title":"\\ud83d\\ude00"}}', "application/json"),
                method="POST", path="/v2/bookings")
    result = await app.call_tool(BOOK, BOOKING_ARGS)
    assert result.structured_content == {"data": {"title": "\U0001f600"}}


async def test_an_internal_error_after_a_write_was_sent_does_not_advise_trying_again() -> None:
    sent: list[httpx.Request] = []

    def broken(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        raise RuntimeError("a bug after the request left")

    app = CalMcpApp(settings("http://cal.test"), REGISTRY, transport=httpx.MockTransport(broken))
    try:
        write = await app.call_tool(BOOK, BOOKING_ARGS)
        read = await app.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})
    finally:
        await app.aclose()
    assert len(sent) == 2
    assert error_of(write)["kind"] == "internal_error"
    assert "try once more" not in text_of(write) and "CAL_FETCH_ALL_BOOKINGS" in text_of(write)
    assert "do not repeat the call blindly" in text_of(write)
    assert "try once more" in text_of(read)  # a read may simply be repeated


async def test_a_cal_error_is_unchanged_for_a_write(cal: FakeUpstream, app: CalMcpApp) -> None:
    cal.program(cal_error(404, "Event type not found", "NotFoundException"), method="POST", path="/v2/bookings")
    result = await app.call_tool(BOOK, BOOKING_ARGS)
    assert (error_of(result)["kind"], error_of(result)["status"]) == ("cal_api_error", 404)


async def test_a_success_is_unchanged(cal: FakeUpstream, app: CalMcpApp) -> None:
    cal.program(json_reply(201, {"status": "success", "data": {"uid": "bk_1"}}), method="POST", path="/v2/bookings")
    result = await app.call_tool(BOOK, BOOKING_ARGS)
    assert result.structured_content == {"data": {"uid": "bk_1"}}
