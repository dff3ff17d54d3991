"""An agent's whole booking conversation, tool by tool, over MCP Streamable HTTP against a sandbox
served on its own loopback port (as ``python -m cal_mcp.sandbox --now …`` runs it).

find an event type → list slots → reserve one → book it → reschedule → cancel; after every step the
agent's view is checked through the tools themselves (slots, booking lists, booking details).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from mcp import Client

from cal_mcp.app import CalMcpApp
from cal_mcp.config import Settings
from cal_mcp.registry import Registry
from cal_mcp.sandbox.app import create_app
from cal_mcp.sandbox.clock import FrozenClock
from cal_mcp.sandbox.seeds import new_state
from cal_mcp.sandbox.state import DEFAULT_EPOCH, SandboxState
from cal_mcp.transports import http_app
from tests.conftest import serve_in_thread
from tests.workflow import DAY, data

ATTENDEE = {"name": "Robin Agent", "email": "robin.agent@example.com", "timeZone": "Europe/Berlin"}


@pytest.fixture(scope="module")
def sandbox_state() -> SandboxState:
    return new_state(clock=FrozenClock(DEFAULT_EPOCH))


@pytest.fixture(scope="module")
def mcp_url(sandbox_state: SandboxState, registry: Registry) -> Iterator[str]:
    with serve_in_thread(create_app(sandbox_state)) as sandbox_url:
        settings = Settings(api_key="cal_scenario_key", base_url=sandbox_url, rate_limit_per_minute=0)
        with serve_in_thread(http_app(CalMcpApp(settings, registry))) as url:
            yield f"{url}/mcp"


async def call(client: Client, tool: str, arguments: dict[str, Any]) -> Any:
    return data(await client.call_tool(tool, arguments))


async def free_starts(client: Client, event_type_id: int, *, rescheduling: str | None = None) -> list[str]:
    query: dict[str, Any] = {"eventTypeId": event_type_id, "start": DAY, "end": DAY}
    if rescheduling:
        query["bookingUidToReschedule"] = rescheduling
    slots = await call(client, "CAL_GET_AVAILABLE_SLOTS_INFO", query)
    return [slot["start"] for day in slots.values() for slot in day]


async def my_bookings(client: Client, status: str) -> list[tuple[str, str]]:
    found = await call(client, "CAL_FETCH_ALL_BOOKINGS", {"status": [status], "attendeeEmail": ATTENDEE["email"]})
    return [(booking["uid"], booking["start"]) for booking in found]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_an_agent_reserves_books_reschedules_and_cancels_a_meeting(
    sandbox_state: SandboxState, mcp_url: str, mode: str
) -> None:
    sandbox_state.reset()
    with anyio.fail_after(30):
        async with Client(mcp_url, mode=mode) as client:  # type: ignore[arg-type]
            await run_scenario(client)


async def run_scenario(client: Client) -> None:
    # 1. Find the event type the user asked for.
    event_types = await call(client, "CAL_LIST_EVENT_TYPES", {})
    intro = next(et for et in event_types if et["slug"] == "intro-call")
    assert intro["lengthInMinutes"] == 30 and not intro.get("confirmationPolicy")
    event_type_id = intro["id"]

    # 2. List the free slots of the day.
    initial = await free_starts(client, event_type_id)
    assert len(initial) > 2
    chosen = initial[0]

    # 3. Hold the chosen slot while the user confirms: nobody else is offered it any more.
    held = await call(client, "CAL_RESERVE_SLOT_FOR_EVENT", {"eventTypeId": event_type_id, "slotStart": chosen})
    assert held["slotStart"] == chosen and held["reservationUid"]
    assert await free_starts(client, event_type_id) == initial[1:]

    # 4. Book the held slot (the caller's own hold does not block it); it shows among upcoming bookings.
    booking = await call(client, "CAL_POST_NEW_BOOKING_REQUEST", {
        "start": chosen, "eventTypeId": event_type_id, "attendee": ATTENDEE})
    uid = booking["uid"]
    assert booking["status"] == "accepted" and booking["start"] == chosen
    assert booking["attendees"][0]["email"] == ATTENDEE["email"]
    assert await my_bookings(client, "upcoming") == [(uid, chosen)]
    assert chosen not in await free_starts(client, event_type_id)

    # 5. Reschedule: while moving it, the booking's own time counts as free; the move makes a new booking.
    movable = await free_starts(client, event_type_id, rescheduling=uid)
    assert chosen in movable
    new_start = movable[-1]
    moved = await call(client, "CAL_RESCHEDULE_BOOKING_BY_UID", {
        "bookingUid": uid, "start": new_start, "reschedulingReason": "The attendee asked for the afternoon"})
    new_uid = moved["uid"]
    assert new_uid != uid and moved["start"] == new_start and moved["rescheduledFromUid"] == uid
    old = await call(client, "CAL_RETRIEVE_BOOKING_DETAILS_BY_UID", {"bookingUid": uid})
    assert old["status"] == "cancelled" and old["rescheduledToUid"] == new_uid
    assert await my_bookings(client, "upcoming") == [(new_uid, new_start)]
    after_move = await free_starts(client, event_type_id)
    assert chosen in after_move and new_start not in after_move

    # 6. Cancel with a reason (the host must give one): the booking is cancelled and its slot free again.
    cancelled = await call(client, "CAL_CANCEL_BOOKING_VIA_UID", {
        "bookingUid": new_uid, "cancellationReason": "The attendee can no longer attend"})
    assert cancelled["uid"] == new_uid and cancelled["status"] == "cancelled"
    fetched = await call(client, "CAL_RETRIEVE_BOOKING_DETAILS_BY_UID", {"bookingUid": new_uid})
    assert fetched["status"] == "cancelled" and fetched["cancellationReason"] == "The attendee can no longer attend"
    assert await my_bookings(client, "upcoming") == []
    assert {u for u, _ in await my_bookings(client, "cancelled")} == {uid, new_uid}
    assert await free_starts(client, event_type_id) == initial
