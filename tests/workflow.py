"""The agent's core path, shared by the transport tests: event type → slots → book → cancel."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mcp import Client

from cal_mcp.sandbox.state import DEFAULT_EPOCH

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
    assert len(tools.tools) == 141
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
