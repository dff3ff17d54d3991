"""Issue 14 item 2: the next step fits the error.

A row per entry of ``cal_mcp.error_hints.RULES`` (Cal's message → its next step), then the same
through the MCP client against the sandbox where the sandbox can produce the error, the local time
zone check with its close match, unknown tool names, and the separator before "Next step".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from mcp import Client

from cal_mcp.app import CalMcpApp
from cal_mcp.config import Settings
from cal_mcp.error_hints import RULES, hint_for_message, rule_for_message
from cal_mcp.errors import UpstreamError, hint_for_status
from cal_mcp.registry import Registry
from cal_mcp.sandbox.clock import FrozenClock
from cal_mcp.sandbox.seeds.core import BOOKING_CANCELLED, EVENT_TYPE_INTRO_CALL
from cal_mcp.sandbox.seeds.platform import CASEY_ID, TEAM_BOOK_CLUB
from cal_mcp.sandbox.state import DEFAULT_EPOCH, SANDBOX_API_KEY

GENERIC = "Fix the arguments named in the message"


@dataclass(frozen=True)
class Row:
    rule: str
    status: int
    message: str  # as Cal (or the sandbox, which copies Cal) words it
    must_say: tuple[str, ...]
    must_not_say: tuple[str, ...] = (GENERIC,)


ROWS = [
    Row("booking-already-cancelled", 400, "This booking has already been cancelled.",
        ("Nothing to do", "do not call again")),
    Row("host-cancellation-reason", 400, "Cancellation reason is required when you are the host",
        ("cancellationReason", "ask the user")),
    Row("cancelling-disabled", 400, "This event type does not allow cancellations", ("forbid cancelling",)),
    Row("seat-already-cancelled", 400, "Invalid seatUid: this seat does not exist or has already been cancelled.",
        ("seat", "CAL_RETRIEVE_BOOKING_DETAILS_BY_UID")),
    Row("host-not-accepted-member", 404, "Invalid hosts: 1004 are not members of team with id 601.",
        ("CAL_UPDATE_TEAM_MEMBERSHIP_PROPERTIES", "accepted: true", "CAL_RETRIEVE_TEAM_MEMBERSHIPS")),
    Row("host-not-accepted-member", 400,
        "Invalid hosts: user with id=1003 is not an accepted member of team id=650.",
        ("CAL_UPDATE_TEAM_MEMBERSHIP_PROPERTIES", "accepted: true")),
    Row("already-team-member", 400, "User with id=1003 is already a member of team with id=650.",
        ("already a member", "CAL_UPDATE_TEAM_MEMBERSHIP_PROPERTIES")),
    Row("not-org-member", 404, "User with id=77 is not a member of organization with id=501.",
        ("CAL_RETRIEVE_USERS_IN_ORGANIZATION", "CAL_CREATE_MEMBERSHIP_FOR_ORGANIZATION")),
    Row("host-unavailable", 400, "User either already has booking at this time or is not available",
        ("taken, or outside the host's available hours", "CAL_GET_AVAILABLE_SLOTS_INFO"),
        (GENERIC, "no longer free")),
    Row("host-unavailable", 400, "One of the hosts either already has booking at this time or is not available",
        ("CAL_GET_AVAILABLE_SLOTS_INFO",), (GENERIC, "no longer free")),
    Row("outside-booking-window", 400,
        'The event type can\'t be booked at the "start" time provided. This could be because it\'s too soon',
        ("minimum notice", "booking window", "CAL_GET_AVAILABLE_SLOTS_INFO")),
    Row("booking-in-the-past", 400, "Attempting to book a meeting in the past.",
        ("CAL_RETRIEVE_MY_INFORMATION", "now")),
    Row("slot-reserved", 400, "This time slot is already reserved by another user. Please choose a different time.",
        ("CAL_GET_AVAILABLE_SLOTS_INFO",)),
    Row("slot-reserved", 400, "Can't reserve a slot if the event is already booked.",
        ("CAL_GET_AVAILABLE_SLOTS_INFO",)),
    Row("slot-hold-gone", 404, "Reserved slot with uid=abc not found", ("Nothing to release", "used it up")),
    Row("already-confirmed", 400, "Booking already confirmed", ("Nothing to do",)),
    Row("reschedule-moved-booking", 400,
        "Can't reschedule booking with uid=a because it has been cancelled and rescheduled already to booking "
        "with uid=b. You probably want to reschedule b instead", ("reschedule the booking it moved to",)),
    Row("reschedule-cancelled-booking", 400,
        "Can't reschedule booking with uid=a because it has been cancelled. Please provide uid of a booking",
        ("cannot be moved", "CAL_POST_NEW_BOOKING_REQUEST")),
    Row("not-recurring", 400, "Booking with bookingUid=a is not part of a recurring booking.",
        ("recurring",)),
    Row("invalid-time-zone", 400, "timeZone must be a valid IANA time zone, got 'Berlin'",
        ("Did you mean Europe/Berlin?", "CAL_GET_ALL_TIMEZONES")),
    Row("slug-taken", 400, "Team event type with this slug already exists", ("slug is taken",)),
    Row("webhook-url-taken", 409, "Webhook with this subscriber url already exists.", ("update it",)),
    Row("app-not-connected", 400, "zoom not connected.", ("CAL_RETRIEVE_V2_CONFERENCING_INFO", "cal-video")),
]


def test_every_rule_has_a_row() -> None:
    assert {row.rule for row in ROWS} == {rule.id for rule in RULES}
    assert len({rule.id for rule in RULES}) == len(RULES)
    assert all(rule.source for rule in RULES)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.rule}-{r.status}")
def test_each_known_message_gets_its_own_next_step(row: Row) -> None:
    rule = rule_for_message(row.status, row.message)
    assert rule is not None and rule.id == row.rule
    hint = hint_for_status(row.status, row.message, auth="api_key", id_args={}, id_sources={})
    assert hint == hint_for_message(row.status, row.message)
    for phrase in row.must_say:
        assert phrase in hint, (phrase, hint)
    for phrase in row.must_not_say:
        assert phrase not in hint, (phrase, hint)


def test_an_unknown_message_keeps_the_status_advice() -> None:
    assert hint_for_message(400, "Something Cal has never said") is None
    assert GENERIC in hint_for_status(400, "Something Cal has never said", auth="api_key", id_args={},
                                      id_sources={})


@pytest.mark.parametrize(("message", "text"), [
    ("Booking not found", "Booking not found. Next step: "),
    ("This booking has already been cancelled.", "cancelled. Next step: "),
])
def test_a_full_stop_separates_cals_message_from_the_next_step(message: str, text: str) -> None:
    result = UpstreamError(404, "NotFoundException", message, "Look it up.").to_result()
    assert text in result.content[0].text  # type: ignore[union-attr]


# --- the same, end to end: MCP client → cal-mcp → the sandbox, with the sandbox's own refusals -----------

def sandbox_app(registry: Registry) -> CalMcpApp:
    settings = Settings(sandbox=True, api_key=SANDBOX_API_KEY, rate_limit_per_minute=0)
    return CalMcpApp(settings, registry, clock=FrozenClock(DEFAULT_EPOCH))


def error_of(result: Any) -> dict[str, Any]:
    assert result.is_error, result.content[0].text
    error: dict[str, Any] = result.structured_content["error"]
    return error


async def test_cancelling_a_cancelled_booking_says_there_is_nothing_to_do(registry: Registry) -> None:
    async with Client(sandbox_app(registry).build_server()) as client:
        result = await client.call_tool("CAL_CANCEL_BOOKING_VIA_UID",
                                        {"bookingUid": BOOKING_CANCELLED, "cancellationReason": "again"})
    error = error_of(result)
    assert error["status"] == 400 and error["hint"].startswith("Nothing to do")
    assert "already been cancelled. Next step: Nothing to do" in result.content[0].text


async def test_a_pending_member_as_host_is_fixed_by_the_step_the_error_names(registry: Registry) -> None:
    """Followed literally, the hint's next step (accept the membership) makes the same call succeed."""
    event_type = {"teamId": TEAM_BOOK_CLUB, "title": "Reading circle", "slug": "reading-circle",
                  "lengthInMinutes": 45, "schedulingType": "collective", "hosts": [{"userId": CASEY_ID}]}
    async with Client(sandbox_app(registry).build_server()) as client:
        invited = await client.call_tool("CAL_CREATE_TEAM_MEMBERSHIP_WITH_ROLE",
                                         {"teamId": TEAM_BOOK_CLUB, "userId": CASEY_ID, "role": "MEMBER"})
        membership = invited.structured_content["data"]
        assert membership["accepted"] is False
        refused = error_of(await client.call_tool("CAL_CREATE_TEAM_EVENT_TYPE", event_type))
        assert "CAL_UPDATE_TEAM_MEMBERSHIP_PROPERTIES (accepted: true)" in refused["hint"]
        accepted = await client.call_tool("CAL_UPDATE_TEAM_MEMBERSHIP_PROPERTIES",
                                          {"teamId": TEAM_BOOK_CLUB, "membershipId": membership["id"],
                                           "accepted": True})
        assert not accepted.is_error
        created = await client.call_tool("CAL_CREATE_TEAM_EVENT_TYPE", event_type)
    assert not created.is_error, created.content[0].text
    assert [h["userId"] for h in created.structured_content["data"]["hosts"]] == [CASEY_ID]


