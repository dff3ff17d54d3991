"""Requests leave exactly as Cal expects them: method, path, query, body and headers, checked at the transport."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from mcp import Client

from cal_mcp.app import CalMcpApp
from cal_mcp.config import Settings
from cal_mcp.errors import ArgumentError, ConfigurationError
from cal_mcp.registry import Registry
from cal_mcp.request_builder import build_request
from tests.conftest import TOOL_COUNT

API_KEY = "cal_live_test_key_123"
SECRET = "oauth-secret-456"


class Recorder:
    """A fake Cal at the transport: records each request and answers with Cal's success envelope."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.answer = answer or (lambda r: httpx.Response(200, json={"status": "success", "data": {"ok": True}}))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answer(request)

    @property
    def only(self) -> httpx.Request:
        assert len(self.requests) == 1
        return self.requests[0]


def make_app(registry: Registry, recorder: Recorder, **settings: Any) -> CalMcpApp:
    config = Settings(api_key=API_KEY, oauth_client_id="client-1", oauth_client_secret=SECRET,
                      rate_limit_per_minute=0, **settings)
    return CalMcpApp(config, registry, transport=httpx.MockTransport(recorder))


async def call(registry: Registry, name: str, args: dict[str, Any], recorder: Recorder | None = None) -> Any:
    recorder = recorder or Recorder()
    async with Client(make_app(registry, recorder).build_server()) as client:
        result = await client.call_tool(name, args)
    return result, recorder


async def test_booking_is_posted_with_its_body_version_and_key(registry: Registry) -> None:
    attendee = {"name": "Dana Guest", "email": "dana@example.com", "timeZone": "America/New_York"}
    result, rec = await call(registry, "CAL_POST_NEW_BOOKING_REQUEST",
                             {"start": "2026-12-01T14:00:00Z", "eventTypeId": 7, "attendee": attendee})
    assert not result.is_error
    sent = rec.only
    assert (sent.method, sent.url.path, sent.url.query) == ("POST", "/v2/bookings", b"")
    assert json.loads(sent.content) == {"start": "2026-12-01T14:00:00Z", "eventTypeId": 7, "attendee": attendee}
    assert sent.headers["cal-api-version"] == "2024-08-13"
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    assert sent.headers["content-type"] == "application/json"
    assert "x-cal-secret-key" not in sent.headers


async def test_list_bookings_sends_arrays_comma_joined_and_no_body(registry: Registry) -> None:
    result, rec = await call(registry, "CAL_FETCH_ALL_BOOKINGS",
                             {"status": ["upcoming", "unconfirmed"], "take": 5, "eventTypeIds": [3, 4]})
    assert not result.is_error
    sent = rec.only
    assert sent.method == "GET" and sent.url.path == "/v2/bookings"
    assert dict(sent.url.params) == {"status": "upcoming,unconfirmed", "take": "5", "eventTypeIds": "3,4"}
    assert sent.content == b""


async def test_busy_times_uses_cal_bracket_names_on_the_wire(registry: Registry) -> None:
    args = {"dateFrom": "2026-12-01", "dateTo": "2026-12-02", "timeZone": "Europe/London",
            "credentialId": 11, "externalId": "me@example.com"}
    result, rec = await call(registry, "CAL_RETRIEVE_CALENDAR_BUSY_TIMES", args)
    assert not result.is_error
    assert dict(rec.only.url.params) == {
        "dateFrom": "2026-12-01", "dateTo": "2026-12-02", "timeZone": "Europe/London",
        "calendarsToLoad[0][credentialId]": "11", "calendarsToLoad[0][externalId]": "me@example.com",
    }


async def test_google_specific_tool_fills_its_fixed_calendar(registry: Registry) -> None:
    result, rec = await call(registry, "CAL_CHECK_GCAL_SYNCHRONIZATION_STATUS", {})
    assert not result.is_error
    assert rec.only.url.path == "/v2/calendars/google/check"


async def test_oauth_client_tool_sends_the_secret_and_fills_the_client_id(registry: Registry) -> None:
    result, rec = await call(registry, "CAL_GET_OAUTH_CLIENTS_USER", {"limit": 10})
    assert not result.is_error
    sent = rec.only
    assert sent.url.path == "/v2/oauth-clients/client-1/users"
    assert sent.headers["x-cal-secret-key"] == SECRET
    assert "authorization" not in sent.headers


async def test_an_explicit_client_id_wins_over_the_configured_one(registry: Registry) -> None:
    _, rec = await call(registry, "CAL_GET_OAUTH_CLIENTS_USER", {"clientId": "other-client"})
    assert rec.only.url.path == "/v2/oauth-clients/other-client/users"


async def test_phone_call_body_carries_the_configured_key_never_an_argument(registry: Registry) -> None:
    args = {"orgId": 1, "teamId": 2, "eventTypeId": 3, "yourPhoneNumber": "+14155550100",
            "numberToCall": "+14155550101", "templateType": "CUSTOM_TEMPLATE"}
    result, rec = await call(registry, "CAL_CREATE_PHONE_CALL_EVENT", args)
    assert not result.is_error
    body = json.loads(rec.only.content)
    assert body["calApiKey"] == API_KEY
    assert rec.only.url.path == "/v2/organizations/1/teams/2/event-types/3/create-phone-call"
    assert API_KEY not in json.dumps(result.structured_content)


