"""The agent's core path, shared by the transport tests: event type → slots → book → cancel."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mcp import Client

from cal_mcp.sandbox.state import DEFAULT_EPOCH
from tests.conftest import TOOL_COUNT

# Two days after the sandbox's frozen "now": a weekday inside the seeded working hours.
DAY = (DEFAULT_EPOCH + timedelta(days=2)).date().isoformat()


def weekday_after(start: datetime, days: int = 2) -> str:
    """The first Monday-to-Friday date at least ``days`` after ``start`` (for a wall-clock sandbox)."""
    day = (start + timedelta(days=days)).date()
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day.isoformat()


def data(result: Any) -> Any:
    assert not result.is_error, result.content[0].text
    return result.structured_content["data"]


async def first_free_slot(client: Client, event_type_id: int, day: str = DAY) -> str:
    slots = data(await client.call_tool("CAL_GET_AVAILABLE_SLOTS_INFO", {
        "eventTypeId": event_type_id, "start": day, "end": day, "timeZone": "Europe/London"}))
    starts = [slot["start"] for day_slots in slots.values() for slot in day_slots]
    assert starts, f"no free slot on {day}"
    return str(starts[0])


async def book_and_cancel(client: Client, *, attendee_email: str = "dana@example.com", day: str = DAY) -> str:
    """Runs the whole path and returns the (cancelled) booking uid."""
    tools = await client.list_tools()
    assert len(tools.tools) == TOOL_COUNT
    event_types = data(await client.call_tool("CAL_LIST_EVENT_TYPES", {}))
    plain = next(e for e in event_types if not e.get("requiresConfirmation"))
    start = await first_free_slot(client, plain["id"], day)
    booking = data(await client.call_tool("CAL_POST_NEW_BOOKING_REQUEST", {
        "start": start, "eventTypeId": plain["id"],
        "attendee": {"name": "Dana Guest", "email": attendee_email, "timeZone": "America/New_York"}}))
    assert booking["status"] == "accepted"
    uid = str(booking["uid"])
    cancelled = data(await client.call_tool("CAL_CANCEL_BOOKING_VIA_UID",
                                            {"bookingUid": uid, "cancellationReason": "test"}))
    assert cancelled["status"] == "cancelled"
    again = await client.call_tool("CAL_CANCEL_BOOKING_VIA_UID", {"bookingUid": uid, "cancellationReason": "test"})
    assert again.is_error and again.structured_content["error"]["status"] == 400
    assert again.structured_content["error"]["hint"].startswith("Nothing to do")
    return uid


async def edit_book_and_share(client: Client, *, tag: str, day: str = DAY) -> dict[str, str]:
    """Issue 11's path beyond the seed tools: create and edit an event type, book it, add an attendee,
    move the meeting to a video link, then find it (and a team booking) in the team and organization lists.
    ``tag`` keeps slugs and emails apart when several runs share one sandbox; everything it books is
    cancelled and the event type deleted at the end, so a run leaves the calendar as it found it."""
    created = data(await client.call_tool("CAL_CREATE_EVENT_TYPE", {
        "title": f"Intro call {tag}", "slug": f"intro-{tag}", "lengthInMinutes": 15,
        "bookingFields": [{"type": "text", "slug": "company", "label": "Company", "required": False}]}))
    edited = data(await client.call_tool("CAL_UPDATE_EVENT_TYPE", {
        "eventTypeId": created["id"], "lengthInMinutes": 20, "description": "Twenty minutes to get started."}))
    assert edited["lengthInMinutes"] == 20
    listed = data(await client.call_tool("CAL_LIST_EVENT_TYPES", {}))
    assert [e["lengthInMinutes"] for e in listed if e["id"] == created["id"]] == [20]

    start = await first_free_slot(client, created["id"], day)
    booking = data(await client.call_tool("CAL_POST_NEW_BOOKING_REQUEST", {
        "start": start, "eventTypeId": created["id"], "bookingFieldsResponses": {"company": "Acme"},
        "attendee": {"name": "Dana Guest", "email": f"dana.{tag}@example.com", "timeZone": "America/New_York"}}))
    uid = str(booking["uid"])
    assert booking["duration"] == 20

    bob = f"bob.{tag}@example.com"
    data(await client.call_tool("CAL_ADD_BOOKING_ATTENDEE", {
        "bookingUid": uid, "name": "Bob Stone", "email": bob, "timeZone": "Europe/Berlin"}))
    attendees = data(await client.call_tool("CAL_LIST_BOOKING_ATTENDEES", {"bookingUid": uid}))
    assert [a["email"] for a in attendees] == [f"dana.{tag}@example.com", bob]
    zoom = f"https://zoom.example.test/j/{tag}"
    data(await client.call_tool("CAL_UPDATE_BOOKING_LOCATION", {
        "bookingUid": uid, "location": {"type": "link", "link": zoom}}))
    seen = data(await client.call_tool("CAL_RETRIEVE_BOOKING_DETAILS_BY_UID", {"bookingUid": uid}))
    assert seen["location"] == zoom and bob in [a["email"] for a in seen["attendees"]]

    org_id = data(await client.call_tool("CAL_GET_ORGANIZATION_ID", {}))["organizationId"]
    teams = data(await client.call_tool("CAL_GET_TEAMS_LIST", {}))
    team = next(t for t in teams if t.get("parentId") == org_id)
    team_types = data(await client.call_tool("CAL_RETRIEVE_TEAM_EVENT_TYPES", {"teamId": team["id"]}))
    team_type = team_types[0]["id"]
    team_booking = data(await client.call_tool("CAL_POST_NEW_BOOKING_REQUEST", {
        "start": await first_free_slot(client, team_type, day), "eventTypeId": team_type,
        "attendee": {"name": "Erin Client", "email": f"erin.{tag}@example.com", "timeZone": "Europe/London"}}))
    team_uid = str(team_booking["uid"])

    in_team = data(await client.call_tool("CAL_LIST_TEAM_BOOKINGS", {"teamId": team["id"]}))
    assert team_uid in [b["uid"] for b in in_team] and uid not in [b["uid"] for b in in_team]
    in_org = data(await client.call_tool("CAL_LIST_ORGANIZATION_BOOKINGS", {"orgId": org_id, "take": 250}))
    assert {uid, team_uid} <= {b["uid"] for b in in_org}
    in_org_team = data(await client.call_tool("CAL_LIST_ORG_TEAM_BOOKINGS", {"orgId": org_id, "teamId": team["id"]}))
    assert team_uid in [b["uid"] for b in in_org_team]

    for done in (uid, team_uid):
        data(await client.call_tool("CAL_CANCEL_BOOKING_VIA_UID", {"bookingUid": done, "cancellationReason": "test"}))
    data(await client.call_tool("CAL_DELETE_EVENT_TYPE_BY_ID", {"eventTypeId": created["id"]}))
    return {"booking": uid, "teamBooking": team_uid}
