"""Attendee IDs of bookings (Cal's Attendee.id), kept beside the booking records.

Booking records hold their attendees as BookingOutput_2024_08_13 renders them (no id); the attendee
routes need Cal's numeric IDs, so each (booking uid, email) gets one the first time it is listed,
in attendee order, and keeps it.
"""

from __future__ import annotations

from typing import Any

from cal_mcp.sandbox.state import SandboxState

ATTENDEE_IDS_TABLE = "booking_attendee_ids"  # (booking uid, lower-cased email) -> attendee id
FIRST_ATTENDEE_ID = 7001

Record = dict[str, Any]


def attendee_id(state: SandboxState, uid: str, email: str) -> int:
    table = state.table(ATTENDEE_IDS_TABLE)
    key = (uid, email.lower())
    if key not in table:
        table[key] = {"id": state.new_id(ATTENDEE_IDS_TABLE, FIRST_ATTENDEE_ID)}
    found: int = table[key]["id"]
    return found


def new_attendee(person: Record, *, default_time_zone: str) -> Record:
    """A booking attendee as BookingOutput_2024_08_13 lists one (the seed's attendees have this shape)."""
    out: Record = {
        "name": person.get("name") or "",
        "email": person["email"],
        "displayEmail": person["email"],
        "timeZone": person.get("timeZone") or default_time_zone,
        "language": person.get("language") or "en",
        "absent": False,
    }
    if person.get("phoneNumber"):
        out["phoneNumber"] = person["phoneNumber"]
    return out