async def test_a_write_with_no_body_fields_still_sends_an_empty_json_object(registry: Registry) -> None:
    result, rec = await call(registry, "CAL_CONFIRM_BOOKING_BY_UID", {"bookingUid": "abc"})
    assert not result.is_error
    assert rec.only.method == "POST" and rec.only.url.path == "/v2/bookings/abc/confirm"
    assert json.loads(rec.only.content) == {}


def test_path_values_are_encoded_as_one_segment(registry: Registry) -> None:
    spec = registry.get("CAL_RETRIEVE_BOOKING_DETAILS_BY_UID")
    assert spec is not None
    request = build_request(spec, {"bookingUid": "a/b?c#d %2F é"})
    assert request.path == "/v2/bookings/a%2Fb%3Fc%23d%20%252F%20%C3%A9"


@pytest.mark.parametrize("value", ["", ".", ".."])
def test_dot_segments_and_empty_path_values_are_refused(registry: Registry, value: str) -> None:
    spec = registry.get("CAL_RETRIEVE_BOOKING_DETAILS_BY_UID")
    assert spec is not None
    with pytest.raises(ArgumentError) as error:
        build_request(spec, {"bookingUid": value})
    assert error.value.field == "bookingUid"


def test_a_missing_oauth_client_id_says_how_to_configure_it(registry: Registry) -> None:
    spec = registry.get("CAL_GET_OAUTH_CLIENTS_USER")
    assert spec is not None
    with pytest.raises(ConfigurationError) as error:
        build_request(spec, {}, {"oauth_client_id": None})
    assert "CAL_OAUTH_CLIENT_ID" in error.value.hint


async def test_success_result_is_data_plus_pagination_with_the_same_json_as_text(registry: Registry) -> None:
    page = {"totalItems": 1, "hasNextPage": False}
    rec = Recorder(lambda r: httpx.Response(
        200, json={"status": "success", "data": [{"uid": "b1"}], "pagination": page}))
    result, _ = await call(registry, "CAL_FETCH_ALL_BOOKINGS", {}, rec)
    assert result.structured_content == {"data": [{"uid": "b1"}], "pagination": page}
    assert json.loads(result.content[0].text) == result.structured_content
    assert " " not in result.content[0].text


async def test_cal_error_becomes_an_actionable_error_result(registry: Registry) -> None:
    rec = Recorder(lambda r: httpx.Response(404, json={
        "status": "error", "error": {"code": "NotFoundException", "message": "Booking with uid=zz not found"}}))
    result, _ = await call(registry, "CAL_RETRIEVE_BOOKING_DETAILS_BY_UID", {"bookingUid": "zz"}, rec)
    assert result.is_error
    error = result.structured_content["error"]
    assert (error["status"], error["code"]) == (404, "NotFoundException")
    assert "CAL_FETCH_ALL_BOOKINGS" in error["hint"]
    assert "Booking with uid=zz not found" in result.content[0].text


async def test_invalid_arguments_never_reach_the_network(registry: Registry) -> None:
    result, rec = await call(registry, "CAL_POST_NEW_BOOKING_REQUEST",
                             {"start": "tomorrow at 9", "eventTypeId": 7,
                              "attendee": {"name": "D", "timeZone": "Europe/Paris"}})
    assert result.is_error
    assert result.structured_content["error"]["field"] == "start"
    assert "2026-12-01T09:00:00Z" in result.content[0].text
    assert rec.requests == []


async def test_without_an_api_key_a_call_explains_how_to_set_one(registry: Registry) -> None:
    recorder = Recorder()
    app = CalMcpApp(Settings(rate_limit_per_minute=0), registry, transport=httpx.MockTransport(recorder))
    async with Client(app.build_server(), mode="legacy") as client:
        tools = await client.list_tools()
        result = await client.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})
    assert len(tools.tools) == TOOL_COUNT
    assert result.is_error
    assert "CAL_API_KEY" in result.content[0].text and "--sandbox" in result.content[0].text
    assert recorder.requests == []


async def test_an_unexpected_bug_becomes_a_short_internal_error(registry: Registry) -> None:
    def explode(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("secret internals: stack frame detail")

    result, _ = await call(registry, "CAL_RETRIEVE_MY_INFORMATION", {}, Recorder(explode))
    assert result.is_error
    assert "internal error" in result.content[0].text.lower()
    assert "secret internals" not in result.content[0].text


async def test_null_for_an_optional_argument_means_left_out(registry: Registry) -> None:
    result, rec = await call(registry, "CAL_FETCH_ALL_BOOKINGS", {"take": 5, "status": None, "attendeeEmail": None})
    assert not result.is_error, result.content[0].text
    assert dict(rec.only.url.params) == {"take": "5"}


async def test_null_for_a_required_argument_is_refused_naming_it(registry: Registry) -> None:
    result, rec = await call(registry, "CAL_RETRIEVE_BOOKING_DETAILS_BY_UID", {"bookingUid": None})
    assert result.is_error and result.structured_content["error"]["field"] == "bookingUid"
    assert rec.requests == []


async def test_an_integral_float_id_goes_on_the_wire_as_an_integer(registry: Registry) -> None:
    result, rec = await call(registry, "CAL_RETRIEVE_EVENT_TYPE_BY_ID", {"eventTypeId": 101.0})
    assert not result.is_error, result.content[0].text
    assert rec.only.url.path == "/v2/event-types/101"
