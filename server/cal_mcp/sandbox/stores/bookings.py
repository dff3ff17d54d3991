"""Bookings (``bookings`` table, keyed by uid, BookingOutput_2024_08_13 shape) and slot reservations.

Sandbox bookkeeping lives under keys starting with '_' (``_rescheduled``, ``_rejectionReason``) and is
dropped on output. Request bodies are checked in ``booking_rules`` before a booking is built here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from cal_mcp.sandbox.state import SandboxState
from cal_mcp.sandbox.stores.records import iso_ms

Record = dict[str, Any]

BOOKINGS_TABLE = "bookings"  # keyed by uid, BookingOutput_2024_08_13 shape (+ "_private" keys)
RESERVATIONS_TABLE = "slot_reservations"  # keyed by reservationUid


def host_record(me: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": me["id"],
        "name": me["name"] or "",
        "email": me["email"],
        "displayEmail": me["email"],
        "username": me["username"],
        "timeZone": me["timeZone"],
    }


def location_text(location: Record | None, event_type: Record, uid: str) -> str:
    """What Cal stores as the booking location (a video link for video apps)."""
    chosen = location or next(iter(event_type.get("locations") or []), {"type": "integration",
                                                                            "integration": "cal-video"})
    kind = chosen.get("type")
    own = {loc.get("type"): loc for loc in event_type.get("locations") or []}
    if kind == "integration":
        app = chosen.get("integration", "cal-video")
        if app == "cal-video":
            return f"https://app.cal.com/video/{uid}"
        return f"https://{app}.sandbox.cal.test/{uid}"
    if kind in ("attendeeAddress", "attendeeDefined", "attendeePhone"):
        return str(chosen.get("address") or chosen.get("location") or chosen.get("phone"))
    if kind in ("address", "link", "phone"):
        return str(own.get(kind, {}).get(kind, "")) or str(chosen.get(kind, ""))
    return f"https://app.cal.com/video/{uid}"


def new_booking(
    state: SandboxState, *, uid: str, event_type: Record, host: Record, start: datetime, length: int,
    body: Record, status: str, **extra: Any,
) -> Record:
    """A booking record as Cal stores a new one; the seed builds its bookings here too.

    Cal titles it "<event> between <host> and <attendee>"."""
    attendee = body["attendee"]
    email = attendee.get("email", "")
    guests = list(body.get("guests") or [])
    responses: Record = {"name": attendee["name"], "email": email}
    if guests:
        responses["guests"] = guests
    if attendee.get("phoneNumber"):
        responses["attendeePhoneNumber"] = attendee["phoneNumber"]
    responses.update(body.get("bookingFieldsResponses") or {})
    # Cal's booking output service (apps/api/v2/src/ee/bookings/2024-08-13/services/output.service.ts)
    # always adds the attendee email and guest emails as shown to people.
    responses["displayEmail"] = email
    responses["displayGuests"] = list(responses.get("guests") or [])
    people = [_attendee(attendee["name"], email, attendee, attendee.get("phoneNumber"))]
    people += [_attendee("", guest, attendee, None) for guest in guests]
    where = location_text(body.get("location"), event_type, uid)
    now = iso_ms(state.now())
    record: Record = {
        "id": state.new_id(BOOKINGS_TABLE, 301),
        "uid": uid,
        "title": f"{event_type['title']} between {host['name']} and {attendee['name']}",
        "description": str(responses.get("notes") or ""),
        "hosts": [host_record(host)],
        "status": status,
        "start": iso_ms(start),
        "end": iso_ms(start + timedelta(minutes=length)),
        "duration": length,
        "eventTypeId": event_type["id"],
        "eventType": {"id": event_type["id"], "slug": event_type["slug"]},
        "meetingUrl": where,
        "location": where,
        "absentHost": False,
        # Always present in Cal's output (output.service.ts): "" until cancelled / rescheduled, null unrated.
        "cancellationReason": "",
        "cancelledByEmail": "",
        "rescheduledByEmail": "",
        "rating": None,
        "createdAt": now,
        "updatedAt": now,
        "metadata": dict(body.get("metadata") or {}),
        "icsUid": f"{uid}@Cal.com",
        "attendees": people,
        "guests": guests,
        "bookingFieldsResponses": responses,
    }
    record.update(extra)
    return record


def _attendee(name: str, email: str, booker: Record, phone: str | None) -> Record:
    person: Record = {
        "name": name,
        "email": email,
        "displayEmail": email,
        "timeZone": booker["timeZone"],
        "language": booker.get("language", "en"),
        "absent": False,
    }
    if phone:
        person["phoneNumber"] = phone
    return person
