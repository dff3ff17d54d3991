"""Availability of event types and hosts, from the sandbox state (the glue around ``slots``).

Busy time = the host's accepted and pending bookings, live (unexpired) slot reservations, the host's
out-of-office days, and what
the host's *selected* external calendars report busy (the rows GET /v2/calendars/busy-times serves):
Cal subtracts those too (``packages/core/getBusyTimes.ts``: ``getBusyCalendarTimes`` over the user's
``selectedCalendars``), so the sandbox never offers or accepts a start its own busy-times call calls busy.
The sandbox user works to the event type's schedule (or their default one); other team hosts
work to their own default schedule when the platform area seeded one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from cal_mcp.sandbox import slots
from cal_mcp.sandbox.core_lookup import find_user, host_schedule, host_users, scheduling_type
from cal_mcp.sandbox.stores.bookings import BOOKINGS_TABLE, RESERVATIONS_TABLE
from cal_mcp.sandbox.stores.out_of_office import busy_periods

if TYPE_CHECKING:
    from cal_mcp.sandbox.state import SandboxState

Record = dict[str, Any]
BLOCKING_STATUSES = ("accepted", "pending")


def live_reservations(state: SandboxState) -> list[Record]:
    now = state.now()
    return [
        r
        for r in state.table(RESERVATIONS_TABLE).values()
        if (until := slots.parse_instant(r["reservationUntil"])) is not None and until > now
    ]


def calendar_busy(state: SandboxState, user_id: int) -> list[slots.Interval]:
    """Events on the user's selected external calendars (tables kept by ``routes/calendar_store``)."""
    selected = {
        (row["credentialId"], row["externalId"])
        for row in state.table("selected_calendars").values()
        if row.get("userId") == user_id
    }
    busy: list[slots.Interval] = []
    for row in state.table("busy_times").values():
        if (row["credentialId"], row["externalId"]) not in selected:
            continue
        start, end = slots.parse_instant(row["start"]), slots.parse_instant(row["end"])
        if start and end:
            busy.append(slots.Interval(start, end))
    return busy


def busy_for_host(
    state: SandboxState,
    host_id: int,
    *,
    exclude_uid: str | None = None,
    reservation_blocks: Callable[[Record], bool] | None = None,
) -> list[slots.Interval]:
    """The host's busy intervals; ``reservation_blocks`` decides which live reservations count."""
    busy: list[slots.Interval] = []
    person = find_user(state, user_id=host_id)
    email = (person or {}).get("email", "").lower()
    for booking in state.table(BOOKINGS_TABLE).values():
        if booking["status"] not in BLOCKING_STATUSES or booking["uid"] == exclude_uid:
            continue
        hosting = any(h.get("id") == host_id for h in booking.get("hosts", []))
        # Collective bookings list the other hosts as attendees, as Cal does: they are busy too.
        attending = bool(email) and any(a.get("email", "").lower() == email for a in booking.get("attendees", []))
        if not (hosting or attending):
            continue
        start, end = slots.parse_instant(booking["start"]), slots.parse_instant(booking["end"])
        if start and end:
            busy.append(slots.Interval(start, end))
    for reservation in live_reservations(state):
        if reservation.get("_hostId") != host_id:
            continue
        if reservation_blocks is not None and not reservation_blocks(reservation):
            continue
        start, end = slots.parse_instant(reservation["slotStart"]), slots.parse_instant(reservation["slotEnd"])
        if start and end:
            busy.append(slots.Interval(start, end))
    # Out-of-office days: Cal's getUserAvailability removes them (stores/out_of_office.py).
    busy += [slots.Interval(start, end) for start, end in busy_periods(state, host_id)]
    return busy + calendar_busy(state, host_id)


def slot_rules(event_type: Record, length: int) -> slots.SlotRules:
    interval = event_type.get("slotInterval")
    return slots.SlotRules(
        length=length,
        step=interval if isinstance(interval, int) and interval > 0 else length,
        minimum_notice=int(event_type.get("minimumBookingNotice") or 0),
        before_buffer=int(event_type.get("beforeEventBuffer") or 0),
        after_buffer=int(event_type.get("afterEventBuffer") or 0),
    )


def _windows(
    state: SandboxState, event_type: Record | None, host_id: int, start: datetime, end: datetime
) -> list[slots.Interval]:
    schedule = host_schedule(state, event_type, host_id)
    if schedule is None:
        return []
    return slots.working_windows(slots.availability_from_schedule(schedule), start, end)


def host_starts(
    state: SandboxState, event_type: Record, host_id: int, length: int, start: datetime, end: datetime,
    *, exclude_uid: str | None = None,
) -> set[datetime]:
    windows = _windows(state, event_type, host_id, start, end)
    busy = busy_for_host(state, host_id, exclude_uid=exclude_uid)
    rules = slot_rules(event_type, length)
    return set(slots.free_starts(windows, rules, busy, now=state.now(), start=start, end=end))


def event_type_starts(
    state: SandboxState, event_type: Record, length: int, start: datetime, end: datetime,
    *, exclude_uid: str | None = None, hosts: list[Record] | None = None, all_hosts: bool | None = None,
) -> list[datetime]:
    """Free starts: any host for round robin, every host for collective and dynamic events."""
    people = hosts if hosts is not None else host_users(state, event_type)
    if not people:
        return []
    need_all = all_hosts if all_hosts is not None else scheduling_type(event_type) == "collective"
    if not need_all:
        found: set[datetime] = set()
        for person in people:
            found |= host_starts(state, event_type, person["id"], length, start, end, exclude_uid=exclude_uid)
        return sorted(found)
    # Everyone must attend: step through the hours all hosts share, clear of anyone's busy time.
    windows = _windows(state, event_type, people[0]["id"], start, end)
    busy: list[slots.Interval] = []
    for person in people:
        if person is not people[0]:
            windows = slots.intersect(windows, _windows(state, event_type, person["id"], start, end))
        busy += busy_for_host(state, person["id"], exclude_uid=exclude_uid)
    rules = slot_rules(event_type, length)
    return slots.free_starts(windows, rules, busy, now=state.now(), start=start, end=end)


def host_is_free(
    state: SandboxState, event_type: Record, host_id: int, start: datetime, length: int,
    *, exclude_uid: str | None = None, reservation_blocks: Callable[[Record], bool] | None = None,
) -> bool:
    """Can this host take [start, start + length) within working hours and with no clash?"""
    rules = slot_rules(event_type, length)
    candidate = slots.Interval(start, start + timedelta(minutes=length))
    windows = _windows(state, event_type, host_id, start - timedelta(days=1), start + timedelta(days=1))
    if not slots.fits(windows, candidate):
        return False
    padded = slots.Interval(
        start - timedelta(minutes=rules.before_buffer), candidate.end + timedelta(minutes=rules.after_buffer)
    )
    busy = busy_for_host(state, host_id, exclude_uid=exclude_uid, reservation_blocks=reservation_blocks)
    return not any(padded.overlaps(b) for b in busy)
