"""GET /v2/slots and slot reservations (cal-api-version 2024-09-04; public routes in Cal).

A reservation holds a slot for ``reservationDuration`` minutes (default 5): it hides the slot
from GET /v2/slots and blocks other people's bookings until it expires by the sandbox clock.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cal_mcp.sandbox import availability, slots
from cal_mcp.sandbox.core_lookup import (
    event_type_by_id,
    find_user,
    host_users,
    team_event_type_by_slug,
    user_event_type_by_slug,
)
from cal_mcp.sandbox.errors import bad_request, not_found, unauthorized
from cal_mcp.sandbox.http import Endpoint, given_fields, json_body, ok, query_list, state_of
from cal_mcp.sandbox.state import ORG_SLUG, USER_ID
from cal_mcp.sandbox.stores.bookings import RESERVATIONS_TABLE
from cal_mcp.sandbox.stores.records import iso_ms

if TYPE_CHECKING:
    from cal_mcp.sandbox.state import SandboxState

DEFAULT_RESERVATION_MINUTES = 5
MAX_RANGE = timedelta(days=366)


def is_authenticated(request: Request) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip())


def _length_for(event_type: dict[str, Any], duration: int | None) -> int:
    """A requested duration counts only when the event type offers it (else its default length)."""
    options = event_type.get("lengthInMinutesOptions") or []
    if duration is not None and duration in options:
        return duration
    return int(event_type["lengthInMinutes"])


def _query_event_type(state: SandboxState, request: Request) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """(event type, hosts): by id, slug + username, slug + teamSlug, or usernames (dynamic)."""
    params = request.query_params
    org = params.get("organizationSlug")
    if org is not None and org != ORG_SLUG:
        raise not_found(f"Organization with slug {org} not found")
    if "eventTypeId" in params:
        event_type = event_type_by_id(state, _whole(params["eventTypeId"]))
    elif "eventTypeSlug" in params and "username" in params:
        event_type = user_event_type_by_slug(state, params["username"], params["eventTypeSlug"])
    elif "eventTypeSlug" in params and "teamSlug" in params:
        event_type = team_event_type_by_slug(state, params["teamSlug"], params["eventTypeSlug"])
    else:
        people = []
        for name in query_list(request, "usernames"):
            person = find_user(state, username=name)
            if person is None:
                raise not_found(f"User with username {name} not found")
            people.append(person)
        return None, people
    if event_type is None:
        raise not_found("Event Type not found")
    return event_type, host_users(state, event_type)


def _whole(text: str) -> int:
    """A query number as Cal's transform reads it (parseInt): the gate let only numbers through."""
    return int(float(text))


def _range(request: Request) -> tuple[datetime, datetime]:
    """The window, after the gate checked start and end are ISO 8601 date strings (IsDateString)."""
    params = request.query_params
    start = slots.parse_range_bound(params["start"], is_end=False)
    end = slots.parse_range_bound(params["end"], is_end=True)
    if start is None:
        raise bad_request("Invalid start date")
    if end is None:
        raise bad_request("Invalid end date")
    if end < start or end - start > MAX_RANGE:
        raise bad_request("Invalid time range given - check the 'start' and 'end' query parameters.")
    return start, end


async def get_available_slots(request: Request) -> Response:
    state = state_of(request)
    params = request.query_params
    start, end = _range(request)
    time_zone = params.get("timeZone")
    fmt = params.get("format", "time")
    # A duration of zero minutes or fewer makes no slots: it counts as not given.
    duration = _whole(params["duration"]) if "duration" in params else None
    duration = duration if duration is not None and duration > 0 else None
    event_type, people = _query_event_type(state, request)
    exclude = params.get("bookingUidToReschedule")
    if event_type is None:
        # Dynamic group event: the first user's schedule rules, every user must be free.
        length = duration or 30
        me_event = {"lengthInMinutes": length, "ownerId": USER_ID}
        starts = availability.event_type_starts(
            state, me_event, length, start, end, exclude_uid=exclude, hosts=people, all_hosts=True
        )
    else:
        length = _length_for(event_type, duration)
        starts = availability.event_type_starts(state, event_type, length, start, end, exclude_uid=exclude,
                                                hosts=people)
    return ok(slots.slot_map(starts, length, time_zone, fmt))


