"""Seed the scheduling core: the user, event types, schedules and bookings.

Every date is relative to ``state.now()`` (past = before now, upcoming = after now) and placed
inside the seeded working hours (Mon–Fri 09:00–17:00 Europe/London), so seeded bookings also
remove slots. IDs and booking UIDs are fixed constants that tests can rely on.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from cal_mcp.sandbox.state import (
    ORG_ID,
    USER_EMAIL,
    USER_ID,
    USER_NAME,
    USER_TIME_ZONE,
    USERNAME,
)
from cal_mcp.sandbox.stores.bookings import BOOKINGS_TABLE, RESERVATIONS_TABLE, new_booking
from cal_mcp.sandbox.stores.event_types import EVENT_TYPES_TABLE, event_type_record
from cal_mcp.sandbox.stores.records import iso_ms
from cal_mcp.sandbox.stores.schedules import SCHEDULES_TABLE, schedule_record
from cal_mcp.sandbox.stores.users import ME_TABLE

if TYPE_CHECKING:
    from cal_mcp.sandbox.state import SandboxState

# Event types
EVENT_TYPE_QUICK_CHAT = 101  # 15 min
EVENT_TYPE_INTRO_CALL = 102  # 30 min
EVENT_TYPE_DEEP_DIVE = 103  # 60 min, on the second schedule
EVENT_TYPE_CONSULTATION = 104  # 30 min, requires confirmation
EVENT_TYPE_WEEKLY_SYNC = 105  # 30 min, recurring weekly x4
# Schedules
SCHEDULE_WORKING_HOURS = 201  # default, Mon–Fri 09:00–17:00 Europe/London
SCHEDULE_EXTENDED_HOURS = 202  # Mon–Thu 12:00–20:00 Europe/London + a date override
# Bookings (uid → meaning)
BOOKING_PAST = "sbxPastIntroCall0001"
BOOKING_PAST_DEEP_DIVE = "sbxPastDeepDive00002"
BOOKING_UPCOMING = "sbxUpcomingIntro0003"
BOOKING_UPCOMING_QUICK = "sbxUpcomingQuick0004"
BOOKING_UNCONFIRMED = "sbxPendingConsult005"
BOOKING_CANCELLED = "sbxCancelledIntro006"

LONDON = ZoneInfo(USER_TIME_ZONE)


def _business_day(today: date, offset: int) -> date:
    """The ``offset``-th weekday after (offset > 0) or before (offset < 0) ``today``."""
    step = 1 if offset > 0 else -1
    day, left = today, abs(offset)
    while left:
        day += timedelta(days=step)
        if day.weekday() < 5:
            left -= 1
    return day


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON).astimezone(UTC)


def me_record() -> dict[str, Any]:
    return {
        "id": USER_ID,
        "username": USERNAME,
        "email": USER_EMAIL,
        "name": USER_NAME,
        "avatarUrl": None,
        "bio": "Runs the sandbox calendar. Fake data: no real calendar is touched.",
        "timeFormat": 24,
        "defaultScheduleId": SCHEDULE_WORKING_HOURS,
        "weekStart": "Monday",
        "timeZone": USER_TIME_ZONE,
        "locale": "en",
        "organizationId": ORG_ID,
        "organization": {"isPlatform": False, "id": ORG_ID},
        "metadata": {},
    }


def _seed_event_types(state: SandboxState) -> None:
    table = state.table(EVENT_TYPES_TABLE)
    specs: list[tuple[str, str, int, str, dict[str, Any]]] = [
        ("Quick chat", "quick-chat", 15, "A short call to answer one question.", {}),
        ("Intro call", "intro-call", 30, "Get to know each other and the project.", {}),
        ("Deep dive", "deep-dive", 60, "An hour on one topic, in the extended hours.",
         {"scheduleId": SCHEDULE_EXTENDED_HOURS}),
        ("Consultation", "consultation", 30, "Paid advice; the host confirms each request.",
         {"confirmationPolicy": {"type": "always", "blockUnconfirmedBookingsInBooker": True}}),
        ("Weekly sync", "weekly-sync", 30, "A series of four weekly check-ins.",
         {"recurrence": {"interval": 1, "occurrences": 4, "frequency": "weekly"}}),
    ]
    for title, slug, length, description, extra in specs:
        event_type_id = state.new_id(EVENT_TYPES_TABLE, EVENT_TYPE_QUICK_CHAT)
        table[event_type_id] = event_type_record(event_type_id, title, slug, length, description, owner=me_record(),
                                              **extra)


def _seed_schedules(state: SandboxState, today: date) -> None:
    table = state.table(SCHEDULES_TABLE)
    weekdays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
    working = state.new_id(SCHEDULES_TABLE, SCHEDULE_WORKING_HOURS)
    table[working] = schedule_record(
        working, "Working hours", [{"days": weekdays, "startTime": "09:00", "endTime": "17:00"}], [],
        is_default=True,
    )
    # The override shortens the second business day from now to an afternoon-only window.
    override_day = _business_day(today, 2)
    extended = state.new_id(SCHEDULES_TABLE, SCHEDULE_WORKING_HOURS)
    table[extended] = schedule_record(
        extended, "Extended hours",
        [{"days": weekdays[:4], "startTime": "12:00", "endTime": "20:00"}],
        [{"date": override_day.isoformat(), "startTime": "14:00", "endTime": "16:00"}],
        is_default=False,
    )


def _booking(
    state: SandboxState, uid: str, event_type: dict[str, Any], start: datetime, attendee: dict[str, str],
    *, status: str = "accepted", created: datetime, **extra: Any,
) -> dict[str, Any]:
    """A seeded booking, built as POST /v2/bookings builds one but created (and updated) at ``created``."""
    stamps = {"createdAt": iso_ms(created), "updatedAt": iso_ms(created)}
    record = new_booking(
        state, uid=uid, event_type=event_type, host=state.table(ME_TABLE)[USER_ID], start=start,
        length=event_type["lengthInMinutes"], body={"attendee": attendee}, status=status, **{**stamps, **extra},
    )
    state.table(BOOKINGS_TABLE)[uid] = record
    return record


def _seed_bookings(state: SandboxState, today: date) -> None:
    types = state.table(EVENT_TYPES_TABLE)
    now = state.now()
    week_ago = now - timedelta(days=7)
    jamie = {"name": "Jamie Rivera", "email": "jamie.rivera@example.com", "timeZone": "America/New_York"}
    priya = {"name": "Priya Shah", "email": "priya.shah@example.com", "timeZone": "Asia/Kolkata"}
    sam = {"name": "Sam Lee", "email": "sam.lee@example.com", "timeZone": "Europe/London"}
    maria = {"name": "Maria Garcia", "email": "maria.garcia@example.com", "timeZone": "Europe/Madrid"}
    chris = {"name": "Chris Morgan", "email": "chris.morgan@example.com", "timeZone": "America/Chicago"}
    intro, deep = types[EVENT_TYPE_INTRO_CALL], types[EVENT_TYPE_DEEP_DIVE]
    _booking(state, BOOKING_PAST, intro, _at(_business_day(today, -2), 14), jamie,
             created=week_ago - timedelta(days=3))
    _booking(state, BOOKING_PAST_DEEP_DIVE, deep, _at(_business_day(today, -5), 13), priya,
             created=week_ago - timedelta(days=6))
    _booking(state, BOOKING_UPCOMING, intro, _at(_business_day(today, 1), 10), sam, created=week_ago)
    _booking(state, BOOKING_UPCOMING_QUICK, types[EVENT_TYPE_QUICK_CHAT], _at(_business_day(today, 2), 15),
             maria, created=week_ago + timedelta(days=1))
    _booking(state, BOOKING_UNCONFIRMED, types[EVENT_TYPE_CONSULTATION], _at(_business_day(today, 1), 13),
             chris, status="pending", created=now - timedelta(days=1))
    _booking(state, BOOKING_CANCELLED, intro, _at(_business_day(today, 3), 11), jamie, status="cancelled",
             created=week_ago, updatedAt=iso_ms(now - timedelta(days=2)),
             cancellationReason="Attendee had a conflict", cancelledByEmail=jamie["email"])


def seed_core(state: SandboxState) -> None:
    today = state.now().astimezone(LONDON).date()
    state.table(ME_TABLE)[USER_ID] = me_record()
    _seed_schedules(state, today)
    _seed_event_types(state)
    _seed_bookings(state, today)
    state.table(RESERVATIONS_TABLE)
