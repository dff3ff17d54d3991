"""Actions on one booking: cancel, confirm, decline, reschedule, mark-absent, reassign (2024-08-13)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from cal_mcp.sandbox import availability, booking_flow
from cal_mcp.sandbox.booking_flow import find, series
from cal_mcp.sandbox.core_lookup import (
    event_type_by_id,
    find_user,
    get_me,
    host_users,
    public,
    requires_confirmation,
    scheduling_type,
)
from cal_mcp.sandbox.errors import bad_request, not_found
from cal_mcp.sandbox.http import Endpoint, given_fields, json_body, ok, path_int, state_of
from cal_mcp.sandbox.slots import parse_instant
from cal_mcp.sandbox.stores.bookings import BOOKINGS_TABLE, host_record, new_booking
from cal_mcp.sandbox.stores.records import iso_ms

Record = dict[str, Any]


def _touch(state: Any, booking: Record, **changes: Any) -> None:
    booking.update(changes, updatedAt=iso_ms(state.now()))


async def cancel_booking(request: Request) -> Response:
    state = state_of(request)
    uid = request.path_params["bookingUid"]
    body = await json_body(request)
    if "seatUid" in body:
        raise bad_request("Invalid seatUid: this seat does not exist or has already been cancelled.")
    me = get_me(state)
    reason = body.get("cancellationReason") or ""
    booking = state.table(BOOKINGS_TABLE).get(uid)
    if booking is None:
        # A recurring series' uid cancels every occurrence that has not happened yet.
        occurrences = series(state, uid)
        if not occurrences:
            raise not_found(f"Booking with uid={uid} was not found in the database")
        _require_reason(occurrences[0], me, reason)
        for item in occurrences:
            start = parse_instant(item["start"])
            if item["status"] != "cancelled" and start is not None and start >= state.now():
                _touch(state, item, status="cancelled", cancellationReason=reason, cancelledByEmail=me["email"])
        return ok([public(b) for b in series(state, uid)])
    if booking["status"] == "cancelled":
        raise bad_request("This booking has already been cancelled.")
    _require_reason(booking, me, reason)
    if body.get("cancelSubsequentBookings"):
        recurring = booking.get("recurringBookingUid")
        if not recurring:
            raise bad_request(f"Booking with bookingUid={uid} is not part of a recurring booking.")
        for item in series(state, recurring):
            if item["start"] >= booking["start"] and item["status"] != "cancelled":
                _touch(state, item, status="cancelled", cancellationReason=reason, cancelledByEmail=me["email"])
        return ok([public(b) for b in series(state, recurring)])
    _touch(state, booking, status="cancelled", cancellationReason=reason, cancelledByEmail=me["email"])
    return ok(public(booking))


def _require_reason(booking: Record, me: Record, reason: Any) -> None:
    """Cal makes the host (here: the API key's user) say why they cancel."""
    if not reason and any(h.get("id") == me["id"] for h in booking["hosts"]):
        raise bad_request("Cancellation reason is required when you are the host")


def _pending(booking: Record, done: str) -> None:
    """Only bookings waiting for the host (status pending) can be confirmed or declined."""
    if booking["status"] == "accepted" and done == "confirmed":
        raise bad_request("Booking already confirmed")
    if booking["status"] != "pending":
        raise bad_request(
            f"Booking with uid={booking['uid']} is {booking['status']}: only pending bookings (of event types "
            f"that require confirmation) can be {done}."
        )


async def confirm_booking(request: Request) -> Response:
    state = state_of(request)
    booking = find(state, request.path_params["bookingUid"])
    _pending(booking, "confirmed")
    group = series(state, booking["recurringBookingUid"]) if "recurringBookingUid" in booking else [booking]
    for item in group:
        if item["status"] == "pending":
            _touch(state, item, status="accepted")
    return ok(public(booking))


async def decline_booking(request: Request) -> Response:
    state = state_of(request)
    booking = find(state, request.path_params["bookingUid"])
    body = await json_body(request)
    _pending(booking, "declined")
    group = series(state, booking["recurringBookingUid"]) if "recurringBookingUid" in booking else [booking]
    for item in group:
        if item["status"] == "pending":
            _touch(state, item, status="rejected", _rejectionReason=body.get("reason"))
    return ok(public(booking))


async def reschedule_booking(request: Request) -> Response:
    state = state_of(request)
    uid = request.path_params["bookingUid"]
    body = await json_body(request)
    old = find(state, uid)
    if old["status"] == "cancelled":
        if old.get("_rescheduled"):
            new_uid = old.get("rescheduledToUid")
            raise bad_request(
                f"Can't reschedule booking with uid={uid} because it has been cancelled and rescheduled already "
                f"to booking with uid={new_uid}. You probably want to reschedule {new_uid} instead by passing it "
                "within the request URL."
            )
        raise bad_request(
            f"Can't reschedule booking with uid={uid} because it has been cancelled. Please provide uid of a "
            "booking that is not cancelled."
        )
    if "seatUid" in body:
        raise bad_request("Invalid seatUid: this seat does not exist or has already been cancelled.")
    event_type = event_type_by_id(state, old["eventTypeId"])
    if event_type is None:
        raise bad_request(f"Event type with id={old['eventTypeId']} was not found in the database")
    start = parse_instant(body["start"])
    assert start is not None  # the gate checked it (IsDateString, reschedule-booking.input.ts)
    length = int(old["duration"])
    host = booking_flow.choose_host(state, event_type, start, length, exclude_uid=uid)
    me = get_me(state)
    by = body.get("rescheduledBy")
    confirmed = not requires_confirmation(event_type) or by == me["email"]
    attendee = old["attendees"][0]
    new_uid = state.new_uid()
    responses = dict(old["bookingFieldsResponses"])
    if body.get("reschedulingReason"):
        responses["rescheduledReason"] = body["reschedulingReason"]
    fresh = new_booking(
        state, uid=new_uid, event_type=event_type, host=host, start=start, length=length,
        body={"attendee": {**attendee, "language": attendee.get("language", "en")}, "guests": old.get("guests", []),
              "metadata": old.get("metadata", {}), "bookingFieldsResponses": responses},
        status="accepted" if confirmed else "pending", rescheduledFromUid=uid,
    )
    fresh["attendees"] = [dict(a, absent=False) for a in old["attendees"]]
    fresh["title"], fresh["description"] = old["title"], old["description"]
    if "recurringBookingUid" in old:
        fresh["recurringBookingUid"] = old["recurringBookingUid"]
    if body.get("reschedulingReason"):
        fresh["reschedulingReason"] = body["reschedulingReason"]
    if by:
        fresh["rescheduledByEmail"] = by
    state.table(BOOKINGS_TABLE)[new_uid] = fresh
    _touch(state, old, status="cancelled", rescheduledToUid=new_uid, _rescheduled=True,
           **({"rescheduledByEmail": by} if by else {}))
    return ok(public(fresh), status=201)


async def mark_absent(request: Request) -> Response:
    state = state_of(request)
    uid = request.path_params["bookingUid"]
    body = given_fields(await json_body(request))  # checked by the request gate (MarkAbsentBookingInput)
    booking = state.table(BOOKINGS_TABLE).get(uid)
    if booking is None:
        raise not_found(f"Booking with uid={uid} not found.")
    now, start = state.now(), parse_instant(booking["start"])
    if start is not None and now < start:
        raise bad_request(
            "Bookings can only be marked as absent after their scheduled start time. Current time in UTC+0: "
            f"{iso_ms(now)}, Booking start time in UTC+0: {iso_ms(start)}"
        )
    if "host" in body:
        booking["absentHost"] = body["host"]
    marks = {a["email"].lower(): a["absent"] for a in body.get("attendees", [])}
    for attendee in booking["attendees"]:
        if attendee["email"].lower() in marks:
            attendee["absent"] = marks[attendee["email"].lower()]
    _touch(state, booking)
    return ok(public(booking))


def _round_robin(state: Any, booking: Record) -> Record:
    event_type = event_type_by_id(state, booking["eventTypeId"])
    if event_type is None:
        raise bad_request(f"Event type with id={booking['eventTypeId']} was not found in the database")
    if scheduling_type(event_type) != "roundrobin":
        raise bad_request(
            f"Booking with uid={booking['uid']} can't be reassigned: only bookings of round robin team event types "
            "can be reassigned."
        )
    return event_type


def _reassigned(state: Any, booking: Record, user: Record) -> Response:
    _touch(state, booking, hosts=[host_record(user)])
    # ReassignedToDto: displayEmail is the address shown to people (Cal strips managed-user suffixes).
    reassigned_to = {"id": user["id"], "name": user["name"], "email": user["email"], "displayEmail": user["email"]}
    return ok({"bookingUid": booking["uid"], "reassignedTo": reassigned_to})


async def reassign_automatically(request: Request) -> Response:
    state = state_of(request)
    booking = find(state, request.path_params["bookingUid"])
    event_type = _round_robin(state, booking)
    current = {h.get("id") for h in booking["hosts"]}
    start = parse_instant(booking["start"])
    assert start is not None
    for host in host_users(state, event_type):
        if host["id"] in current:
            continue
        if availability.host_is_free(state, event_type, host["id"], start, int(booking["duration"]),
                                                  exclude_uid=booking["uid"]):
            return _reassigned(state, booking, host)
    raise bad_request("Can't reassign the booking because no other host is available at that time.")


async def reassign_to_user(request: Request) -> Response:
    state = state_of(request)
    booking = find(state, request.path_params["bookingUid"])
    user_id = path_int(request, "userId")
    event_type = _round_robin(state, booking)  # the optional reason is not stored: no output shows it
    user = find_user(state, user_id=user_id)
    if user is None:
        raise not_found(f"User with id={user_id} was not found in the database")
    if all(h["id"] != user_id for h in host_users(state, event_type)):
        raise bad_request(
            f"User with id={user_id} is not a valid Round Robin host - the user to which you reassign this booking "
            "must be one of the booking hosts. Fetch the booking using following endpoint and select id of one of "
            "the hosts: https://cal.com/docs/api-reference/v2/bookings/get-a-booking"
        )
    return _reassigned(state, booking, user)


# Cal's operationId → handler; app.py serves each at its operation's method and path (cal_api_facts.json).
HANDLERS: dict[str, Endpoint] = {
    "BookingsController_2024_08_13_cancelBooking": cancel_booking,
    "BookingsController_2024_08_13_confirmBooking": confirm_booking,
    "BookingsController_2024_08_13_declineBooking": decline_booking,
    "BookingsController_2024_08_13_rescheduleBooking": reschedule_booking,
    "BookingsController_2024_08_13_markNoShow": mark_absent,
    "BookingsController_2024_08_13_reassignBooking": reassign_automatically,
    "BookingsController_2024_08_13_reassignBookingToUser": reassign_to_user,
}

