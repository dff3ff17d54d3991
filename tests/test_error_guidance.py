"""Every class of error tells the model what to do next (table-driven, through the MCP client)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from mcp import Client

from cal_mcp.app import CalMcpApp
from cal_mcp.config import Settings
from cal_mcp.registry import Registry

Answer = Callable[[httpx.Request], httpx.Response]


def cal_error(status: int, code: str, message: str, **headers: str) -> Answer:
    body = {"status": "error", "error": {"code": code, "message": message}}
    return lambda request: httpx.Response(status, json=body, headers=headers)


def timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("no answer", request=request)


@dataclass(frozen=True)
class Row:
    id: str
    tool: str
    args: dict[str, Any]
    answer: Answer | None
    kind: str
    must_say: tuple[str, ...]
    api_key: str | None = "cal_key_1234"


BOOKING = {"start": "2026-12-01T09:00:00Z", "eventTypeId": 101,
           "attendee": {"name": "Dana", "email": "dana@example.com", "timeZone": "Europe/Paris"}}
TABLE = [
    Row("validation-type", "CAL_FETCH_ALL_BOOKINGS", {"take": "ten"}, None, "invalid_arguments",
        ("`take`", "integer", "e.g. 123")),
    Row("validation-format", "CAL_POST_NEW_BOOKING_REQUEST", {**BOOKING, "start": "2026-12-01 09:00"}, None,
        "invalid_arguments", ("`start`", "date-time", "2026-12-01T09:00:00Z")),
    Row("validation-enum", "CAL_FETCH_ALL_BOOKINGS", {"status": ["soon"]}, None, "invalid_arguments",
        ("status", "upcoming")),
    Row("validation-missing", "CAL_RETRIEVE_BOOKING_DETAILS_BY_UID", {}, None, "invalid_arguments",
        ("bookingUid", "CAL_FETCH_ALL_BOOKINGS")),
    Row("validation-unknown-argument", "CAL_RETRIEVE_MY_INFORMATION", {"userId": 3}, None, "invalid_arguments",
        ("`userId`",)),
    # Cal's global ValidationPipe in production: "Bad Request Exception", no field named (app.ts, filter).
    Row("400-unnamed", "CAL_POST_WEBHOOK_EVENT",
        {"subscriberUrl": "https://hooks.example.com/x", "triggers": ["BOOKING_CREATED"], "active": True},
        cal_error(400, "BadRequestException", "Bad Request Exception"), "cal_api_error",
        ("400", "without naming it", "schema and description")),
    Row("no-key", "CAL_RETRIEVE_MY_INFORMATION", {}, None, "not_configured", ("CAL_API_KEY", "--sandbox"),
        api_key=None),
    Row("401", "CAL_RETRIEVE_MY_INFORMATION", {}, cal_error(401, "UnauthorizedException", "Invalid API key"),
        "cal_api_error", ("401", "CAL_API_KEY")),
    Row("403", "CAL_RETRIEVE_USERS_IN_ORGANIZATION", {"orgId": 9},
        cal_error(403, "ForbiddenException", "User is not an admin of organization 9"), "cal_api_error",
        ("403", "not an admin of organization 9", "organization admin")),
    Row("404", "CAL_RETRIEVE_BOOKING_DETAILS_BY_UID", {"bookingUid": "nope"},
        cal_error(404, "NotFoundException", "Booking not found"), "cal_api_error",
        ("404", 'bookingUid="nope"', "CAL_FETCH_ALL_BOOKINGS")),
    Row("slot-taken", "CAL_POST_NEW_BOOKING_REQUEST", BOOKING,
        cal_error(400, "BadRequestException", "User either already has booking at this time or is not available"),
        "cal_api_error", ("CAL_GET_AVAILABLE_SLOTS_INFO",)),
    Row("429", "CAL_POST_NEW_BOOKING_REQUEST", BOOKING,
        cal_error(429, "ThrottlerException", "Too many requests", **{"Retry-After": "42"}), "rate_limited",
        ("Wait 42 s",)),
    Row("write-timeout", "CAL_POST_NEW_BOOKING_REQUEST", BOOKING, timeout, "outcome_unknown",
        ("CAL_FETCH_ALL_BOOKINGS", "may or may not", "retry only if it did not")),
    Row("read-timeout", "CAL_RETRIEVE_MY_INFORMATION", {}, timeout, "unreachable", ("Try again",)),
    Row("server-error", "CAL_RETRIEVE_MY_INFORMATION", {}, cal_error(500, "InternalServerErrorException", "boom"),
        "cal_api_error", ("500", "Try again")),
]


@pytest.mark.parametrize("row", TABLE, ids=lambda r: r.id)
async def test_each_error_class_names_the_next_step(registry: Registry, row: Row) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        assert row.answer is not None, "validation errors must not reach Cal"
        return row.answer(request)

    settings = Settings(api_key=row.api_key, rate_limit_per_minute=0, max_retries=0, timeout=5)
    app = CalMcpApp(settings, registry, transport=httpx.MockTransport(handler))
    async with Client(app.build_server(), mode="legacy") as client:
        result = await client.call_tool(row.tool, row.args)
    text = result.content[0].text
    assert result.is_error
    assert result.structured_content["error"]["kind"] == row.kind
    for phrase in row.must_say:
        assert phrase in text, (phrase, text)
    if row.kind == "invalid_arguments":
        assert result.structured_content["error"]["field"]
    if row.kind == "outcome_unknown":
        assert len(sent) == 1, "a write whose outcome is unknown must not be re-sent"
