"""End-to-end cases for the scheduling core: bookings, slots, event types, me, schedules, calendars,
conferencing, payments and webhooks.

Every case runs against freshly seeded sandbox state (see ``cal_mcp.sandbox.seeds.core`` and
``seeds.platform*``). The sandbox clock is frozen at Monday 2026-11-23 08:00 UTC; London is on UTC in
November, so the seeded working hours (Mon–Fri 09:00–17:00 Europe/London) are 09:00–17:00 UTC. Seeded
on Tuesday 24: the intro call at 10:00 (accepted) and the consultation at 13:00 (pending); on
Wednesday 25: the quick chat at 15:00.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cal_mcp.sandbox.core_lookup import find_user
from cal_mcp.sandbox.routes.payments import connect_stripe
from cal_mcp.sandbox.seeds.core import (
    BOOKING_CANCELLED,
    BOOKING_PAST,
    BOOKING_PAST_DEEP_DIVE,
    BOOKING_UNCONFIRMED,
    BOOKING_UPCOMING,
    BOOKING_UPCOMING_QUICK,
    EVENT_TYPE_CONSULTATION,
    EVENT_TYPE_DEEP_DIVE,
    EVENT_TYPE_INTRO_CALL,
    EVENT_TYPE_QUICK_CHAT,
    EVENT_TYPE_WEEKLY_SYNC,
    SCHEDULE_EXTENDED_HOURS,
    SCHEDULE_WORKING_HOURS,
)
from cal_mcp.sandbox.seeds.platform import BLAKE_ID, CASEY_ID, TEAM_ENGINEERING, TEAM_EVENT_SALES_DEMO, TEAM_SALES
from cal_mcp.sandbox.seeds.platform_apps import (
    CRED_GOOGLE_CALENDAR,
    CRED_GOOGLE_MEET,
    CRED_ICS_FEED,
    CRED_ZOOM,
    GOOGLE_HOLIDAYS,
    GOOGLE_PRIMARY,
    ICS_FEED_URL,
    WEBHOOK_EVENT_TYPE,
    WEBHOOK_USER_BOOKINGS,
    WEBHOOK_USER_MEETINGS,
)
from cal_mcp.sandbox.state import (
    DEFAULT_EPOCH,
    ORG_ID,
    USER_EMAIL,
    USER_ID,
    USERNAME,
    SandboxState,
)
from cal_mcp.sandbox.stores import calendars as calendar_store
from cal_mcp.sandbox.stores.bookings import new_booking
from tests.e2e_support import Case, Check, on_error

TUESDAY = (DEFAULT_EPOCH + timedelta(days=1)).date().isoformat()  # 2026-11-24
WEDNESDAY = (DEFAULT_EPOCH + timedelta(days=2)).date().isoformat()  # 2026-11-25
DANA = {"name": "Dana Guest", "email": "dana.guest@example.com", "timeZone": "America/New_York"}
# The API key the e2e harness configures: it must never leak into URLs handed to the user.
E2E_API_KEY = "cal_e2e_key"
OAUTH_STATE_TOKEN = "sbx_state_e2e"  # a token "issued" by setup, as the connect endpoints would
APP_ORIGIN = "https://app.example.test"
RETURN_TO = "https://app.example.test/settings/done"
ON_ERROR = "https://app.example.test/settings/failed"
ROUND_ROBIN_UID = "sbxRoundRobinDemo007"


def at(day: str, hhmm: str) -> str:
    return f"{day}T{hhmm}:00Z"


def wire(day: str, hhmm: str) -> str:
    """Cal's booking time format (JS Date JSON)."""
    return f"{day}T{hhmm}:00.000Z"


def uids(items: list[dict[str, Any]]) -> list[str]:
    return [item["uid"] for item in items]


def ids(items: list[dict[str, Any]]) -> list[Any]:
    return [item["id"] for item in items]


def slot_starts(data: dict[str, list[dict[str, str]]]) -> list[str]:
    return [slot["start"] for day in data.values() for slot in day]


def url_state(url: str) -> dict[str, Any]:
    """The JSON ``state`` parameter of an OAuth authorize URL."""
    query = parse_qs(urlsplit(url).query)
    parsed: dict[str, Any] = json.loads(query["state"][0])
    return parsed


def refused(fragment: str, *, hint: str = "", still: Callable[[SandboxState], bool] | None = None) -> Check:
    """An error case's check: Cal's message says ``fragment``, the hint says ``hint``, and ``still`` holds
    for the sandbox state (nothing changed)."""

    def check(error: Any, state: SandboxState) -> None:
        assert fragment in error["message"], error
        assert hint in error["hint"], error
        assert still is None or still(state), "the refused call changed the sandbox state"

    return on_error(check)


def booking_status(uid: str, status: str) -> Callable[[SandboxState], bool]:
    return lambda state: bool(state.table("bookings")[uid]["status"] == status)


def booking_count(count: int) -> Callable[[SandboxState], bool]:
    return lambda state: len(state.table("bookings")) == count


SEEDED_BOOKINGS = 6
LIST_HINT = "list what exists"


# ---------------------------------------------------------------- setup helpers


def issue_oauth_state(state: SandboxState) -> None:
    """What the connect endpoints do before the provider redirects back (with a known token)."""
    state.table("oauth_states")[OAUTH_STATE_TOKEN] = {"userId": USER_ID}


def calendar_state(**extra: Any) -> str:
    return json.dumps({"accessToken": OAUTH_STATE_TOKEN, "origin": APP_ORIGIN, **extra})


def app_state() -> str:
    return json.dumps({"accessToken": OAUTH_STATE_TOKEN, "returnTo": RETURN_TO, "onErrorReturnTo": ON_ERROR,
                       "fromApp": False})


def seed_round_robin_booking(state: SandboxState) -> None:
    """A booking of the Sales team's round-robin demo (hosts: the user, then Blake), Tuesday 15:00."""
    event_type = state.table("team_event_types")[TEAM_EVENT_SALES_DEMO]
    host = find_user(state, user_id=USER_ID)
    assert host is not None
    start = DEFAULT_EPOCH.replace(hour=15) + timedelta(days=1)
    state.table("bookings")[ROUND_ROBIN_UID] = new_booking(
        state, uid=ROUND_ROBIN_UID, event_type=event_type, host=host, start=start, length=30,
        body={"attendee": DANA}, status="accepted")


def seed_reservation(state: SandboxState) -> None:
    state.table("slot_reservations")["e2e-reservation"] = {
        "eventTypeId": EVENT_TYPE_INTRO_CALL, "slotStart": wire(TUESDAY, "15:00"), "slotEnd": wire(TUESDAY, "15:30"),
        "slotDuration": 30, "reservationUid": "e2e-reservation", "reservationDuration": 5,
        "reservationUntil": wire(DEFAULT_EPOCH.date().isoformat(), "08:05"), "_reservedBy": USER_ID,
        "_hostId": USER_ID}


# ---------------------------------------------------------------- me


def check_me(data: Any, state: SandboxState) -> None:
    assert data["id"] == USER_ID and data["email"] == USER_EMAIL and data["username"] == USERNAME
    assert data["defaultScheduleId"] == SCHEDULE_WORKING_HOURS and data["timeZone"] == "Europe/London"
    assert data["organizationId"] == ORG_ID