def new_reservation_uid(state: SandboxState) -> str:
    """Cal uses UUID v4 reservation UIDs; drawn from the seeded RNG to stay deterministic."""
    return str(uuid.UUID(int=state.random.getrandbits(128), version=4))


def reservation_event_type(request: Request, state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
    """The event type a ReserveSlotInput names (404 when unknown); 401 for a custom hold length sent
    without credentials. Shared by reserving a slot and moving a reservation (SlotsService_2024_09_04)."""
    if "reservationDuration" in body and not is_authenticated(request):
        raise unauthorized(
            "reservationDuration can only be used for authenticated requests - use access token, api key or "
            "OAuth credentials"
        )
    event_type = event_type_by_id(state, int(body["eventTypeId"]))
    if event_type is None:
        raise not_found(f"Event Type with ID={body['eventTypeId']} not found")
    return event_type


async def reserve_slot(request: Request) -> Response:
    state = state_of(request)
    body = given_fields(await json_body(request))  # shape checked by the request gate (reserve-slot.input.ts)
    authenticated = is_authenticated(request)
    event_type = reservation_event_type(request, state, body)
    length = int(event_type["lengthInMinutes"])
    if "slotDuration" in body:
        options = event_type.get("lengthInMinutesOptions") or []
        if not options:
            raise bad_request("You passed 'slotDuration' but this event type is not a variable length event type.")
        if body["slotDuration"] not in options:
            raise bad_request(
                "Provided 'slotDuration' is not one of the possible lengths for the event type. The possible "
                f"lengths for this variable length event type are: {', '.join(map(str, options))}"
            )
        length = int(body["slotDuration"])
    minutes = int(body.get("reservationDuration", DEFAULT_RESERVATION_MINUTES))
    slot_start = slots.parse_instant(body["slotStart"])
    assert slot_start is not None  # the gate checked it (IsDateString, reserve-slot.input.ts)
    slot = slots.Interval(slot_start, slot_start + timedelta(minutes=length))
    hosts = host_users(state, event_type)
    _refuse_taken(state, event_type, hosts, slot)
    uid = new_reservation_uid(state)
    record = {
        "eventTypeId": event_type["id"],
        "slotStart": iso_ms(slot.start),
        "slotEnd": iso_ms(slot.end),
        "slotDuration": length,
        "reservationUid": uid,
        "reservationDuration": minutes,
        "reservationUntil": iso_ms(state.now() + timedelta(minutes=minutes)),
        # Bookkeeping: who holds it (None = an anonymous booker) and whose time it blocks.
        "_reservedBy": USER_ID if authenticated else None,
        "_hostId": hosts[0]["id"] if hosts else USER_ID,
    }
    state.table(RESERVATIONS_TABLE)[uid] = record
    return ok({k: v for k, v in record.items() if not k.startswith("_")}, status=201)


def _refuse_taken(
    state: SandboxState, event_type: dict[str, Any], hosts: list[dict[str, Any]], slot: slots.Interval
) -> None:
    """400 when the slot is already booked or held by a live reservation (Cal answers 422 for both)."""
    host_ids = {h["id"] for h in hosts} or {USER_ID}
    for host_id in host_ids:
        busy = availability.busy_for_host(state, host_id, reservation_blocks=lambda _r: False)
        if any(slot.overlaps(b) for b in busy):
            raise bad_request("Can't reserve a slot if the event is already booked.")
    for reservation in availability.live_reservations(state):
        held = slots.Interval(
            slots.parse_instant(reservation["slotStart"]) or slot.start,
            slots.parse_instant(reservation["slotEnd"]) or slot.start,
        )
        if reservation["eventTypeId"] == event_type["id"] and held.overlaps(slot):
            raise bad_request("This time slot is already reserved by another user. Please choose a different time.")


async def delete_reservation(request: Request) -> Response:
    uid = request.path_params["uid"]
    table = state_of(request).table(RESERVATIONS_TABLE)
    if uid not in table:
        raise not_found(f"Reserved slot with uid={uid} not found")
    del table[uid]
    return JSONResponse({"status": "success"})


# Cal's operationId → handler; app.py serves each at its operation's method and path (cal_api_facts.json).
HANDLERS: dict[str, Endpoint] = {
    "SlotsController_2024_09_04_getAvailableSlots": get_available_slots,
    "SlotsController_2024_09_04_reserveSlot": reserve_slot,
    "SlotsController_2024_09_04_deleteReservedSlot": delete_reservation,
}
