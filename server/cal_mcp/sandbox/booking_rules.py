"""Booking rules without HTTP: body validation, list filters, Cal's status buckets (records: ``stores.bookings``).

Records are stored in the BookingOutput_2024_08_13 wire shape; sandbox bookkeeping lives under
keys starting with '_' (``_rescheduled``, ``_rejectionReason``) and is dropped on output.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cal_mcp.sandbox.core_checks import Field, check_fields, raise_if
from cal_mcp.sandbox.slots import parse_instant

if TYPE_CHECKING:
    pass

Record = dict[str, Any]

LANGUAGES = (
    "ar", "ca", "de", "es", "eu", "he", "id", "ja", "lv", "pl", "ro", "sr", "th", "vi", "az", "cs", "el",
    "es-419", "fi", "hr", "it", "km", "nl", "pt", "ru", "sv", "tr", "zh-CN", "bg", "da", "en", "et", "fr",
    "hu", "iw", "ko", "no", "pt-BR", "sk", "ta", "uk", "zh-TW", "bn",
)
INTEGRATIONS = (
    "cal-video", "google-meet", "zoom", "whereby-video", "whatsapp-video", "webex-video", "telegram-video",
    "tandem", "sylaps-video", "skype-video", "sirius-video", "signal-video", "shimmer-video",
    "salesroom-video", "roam-video", "riverside-video", "ping-video", "office365-video", "mirotalk-video",
    "jitsi", "jelly-video", "jelly-conferencing", "huddle", "facetime-video", "element-call-video",
    "eightxeight-video", "discord-video", "demodesk-video", "campfire-video",
)
CREATE_FIELDS = {
    "start": Field("iso", required=True),
    "attendee": Field("object", required=True),
    "bookingFieldsResponses": Field("object"),
    "eventTypeId": Field("int"),
    "eventTypeSlug": Field("string"),
    "username": Field("string"),
    "teamSlug": Field("string"),
    "organizationSlug": Field("string"),
    "guests": Field("array"),
    "meetingUrl": Field("string"),
    "location": Field("object"),
    "metadata": Field("object"),
    "lengthInMinutes": Field("int"),
    "routing": Field("object"),
    "emailVerificationCode": Field("string"),
    "instant": Field("bool"),
    "recurrenceCount": Field("int"),
    "reservedSlotUid": Field("string"),  # accepted by Cal's DTO though the docs do not list it
}
ATTENDEE_FIELDS = {
    "name": Field("string", required=True),
    "timeZone": Field("tz", required=True),
    "email": Field("email"),
    "phoneNumber": Field("string"),
    "language": Field("string", enum=LANGUAGES),
}
LOCATION_REQUIRES = {
    "address": (), "link": (), "phone": (), "organizersDefaultApp": (),
    "attendeeAddress": ("address",), "attendeeDefined": ("location",), "attendeePhone": ("phone",),
    "integration": ("integration",),
}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
STATUS_FILTERS = ("upcoming", "recurring", "past", "cancelled", "unconfirmed")


def check_create_body(body: Record) -> None:
    messages = check_fields(body, CREATE_FIELDS)
    attendee = body.get("attendee")
    if isinstance(attendee, dict):
        messages += check_fields(attendee, ATTENDEE_FIELDS, "attendee.")
        if isinstance(attendee.get("name"), str) and not attendee["name"].strip():
            messages.append("attendee.name should not be empty")
        if "email" not in attendee and "phoneNumber" not in attendee:
            messages.append("attendee.email must be an email")
    guests = body.get("guests")
    if isinstance(guests, list):
        messages += [f"guests.{i} must be an email" for i, g in enumerate(guests) if not _is_email(g)]
    location = body.get("location")
    if isinstance(location, dict):
        messages += _location_problems(location)
    for key in ("lengthInMinutes", "recurrenceCount"):
        if isinstance(body.get(key), int) and body[key] < 1:
            messages.append(f"{key} must not be less than 1")
    raise_if(messages)


def _is_email(value: Any) -> bool:
    return not check_fields({"e": value}, {"e": Field("email")})


def _location_problems(location: Record) -> list[str]:
    kind = location.get("type")
    if kind not in LOCATION_REQUIRES:
        return [f"location.type must be one of the following values: {', '.join(LOCATION_REQUIRES)}"]
    fields = {"type": Field("string", required=True)}
    fields.update({name: Field("string", required=True) for name in LOCATION_REQUIRES[kind]})
    problems = check_fields(location, fields, "location.")
    if kind == "integration" and location.get("integration") not in INTEGRATIONS:
        problems.append(f"location.integration must be one of the following values: {', '.join(INTEGRATIONS)}")
    return problems


def in_status(record: Record, bucket: str, now: datetime) -> bool:
    """Cal's booking list buckets (getAllUserBookings' status filters)."""
    status = record["status"]
    end = parse_instant(record["end"]) or now
    recurring = "recurringBookingUid" in record
    if bucket == "upcoming":
        return end >= now and (status == "accepted" if recurring else status not in ("cancelled", "rejected"))
    if bucket == "recurring":
        return end >= now and recurring and status not in ("cancelled", "rejected")
    if bucket == "past":
        return end <= now and status not in ("cancelled", "rejected")
    if bucket == "cancelled":
        return status in ("cancelled", "rejected")
    if bucket == "unconfirmed":
        return end >= now and status == "pending"
    return False


def sort_key(field: str) -> Any:
    wire = {"sortStart": "start", "sortEnd": "end", "sortCreated": "createdAt", "sortUpdatedAt": "updatedAt"}[field]
    return lambda record: (parse_instant(record[wire]) or EPOCH, record["id"])