def check_organization_id(data: Any, state: SandboxState) -> None:
    assert data == {"organizationId": ORG_ID, "userId": USER_ID, "username": USERNAME}


def check_time_zones(data: Any, state: SandboxState) -> None:
    # Compact by default: the IANA names alone, sorted, each once.
    assert data == sorted(set(data)) and all(isinstance(name, str) for name in data)
    assert {"Europe/London", "America/New_York", "UTC"} <= set(data) and len(data) > 300


def check_time_zones_full(data: Any, state: SandboxState) -> None:
    zones = {row["timezone"]: row["city"] for row in data}
    assert zones["Europe/London"] == "London" and zones["America/New_York"] == "New York"
    assert "UTC" in zones and len(zones) > 300


def check_profile_updated(data: Any, state: SandboxState) -> None:
    me = state.table("me")[USER_ID]
    assert data["name"] == me["name"] == "Alex Renamed"
    assert data["timeZone"] == me["timeZone"] == "America/New_York" and me["weekStart"] == "Sunday"
    # Cal moves the default schedule along with the profile's time zone.
    assert state.table("schedules")[SCHEDULE_WORKING_HOURS]["timeZone"] == "America/New_York"


def check_default_schedule_switched(data: Any, state: SandboxState) -> None:
    schedules = state.table("schedules")
    assert data["defaultScheduleId"] == SCHEDULE_EXTENDED_HOURS
    assert schedules[SCHEDULE_EXTENDED_HOURS]["isDefault"] and not schedules[SCHEDULE_WORKING_HOURS]["isDefault"]


ME_CASES = [
    Case("CAL_RETRIEVE_MY_INFORMATION", {}, check_me),
    Case("CAL_GET_ORGANIZATION_ID", {}, check_organization_id),
    Case("CAL_GET_ALL_TIMEZONES", {}, check_time_zones),
    Case("CAL_GET_ALL_TIMEZONES", {"full": True}, check_time_zones_full, id="full"),
    Case("CAL_UPDATE_USER_PROFILE_DETAILS",
         {"name": "Alex Renamed", "timeZone": "America/New_York", "weekStart": "Sunday"}, check_profile_updated),
    Case("CAL_UPDATE_USER_PROFILE_DETAILS", {"defaultScheduleId": SCHEDULE_EXTENDED_HOURS},
         check_default_schedule_switched, id="default-schedule"),
    Case("CAL_UPDATE_USER_PROFILE_DETAILS", {"defaultScheduleId": 999},
         refused("Schedule with ID=999 does not exist",
                 still=lambda s: s.table("me")[USER_ID]["defaultScheduleId"] == SCHEDULE_WORKING_HOURS),
         id="unknown-schedule",
         error_status=404),
]


# ---------------------------------------------------------------- event types


def check_event_types(data: Any, state: SandboxState) -> None:
    assert ids(data) == [EVENT_TYPE_QUICK_CHAT, EVENT_TYPE_INTRO_CALL, EVENT_TYPE_DEEP_DIVE,
                         EVENT_TYPE_CONSULTATION, EVENT_TYPE_WEEKLY_SYNC]
    by_id = {et["id"]: et for et in data}
    assert by_id[EVENT_TYPE_CONSULTATION]["confirmationPolicy"]["type"] == "always"
    assert by_id[EVENT_TYPE_WEEKLY_SYNC]["recurrence"] == {"interval": 1, "occurrences": 4, "frequency": "weekly"}


def check_event_type_by_slug(data: Any, state: SandboxState) -> None:
    assert [(et["id"], et["slug"], et["scheduleId"]) for et in data] == [
        (EVENT_TYPE_DEEP_DIVE, "deep-dive", SCHEDULE_EXTENDED_HOURS)]


def check_consultation(data: Any, state: SandboxState) -> None:
    assert data["id"] == EVENT_TYPE_CONSULTATION and data["title"] == "Consultation"
    assert data["lengthInMinutes"] == 30 and data["confirmationPolicy"]["type"] == "always"
    assert data["bookingUrl"].endswith(f"/{USERNAME}/consultation")


def check_event_type_deleted(data: Any, state: SandboxState) -> None:
    assert data["id"] == EVENT_TYPE_WEEKLY_SYNC and data["title"] == "Weekly sync"
    assert EVENT_TYPE_WEEKLY_SYNC not in state.table("event_types")
    assert EVENT_TYPE_INTRO_CALL in state.table("event_types")


EVENT_TYPE_CASES = [
    Case("CAL_LIST_EVENT_TYPES", {}, check_event_types),
    Case("CAL_LIST_EVENT_TYPES", {"username": USERNAME, "eventSlug": "deep-dive"}, check_event_type_by_slug,
         id="by-slug"),
    Case("CAL_LIST_EVENT_TYPES", {"username": "nobody.here"}, refused("Event types not found", hint=LIST_HINT),
         id="unknown-user",
         error_status=404),
    Case("CAL_RETRIEVE_EVENT_TYPE_BY_ID", {"eventTypeId": EVENT_TYPE_CONSULTATION}, check_consultation),
    Case("CAL_RETRIEVE_EVENT_TYPE_BY_ID", {"eventTypeId": 999},
         refused("Event type with id 999 not found",
                 hint="eventTypeId=999 (valid values come from CAL_LIST_EVENT_TYPES)"),
         id="unknown",
         error_status=404),
    Case("CAL_DELETE_EVENT_TYPE_BY_ID", {"eventTypeId": EVENT_TYPE_WEEKLY_SYNC}, check_event_type_deleted),
]


# ---------------------------------------------------------------- schedules


def check_schedule_list(data: Any, state: SandboxState) -> None:
    assert [(s["id"], s["isDefault"]) for s in data] == [(SCHEDULE_WORKING_HOURS, True),
                                                         (SCHEDULE_EXTENDED_HOURS, False)]


def check_default_schedule(data: Any, state: SandboxState) -> None:
    assert data["id"] == SCHEDULE_WORKING_HOURS and data["name"] == "Working hours" and data["isDefault"]
    assert data["availability"] == [{"days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
                                     "startTime": "09:00", "endTime": "17:00"}]


def check_extended_schedule(data: Any, state: SandboxState) -> None:
    assert data["id"] == SCHEDULE_EXTENDED_HOURS and data["name"] == "Extended hours"
    assert data["overrides"] == [{"date": WEDNESDAY, "startTime": "14:00", "endTime": "16:00"}]


def check_schedule_created(data: Any, state: SandboxState) -> None:
    schedules = state.table("schedules")
    created = schedules[data["id"]]
    assert data["id"] not in (SCHEDULE_WORKING_HOURS, SCHEDULE_EXTENDED_HOURS)
    assert created["name"] == data["name"] == "Weekend shifts" and created["timeZone"] == "America/New_York"
    assert created["availability"] == [{"days": ["Saturday", "Sunday"], "startTime": "10:00", "endTime": "14:00"}]
    # isDefault: true moves the user's default to the new schedule and unmarks the old one.
    assert created["isDefault"] and not schedules[SCHEDULE_WORKING_HOURS]["isDefault"]
    assert state.table("me")[USER_ID]["defaultScheduleId"] == data["id"]


