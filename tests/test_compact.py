"""Issue 14 item 3: event types, bookings and time zones come back compact, with every ID, unless full: true."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from mcp import Client

from cal_mcp.app import CalMcpApp
from cal_mcp.compact import TOOL_SHAPES, compact_payload
from cal_mcp.config import Settings
from cal_mcp.registry import Registry
from cal_mcp.sandbox.clock import FrozenClock
from cal_mcp.sandbox.seeds.core import BOOKING_UPCOMING, EVENT_TYPE_INTRO_CALL
from cal_mcp.sandbox.seeds.platform import TEAM_SALES
from cal_mcp.sandbox.state import DEFAULT_EPOCH, ORG_ID, SANDBOX_API_KEY

# As the issue defines an ID: a key ending in id/Id/uid/Uid.
ID_KEY = re.compile(r"(^id$|^uid$|Id$|Uid$)")

# Read tools the seeded sandbox answers, with their arguments.
READS = [
    ("CAL_LIST_EVENT_TYPES", {}),
    ("CAL_RETRIEVE_EVENT_TYPE_BY_ID", {"eventTypeId": EVENT_TYPE_INTRO_CALL}),
    ("CAL_RETRIEVE_TEAM_EVENT_TYPES", {"teamId": TEAM_SALES}),
    ("CAL_GET_ORGANIZATION_TEAMS_EVENT_TYPES", {"orgId": ORG_ID}),
    ("CAL_LIST_TEAM_EVENT_TYPES_BY_ORG_AND_TEAM_ID", {"orgId": ORG_ID, "teamId": TEAM_SALES}),
    ("CAL_FETCH_ALL_BOOKINGS", {}),
    ("CAL_RETRIEVE_BOOKING_DETAILS_BY_UID", {"bookingUid": BOOKING_UPCOMING}),
    ("CAL_GET_ALL_TIMEZONES", {}),
]
LISTS = ["CAL_LIST_EVENT_TYPES", "CAL_FETCH_ALL_BOOKINGS", "CAL_GET_ALL_TIMEZONES",
         "CAL_GET_ORGANIZATION_TEAMS_EVENT_TYPES"]


def ids_in(value: Any) -> set[tuple[str, str]]:
    """Every (key, value) under an ID key, at any depth (values as JSON, so 7 and "7" differ)."""
    found: set[tuple[str, str]] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                if ID_KEY.search(key) and not isinstance(child, dict | list):
                    found.add((key, json.dumps(child)))
                stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)
    return found


def sandbox_app(registry: Registry) -> CalMcpApp:
    settings = Settings(sandbox=True, api_key=SANDBOX_API_KEY, rate_limit_per_minute=0)
    return CalMcpApp(settings, registry, clock=FrozenClock(DEFAULT_EPOCH))


async def both(client: Client, tool: str, args: dict[str, Any]) -> tuple[Any, Any]:
    compact = await client.call_tool(tool, args)
    full = await client.call_tool(tool, {**args, "full": True})
    assert not compact.is_error and not full.is_error, (compact.content[0].text, full.content[0].text)
    return compact, full


@pytest.mark.parametrize(("tool", "args"), READS, ids=[r[0] for r in READS])
async def test_compact_results_keep_every_id_of_the_full_object(
    registry: Registry, tool: str, args: dict[str, Any]
) -> None:
    async with Client(sandbox_app(registry).build_server()) as client:
        compact, full = await both(client, tool, args)
    full_ids = ids_in(full.structured_content["data"])
    assert full_ids or tool == "CAL_GET_ALL_TIMEZONES"
    assert full_ids <= ids_in(compact.structured_content["data"])
    assert "full: true" in compact.structured_content["compact"]
    assert "compact" not in full.structured_content
    assert len(compact.content[0].text) < len(full.content[0].text)


@pytest.mark.parametrize("tool", LISTS)
async def test_list_results_are_at_most_half_their_full_size(registry: Registry, tool: str) -> None:
    args = dict(READS)[tool]
    async with Client(sandbox_app(registry).build_server()) as client:
        compact, full = await both(client, tool, args)
    compact_size, full_size = len(compact.content[0].text), len(full.content[0].text)
    assert compact_size * 2 <= full_size, (tool, compact_size, full_size)


async def test_compact_event_types_keep_what_an_agent_acts_on(registry: Registry) -> None:
    async with Client(sandbox_app(registry).build_server()) as client:
        listed = (await client.call_tool("CAL_LIST_EVENT_TYPES", {})).structured_content["data"]
    by_slug = {et["slug"]: et for et in listed}
    intro = by_slug["intro-call"]
    assert {"id", "title", "slug", "lengthInMinutes", "locations", "bookingUrl", "description"} <= set(intro)
    assert "bookerLayouts" not in intro and "lockTimeZoneToggleOnBookingPage" not in intro
    assert by_slug["consultation"]["confirmationPolicy"]["type"] == "always"
    assert by_slug["weekly-sync"]["recurrence"] == {"interval": 1, "occurrences": 4, "frequency": "weekly"}
    assert by_slug["deep-dive"]["scheduleId"] == 202


async def test_compact_bookings_keep_what_an_agent_acts_on(registry: Registry) -> None:
    async with Client(sandbox_app(registry).build_server()) as client:
        booking = (await client.call_tool("CAL_RETRIEVE_BOOKING_DETAILS_BY_UID",
                                          {"bookingUid": BOOKING_UPCOMING})).structured_content["data"]
    acted_on = {"uid", "title", "status", "start", "end", "duration", "eventTypeId", "attendees", "location"}
    assert acted_on <= set(booking)
    assert booking["attendees"][0]["email"] and booking["attendees"][0]["timeZone"]
    assert "bookingFieldsResponses" not in booking and "createdAt" not in booking


async def test_a_write_says_how_to_read_the_full_object_without_repeating_itself(registry: Registry) -> None:
    async with Client(sandbox_app(registry).build_server()) as client:
        slots = (await client.call_tool("CAL_GET_AVAILABLE_SLOTS_INFO", {
            "eventTypeId": EVENT_TYPE_INTRO_CALL, "start": "2026-11-25", "end": "2026-11-25"})).structured_content
        start = next(iter(slots["data"].values()))[0]["start"]
        booked = await client.call_tool("CAL_POST_NEW_BOOKING_REQUEST", {
            "eventTypeId": EVENT_TYPE_INTRO_CALL, "start": start,
            "attendee": {"name": "Dana", "email": "dana@example.com", "timeZone": "Europe/Paris"}})
    note = booked.structured_content["compact"]
    assert "CAL_RETRIEVE_BOOKING_DETAILS_BY_UID" in note and "do not repeat this call" in note
    assert booked.structured_content["data"]["uid"]


async def test_full_is_never_sent_to_cal(registry: Registry) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"status": "success", "data": []})

    settings = Settings(api_key="cal_guidance_test_key", rate_limit_per_minute=0)
    app = CalMcpApp(settings, registry, transport=httpx.MockTransport(handler))
    async with Client(app.build_server()) as client:
        await client.call_tool("CAL_FETCH_ALL_BOOKINGS", {"full": True, "take": 5})
        await client.call_tool("CAL_RETRIEVE_BOOKING_DETAILS_BY_UID", {"bookingUid": "b", "full": False})
    assert len(sent) == 2
    assert all("full" not in request.url.params for request in sent)
    assert dict(sent[0].url.params) == {"take": "5"}


def test_full_is_offered_exactly_by_the_tools_that_compact(registry: Registry) -> None:
    offering = {spec.name for spec in registry.specs if "full" in spec.properties}
    assert offering == set(TOOL_SHAPES)
    for name in offering:
        assert registry.by_name[name].properties["full"]["type"] == "boolean"


def test_ids_inside_dropped_settings_are_put_back() -> None:
    """Real Cal objects carry IDs in settings the compact shape drops; they stay, in place."""
    event_type = {
        "id": 7, "title": "Call", "slug": "call", "lengthInMinutes": 30,
        "metadata": {"apps": {"stripe": {"credentialId": 42, "price": 100}}},
        "destinationCalendar": {"id": 3, "integration": "google_calendar", "externalId": "a@b.c"},
        "bookingFields": [{"isDefault": True, "slug": "name", "id": "f1"},
                          {"isDefault": False, "slug": "company", "type": "text", "required": True, "label": "Co"}],
        "children": [{"owner": {"id": 9, "name": "N"}, "hidden": False}],
        "bookerLayouts": {"defaultLayout": "month"},
    }
    payload = compact_payload("CAL_RETRIEVE_EVENT_TYPE_BY_ID", {"data": event_type}, read_only=True)
    compact = payload["data"]
    assert ids_in(event_type) <= ids_in(compact)
    assert compact["metadata"] == {"apps": {"stripe": {"credentialId": 42}}}
    assert compact["destinationCalendar"] == {"id": 3, "externalId": "a@b.c"}
    assert {"slug": "company", "type": "text", "required": True, "label": "Co"} in compact["bookingFields"]
    assert "bookerLayouts" not in compact and compact["children"] == [{"owner": {"id": 9}}]


def test_answers_that_are_not_event_types_or_bookings_pass_unchanged() -> None:
    reassigned = {"data": {"bookingId": 1, "reassignedTo": {"id": 2, "name": "B", "email": "b@x.y"}}}
    assert compact_payload("CAL_REASSIGN_BOOKING_WITH_UID", reassigned, read_only=False) == reassigned
    assert compact_payload("CAL_GET_TEAMS_LIST", {"data": [{"id": 1, "bio": "x"}]}, read_only=True) == {
        "data": [{"id": 1, "bio": "x"}]}
