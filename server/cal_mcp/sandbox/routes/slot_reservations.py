"""GET and PATCH /v2/slots/reservations/{uid} (cal-api-version 2024-09-04): read and move a held slot.

Cal's ``SlotsService_2024_09_04``: ``getReservedSlot`` answers ``data: null`` for an unknown UID (no 404);
``updateReservedSlot`` takes a whole ReserveSlotInput (the request gate checked it), 404s an unknown UID
or event type, checks a variable length, refuses a time already booked or held by another reservation,
and moves the hold; the hold hides the new slot from GET /v2/slots (``availability.busy_for_host``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from cal_mcp.sandbox import availability, slots
from cal_mcp.sandbox.core_lookup import host_users
from cal_mcp.sandbox.errors import bad_request, not_found
from cal_mcp.sandbox.http import Endpoint, given_fields, json_body, ok, state_of
from cal_mcp.sandbox.routes.slots import DEFAULT_RESERVATION_MINUTES, reservation_event_type
from cal_mcp.sandbox.state import USER_ID, SandboxState
from cal_mcp.sandbox.stores.bookings import RESERVATIONS_TABLE
from cal_mcp.sandbox.stores.records import iso_ms


def _out(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if not k.startswith("_")}


async def get_reservation(request: Request) -> Response:
    record = state_of(request).table(RESERVATIONS_TABLE).get(request.path_params["uid"])
    return ok(_out(record) if record is not None else None)


def _length(event_type: dict[str, Any], slot_duration: int | None) -> int:
    if slot_duration is None:
        return int(event_type["lengthInMinutes"])
    options = event_type.get("lengthInMinutesOptions") or []
    if options and slot_duration not in options:
        raise bad_request(
            "Provided 'slotDuration' is not one of the possible lengths for the event type. The possible "
            f"lengths for this variable length event type are: {', '.join(map(str, options))}"
        )
    return slot_duration


def _refuse_taken(state: SandboxState, event_type: dict[str, Any], slot: slots.Interval, own_uid: str) -> None:
    for host in host_users(state, event_type) or [{"id": USER_ID}]:
        busy = availability.busy_for_host(state, host["id"], reservation_blocks=lambda _r: False)
        if any(slot.overlaps(b) for b in busy):
            raise bad_request("Can't reserve a slot if the event is already booked.")
    for other in availability.live_reservations(state):
        if other["reservationUid"] == own_uid or other["eventTypeId"] != event_type["id"]:
            continue
        held = slots.Interval(slots.parse_instant(other["slotStart"]) or slot.start,
                              slots.parse_instant(other["slotEnd"]) or slot.start)
        if held.overlaps(slot):
            raise bad_request("This time slot is already reserved by another user. Please choose a different time.")


async def update_reservation(request: Request) -> Response:
    state = state_of(request)
    uid = request.path_params["uid"]
    record = state.table(RESERVATIONS_TABLE).get(uid)
    if record is None:
        raise not_found(f"Slot with uid={uid} not found")
    body = given_fields(await json_body(request))
    event_type = reservation_event_type(request, state, body)
    length = _length(event_type, body.get("slotDuration"))
    start = slots.parse_instant(body["slotStart"])
    assert start is not None  # the gate checked it (IsDateString, reserve-slot.input.ts)
    slot = slots.Interval(start, start + timedelta(minutes=length))
    _refuse_taken(state, event_type, slot, uid)
    minutes = int(body.get("reservationDuration") or record.get("reservationDuration") or DEFAULT_RESERVATION_MINUTES)
    hosts = host_users(state, event_type)
    record.update(
        eventTypeId=event_type["id"], slotStart=iso_ms(slot.start), slotEnd=iso_ms(slot.end), slotDuration=length,
        reservationDuration=minutes, reservationUntil=iso_ms(state.now() + timedelta(minutes=minutes)),
        _hostId=hosts[0]["id"] if hosts else USER_ID,
    )
    return ok(_out(record))


# Cal's operationId → handler; app.py serves each at its operation's method and path (cal_api_facts.json).
HANDLERS: dict[str, Endpoint] = {
    "SlotsController_2024_09_04_getReservedSlot": get_reservation,
    "SlotsController_2024_09_04_updateReservedSlot": update_reservation,
}