def check_schedule_updated(data: Any, state: SandboxState) -> None:
    stored = state.table("schedules")[SCHEDULE_EXTENDED_HOURS]
    assert data["name"] == stored["name"] == "Late shift"
    assert stored["availability"] == [{"days": ["Monday", "Friday"], "startTime": "13:00", "endTime": "21:00"}]
    assert stored["overrides"] == []
    assert not stored["isDefault"]


def check_schedule_deleted(data: Any, state: SandboxState) -> None:
    assert SCHEDULE_EXTENDED_HOURS not in state.table("schedules")
    # The event type that used it falls back to the default schedule.
    assert state.table("event_types")[EVENT_TYPE_DEEP_DIVE]["scheduleId"] is None


SCHEDULE_CASES = [
    Case("CAL_RETRIEVE_SCHEDULES_LIST", {}, check_schedule_list),
    Case("CAL_GET_DEFAULT_SCHEDULE_DETAILS", {}, check_default_schedule),
    Case("CAL_FETCH_SCHEDULE_BY_ID", {"scheduleId": SCHEDULE_EXTENDED_HOURS}, check_extended_schedule),
    Case("CAL_FETCH_SCHEDULE_BY_ID", {"scheduleId": 999},
         refused("Schedule with ID=999", hint="CAL_RETRIEVE_SCHEDULES_LIST"), id="unknown", error_status=404),
    Case("CAL_CREATE_USER_AVAILABILITY_SCHEDULE", {
        "name": "Weekend shifts", "timeZone": "America/New_York", "isDefault": True,
        "availability": [{"days": ["Sunday", "Saturday"], "startTime": "10:00", "endTime": "14:00"}]},
        check_schedule_created),
    Case("CAL_UPDATE_SCHEDULE_BY_ID", {
        "scheduleId": SCHEDULE_EXTENDED_HOURS, "name": "Late shift", "overrides": [],
        "availability": [{"days": ["Monday", "Friday"], "startTime": "13:00", "endTime": "21:00"}]},
        check_schedule_updated),
    Case("CAL_DELETE_SCHEDULE_BY_ID", {"scheduleId": SCHEDULE_EXTENDED_HOURS}, check_schedule_deleted),
]


# ---------------------------------------------------------------- slots


def check_tuesday_slots(data: Any, state: SandboxState) -> None:
    starts = slot_starts(data)
    assert list(data) == [TUESDAY]
    assert starts[0] == wire(TUESDAY, "09:00") and starts[-1] == wire(TUESDAY, "16:30")
    # The seeded intro call (10:00) and the pending consultation (13:00) are not free, and neither is the
    # lunch 12:00-13:00 on the selected Google calendar (what CAL_RETRIEVE_CALENDAR_BUSY_TIMES reports).
    assert wire(TUESDAY, "10:00") not in starts and wire(TUESDAY, "13:00") not in starts
    assert wire(TUESDAY, "12:00") not in starts and wire(TUESDAY, "12:30") not in starts
    assert len(starts) == 12


def check_reschedule_slots(data: Any, state: SandboxState) -> None:
    # The booking being moved does not block its own time.
    starts = slot_starts(data)
    assert wire(TUESDAY, "10:00") in starts and wire(TUESDAY, "13:00") not in starts


def check_new_york_slots(data: Any, state: SandboxState) -> None:
    starts = slot_starts(data)
    assert starts[0] == f"{TUESDAY}T04:00:00.000-05:00"  # 09:00 London, shown in New York time


