"""What a booking left behind, read-only (cal-api-version 2024-08-13): calendar and video references,
add-to-calendar links, Cal Video recordings, transcripts and sessions, and a booking found by seat.

Every route answers 404 for an unknown booking. Sandbox meetings never take place on Cal Video, so
recordings, transcripts and sessions are empty lists, as Cal answers for a meeting nobody recorded.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response

from cal_mcp.sandbox.core_lookup import public
from cal_mcp.sandbox.errors import not_found
from cal_mcp.sandbox.http import Endpoint, ok, state_of
from cal_mcp.sandbox.slots import parse_instant
from cal_mcp.sandbox.state import USER_ID, SandboxState
from cal_mcp.sandbox.stores.bookings import BOOKINGS_TABLE

Record = dict[str, Any]
# Booking reference types by calendar integration (Cal's Credential.type of the destination calendar).
CALENDAR_REFERENCE = {"google_calendar": "google_calendar", "office365_calendar": "office365_calendar"}


def _booking(request: Request) -> tuple[SandboxState, Record]:
    state = state_of(request)
    uid = request.path_params["bookingUid"]
    booking = state.table(BOOKINGS_TABLE).get(uid)
    if booking is None:
        raise not_found(f"Booking with uid={uid} was not found in the database")
    return state, booking


def _references(state: SandboxState, booking: Record) -> list[Record]:
    """Where Cal wrote the booking: the destination calendar (accepted bookings only, as Cal writes
    calendar events on confirmation) and the Cal Video room of a Cal Video location."""
    refs: list[Record] = []
    base = booking["id"] * 10
    destination = state.table("destination_calendars").get(USER_ID)
    kind = CALENDAR_REFERENCE.get(destination["integration"]) if destination else None
    if booking["status"] == "accepted" and destination and kind:
        refs.append({"id": base + 1, "type": kind, "eventUid": f"{booking['uid']}@sandbox.cal.test",
                     "destinationCalendarId": destination["externalId"]})
    if str(booking.get("location", "")).startswith("https://app.cal.com/video/"):
        refs.append({"id": base + 2, "type": "daily_video", "eventUid": booking["uid"],
                     "destinationCalendarId": None})
    return refs


async def references(request: Request) -> Response:
    state, booking = _booking(request)
    wanted = request.query_params.get("type")  # the gate checked the enum
    return ok([r for r in _references(state, booking) if wanted is None or r["type"] == wanted])


def _compact(instant: str) -> str:
    moment = parse_instant(instant)
    assert moment is not None
    return moment.strftime("%Y%m%dT%H%M%SZ")


async def calendar_links(request: Request) -> Response:
    """Google, Outlook and Office 365 compose links and an ICS file, as Cal's booking page offers them."""
    _, booking = _booking(request)
    title, where = booking["title"], str(booking.get("location") or "")
    details = booking.get("description") or ""
    google = "https://calendar.google.com/calendar/r/eventedit?" + urlencode({
        "dates": f"{_compact(booking['start'])}/{_compact(booking['end'])}", "text": title,
        "details": details, "location": where})
    outlook_query = urlencode({"rru": "addevent", "startdt": booking["start"], "enddt": booking["end"],
                               "subject": title, "body": details, "location": where, "allday": "false",
                               "path": "/calendar/action/compose"})
    ics = "\r\n".join([
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Cal.com//Sandbox//EN", "BEGIN:VEVENT",
        f"UID:{booking['icsUid']}", f"DTSTART:{_compact(booking['start'])}", f"DTEND:{_compact(booking['end'])}",
        f"SUMMARY:{title}", f"LOCATION:{where}", "END:VEVENT", "END:VCALENDAR"])
    compose = "/calendar/0/deeplink/compose?" + outlook_query
    return ok([
        {"label": "Google", "link": google},
        {"label": "Microsoft Outlook", "link": "https://outlook.live.com" + compose},
        {"label": "Microsoft Office", "link": "https://outlook.office.com" + compose},
        {"label": "ICS", "link": "data:text/calendar," + quote(ics)},
    ])


async def recordings(request: Request) -> Response:
    _booking(request)
    return ok([])


async def transcripts(request: Request) -> Response:
    _booking(request)
    return ok([])


async def conferencing_sessions(request: Request) -> Response:
    _booking(request)
    return ok([])


async def by_seat(request: Request) -> Response:
    """A seated booking lists each seat's attendee with its seatUid."""
    state = state_of(request)
    seat = request.path_params["seatUid"]
    for booking in state.table(BOOKINGS_TABLE).values():
        if any(a.get("seatUid") == seat for a in booking["attendees"]):
            return ok(public(booking))
    raise not_found(f"Booking with seatUid={seat} was not found in the database")


# Cal's operationId → handler; app.py serves each at its operation's method and path (cal_api_facts.json).
HANDLERS: dict[str, Endpoint] = {
    "BookingsController_2024_08_13_getBookingReferences": references,
    "BookingsController_2024_08_13_getCalendarLinks": calendar_links,
    "BookingsController_2024_08_13_getBookingRecordings": recordings,
    "BookingsController_2024_08_13_getBookingTranscripts": transcripts,
    "BookingsController_2024_08_13_getVideoSessions": conferencing_sessions,
    "BookingsController_2024_08_13_getBookingBySeatUid": by_seat,
}