async def test_an_out_of_hours_booking_is_not_told_the_time_is_no_longer_free(registry: Registry) -> None:
    # 03:00 London on a weekday: outside the seeded 09:00-17:00 working hours, and never booked.
    night = datetime(2026, 11, 25, 3, 0, tzinfo=UTC).isoformat().replace("+00:00", "Z")
    async with Client(sandbox_app(registry).build_server()) as client:
        result = await client.call_tool("CAL_POST_NEW_BOOKING_REQUEST", {
            "eventTypeId": EVENT_TYPE_INTRO_CALL, "start": night,
            "attendee": {"name": "Dana", "email": "dana@example.com", "timeZone": "Europe/Paris"}})
    error = error_of(result)
    assert "no longer free" not in result.content[0].text
    assert "outside the host's available hours" in error["hint"] and "CAL_GET_AVAILABLE_SLOTS_INFO" in error["hint"]


# --- time zones: refused before sending, with the close match --------------------------------------------

@pytest.mark.parametrize(("given", "meant"), [
    ("Berlin", "Europe/Berlin"), ("new york", "America/New_York"), ("PST", "America/Los_Angeles"),
    ("Europ/Paris", "Europe/Paris"), ("europe/berlin", "Europe/Berlin"),
])
async def test_a_city_for_a_time_zone_is_refused_unsent_with_the_zone_it_names(
    registry: Registry, given: str, meant: str
) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    app = CalMcpApp(Settings(api_key="cal_guidance_test_key", rate_limit_per_minute=0), registry,
                    transport=httpx.MockTransport(handler))
    async with Client(app.build_server()) as client:
        result = await client.call_tool("CAL_POST_NEW_BOOKING_REQUEST", {
            "eventTypeId": 1, "start": "2026-12-01T09:00:00Z",
            "attendee": {"name": "Dana", "email": "dana@example.com", "timeZone": given}})
    error = error_of(result)
    assert error["kind"] == "invalid_arguments" and error["field"] == "attendee.timeZone"
    assert f"Did you mean {meant}" in result.content[0].text and meant in error["hint"]
    assert not sent


