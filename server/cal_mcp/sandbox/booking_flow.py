"""Making and finding bookings against the sandbox state, with Cal's availability and errors.

A start is bookable when the whole meeting lies inside the host's working hours and overlaps
none of the host's accepted or pending bookings nor a live reservation held by someone else
(the caller's own reservations, or the one named by ``reservedSlotUid``, do not block it).
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from cal_mcp.sandbox import availability, slots
from cal_mcp.sandbox.core_lookup import (
    event_type_by_id,
    host_users,
    is_team_event_type,
    public,
    requires_confirmation,
    schedule_for,
    scheduling_type,
    team_event_type_by_slug,
    user_event_type_by_slug,
)
from cal_mcp.sandbox.errors import bad_request, not_found
from cal_mcp.sandbox.state import ORG_SLUG, USER_ID
from cal_mcp.sandbox.stores.bookings import BOOKINGS_TABLE, RESERVATIONS_TABLE, new_booking

if TYPE_CHECKING:
    from cal_mcp.sandbox.state import SandboxState

Record = dict[str, Any]
UNAVAILABLE = "User either already has booking at this time or is not available"
HOSTS_UNAVAILABLE = "One of the hosts either already has booking at this time or is not available"
IN_THE_PAST = "Attempting to book a meeting in the past."
OUT_OF_BOUNDS = (
    'The event type can\'t be booked at the "start" time provided. This could be because it\'s too soon '
    "(violating the minimum booking notice) or too far in the future (outside the event's scheduling window). "
    "Try fetching available slots first using the GET /v2/slots endpoint and then make a booking with "
    '"start" time equal to one of the available slots: https://cal.com/docs/api-reference/v2/slots'
)


def find(state: SandboxState, uid: str) -> Record:
    booking = state.table(BOOKINGS_TABLE).get(uid)
    if booking is None:
        raise not_found(f"Booking with uid={uid} was not found in the database")
    return booking


def series(state: SandboxState, recurring_uid: str) -> list[Record]:
    found = [b for b in state.table(BOOKINGS_TABLE).values() if b.get("recurringBookingUid") == recurring_uid]
    return sorted(found, key=lambda b: b["start"])


def view(state: SandboxState, uid: str) -> Record | list[Record]:
    """GET /v2/bookings/{uid}: one booking, or every occurrence for a recurring series' uid."""
    booking = state.table(BOOKINGS_TABLE).get(uid)
    if booking is not None:
        return public(booking)
    occurrences = series(state, uid)
    if not occurrences:
        raise not_found(f"Booking with uid={uid} was not found in the database")
    return [public(b) for b in occurrences]


def booked_event_type(state: SandboxState, body: Record) -> Record:
    org = body.get("organizationSlug")
    if org is not None and org != ORG_SLUG:
        raise not_found(f"Organization with slug {org} not found")
    event_type: Record | None = None
    if "eventTypeId" in body:
        event_type = event_type_by_id(state, int(body["eventTypeId"]))
        if event_type is None:
            raise not_found(f"Event type with id {body['eventTypeId']} not found.")
        return event_type
    slug = body.get("eventTypeSlug")
    if slug and body.get("username"):
        event_type = user_event_type_by_slug(state, body["username"], slug)
        owner = f"user {body['username']}"
    elif slug and body.get("teamSlug"):
        event_type = team_event_type_by_slug(state, body["teamSlug"], slug)
        owner = f"team {body['teamSlug']}"
    else:
        message = "eventTypeId or eventTypeSlug + username or eventTypeSlug + teamSlug must be provided"
        raise bad_request(message, [message])
    if event_type is None:
        within = f" within organization {org}" if org else ""
        raise not_found(f"Event type with slug {slug} belonging to {owner}{within} not found.")
    return event_type


def booking_length(event_type: Record, requested: int | None) -> int:
    default = int(event_type["lengthInMinutes"])
    if requested is None:
        return default
    options = event_type.get("lengthInMinutesOptions") or []
    if not options:
        if requested == default:
            return default
        raise bad_request(
            "Can't specify 'lengthInMinutes' because event type does not have multiple possible lengths. "
            "Please, remove the 'lengthInMinutes' field from the request or set it to the event type length."
        )
    if requested not in options:
        raise bad_request(
            "Provided 'lengthInMinutes' is not one of the possible lengths for the event type. The possible "
            f"lengths are: {', '.join(map(str, options))}"
        )
    return requested


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def recurrence_starts(first: datetime, recurrence: Record, count: int, time_zone: str) -> list[datetime]:
    """Occurrences keep their wall-clock time in the schedule's zone (DST moves the UTC time)."""
    tz = slots.zone(time_zone) or ZoneInfo("UTC")
    local = first.astimezone(tz)
    interval = int(recurrence.get("interval") or 1)
    frequency = recurrence.get("frequency", "weekly")
    starts = []
    for k in range(count):
        if frequency == "weekly":
            day = local.date() + timedelta(weeks=interval * k)
        elif frequency == "monthly":
            day = _add_months(local.date(), interval * k)
        else:
            day = _add_months(local.date(), 12 * interval * k)
        starts.append(datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=tz).astimezone(UTC))
    return starts


