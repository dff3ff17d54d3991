"""A booking's people and place (cal-api-version 2024-08-13): GET/POST /v2/bookings/{uid}/attendees,
GET …/attendees/{attendeeId}, POST …/guests and PATCH …/location.

Cal adds attendees and guests through the same handler (platform-libraries addGuestsHandler): people
already on the booking are skipped, and a request adding nobody new is refused. A location change
stores the new value as the booking's location and drops the old video link
(apps/api/v2/src/platform/bookings/2024-08-13/services/booking-location.service.ts).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from cal_mcp.sandbox import booking_flow
from cal_mcp.sandbox.core_lookup import public
from cal_mcp.sandbox.errors import bad_request, not_found
from cal_mcp.sandbox.http import Endpoint, given_fields, json_body, ok, path_int, state_of
from cal_mcp.sandbox.state import SandboxState
from cal_mcp.sandbox.stores.booking_attendees import attendee_id, new_attendee
from cal_mcp.sandbox.stores.records import iso_ms

Record = dict[str, Any]
NOTHING_NEW = "emails_must_be_unique_valid"  # addGuests.handler: every email is already on the booking
MAX_GUESTS = 10  # add-guests.input.ts: ArrayMaxSize(10), a rule the OpenAPI document does not state
# Which field of each UpdateBookingInput*Location_2024_08_13 holds the place.
LOCATION_VALUE = {"address": "address", "link": "link", "phone": "phone", "attendeeAddress": "address",
                  "attendeePhone": "phone", "attendeeDefined": "location"}


def _booking(state: SandboxState, uid: str) -> Record:
    booking = state.table("bookings").get(uid)
    if booking is None:
        raise not_found(f"Booking with uid {uid} not found")
    return booking


def _display_email(email: str) -> str:
    """Cal hides the 25-character suffix it adds to platform managed users' emails."""
    return re.sub(r"\+[a-zA-Z0-9]{25}", "", email)


def _with_id(state: SandboxState, booking: Record, person: Record) -> Record:
    """BookingAttendeeWithId_2024_08_13."""
    out = {"id": attendee_id(state, booking["uid"], person["email"]), "name": person["name"],
           "email": person["email"], "displayEmail": _display_email(person["email"]),
           "timeZone": person["timeZone"], "absent": bool(person.get("absent"))}
    for key in ("language", "phoneNumber"):
        if person.get(key):
            out[key] = person[key]
    return out


def _add_people(state: SandboxState, booking: Record, people: list[Record]) -> list[Record]:
    """Append the people not yet on the booking (by email); they become guests of its responses too."""
    known = {a["email"].lower() for a in booking["attendees"]}
    # A guest given without a time zone gets the organizer's (addGuests.handler).
    host_zone = booking["hosts"][0]["timeZone"] if booking["hosts"] else "UTC"
    added = []
    for person in people:
        if person["email"].lower() in known:
            continue
        known.add(person["email"].lower())
        added.append(new_attendee(person, default_time_zone=host_zone))
    if not added:
        raise bad_request(NOTHING_NEW)
    booking["attendees"].extend(added)
    emails = [a["email"] for a in added]
    booking["guests"] = [*booking.get("guests", []), *emails]
    responses = booking["bookingFieldsResponses"]
    responses["guests"] = [*responses.get("guests", []), *emails]
    responses["displayGuests"] = list(responses["guests"])
    booking["updatedAt"] = iso_ms(state.now())
    return added


async def list_attendees(request: Request) -> Response:
    state = state_of(request)
    booking = _booking(state, request.path_params["bookingUid"])
    return ok([_with_id(state, booking, a) for a in booking["attendees"]])


async def get_attendee(request: Request) -> Response:
    state = state_of(request)
    booking = _booking(state, request.path_params["bookingUid"])
    wanted = path_int(request, "attendeeId")
    for person in booking["attendees"]:
        listed = _with_id(state, booking, person)
        if listed["id"] == wanted:
            return ok(listed)
    raise not_found(f"Attendee with id {wanted} not found in booking {booking['uid']}")


async def add_attendee(request: Request) -> Response:
    state = state_of(request)
    booking = _booking(state, request.path_params["bookingUid"])
    body = given_fields(await json_body(request))  # AddAttendeeInput_2024_08_13, checked by the gate
    (person,) = _add_people(state, booking, [body])
    return ok({**_with_id(state, booking, person), "bookingId": booking["id"]}, status=201)


async def add_guests(request: Request) -> Response:
    state = state_of(request)
    booking = _booking(state, request.path_params["bookingUid"])
    guests = (await json_body(request))["guests"]  # AddGuestsInput_2024_08_13, checked by the gate
    if len(guests) > MAX_GUESTS:
        raise bad_request("Cannot add more than 10 guests at a time", ["Cannot add more than 10 guests at a time"])
    _add_people(state, booking, [given_fields(g) for g in guests])
    return ok(public(booking))


async def update_location(request: Request) -> Response:
    state = state_of(request)
    uid = request.path_params["bookingUid"]
    booking = state.table("bookings").get(uid)
    if booking is None:
        raise not_found(f"Booking with uid={uid} not found")
    location = (await json_body(request)).get("location")
    if location is None:  # Cal answers with the booking unchanged
        return ok(booking_flow.view(state, uid))
    kind = location["type"]
    value = location.get(LOCATION_VALUE[kind])
    if not value:
        raise bad_request(f"Missing or invalid location value for type: {kind}")
    booking["location"] = value
    booking["meetingUrl"] = value  # the old video link (metadata.videoCallUrl) is dropped
    booking["metadata"].pop("videoCallUrl", None)
    booking["bookingFieldsResponses"]["location"] = {"value": kind, "optionValue": value}
    booking["updatedAt"] = iso_ms(state.now())
    return ok(public(booking))


# Cal's operationId → handler; app.py serves each at its operation's method and path (cal_api_facts.json).
HANDLERS: dict[str, Endpoint] = {
    "BookingAttendeesController_2024_08_13_getBookingAttendees": list_attendees,
    "BookingAttendeesController_2024_08_13_getBookingAttendee": get_attendee,
    "BookingAttendeesController_2024_08_13_addAttendee": add_attendee,
    "BookingGuestsController_2024_08_13_addGuests": add_guests,
    "BookingLocationController_2024_08_13_updateBookingLocation": update_location,
}
