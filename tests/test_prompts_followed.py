"""Issue 14 item 6 (and issue 15 item 7): each workflow prompt, followed step by step, does what it promises.

MCP client → cal-mcp (Streamable HTTP on loopback) → the sandbox (its own loopback port), with one frozen
clock for both. Each test reads the prompt as a client gets it, checks that the tools it names come in
the order the test then calls them, performs the steps with the prompt's own values, and checks the
outcome in the sandbox through the tools.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from mcp import Client

from cal_mcp.app import CalMcpApp
from cal_mcp.config import Settings
from cal_mcp.registry import Registry
from cal_mcp.sandbox.app import create_app
from cal_mcp.sandbox.clock import FrozenClock
from cal_mcp.sandbox.seeds import new_state
from cal_mcp.sandbox.seeds.core import BOOKING_UPCOMING
from cal_mcp.sandbox.state import DEFAULT_EPOCH, SandboxState
from cal_mcp.transports import http_app
from tests.conftest import serve_in_thread
from tests.workflow import DAY, data

ATTENDEE = {"name": "Robin Prompt", "email": "robin.prompt@example.com", "timeZone": "Europe/Paris"}


@pytest.fixture(scope="module")
def state() -> SandboxState:
    return new_state(clock=FrozenClock(DEFAULT_EPOCH))


@pytest.fixture(scope="module")
def mcp_url(state: SandboxState, registry: Registry) -> Iterator[str]:
    with serve_in_thread(create_app(state)) as sandbox_url:
        settings = Settings(api_key="cal_prompt_key", base_url=sandbox_url, rate_limit_per_minute=0)
        with serve_in_thread(http_app(CalMcpApp(settings, registry, clock=state.clock))) as url:
            yield f"{url}/mcp"


async def prompt_text(client: Client, name: str, arguments: dict[str, str]) -> str:
    result = await client.get_prompt(name, arguments)
    text: str = result.messages[0].content.text  # type: ignore[union-attr]
    return text


def steps(text: str) -> list[str]:
    """The tools each numbered step names first, in step order."""
    found = []
    for line in text.splitlines():
        if re.match(r"^\d+\. ", line):
            tools = re.findall(r"CAL_[A-Z0-9_]+", line)
            if tools:
                found.append(tools[0])
    return found


async def call(client: Client, tool: str, arguments: dict[str, Any]) -> Any:
    return data(await client.call_tool(tool, arguments))


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_book_meeting_followed_books_the_offered_start_and_leaves_no_hold(
    state: SandboxState, mcp_url: str
) -> None:
    state.reset()
    async with Client(mcp_url) as client:
        text = await prompt_text(client, "book_meeting", {
            "attendee_name": ATTENDEE["name"], "attendee_email": ATTENDEE["email"],
            "attendee_time_zone": ATTENDEE["timeZone"], "when": DAY, "event_type": "Intro call"})
        assert steps(text) == ["CAL_RETRIEVE_MY_INFORMATION", "CAL_LIST_EVENT_TYPES", "CAL_GET_AVAILABLE_SLOTS_INFO",
                               "CAL_RESERVE_SLOT_FOR_EVENT", "CAL_POST_NEW_BOOKING_REQUEST"]
        assert "UTC offset" in text and "do not release it afterwards" in text
        assert "ISO 8601 UTC" not in text  # slots asked for in a time zone are not UTC
        # 1. The preferred time is a date, not relative: nothing to resolve. 2. The event type by its title.
        intro = next(et for et in await call(client, "CAL_LIST_EVENT_TYPES", {}) if et["title"] == "Intro call")
        # 3. Slots in the attendee's zone carry that zone's offset, as the prompt says.
        slots = await call(client, "CAL_GET_AVAILABLE_SLOTS_INFO", {
            "eventTypeId": intro["id"], "start": DAY, "end": DAY, "timeZone": ATTENDEE["timeZone"]})
        starts = [slot["start"] for day in slots.values() for slot in day]
        assert starts and all(start.endswith("+01:00") for start in starts)
        # 4. The user hesitates: hold one.
        held = await call(client, "CAL_RESERVE_SLOT_FOR_EVENT", {"eventTypeId": intro["id"], "slotStart": starts[1]})
        # 5. Book the start exactly as returned, offset included.
        booking = await call(client, "CAL_POST_NEW_BOOKING_REQUEST", {
            "eventTypeId": intro["id"], "start": starts[1], "attendee": ATTENDEE})
        assert instant(booking["start"]) == instant(starts[1]) and booking["status"] == "accepted"
        # The hold was used up by the booking: releasing it now, which the prompt says not to do, finds nothing.
        release = await client.call_tool("CAL_DELETE_SELECTED_SLOT", {"uid": held["reservationUid"]})
        assert release.is_error and release.structured_content["error"]["status"] == 404
        assert release.structured_content["error"]["hint"].startswith("Nothing to release")
        # 6. What the prompt says to report is in the result.
        assert booking["uid"] and booking["attendees"][0]["timeZone"] == ATTENDEE["timeZone"]
        later = await call(client, "CAL_GET_AVAILABLE_SLOTS_INFO", {
            "eventTypeId": intro["id"], "start": DAY, "end": DAY, "timeZone": ATTENDEE["timeZone"]})
        assert starts[1] not in [slot["start"] for day in later.values() for slot in day]


async def test_reschedule_booking_followed_moves_it_and_keeps_the_reason(state: SandboxState, mcp_url: str) -> None:
    state.reset()
    reason = "The host is travelling that day"
    async with Client(mcp_url) as client:
        text = await prompt_text(client, "reschedule_booking",
                                 {"booking": BOOKING_UPCOMING, "new_time": DAY, "reason": reason})
        assert steps(text) == ["CAL_FETCH_ALL_BOOKINGS", "CAL_RETRIEVE_BOOKING_DETAILS_BY_UID",
                               "CAL_GET_AVAILABLE_SLOTS_INFO", "CAL_RESCHEDULE_BOOKING_BY_UID"]
        assert f'reschedulingReason "{reason}"' in text
        # 1. It is a uid: nothing to search. 2. Read it.
        old = await call(client, "CAL_RETRIEVE_BOOKING_DETAILS_BY_UID", {"bookingUid": BOOKING_UPCOMING})
        zone = old["attendees"][0]["timeZone"]
        # 3. Free starts around the new time, the booking's own time counting as free.
        slots = await call(client, "CAL_GET_AVAILABLE_SLOTS_INFO", {
            "eventTypeId": old["eventTypeId"], "start": DAY, "end": DAY, "timeZone": zone,
            "bookingUidToReschedule": BOOKING_UPCOMING})
        new_start = next(slot["start"] for day in slots.values() for slot in day)
        # 4. Move it with the start as returned and the prompt's reason.
        moved = await call(client, "CAL_RESCHEDULE_BOOKING_BY_UID", {
            "bookingUid": BOOKING_UPCOMING, "start": new_start, "reschedulingReason": reason})
        # 5. A new uid; the reason reached Cal; the old booking is cancelled and points at the new one.
        assert moved["uid"] != BOOKING_UPCOMING and instant(moved["start"]) == instant(new_start)
        fetched = await call(client, "CAL_RETRIEVE_BOOKING_DETAILS_BY_UID", {"bookingUid": moved["uid"], "full": True})
        assert fetched["reschedulingReason"] == reason
        old_now = await call(client, "CAL_RETRIEVE_BOOKING_DETAILS_BY_UID", {"bookingUid": BOOKING_UPCOMING})
        assert old_now["status"] == "cancelled" and old_now["rescheduledToUid"] == moved["uid"]


async def test_cancel_booking_followed_cancels_with_the_reason_and_stops_at_already_cancelled(
    state: SandboxState, mcp_url: str
) -> None:
    state.reset()
    reason = "The attendee asked to cancel"
    async with Client(mcp_url) as client:
        text = await prompt_text(client, "cancel_booking", {"booking": BOOKING_UPCOMING, "reason": reason})
        assert steps(text) == ["CAL_FETCH_ALL_BOOKINGS", "CAL_CANCEL_BOOKING_VIA_UID"]
        assert f'cancellationReason "{reason}"' in text and "optional" not in text
        without = await prompt_text(client, "cancel_booking", {"booking": BOOKING_UPCOMING})
        assert "requires a reason" in without and "Ask the user for one" in without
        # 1. A uid already; 2. (the user confirms); 3. cancel with the reason.
        cancelled = await call(client, "CAL_CANCEL_BOOKING_VIA_UID",
                               {"bookingUid": BOOKING_UPCOMING, "cancellationReason": reason})
        assert cancelled["status"] == "cancelled"
        fetched = await call(client, "CAL_RETRIEVE_BOOKING_DETAILS_BY_UID", {"bookingUid": BOOKING_UPCOMING})
        assert fetched["cancellationReason"] == reason
        # 4. Done twice by mistake: Cal says already cancelled and the next step agrees with the prompt.
        again = await client.call_tool("CAL_CANCEL_BOOKING_VIA_UID",
                                       {"bookingUid": BOOKING_UPCOMING, "cancellationReason": reason})
        assert again.is_error and again.structured_content["error"]["hint"].startswith("Nothing to do")


async def test_find_free_time_followed_finds_windows_the_slots_agree_with(state: SandboxState, mcp_url: str) -> None:
    state.reset()
    async with Client(mcp_url) as client:
        text = await prompt_text(client, "find_free_time", {"date_range": DAY, "duration_minutes": "30"})
        assert steps(text) == ["CAL_RETRIEVE_MY_INFORMATION", "CAL_RETRIEVE_CALENDAR_LIST",
                               "CAL_RETRIEVE_CALENDAR_BUSY_TIMES", "CAL_GET_DEFAULT_SCHEDULE_DETAILS",
                               "CAL_GET_AVAILABLE_SLOTS_INFO"]
        # 1. now and the host's zone.
        me = await client.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})
        zone = me.structured_content["now"]["timeZone"]
        assert instant(me.structured_content["now"]["utc"]) == DEFAULT_EPOCH
        # 2. The calendars; 3. busy times of each, whole day, in UTC as the prompt says.
        listing = await call(client, "CAL_RETRIEVE_CALENDAR_LIST", {})
        calendars = [(c["credentialId"], c["externalId"]) for conn in listing["connectedCalendars"]
                     for c in conn["calendars"]]
        busy: list[tuple[datetime, datetime]] = []
        for credential_id, external_id in calendars:
            found = await call(client, "CAL_RETRIEVE_CALENDAR_BUSY_TIMES", {
                "dateFrom": DAY, "dateTo": DAY, "timeZone": zone, "credentialId": credential_id,
                "externalId": external_id})
            assert all(b["start"].endswith("Z") and b["end"].endswith("Z") for b in found)
            busy += [(instant(b["start"]), instant(b["end"])) for b in found]
        assert busy, "the seeded calendar has a meeting that day"
        # 4. Working hours minus busy intervals, windows of at least 30 minutes.
        schedule = await call(client, "CAL_GET_DEFAULT_SCHEDULE_DETAILS", {})
        hours = schedule["availability"][0]
        local = ZoneInfo(schedule["timeZone"])
        day_start = datetime.fromisoformat(f"{DAY}T{hours['startTime']}").replace(tzinfo=local)
        day_end = datetime.fromisoformat(f"{DAY}T{hours['endTime']}").replace(tzinfo=local)
        windows = [(day_start, day_end)]
        for b_start, b_end in sorted(busy):
            windows = [piece for w_start, w_end in windows for piece in
                       ((w_start, min(w_end, b_start)), (max(w_start, b_end), w_end)) if piece[1] > piece[0]]
        windows = [w for w in windows if w[1] - w[0] >= timedelta(minutes=30)]
        assert windows and all(not (w[0] < b[1] and b[0] < w[1]) for w in windows for b in busy)
        # 5. The slots tool agrees: every 30-minute start it offers lies inside a computed free window.
        intro = next(et for et in await call(client, "CAL_LIST_EVENT_TYPES", {}) if et["lengthInMinutes"] == 30
                     and et.get("scheduleId") is None)
        slots = await call(client, "CAL_GET_AVAILABLE_SLOTS_INFO", {
            "eventTypeId": intro["id"], "start": DAY, "end": DAY})
        starts = [instant(slot["start"]) for day in slots.values() for slot in day]
        assert starts
        for start in starts:
            end = start + timedelta(minutes=30)
            assert any(w_start <= start and end <= w_end for w_start, w_end in windows), start


@pytest.mark.parametrize("arguments", [
    {"date_range": "next week"},
    {"date_range": "next Monday to Wednesday", "duration_minutes": "45"},
    {"date_range": "2026-12-01 to 2026-12-03", "time_zone": "Asia/Tokyo"},
])
async def test_find_free_time_reads_naturally_with_any_arguments(mcp_url: str, arguments: dict[str, str]) -> None:
    async with Client(mcp_url) as client:
        text = await prompt_text(client, "find_free_time", arguments)
    first = text.splitlines()[0]
    assert first.startswith(f"Find free time in the user's calendars for {arguments['date_range']}.")
    for awkward in ("between next", "needs minutes", "for  ", "None", "the length the user needs minutes"):
        assert awkward not in text
    if "duration_minutes" in arguments:
        assert f"at least {arguments['duration_minutes']} minutes" in first
    else:
        assert "ask" in first
    if "time_zone" in arguments:
        assert f"in {arguments['time_zone']}" in first