def check_reservation(data: Any, state: SandboxState) -> None:
    assert data["eventTypeId"] == EVENT_TYPE_INTRO_CALL and data["slotStart"] == wire(TUESDAY, "15:00")
    assert data["slotEnd"] == wire(TUESDAY, "15:30") and data["reservationDuration"] == 10
    assert data["reservationUntil"] == (DEFAULT_EPOCH + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert data["reservationUid"] in state.table("slot_reservations")


def check_reservation_released(data: Any, state: SandboxState) -> None:
    assert "e2e-reservation" not in state.table("slot_reservations")


SLOT_CASES = [
    Case("CAL_GET_AVAILABLE_SLOTS_INFO", {"eventTypeId": EVENT_TYPE_INTRO_CALL, "start": TUESDAY, "end": TUESDAY},
         check_tuesday_slots),
    Case("CAL_GET_AVAILABLE_SLOTS_INFO", {"eventTypeId": EVENT_TYPE_INTRO_CALL, "start": TUESDAY, "end": TUESDAY,
                                          "bookingUidToReschedule": BOOKING_UPCOMING},
         check_reschedule_slots, id="rescheduling"),
    Case("CAL_GET_AVAILABLE_SLOTS_INFO", {"eventTypeSlug": "intro-call", "username": USERNAME, "start": TUESDAY,
                                          "end": TUESDAY, "timeZone": "America/New_York"},
         check_new_york_slots, id="by-slug-in-new-york"),
    Case("CAL_GET_AVAILABLE_SLOTS_INFO", {"eventTypeId": 999, "start": TUESDAY, "end": TUESDAY},
         refused("Event Type not found"), id="unknown-event-type", error_status=404),
    Case("CAL_RESERVE_SLOT_FOR_EVENT", {"eventTypeId": EVENT_TYPE_INTRO_CALL, "slotStart": at(TUESDAY, "15:00"),
                                        "reservationDuration": 10}, check_reservation),
    Case("CAL_RESERVE_SLOT_FOR_EVENT", {"eventTypeId": EVENT_TYPE_INTRO_CALL, "slotStart": at(TUESDAY, "10:00")},
         refused("already booked", still=lambda s: not s.table("slot_reservations")), id="booked-slot",
         error_status=400),
    Case("CAL_DELETE_SELECTED_SLOT", {"uid": "e2e-reservation"}, check_reservation_released,
         setup=seed_reservation),
    Case("CAL_DELETE_SELECTED_SLOT", {"uid": "no-such-reservation"},
         refused("Reserved slot with uid=no-such-reservation not found", hint="CAL_RESERVE_SLOT_FOR_EVENT"),
         id="unknown",
         error_status=404),
]


# ---------------------------------------------------------------- bookings


def check_booked(data: Any, state: SandboxState) -> None:
    assert data["status"] == "accepted" and data["eventTypeId"] == EVENT_TYPE_INTRO_CALL
    assert data["start"] == wire(TUESDAY, "15:00") and data["end"] == wire(TUESDAY, "15:30")
    assert data["attendees"][0]["email"] == DANA["email"] and data["attendees"][0]["timeZone"] == DANA["timeZone"]
    assert data["guests"] == ["sam.guest@example.com"]
    assert [h["id"] for h in data["hosts"]] == [USER_ID]
    assert state.table("bookings")[data["uid"]]["status"] == "accepted"


def check_booked_by_slug(data: Any, state: SandboxState) -> None:
    assert data["eventTypeId"] == EVENT_TYPE_QUICK_CHAT and data["duration"] == 15
    assert data["end"] == wire(TUESDAY, "11:15")
    assert data["uid"] in state.table("bookings")


def check_booking_pending(data: Any, state: SandboxState) -> None:
    # The consultation requires confirmation: the booking waits for the host.
    assert data["status"] == "pending" and data["eventTypeId"] == EVENT_TYPE_CONSULTATION
    assert state.table("bookings")[data["uid"]]["status"] == "pending"


def check_recurring_series(data: Any, state: SandboxState) -> None:
    assert isinstance(data, list) and len(data) == 4
    assert len({b["recurringBookingUid"] for b in data}) == 1
    assert [b["start"][:10] for b in data] == ["2026-11-24", "2026-12-01", "2026-12-08", "2026-12-15"]
    assert all(state.table("bookings")[b["uid"]]["status"] == "accepted" for b in data)


def check_upcoming(data: Any, state: SandboxState) -> None:
    assert uids(data) == [BOOKING_UPCOMING, BOOKING_UNCONFIRMED, BOOKING_UPCOMING_QUICK]


def check_past(data: Any, state: SandboxState) -> None:
    assert uids(data) == [BOOKING_PAST, BOOKING_PAST_DEEP_DIVE]  # newest first, as Cal lists them


def check_by_attendee(data: Any, state: SandboxState) -> None:
    assert set(uids(data)) == {BOOKING_PAST, BOOKING_CANCELLED}
    assert all(b["attendees"][0]["email"] == "jamie.rivera@example.com" for b in data)


def check_cancelled_list(data: Any, state: SandboxState) -> None:
    assert uids(data) == [BOOKING_CANCELLED] and data[0]["cancellationReason"] == "Attendee had a conflict"


def check_upcoming_booking(data: Any, state: SandboxState) -> None:
    assert data["uid"] == BOOKING_UPCOMING and data["status"] == "accepted"
    assert data["eventTypeId"] == EVENT_TYPE_INTRO_CALL and data["start"] == wire(TUESDAY, "10:00")
    assert data["attendees"][0]["email"] == "sam.lee@example.com"


def check_cancelled(data: Any, state: SandboxState) -> None:
    stored = state.table("bookings")[BOOKING_UPCOMING]
    assert data["status"] == stored["status"] == "cancelled"
    assert stored["cancellationReason"] == "Host is travelling" and stored["cancelledByEmail"] == USER_EMAIL


def check_confirmed(data: Any, state: SandboxState) -> None:
    assert data["uid"] == BOOKING_UNCONFIRMED and data["status"] == "accepted"
    assert state.table("bookings")[BOOKING_UNCONFIRMED]["status"] == "accepted"


def check_declined(data: Any, state: SandboxState) -> None:
    stored = state.table("bookings")[BOOKING_UNCONFIRMED]
    assert data["status"] == stored["status"] == "rejected"
    assert stored["_rejectionReason"] == "Fully booked that week"


def check_rescheduled(data: Any, state: SandboxState) -> None:
    bookings = state.table("bookings")
    assert data["uid"] != BOOKING_UPCOMING and data["rescheduledFromUid"] == BOOKING_UPCOMING
    assert data["status"] == "accepted" and data["start"] == wire(WEDNESDAY, "11:00")
    assert data["attendees"][0]["email"] == "sam.lee@example.com"
    assert data["reschedulingReason"] == "Clash with a workshop"
    old = bookings[BOOKING_UPCOMING]
    assert old["status"] == "cancelled" and old["rescheduledToUid"] == data["uid"]
    assert bookings[data["uid"]]["start"] == wire(WEDNESDAY, "11:00")


def check_marked_absent(data: Any, state: SandboxState) -> None:
    stored = state.table("bookings")[BOOKING_PAST]
    assert data["absentHost"] is False
    assert [(a["email"], a["absent"]) for a in data["attendees"]] == [("jamie.rivera@example.com", True)]
    assert stored["attendees"][0]["absent"] is True


def check_host_absent(data: Any, state: SandboxState) -> None:
    assert data["absentHost"] is True and state.table("bookings")[BOOKING_PAST]["absentHost"] is True


def check_reassigned_to_blake(data: Any, state: SandboxState) -> None:
    assert data["bookingUid"] == ROUND_ROBIN_UID and data["reassignedTo"]["id"] == BLAKE_ID
    assert [h["id"] for h in state.table("bookings")[ROUND_ROBIN_UID]["hosts"]] == [BLAKE_ID]


BOOKING_CASES = [
    Case("CAL_POST_NEW_BOOKING_REQUEST", {"start": at(TUESDAY, "15:00"), "eventTypeId": EVENT_TYPE_INTRO_CALL,
                                          "attendee": DANA, "guests": ["sam.guest@example.com"]}, check_booked),
    Case("CAL_POST_NEW_BOOKING_REQUEST", {"start": at(TUESDAY, "11:00"), "eventTypeSlug": "quick-chat",
                                          "username": USERNAME, "attendee": DANA}, check_booked_by_slug,
         id="by-slug"),
    Case("CAL_POST_NEW_BOOKING_REQUEST", {"start": at(TUESDAY, "15:00"), "eventTypeId": EVENT_TYPE_CONSULTATION,
                                          "attendee": DANA}, check_booking_pending, id="needs-confirmation"),
    Case("CAL_POST_NEW_BOOKING_REQUEST", {"start": at(TUESDAY, "15:00"), "eventTypeId": EVENT_TYPE_WEEKLY_SYNC,
                                          "attendee": DANA}, check_recurring_series, id="recurring"),
    Case("CAL_POST_NEW_BOOKING_REQUEST", {"start": at(TUESDAY, "10:00"), "eventTypeId": EVENT_TYPE_INTRO_CALL,
                                          "attendee": DANA},
         refused("already has booking at this time", hint="CAL_GET_AVAILABLE_SLOTS_INFO",
                 still=booking_count(SEEDED_BOOKINGS)), id="taken-slot", error_status=400),
    Case("CAL_POST_NEW_BOOKING_REQUEST", {"start": at(TUESDAY, "20:00"), "eventTypeId": EVENT_TYPE_INTRO_CALL,
                                          "attendee": DANA},
         refused("is not available", hint="CAL_GET_AVAILABLE_SLOTS_INFO", still=booking_count(SEEDED_BOOKINGS)),
         id="outside-hours", error_status=400),
    Case("CAL_FETCH_ALL_BOOKINGS", {"status": ["upcoming"]}, check_upcoming),
    Case("CAL_FETCH_ALL_BOOKINGS", {"status": ["past"]}, check_past, id="past"),
    Case("CAL_FETCH_ALL_BOOKINGS", {"status": ["cancelled"]}, check_cancelled_list, id="cancelled"),
    Case("CAL_FETCH_ALL_BOOKINGS", {"attendeeEmail": "jamie.rivera@example.com"}, check_by_attendee,
         id="by-attendee"),
    Case("CAL_RETRIEVE_BOOKING_DETAILS_BY_UID", {"bookingUid": BOOKING_UPCOMING}, check_upcoming_booking),
    Case("CAL_RETRIEVE_BOOKING_DETAILS_BY_UID", {"bookingUid": "sbxNoSuchBooking0000"},
         refused("was not found", hint="valid values come from CAL_FETCH_ALL_BOOKINGS"), id="unknown",
         error_status=404),
    Case("CAL_CANCEL_BOOKING_VIA_UID", {"bookingUid": BOOKING_UPCOMING, "cancellationReason": "Host is travelling"},
         check_cancelled),
    # Cal refuses a host's cancellation without a reason, and this server is always the host: asked for up front.
    Case("CAL_CANCEL_BOOKING_VIA_UID", {"bookingUid": BOOKING_UPCOMING},
         refused("missing required argument `cancellationReason`", still=booking_status(BOOKING_UPCOMING, "accepted")),
         id="host-without-reason", refused_here=True),
    Case("CAL_CANCEL_BOOKING_VIA_UID", {"bookingUid": BOOKING_CANCELLED, "cancellationReason": "again"},
         refused("already been cancelled", hint="Nothing to do"), id="already-cancelled", error_status=400),
    Case("CAL_CONFIRM_BOOKING_BY_UID", {"bookingUid": BOOKING_UNCONFIRMED}, check_confirmed),
    Case("CAL_CONFIRM_BOOKING_BY_UID", {"bookingUid": BOOKING_UPCOMING},
         refused("already confirmed", still=booking_status(BOOKING_UPCOMING, "accepted")), id="already-accepted",
         error_status=400),
    Case("CAL_DECLINE_BOOKING_WITH_REASON", {"bookingUid": BOOKING_UNCONFIRMED, "reason": "Fully booked that week"},
         check_declined),
    Case("CAL_RESCHEDULE_BOOKING_BY_UID", {"bookingUid": BOOKING_UPCOMING, "start": at(WEDNESDAY, "11:00"),
                                           "reschedulingReason": "Clash with a workshop"}, check_rescheduled),
    Case("CAL_RESCHEDULE_BOOKING_BY_UID", {"bookingUid": BOOKING_CANCELLED, "start": at(WEDNESDAY, "11:00")},
         refused("has been cancelled", still=booking_count(SEEDED_BOOKINGS)), id="cancelled-booking", error_status=400),
    Case("CAL_MARK_BOOKING_ABSENT_FOR_UID", {"bookingUid": BOOKING_PAST,
                                             "attendees": [{"email": "jamie.rivera@example.com", "absent": True}]},
         check_marked_absent),
    Case("CAL_MARK_BOOKING_ABSENT_FOR_UID", {"bookingUid": BOOKING_PAST, "host": True}, check_host_absent,
         id="host"),
    Case("CAL_MARK_BOOKING_ABSENT_FOR_UID", {"bookingUid": BOOKING_UPCOMING, "host": True},
         refused("only be marked as absent after their scheduled start",
                 still=lambda s: s.table("bookings")[BOOKING_UPCOMING]["absentHost"] is False),
         id="not-started-yet", error_status=400),
    Case("CAL_REASSIGN_BOOKING_WITH_UID", {"bookingUid": ROUND_ROBIN_UID}, check_reassigned_to_blake,
         setup=seed_round_robin_booking),
    Case("CAL_REASSIGN_BOOKING_WITH_UID", {"bookingUid": BOOKING_UPCOMING},
         refused("only bookings of round robin team event types can be reassigned"), id="not-round-robin",
         error_status=400),
    Case("CAL_REASSIGN_BOOKING_TO_ANOTHER_USER", {"bookingUid": ROUND_ROBIN_UID, "userId": BLAKE_ID,
                                                  "reason": "Blake covers the account"},
         check_reassigned_to_blake, setup=seed_round_robin_booking),
    Case("CAL_REASSIGN_BOOKING_TO_ANOTHER_USER", {"bookingUid": ROUND_ROBIN_UID, "userId": CASEY_ID},
         refused("is not a valid Round Robin host",
                 still=lambda s: [h["id"] for h in s.table("bookings")[ROUND_ROBIN_UID]["hosts"]] == [USER_ID]),
         id="not-a-host", error_status=400, setup=seed_round_robin_booking),
]


# ---------------------------------------------------------------- calendars


def check_calendar_list(data: Any, state: SandboxState) -> None:
    connected = {c["credentialId"]: c for c in data["connectedCalendars"]}
    assert sorted(connected) == [CRED_GOOGLE_CALENDAR, CRED_ICS_FEED]
    google = connected[CRED_GOOGLE_CALENDAR]
    assert google["integration"]["type"] == "google_calendar"
    selected = {c["externalId"]: c["isSelected"] for c in google["calendars"]}
    assert selected == {GOOGLE_PRIMARY: True, GOOGLE_HOLIDAYS: False}
    assert [c["externalId"] for c in connected[CRED_ICS_FEED]["calendars"]] == [ICS_FEED_URL]
    destination = data["destinationCalendar"]
    assert (destination["externalId"], destination["credentialId"]) == (GOOGLE_PRIMARY, CRED_GOOGLE_CALENDAR)


def check_busy_times(data: Any, state: SandboxState) -> None:
    spans = [(b["start"], b["end"]) for b in data]
    assert (wire(TUESDAY, "12:00"), wire(TUESDAY, "13:00")) in spans  # lunch on Google
    assert (wire(WEDNESDAY, "09:00"), wire(WEDNESDAY, "10:30")) in spans  # planning on Google
    # Accepted sandbox bookings land on the destination calendar, so they are busy there too.
    assert (wire(TUESDAY, "10:00"), wire(TUESDAY, "10:30")) in spans
    # The pending consultation (13:00) is not written to the calendar.
    assert all(start != wire(TUESDAY, "13:00") for start, _ in spans)
    assert spans == sorted(spans)


def check_connect_url(provider_host: str, calendar: str) -> Any:
    def check(data: Any, state: SandboxState) -> None:
        url = data["authUrl"]
        assert urlsplit(url).hostname == provider_host
        oauth_state = url_state(url)
        # The state names a sandbox-issued token, never the API key.
        assert oauth_state["accessToken"] in state.table("oauth_states") and E2E_API_KEY not in url
        redirect = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        assert redirect.endswith(f"/v2/calendars/{calendar}/save")

    return check


def check_google_dry_run_url(data: Any, state: SandboxState) -> None:
    check_connect_url("accounts.google.com", "google")(data, state)
    assert url_state(data["authUrl"])["isDryRun"] is True


def check_outlook_saved(data: Any, state: SandboxState) -> None:
    assert data == {"redirectTo": APP_ORIGIN}  # Cal answers 301 Location: <url>
    outlook = [c for c in state.table("credentials").values() if c["type"] == "office365_calendar"]
    assert len(outlook) == 1 and calendar_store.calendars_of(state, outlook[0]["id"])
    assert OAUTH_STATE_TOKEN not in state.table("oauth_states")  # a state is good for one callback


def invalidate_google(state: SandboxState) -> None:
    state.table("credentials")[CRED_GOOGLE_CALENDAR]["invalid"] = True


def issue_state_with_invalid_google(state: SandboxState) -> None:
    issue_oauth_state(state)
    invalidate_google(state)


def check_google_revalidated(data: Any, state: SandboxState) -> None:
    assert data == {"redirectTo": RETURN_TO}  # Cal answers 301 Location: <url>
    assert state.table("credentials")[CRED_GOOGLE_CALENDAR]["invalid"] is False
    google = [c for c in state.table("credentials").values() if c["type"] == "google_calendar"]
    assert len(google) == 1  # revalidated, not duplicated


def check_success(data: Any, state: SandboxState) -> None:
    assert data == {"status": "success"}


def check_ics_saved(data: Any, state: SandboxState) -> None:
    assert data["id"] == CRED_ICS_FEED and data["type"] == "ics-feed_calendar"
    feeds = calendar_store.calendars_of(state, CRED_ICS_FEED)
    # Cal upserts the user's one ICS credential: the new feeds replace the old one.
    assert [(f["externalId"], f["readOnly"]) for f in feeds] == [("https://calendar.example.test/holidays.ics", True)]


def check_apple_connected(data: Any, state: SandboxState) -> None:
    assert data == {"status": "success"}
    apple = [c for c in state.table("credentials").values() if c["type"] == "apple_calendar"]
    assert len(apple) == 1 and apple[0]["_username"] == "alex@icloud.example"
    assert "app-specific-pass" not in json.dumps(state.tables, default=str)  # never stored


def check_google_disconnected(data: Any, state: SandboxState) -> None:
    assert data["id"] == CRED_GOOGLE_CALENDAR and data["type"] == "google_calendar"
    assert CRED_GOOGLE_CALENDAR not in state.table("credentials")
    assert not calendar_store.calendars_of(state, CRED_GOOGLE_CALENDAR)
    assert not state.table("selected_calendars") and USER_ID not in state.table("destination_calendars")


def check_holidays_selected(data: Any, state: SandboxState) -> None:
    assert data == {"userId": USER_ID, "integration": "google_calendar", "externalId": GOOGLE_HOLIDAYS,
                    "credentialId": CRED_GOOGLE_CALENDAR}
    assert calendar_store.key(CRED_GOOGLE_CALENDAR, GOOGLE_HOLIDAYS) in state.table("selected_calendars")


def check_primary_unselected(data: Any, state: SandboxState) -> None:
    assert data["externalId"] == GOOGLE_PRIMARY
    assert calendar_store.key(CRED_GOOGLE_CALENDAR, GOOGLE_PRIMARY) not in state.table("selected_calendars")


def add_projects_calendar(state: SandboxState) -> None:
    google = state.table("credentials")[CRED_GOOGLE_CALENDAR]
    calendar_store.add_calendar(state, google, "projects@sandbox.cal.test", "Projects")


def check_destination_moved(data: Any, state: SandboxState) -> None:
    assert data == {"userId": USER_ID, "integration": "google_calendar", "externalId": "projects@sandbox.cal.test",
                    "credentialId": CRED_GOOGLE_CALENDAR}
    assert state.table("destination_calendars")[USER_ID]["externalId"] == "projects@sandbox.cal.test"


GOOGLE_CAL = {"credentialId": CRED_GOOGLE_CALENDAR, "externalId": GOOGLE_PRIMARY}
CALENDAR_CASES = [
    Case("CAL_RETRIEVE_CALENDAR_LIST", {}, check_calendar_list),
    Case("CAL_RETRIEVE_CALENDAR_BUSY_TIMES", {"dateFrom": TUESDAY, "dateTo": WEDNESDAY, "timeZone": "Europe/London",
                                              **GOOGLE_CAL}, check_busy_times),
    Case("CAL_CONNECT_TO_CALENDAR", {"calendar": "office365", "isDryRun": False},
         check_connect_url("login.microsoftonline.com", "office365")),
    Case("CAL_GET_GOOGLE_CALENDAR_OAUTH_AUTHENTICATION_URL", {"isDryRun": True}, check_google_dry_run_url),
    Case("CAL_SAVE_CALENDAR_ENTRY", {"calendar": "office365", "state": calendar_state(), "code": "provider-code"},
         check_outlook_saved, setup=issue_oauth_state),
    Case("CAL_SAVE_OAUTH_CREDENTIALS_VIA_GCAL_API", {"state": calendar_state(redir=RETURN_TO),
                                                     "code": "provider-code"},
         check_google_revalidated, setup=issue_state_with_invalid_google),
    Case("CAL_CHECK_CALENDAR_VERSION_2", {"calendar": "google"}, check_success),
    Case("CAL_CHECK_CALENDAR_VERSION_2", {"calendar": "apple"}, refused("Credentials for apple_calendar not found"),
         id="not-connected",
         error_status=400),
    Case("CAL_CHECK_GCAL_SYNCHRONIZATION_STATUS", {}, check_success),
    Case("CAL_CHECK_GCAL_SYNCHRONIZATION_STATUS", {}, refused("Invalid google calendar credentials"),
         id="invalid-credentials", error_status=400,
         setup=invalidate_google),
    Case("CAL_CHECK_ICS_FEED_CALENDAR_ENDPOINT", {}, check_success),
    Case("CAL_SAVE_CALENDAR_ICS_FEEDS", {"urls": ["https://calendar.example.test/holidays.ics"], "readOnly": True},
         check_ics_saved),
    Case("CAL_SAVE_CALENDAR_ICS_FEEDS", {"urls": ["https://calendar.example.test/not-a-feed"]},
         refused("an http(s) URL of an .ics file", hint="nothing was sent to Cal",
                 still=lambda s: [c["externalId"] for c in calendar_store.calendars_of(s, CRED_ICS_FEED)]
                 == [ICS_FEED_URL]),
         id="not-ics", refused_here=True),
    Case("CAL_POST_CALENDAR_CREDENTIALS", {"username": "alex@icloud.example", "password": "app-specific-pass"},
         check_apple_connected),
    Case("CAL_DISCONNECT_CALENDAR_USING_CREDENTIAL_ID", {"calendar": "google", "id": CRED_GOOGLE_CALENDAR},
         check_google_disconnected),
    Case("CAL_DISCONNECT_CALENDAR_USING_CREDENTIAL_ID", {"calendar": "google", "id": 999},
         refused("Calendar credentials not found", still=lambda s: CRED_GOOGLE_CALENDAR in s.table("credentials")),
         id="unknown-credential", error_status=404),
    Case("CAL_POST_SELECTED_CALENDARS", {"integration": "google_calendar", "externalId": GOOGLE_HOLIDAYS,
                                         "credentialId": CRED_GOOGLE_CALENDAR}, check_holidays_selected),
    Case("CAL_DELETE_SELECTED_CALENDARS", {"integration": "google_calendar", **GOOGLE_CAL}, check_primary_unselected),
    Case("CAL_DELETE_SELECTED_CALENDARS", {"integration": "google_calendar", "externalId": GOOGLE_HOLIDAYS,
                                           "credentialId": CRED_GOOGLE_CALENDAR},
         refused("Selected calendar not found", hint="CAL_RETRIEVE_CALENDAR_LIST"), id="not-selected",
         error_status=404),
    Case("CAL_UPDATE_DESTINATION_CALENDAR_INTEGRATION", {"integration": "google_calendar",
                                                         "externalId": "projects@sandbox.cal.test"},
         check_destination_moved, setup=add_projects_calendar),
    Case("CAL_UPDATE_DESTINATION_CALENDAR_INTEGRATION", {"integration": "google_calendar",
                                                         "externalId": "someone@else.example"},
         refused("is not connected",
                 still=lambda s: s.table("destination_calendars")[USER_ID]["externalId"] == GOOGLE_PRIMARY),
         id="not-connected", error_status=404),
]


# ---------------------------------------------------------------- conferencing


def check_conferencing_apps(data: Any, state: SandboxState) -> None:
    assert [(app["id"], app["type"]) for app in data] == [(CRED_GOOGLE_MEET, "google_video"), (CRED_ZOOM, "zoom_video")]


def check_default_app(data: Any, state: SandboxState) -> None:
    assert data == {"appSlug": "google-meet"}


def check_zoom_default(data: Any, state: SandboxState) -> None:
    assert data == {"status": "success"}
    assert state.table("conferencing_defaults")[USER_ID] == {"appSlug": "zoom"}


def check_zoom_removed(data: Any, state: SandboxState) -> None:
    assert data == {"status": "success"}
    assert CRED_ZOOM not in state.table("credentials")
    assert state.table("conferencing_defaults")[USER_ID] == {"appSlug": "google-meet"}


def check_meet_removed(data: Any, state: SandboxState) -> None:
    assert CRED_GOOGLE_MEET not in state.table("credentials")
    assert USER_ID not in state.table("conferencing_defaults")  # Cal Video becomes the fallback


def remove_google_meet(state: SandboxState) -> None:
    del state.table("credentials")[CRED_GOOGLE_MEET]


def check_meet_connected(data: Any, state: SandboxState) -> None:
    assert data["type"] == "google_video" and data["userId"] == USER_ID and data["invalid"] is False
    assert state.table("credentials")[data["id"]]["type"] == "google_video"


def check_zoom_auth_url(data: Any, state: SandboxState) -> None:
    url = data["url"]
    assert urlsplit(url).hostname == "zoom.us" and E2E_API_KEY not in url
    oauth_state = url_state(url)
    assert oauth_state["returnTo"] == RETURN_TO and oauth_state["onErrorReturnTo"] == ON_ERROR
    assert oauth_state["accessToken"] in state.table("oauth_states")


def check_teams_connected(data: Any, state: SandboxState) -> None:
    assert data == {"redirectTo": RETURN_TO}  # Cal answers 301 Location: <url>
    assert [c["type"] for c in state.table("credentials").values()].count("office365_video") == 1


def check_callback_refused(data: Any, state: SandboxState) -> None:
    # A state the sandbox never issued: Cal sends the user to onErrorReturnTo and connects nothing.
    assert data == {"redirectTo": ON_ERROR}  # Cal answers 301 Location: <url>
    assert all(c["type"] != "office365_video" for c in state.table("credentials").values())


CONFERENCING_CASES = [
    Case("CAL_RETRIEVE_V2_CONFERENCING_INFO", {}, check_conferencing_apps),
    Case("CAL_RETRIEVE_DEFAULT_CONFERENCING_SETTINGS", {}, check_default_app),
    Case("CAL_SET_DEFAULT_CONFERENCING_APP", {"app": "zoom"}, check_zoom_default),
    Case("CAL_SET_DEFAULT_CONFERENCING_APP", {"app": "msteams"},
         refused("msteams not connected",
                 still=lambda s: s.table("conferencing_defaults")[USER_ID] == {"appSlug": "google-meet"}),
         id="not-installed",
         error_status=400),
    Case("CAL_DELETE_CONFERENCE_APP_CONNECTION", {"app": "zoom"}, check_zoom_removed),
    Case("CAL_DELETE_CONFERENCE_APP_CONNECTION", {"app": "google-meet"}, check_meet_removed, id="the-default"),
    Case("CAL_POST_CONFERENCING_APP_CONNECT", {}, check_meet_connected, setup=remove_google_meet),
    Case("CAL_POST_CONFERENCING_APP_CONNECT", {}, refused("already connected"), id="already-connected",
         error_status=400),
    Case("CAL_GET_CONFERENCE_OAUTH_AUTHORIZATION_URL", {"app": "zoom", "returnTo": RETURN_TO,
                                                        "onErrorReturnTo": ON_ERROR}, check_zoom_auth_url),
    Case("CAL_HANDLE_CONFERENCING_OAUTH_CALLBACK_FOR_APP", {"app": "msteams", "state": app_state(),
                                                            "code": "provider-code"},
         check_teams_connected, setup=issue_oauth_state),
    Case("CAL_HANDLE_CONFERENCING_OAUTH_CALLBACK_FOR_APP", {"app": "msteams", "state": app_state(),
                                                            "code": "provider-code"},
         check_callback_refused, id="unknown-state"),
]


# ---------------------------------------------------------------- payments


def check_stripe_connect_url(data: Any, state: SandboxState) -> None:
    url = data["authUrl"]
    assert urlsplit(url).hostname == "connect.stripe.com" and E2E_API_KEY not in url
    query = parse_qs(urlsplit(url).query)
    assert query["stripe_user[email]"] == [USER_EMAIL]
    assert url_state(url)["accessToken"] in state.table("oauth_states")


def check_stripe_saved(data: Any, state: SandboxState) -> None:
    assert data == {"redirectTo": RETURN_TO}  # Cal answers 301 Location: <url>
    mine = [c for c in state.table("credentials").values() if c["type"] == "stripe_payment" and c["userId"] == USER_ID]
    assert len(mine) == 1 and mine[0]["stripeUserId"].startswith("acct_")


def connect_my_stripe(state: SandboxState) -> None:
    connect_stripe(state, user_id=USER_ID, team_id=None)


PAYMENT_CASES = [
    Case("CAL_GET_STRIPE_CONNECT_INFO", {}, check_stripe_connect_url),
    Case("CAL_SAVE_STRIPE_DETAILS", {"state": app_state(), "code": "provider-code"}, check_stripe_saved,
         setup=issue_oauth_state),
    Case("CAL_CHECK_STRIPE_STATUS", {}, check_success, setup=connect_my_stripe),
    Case("CAL_CHECK_STRIPE_STATUS", {}, refused("Credentials for stripe not found"), id="not-connected",
         error_status=404),
    Case("CAL_CHECK_TEAM_STRIPE_INTEGRATION_STATUS", {"orgId": ORG_ID, "teamId": TEAM_SALES}, check_success),
    Case("CAL_CHECK_TEAM_STRIPE_INTEGRATION_STATUS", {"orgId": ORG_ID, "teamId": TEAM_ENGINEERING},
         refused("Credentials for stripe not found"), id="team-without-stripe", error_status=404),
]


# ---------------------------------------------------------------- webhooks


def check_my_webhooks(data: Any, state: SandboxState) -> None:
    assert ids(data) == [WEBHOOK_USER_BOOKINGS, WEBHOOK_USER_MEETINGS]
    assert all(hook["userId"] == USER_ID for hook in data)
    assert data[1]["active"] is False and "{{triggerEvent}}" in data[1]["payloadTemplate"]


def check_second_page(data: Any, state: SandboxState) -> None:
    assert ids(data) == [WEBHOOK_USER_MEETINGS]


def check_bookings_webhook(data: Any, state: SandboxState) -> None:
    assert data["id"] == WEBHOOK_USER_BOOKINGS and data["subscriberUrl"] == "https://hooks.sandbox.cal.test/bookings"
    assert data["triggers"] == ["BOOKING_CREATED", "BOOKING_RESCHEDULED", "BOOKING_CANCELLED"]


def check_webhook_created(data: Any, state: SandboxState) -> None:
    stored = state.table("webhooks")[data["id"]]
    assert data["userId"] == stored["userId"] == USER_ID
    assert stored["subscriberUrl"] == "https://hooks.example.test/new" and stored["secret"] == "whsec_e2e"
    assert stored["triggers"] == ["BOOKING_CREATED", "BOOKING_CANCELLED"]


def check_webhook_updated(data: Any, state: SandboxState) -> None:
    stored = state.table("webhooks")[WEBHOOK_USER_MEETINGS]
    assert data["active"] is stored["active"] is True
    assert stored["triggers"] == ["MEETING_ENDED"]
    assert stored["subscriberUrl"] == "https://hooks.sandbox.cal.test/meetings"  # untouched


def check_webhook_deleted(data: Any, state: SandboxState) -> None:
    assert data["id"] == WEBHOOK_USER_BOOKINGS
    assert WEBHOOK_USER_BOOKINGS not in state.table("webhooks") and WEBHOOK_USER_MEETINGS in state.table("webhooks")


def check_event_type_webhooks(data: Any, state: SandboxState) -> None:
    assert ids(data) == [WEBHOOK_EVENT_TYPE] and data[0]["eventTypeId"] == EVENT_TYPE_QUICK_CHAT


def check_event_type_webhook(data: Any, state: SandboxState) -> None:
    assert data["id"] == WEBHOOK_EVENT_TYPE and data["eventTypeId"] == EVENT_TYPE_QUICK_CHAT
    assert data["subscriberUrl"] == "https://hooks.sandbox.cal.test/event-type"


def check_event_type_webhook_created(data: Any, state: SandboxState) -> None:
    stored = state.table("webhooks")[data["id"]]
    assert data["eventTypeId"] == stored["eventTypeId"] == EVENT_TYPE_INTRO_CALL
    assert stored["triggers"] == ["BOOKING_RESCHEDULED"] and stored["active"] is True
    assert "userId" not in stored


def check_event_type_webhook_patched(data: Any, state: SandboxState) -> None:
    stored = state.table("webhooks")[WEBHOOK_EVENT_TYPE]
    assert data["subscriberUrl"] == stored["subscriberUrl"] == "https://hooks.example.test/moved"
    assert stored["active"] is False and stored["eventTypeId"] == EVENT_TYPE_QUICK_CHAT


def check_event_type_webhook_deleted(data: Any, state: SandboxState) -> None:
    assert data["id"] == WEBHOOK_EVENT_TYPE and WEBHOOK_EVENT_TYPE not in state.table("webhooks")


def check_event_type_webhooks_cleared(data: Any, state: SandboxState) -> None:
    assert data == "1 webhooks deleted"
    hooks = state.table("webhooks").values()
    assert all(h.get("eventTypeId") != EVENT_TYPE_QUICK_CHAT for h in hooks)
    assert {WEBHOOK_USER_BOOKINGS, WEBHOOK_USER_MEETINGS} <= set(state.table("webhooks"))  # others untouched


NEW_HOOK = {"subscriberUrl": "https://hooks.example.test/new", "triggers": ["BOOKING_CREATED", "BOOKING_CANCELLED"],
            "active": True, "secret": "whsec_e2e"}
WEBHOOK_CASES = [
    Case("CAL_RETRIEVE_WEBHOOKS_LIST", {}, check_my_webhooks),
    Case("CAL_RETRIEVE_WEBHOOKS_LIST", {"take": 1, "skip": 1}, check_second_page, id="second-page"),
    Case("CAL_GET_WEBHOOK_BY_ID", {"webhookId": WEBHOOK_USER_BOOKINGS}, check_bookings_webhook),
    # Webhook 3 exists but belongs to an event type: the user-scoped route does not see it.
    Case("CAL_GET_WEBHOOK_BY_ID", {"webhookId": WEBHOOK_EVENT_TYPE},
         refused(f"Webhook with id={WEBHOOK_EVENT_TYPE} not found", hint="CAL_RETRIEVE_WEBHOOKS_LIST"),
         id="other-scope", error_status=404),
    Case("CAL_POST_WEBHOOK_EVENT", NEW_HOOK, check_webhook_created),
    Case("CAL_POST_WEBHOOK_EVENT", {**NEW_HOOK, "subscriberUrl": "https://hooks.sandbox.cal.test/bookings"},
         refused("already exists", hint="update it instead", still=lambda s: len(s.table("webhooks")) == 5),
         id="duplicate-url", error_status=409),
    Case("CAL_UPDATE_WEBHOOK_BY_ID", {"webhookId": WEBHOOK_USER_MEETINGS, "active": True,
                                      "triggers": ["MEETING_ENDED"]}, check_webhook_updated),
    Case("CAL_DELETE_WEBHOOK_BY_ID", {"webhookId": WEBHOOK_USER_BOOKINGS}, check_webhook_deleted),
    Case("CAL_RETRIEVE_WEBHOOKS_FOR_EVENT_TYPE", {"eventTypeId": EVENT_TYPE_QUICK_CHAT}, check_event_type_webhooks),
    Case("CAL_FETCH_WEBHOOK_BY_EVENT_TYPE_ID", {"eventTypeId": EVENT_TYPE_QUICK_CHAT,
                                               "webhookId": WEBHOOK_EVENT_TYPE}, check_event_type_webhook),
    Case("CAL_FETCH_WEBHOOK_BY_EVENT_TYPE_ID", {"eventTypeId": EVENT_TYPE_INTRO_CALL,
                                               "webhookId": WEBHOOK_EVENT_TYPE},
         refused(f"Webhook with id={WEBHOOK_EVENT_TYPE} not found", hint="CAL_RETRIEVE_WEBHOOKS_FOR_EVENT_TYPE"),
         id="other-event-type", error_status=404),
    Case("CAL_CREATE_WEBHOOK_FOR_EVENT_TYPE", {"eventTypeId": EVENT_TYPE_INTRO_CALL,
                                               "subscriberUrl": "https://hooks.example.test/intro",
                                               "triggers": ["BOOKING_RESCHEDULED"], "active": True},
         check_event_type_webhook_created),
    Case("CAL_PATCH_WEBHOOK_EVENT_TYPE", {"eventTypeId": EVENT_TYPE_QUICK_CHAT, "webhookId": WEBHOOK_EVENT_TYPE,
                                          "subscriberUrl": "https://hooks.example.test/moved", "active": False},
         check_event_type_webhook_patched),
    Case("CAL_DELETE_WEBHOOK_FOR_EVENT_TYPE", {"eventTypeId": EVENT_TYPE_QUICK_CHAT,
                                               "webhookId": WEBHOOK_EVENT_TYPE},
         check_event_type_webhook_deleted),
    Case("CAL_DELETE_WEBHOOKS_FOR_EVENT_TYPE", {"eventTypeId": EVENT_TYPE_QUICK_CHAT},
         check_event_type_webhooks_cleared),
]


CASES: list[Case] = [
    *ME_CASES,
    *EVENT_TYPE_CASES,
    *SCHEDULE_CASES,
    *SLOT_CASES,
    *BOOKING_CASES,
    *CALENDAR_CASES,
    *CONFERENCING_CASES,
    *PAYMENT_CASES,
    *WEBHOOK_CASES,
]