def _blocks_booking(reserved_uid: str | None) -> Any:
    def blocks(reservation: Record) -> bool:
        return reservation.get("_reservedBy") != USER_ID and reservation["reservationUid"] != reserved_uid

    return blocks


def choose_host(
    state: SandboxState, event_type: Record, start: datetime, length: int,
    *, exclude_uid: str | None = None, reserved_uid: str | None = None,
) -> Record:
    """The host for a new booking at ``start``, or 400 as Cal answers when nobody is free."""
    now = state.now()
    if start < now:
        raise bad_request(IN_THE_PAST)
    if start < now + timedelta(minutes=int(event_type.get("minimumBookingNotice") or 0)):
        raise bad_request(OUT_OF_BOUNDS)
    team = is_team_event_type(event_type)
    hosts = host_users(state, event_type)
    blocks = _blocks_booking(reserved_uid)

    def free(host: Record) -> bool:
        return availability.host_is_free(
            state, event_type, host["id"], start, length, exclude_uid=exclude_uid, reservation_blocks=blocks
        )

    if scheduling_type(event_type) == "collective":
        if hosts and all(free(h) for h in hosts):
            return hosts[0]
    else:
        for host in hosts:
            if free(host):
                return host
    raise bad_request(HOSTS_UNAVAILABLE if team else UNAVAILABLE)


def _consume_reservations(state: SandboxState, event_type: Record, start: datetime, end: datetime,
                          reserved_uid: str | None) -> None:
    """A booking uses up the caller's reservation of that time, as Cal deletes the selected slot."""
    table = state.table(RESERVATIONS_TABLE)
    meeting = slots.Interval(start, end)
    for uid, reservation in list(table.items()):
        mine = reservation.get("_reservedBy") == USER_ID or uid == reserved_uid
        held = slots.Interval(slots.parse_instant(reservation["slotStart"]) or start,
                              slots.parse_instant(reservation["slotEnd"]) or start)
        if mine and reservation["eventTypeId"] == event_type["id"] and held.overlaps(meeting):
            del table[uid]


def team_member(host: Record) -> Record:
    """Cal adds a collective event's other hosts to the booking as attendees."""
    return {"name": host["name"], "email": host["email"], "displayEmail": host["email"],
            "timeZone": host["timeZone"], "language": "en", "absent": False}


def create(state: SandboxState, body: Record) -> list[Record]:
    """POST /v2/bookings: one booking, or every occurrence of a recurring event type."""
    event_type = booked_event_type(state, body)
    team = is_team_event_type(event_type)
    if body.get("instant") and not team:
        raise bad_request("Instant bookings are only supported for team event types, not individual user event types.")
    if scheduling_type(event_type) == "managed":
        raise bad_request(
            f"Event type with id={event_type['id']} is the parent managed event type that can't be booked. You have "
            "to provide the child event type id aka id of event type that has been assigned to one of the users."
        )
    if not team and not body["attendee"].get("email"):
        raise bad_request("attendee.email must be an email", ["attendee.email must be an email"])
    length = booking_length(event_type, body.get("lengthInMinutes"))
    first = slots.parse_instant(body["start"])
    assert first is not None  # an ISO 8601 date string: the request gate checked it (IsDateString)
    recurrence = event_type.get("recurrence")
    starts = [first]
    if recurrence:
        occurrences = int(recurrence.get("occurrences") or 1)
        count = int(body.get("recurrenceCount") or occurrences)
        if count > occurrences:
            raise bad_request(f"recurrenceCount can't be more than the event type's {occurrences} occurrences.")
        schedule = schedule_for(state, event_type)
        starts = recurrence_starts(first, recurrence, count, schedule["timeZone"] if schedule else "UTC")
    elif "recurrenceCount" in body:
        raise bad_request(f"Event type with id={event_type['id']} is not a recurring event type.")
    reserved_uid = body.get("reservedSlotUid")
    hosts = [choose_host(state, event_type, s, length, reserved_uid=reserved_uid) for s in starts]
    status = "pending" if requires_confirmation(event_type) else "accepted"
    extra: Record = {"recurringBookingUid": state.new_uid()} if recurrence else {}
    table = state.table(BOOKINGS_TABLE)
    created = []
    for start, host in zip(starts, hosts, strict=True):
        uid = state.new_uid()
        record = new_booking(state, uid=uid, event_type=event_type, host=host, start=start, length=length,
                             body=body, status=status, **extra)
        if scheduling_type(event_type) == "collective":
            record["attendees"] += [team_member(h) for h in host_users(state, event_type) if h["id"] != host["id"]]
        table[uid] = record
        _consume_reservations(state, event_type, start, start + timedelta(minutes=length), reserved_uid)
        created.append(record)
    return created