@pytest.mark.parametrize("zone", ["Europe/Berlin", "UTC", "America/Argentina/Buenos_Aires", "US/Eastern"])
async def test_real_time_zones_pass(registry: Registry, zone: str) -> None:
    async with Client(sandbox_app(registry).build_server()) as client:
        result = await client.call_tool("CAL_GET_AVAILABLE_SLOTS_INFO", {
            "eventTypeId": EVENT_TYPE_INTRO_CALL, "start": "2026-11-25", "end": "2026-11-25", "timeZone": zone})
    assert not result.is_error, result.content[0].text


# --- unknown tools -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "closest"), [
    ("CAL_BOOK_MEETING", "CAL_POST_NEW_BOOKING_REQUEST"),
    ("CAL_LIST_BOOKINGS", "CAL_FETCH_ALL_BOOKINGS"),
    ("CAL_CANCEL_BOOKING", "CAL_CANCEL_BOOKING_VIA_UID"),
    ("CAL_GET_CURRENT_TIME", "CAL_RETRIEVE_MY_INFORMATION"),
    ("CAL_LIST_TEAM_MEMBERS", "CAL_RETRIEVE_TEAM_MEMBERSHIPS"),
])
async def test_an_unknown_tool_name_gets_the_closest_real_ones(registry: Registry, name: str, closest: str) -> None:
    async with Client(sandbox_app(registry).build_server()) as client:
        result = await client.call_tool(name, {})
    text = result.content[0].text
    assert result.is_error and closest in text.split("Next step:")[0], text


async def test_an_unknown_tool_with_no_counterpart_says_so(registry: Registry) -> None:
    async with Client(sandbox_app(registry).build_server()) as client:
        result = await client.call_tool("CAL_SEND_SMS_TO_MARS", {})
    assert result.is_error and "no tool here does anything close" in result.content[0].text


async def test_a_tool_left_out_by_the_operator_is_named_as_such(registry: Registry) -> None:
    settings = Settings(sandbox=True, api_key=SANDBOX_API_KEY, rate_limit_per_minute=0)
    app = CalMcpApp(settings, registry.select(toolsets=["me"]))
    async with Client(app.build_server()) as client:
        result = await client.call_tool("CAL_POST_NEW_BOOKING_REQUEST", {})
    text = result.content[0].text
    assert result.is_error and "exists in cal-mcp" in text and "started without it" in text
