"""End-to-end cases for the tools beyond the seed's 141 (issue 11): event type writes, a booking's
attendees, guests and location, its artefacts, and team and organization booking lists.

Same sandbox and clock as ``e2e_cases_core`` (frozen Monday 2026-11-23 08:00 UTC; seeded bookings on
Tuesday and Wednesday). No team booking is seeded, so the cases that list team or organization bookings
first book the Sales demo (``setup``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

from cal_mcp.sandbox.core_lookup import find_user
from cal_mcp.sandbox.seeds.core import (
    BOOKING_CANCELLED,
    BOOKING_PAST,
    BOOKING_PAST_DEEP_DIVE,
    BOOKING_UNCONFIRMED,
    BOOKING_UPCOMING,
    BOOKING_UPCOMING_QUICK,
    EVENT_TYPE_INTRO_CALL,
    EVENT_TYPE_WEEKLY_SYNC,
    SCHEDULE_EXTENDED_HOURS,
)
from cal_mcp.sandbox.seeds.platform import (
    BLAKE_ID,
    DEVON_ID,
    EMERY_ID,
    TEAM_BOOK_CLUB,
    TEAM_ENGINEERING,
    TEAM_EVENT_ARCH_REVIEW,
    TEAM_EVENT_BOOK_CHAT,
    TEAM_EVENT_SALES_DEMO,
    TEAM_SALES,
)
from cal_mcp.sandbox.state import DEFAULT_EPOCH, ORG_ID, USER_ID, SandboxState
from cal_mcp.sandbox.stores.bookings import new_booking
from tests.e2e_cases_core import DANA, refused, uids
from tests.e2e_support import Case

SEEDED_UIDS = {BOOKING_PAST, BOOKING_PAST_DEEP_DIVE, BOOKING_UPCOMING, BOOKING_UPCOMING_QUICK, BOOKING_UNCONFIRMED,
               BOOKING_CANCELLED}
SALES_DEMO_UID = "sbxSalesDemoBlake008"
BOOK_CHAT_UID = "sbxBookChatEmery0009"
SEAT_UID = "seat-dana-0001"
SAM = "sam.lee@example.com"


def _book(state: SandboxState, uid: str, event_type: dict[str, Any], host_id: int, hour: int) -> None:
    host = find_user(state, user_id=host_id)
    assert host is not None
    start = DEFAULT_EPOCH.replace(hour=hour) + timedelta(days=2)
    state.table("bookings")[uid] = new_booking(state, uid=uid, event_type=event_type, host=host, start=start,
                                               length=30, body={"attendee": DANA}, status="accepted")


def book_team_meetings(state: SandboxState) -> None:
    """Blake hosts a Sales demo (an org team); Emery, whose org invite is pending, hosts a Book chat
    (a team outside the organization)."""
    team_types = state.table("team_event_types")
    _book(state, SALES_DEMO_UID, team_types[TEAM_EVENT_SALES_DEMO], BLAKE_ID, 11)
    _book(state, BOOK_CHAT_UID, team_types[TEAM_EVENT_BOOK_CHAT], EMERY_ID, 14)


def demote_me_in_sales(state: SandboxState) -> None:
    membership = next(m for m in state.table("memberships").values()
                      if m["teamId"] == TEAM_SALES and m["userId"] == USER_ID)
    membership["role"] = "MEMBER"


def seat_dana(state: SandboxState) -> None:
    state.table("bookings")[BOOKING_UPCOMING_QUICK]["attendees"][0]["seatUid"] = SEAT_UID


# ---------------------------------------------------------------- event types


NEW_EVENT_TYPE = {
    "title": "Portfolio review", "slug": "portfolio-review", "lengthInMinutes": 45,
    "description": "Walk through your work together.",
    "locations": [{"type": "link", "link": "https://zoom.example.test/j/42", "public": True}],
    "bookingFields": [{"type": "select", "slug": "level", "label": "Your level", "required": True,
                       "options": ["junior", "senior"]}],
    "minimumBookingNotice": 120, "beforeEventBuffer": 5, "afterEventBuffer": 10,
    "scheduleId": SCHEDULE_EXTENDED_HOURS, "hidden": False,
    "confirmationPolicy": {"type": "always", "blockUnconfirmedBookingsInBooker": False},
}


def check_event_type_created(data: Any, state: SandboxState) -> None:
    stored = state.table("event_types")[data["id"]]
    assert data["id"] not in range(101, 106) and stored["title"] == data["title"] == "Portfolio review"
    assert (stored["lengthInMinutes"], stored["minimumBookingNotice"], stored["beforeEventBuffer"],
            stored["afterEventBuffer"], stored["scheduleId"]) == (45, 120, 5, 10, SCHEDULE_EXTENDED_HOURS)
    assert stored["locations"] == [{"type": "link", "link": "https://zoom.example.test/j/42", "public": True}]
    custom = [f for f in stored["bookingFields"] if not f["isDefault"]]
    assert [(f["slug"], f["options"]) for f in custom] == [("level", ["junior", "senior"])]
    assert {"name", "email"} <= {f["slug"] for f in stored["bookingFields"] if f["isDefault"]}
    assert stored["confirmationPolicy"]["type"] == "always"
    assert data["bookingUrl"].endswith("/portfolio-review")


def check_seated_event_type(data: Any, state: SandboxState) -> None:
    stored = state.table("event_types")[data["id"]]
    assert stored["seats"] == {"seatsPerTimeSlot": 4, "showAttendeeInfo": False, "showAvailabilityCount": True}
    assert stored["seatsShowAvailabilityCount"] is True and stored["recurrence"] is None
    assert "confirmationPolicy" not in stored


def check_event_type_updated(data: Any, state: SandboxState) -> None:
    stored = state.table("event_types")[EVENT_TYPE_INTRO_CALL]
    assert data["lengthInMinutes"] == stored["lengthInMinutes"] == 45
    assert stored["slug"] == "intro-call-long" and stored["bookingUrl"].endswith("/intro-call-long")
    assert stored["title"] == "Intro call" and stored["hidden"] is True  # untouched fields stay


def check_recurrence_off(data: Any, state: SandboxState) -> None:
    assert data["recurrence"] is None and state.table("event_types")[EVENT_TYPE_WEEKLY_SYNC]["recurrence"] is None


def check_team_event_type_updated(data: Any, state: SandboxState) -> None:
    stored = state.table("team_event_types")[TEAM_EVENT_SALES_DEMO]
    assert data["title"] == stored["title"] == "Sales demo (EMEA)"
    assert [h["userId"] for h in stored["hosts"]] == [BLAKE_ID]
    assert data["team"]["id"] == TEAM_SALES


def check_org_team_event_type_updated(data: Any, state: SandboxState) -> None:
    stored = state.table("team_event_types")[TEAM_EVENT_ARCH_REVIEW]
    assert data["lengthInMinutes"] == stored["lengthInMinutes"] == 90
    assert stored["description"] == "Bring the design doc."
    assert [h["userId"] for h in stored["hosts"]] == [USER_ID, DEVON_ID]  # hosts not given: kept


def check_org_team_event_type_deleted(data: Any, state: SandboxState) -> None:
    assert data["id"] == TEAM_EVENT_ARCH_REVIEW
    assert TEAM_EVENT_ARCH_REVIEW not in state.table("team_event_types")
    assert TEAM_EVENT_SALES_DEMO in state.table("team_event_types")


ORG_TEAM = {"orgId": ORG_ID, "teamId": TEAM_ENGINEERING}
EVENT_TYPE_CASES = [
    Case("CAL_CREATE_EVENT_TYPE", NEW_EVENT_TYPE, check_event_type_created),
    Case("CAL_CREATE_EVENT_TYPE", {"title": "Office hours", "slug": "office-hours", "lengthInMinutes": 30,
                                   "seats": {"seatsPerTimeSlot": 4, "showAttendeeInfo": False,
                                             "showAvailabilityCount": True},
                                   "confirmationPolicy": {"disabled": True}},
         check_seated_event_type, id="seated"),
    Case("CAL_CREATE_EVENT_TYPE", {"title": "Intro call", "slug": "intro-call", "lengthInMinutes": 30},
         refused("User already has an event type with this slug", still=lambda s: len(s.table("event_types")) == 5),
         id="slug-taken", error_status=400),
    Case("CAL_CREATE_EVENT_TYPE", {"title": "Lunch", "slug": "lunch", "lengthInMinutes": 30, "scheduleId": 999},
         refused("does not own schedule with ID=999", still=lambda s: len(s.table("event_types")) == 5),
         id="unknown-schedule", error_status=404),
    Case("CAL_CREATE_EVENT_TYPE", {"title": "Quiz", "slug": "quiz", "lengthInMinutes": 30,
                                   "bookingFields": [{"type": "radio", "slug": "pick", "label": "Pick one",
                                                      "required": True}]},
         refused("options", still=lambda s: len(s.table("event_types")) == 5), id="choice-without-options",
         refused_here=True),
    Case("CAL_CREATE_EVENT_TYPE", {"title": "Late call", "slug": "late-call", "lengthInMinutes": 30,
                                   "confirmationPolicy": {"type": "time", "blockUnconfirmedBookingsInBooker": True}},
         refused("noticeThreshold", still=lambda s: len(s.table("event_types")) == 5), id="time-without-threshold",
         refused_here=True),
    Case("CAL_CREATE_EVENT_TYPE", {"title": "Quiz", "slug": "quiz", "lengthInMinutes": 30, "bookingFields": [
        {"type": "text", "slug": "company", "label": "Company", "required": True},
        {"type": "text", "slug": "company", "label": "Employer", "required": False}]},
         refused("Duplicate bookingFields slug 'company'", still=lambda s: len(s.table("event_types")) == 5),
         id="duplicate-question", error_status=400),
    Case("CAL_UPDATE_EVENT_TYPE", {"eventTypeId": EVENT_TYPE_INTRO_CALL, "lengthInMinutes": 45,
                                   "slug": "intro-call-long", "hidden": True}, check_event_type_updated),
    Case("CAL_UPDATE_EVENT_TYPE", {"eventTypeId": EVENT_TYPE_WEEKLY_SYNC, "recurrence": {"disabled": True}},
         check_recurrence_off, id="recurrence-off"),
    Case("CAL_UPDATE_EVENT_TYPE", {"eventTypeId": 999, "title": "Nope"},
         refused("Event type with id 999 not found", hint="CAL_LIST_EVENT_TYPES"), id="unknown", error_status=404),
    Case("CAL_UPDATE_TEAM_EVENT_TYPE", {"teamId": TEAM_SALES, "eventTypeId": TEAM_EVENT_SALES_DEMO,
                                        "title": "Sales demo (EMEA)", "hosts": [{"userId": BLAKE_ID}]},
         check_team_event_type_updated),
    Case("CAL_UPDATE_TEAM_EVENT_TYPE", {"teamId": TEAM_SALES, "eventTypeId": TEAM_EVENT_SALES_DEMO,
                                        "hosts": [{"userId": DEVON_ID}]},
         refused("is not an accepted member of team",
                 still=lambda s: len(s.table("team_event_types")[TEAM_EVENT_SALES_DEMO]["hosts"]) == 2),
         id="host-not-in-team", error_status=400),
    Case("CAL_UPDATE_ORG_TEAM_EVENT_TYPE", {**ORG_TEAM, "eventTypeId": TEAM_EVENT_ARCH_REVIEW,
                                            "lengthInMinutes": 90, "description": "Bring the design doc."},
         check_org_team_event_type_updated),
    Case("CAL_UPDATE_ORG_TEAM_EVENT_TYPE", {"orgId": ORG_ID, "teamId": TEAM_BOOK_CLUB,
                                            "eventTypeId": TEAM_EVENT_BOOK_CHAT, "title": "Nope"},
         refused("", still=lambda s: s.table("team_event_types")[TEAM_EVENT_BOOK_CHAT]["title"] == "Book chat"),
         id="team-outside-org", error_status=403),
    Case("CAL_DELETE_ORG_TEAM_EVENT_TYPE", {**ORG_TEAM, "eventTypeId": TEAM_EVENT_ARCH_REVIEW},
         check_org_team_event_type_deleted),
    Case("CAL_DELETE_ORG_TEAM_EVENT_TYPE", {**ORG_TEAM, "eventTypeId": TEAM_EVENT_SALES_DEMO},
         refused(f"not found in team id={TEAM_ENGINEERING}",
                 still=lambda s: TEAM_EVENT_SALES_DEMO in s.table("team_event_types")),
         id="other-teams-event-type", error_status=404),
]


# ---------------------------------------------------------------- attendees, guests, location


def check_attendees(data: Any, state: SandboxState) -> None:
    assert [(a["email"], a["timeZone"], a["absent"]) for a in data] == [(SAM, "Europe/London", False)]
    assert isinstance(data[0]["id"], int)


def check_attendee(data: Any, state: SandboxState) -> None:
    assert data["email"] == SAM and data["name"] == "Sam Lee" and data["id"] == 7001


def check_attendee_added(data: Any, state: SandboxState) -> None:
    booking = state.table("bookings")[BOOKING_UPCOMING]
    assert data["email"] == "bob.stone@example.com" and data["bookingId"] == booking["id"]
    assert data["timeZone"] == "Europe/Berlin" and data["phoneNumber"] == "+4930123456" and data["language"] == "en"
    assert [a["email"] for a in booking["attendees"]] == [SAM, "bob.stone@example.com"]
    assert "bob.stone@example.com" in booking["bookingFieldsResponses"]["guests"]


def check_guests_added(data: Any, state: SandboxState) -> None:
    booking = state.table("bookings")[BOOKING_UPCOMING]
    emails = [a["email"] for a in data["attendees"]]
    assert emails == [SAM, "kim@example.com", "lee@example.com"] == [a["email"] for a in booking["attendees"]]
    # A guest without a time zone gets the organizer's.
    assert data["attendees"][2]["timeZone"] == "Europe/London"


def check_location_changed(data: Any, state: SandboxState) -> None:
    booking = state.table("bookings")[BOOKING_UPCOMING]
    assert data["location"] == booking["location"] == "https://zoom.example.test/j/777"
    assert data["meetingUrl"] == "https://zoom.example.test/j/777"
    assert booking["bookingFieldsResponses"]["location"] == {"value": "link",
                                                             "optionValue": "https://zoom.example.test/j/777"}


def attendees_of(uid: str) -> Callable[[SandboxState], list[str]]:
    return lambda state: [a["email"] for a in state.table("bookings")[uid]["attendees"]]


BOB = {"name": "Bob Stone", "email": "bob.stone@example.com", "timeZone": "Europe/Berlin", "phoneNumber": "+4930123456"}
PEOPLE_CASES = [
    Case("CAL_LIST_BOOKING_ATTENDEES", {"bookingUid": BOOKING_UPCOMING}, check_attendees),
    Case("CAL_LIST_BOOKING_ATTENDEES", {"bookingUid": "sbxNoSuchBooking0000"},
         refused("not found", hint="CAL_FETCH_ALL_BOOKINGS"), id="unknown", error_status=404),
    Case("CAL_GET_BOOKING_ATTENDEE", {"bookingUid": BOOKING_UPCOMING, "attendeeId": 7001}, check_attendee),
    Case("CAL_GET_BOOKING_ATTENDEE", {"bookingUid": BOOKING_UPCOMING, "attendeeId": 9999},
         refused("Attendee with id 9999 not found"), id="unknown", error_status=404),
    Case("CAL_ADD_BOOKING_ATTENDEE", {"bookingUid": BOOKING_UPCOMING, **BOB}, check_attendee_added),
    Case("CAL_ADD_BOOKING_ATTENDEE", {"bookingUid": BOOKING_UPCOMING, "name": "Sam Lee", "email": SAM,
                                      "timeZone": "Europe/London"},
         refused("emails_must_be_unique_valid", still=lambda s: attendees_of(BOOKING_UPCOMING)(s) == [SAM]),
         id="already-attending", error_status=400),
    Case("CAL_ADD_BOOKING_ATTENDEE", {"bookingUid": BOOKING_UPCOMING, "name": "Bob", "email": "bob at example",
                                      "timeZone": "Europe/Berlin"},
         refused("email", still=lambda s: attendees_of(BOOKING_UPCOMING)(s) == [SAM]), id="bad-email",
         refused_here=True),
    Case("CAL_ADD_BOOKING_GUESTS", {"bookingUid": BOOKING_UPCOMING, "guests": [
        {"email": "kim@example.com", "name": "Kim", "timeZone": "Asia/Seoul"}, {"email": "lee@example.com"}]},
         check_guests_added),
    Case("CAL_ADD_BOOKING_GUESTS", {"bookingUid": BOOKING_UPCOMING, "guests": [{"email": SAM}]},
         refused("emails_must_be_unique_valid", still=lambda s: attendees_of(BOOKING_UPCOMING)(s) == [SAM]),
         id="nobody-new", error_status=400),
    Case("CAL_UPDATE_BOOKING_LOCATION", {"bookingUid": BOOKING_UPCOMING,
                                         "location": {"type": "link", "link": "https://zoom.example.test/j/777"}},
         check_location_changed),
    Case("CAL_UPDATE_BOOKING_LOCATION", {"bookingUid": BOOKING_UPCOMING, "location": {"type": "address"}},
         refused("address", still=lambda s: s.table("bookings")[BOOKING_UPCOMING]["location"].startswith(
             "https://app.cal.com/video/")), id="address-missing", refused_here=True),
    Case("CAL_UPDATE_BOOKING_LOCATION", {"bookingUid": BOOKING_UPCOMING,
                                         "location": {"type": "link", "link": "the usual zoom room"}},
         refused("URL", still=lambda s: s.table("bookings")[BOOKING_UPCOMING]["location"].startswith(
             "https://app.cal.com/video/")), id="link-not-a-url", refused_here=True),
    Case("CAL_UPDATE_BOOKING_LOCATION", {"bookingUid": "sbxNoSuchBooking0000",
                                         "location": {"type": "phone", "phone": "+14155550123"}},
         refused("not found", hint="CAL_FETCH_ALL_BOOKINGS"), id="unknown", error_status=404),
]


# ---------------------------------------------------------------- artefacts


def check_references(data: Any, state: SandboxState) -> None:
    assert [(r["type"], r["destinationCalendarId"]) for r in data] == [
        ("google_calendar", "alex@sandbox.cal.test"), ("daily_video", None)]


def check_video_reference(data: Any, state: SandboxState) -> None:
    assert [r["type"] for r in data] == ["daily_video"] and data[0]["eventUid"] == BOOKING_UPCOMING


def check_pending_references(data: Any, state: SandboxState) -> None:
    # Not confirmed yet: nothing on the calendar, only the video room.
    assert [r["type"] for r in data] == ["daily_video"]


def check_calendar_links(data: Any, state: SandboxState) -> None:
    links = {link["label"]: link["link"] for link in data}
    assert set(links) == {"Google", "Microsoft Outlook", "Microsoft Office", "ICS"}
    assert "dates=20261124T100000Z%2F20261124T103000Z" in links["Google"]
    ics = unquote(links["ICS"])
    assert "DTSTART:20261124T100000Z" in ics and f"UID:{BOOKING_UPCOMING}@Cal.com" in ics


def check_empty(data: Any, state: SandboxState) -> None:
    assert data == []


def check_by_seat(data: Any, state: SandboxState) -> None:
    assert data["uid"] == BOOKING_UPCOMING_QUICK


ARTEFACT_CASES = [
    Case("CAL_LIST_BOOKING_REFERENCES", {"bookingUid": BOOKING_UPCOMING}, check_references),
    Case("CAL_LIST_BOOKING_REFERENCES", {"bookingUid": BOOKING_UPCOMING, "type": "daily_video"},
         check_video_reference, id="video-only"),
    Case("CAL_LIST_BOOKING_REFERENCES", {"bookingUid": BOOKING_UNCONFIRMED}, check_pending_references,
         id="pending"),
    Case("CAL_GET_BOOKING_CALENDAR_LINKS", {"bookingUid": BOOKING_UPCOMING}, check_calendar_links),
    Case("CAL_LIST_BOOKING_RECORDINGS", {"bookingUid": BOOKING_PAST}, check_empty),
    Case("CAL_LIST_BOOKING_RECORDINGS", {"bookingUid": "sbxNoSuchBooking0000"},
         refused("was not found", hint="CAL_FETCH_ALL_BOOKINGS"), id="unknown", error_status=404),
    Case("CAL_LIST_BOOKING_TRANSCRIPTS", {"bookingUid": BOOKING_PAST}, check_empty),
    Case("CAL_LIST_BOOKING_TRANSCRIPTS", {"bookingUid": "sbxNoSuchBooking0000"},
         refused("was not found"), id="unknown", error_status=404),
    Case("CAL_LIST_BOOKING_CONFERENCING_SESSIONS", {"bookingUid": BOOKING_PAST}, check_empty),
    Case("CAL_GET_BOOKING_BY_SEAT", {"seatUid": SEAT_UID}, check_by_seat, setup=seat_dana),
    Case("CAL_GET_BOOKING_BY_SEAT", {"seatUid": "no-such-seat"}, refused("seatUid=no-such-seat"), id="unknown",
         error_status=404),
]


# ---------------------------------------------------------------- team and organization bookings


def expect_uids(expected: set[str]) -> Callable[[Any, SandboxState], None]:
    def check(data: Any, state: SandboxState) -> None:
        assert set(uids(data)) == expected

    return check


SCOPED_CASES = [
    Case("CAL_LIST_TEAM_BOOKINGS", {"teamId": TEAM_SALES}, expect_uids({SALES_DEMO_UID}), setup=book_team_meetings),
    Case("CAL_LIST_TEAM_BOOKINGS", {"teamId": TEAM_BOOK_CLUB, "attendeeEmail": DANA["email"]},
         expect_uids({BOOK_CHAT_UID}), id="by-attendee", setup=book_team_meetings),
    Case("CAL_LIST_TEAM_BOOKINGS", {"teamId": 999}, refused("Team with id=999 not found"), id="unknown",
         error_status=404),
    Case("CAL_LIST_TEAM_BOOKINGS", {"teamId": TEAM_SALES}, refused(""), id="plain-member", error_status=403,
         setup=demote_me_in_sales),
    # The organization's: its members' own bookings and its teams'; not a Book Club chat Emery hosts.
    Case("CAL_LIST_ORGANIZATION_BOOKINGS", {"orgId": ORG_ID}, expect_uids(SEEDED_UIDS | {SALES_DEMO_UID}),
         setup=book_team_meetings),
    Case("CAL_LIST_ORGANIZATION_BOOKINGS", {"orgId": ORG_ID, "status": ["upcoming"], "take": 2},
         expect_uids({BOOKING_UPCOMING, BOOKING_UNCONFIRMED}), id="paged", setup=book_team_meetings),
    Case("CAL_LIST_ORGANIZATION_BOOKINGS", {"orgId": ORG_ID, "userIds": [BLAKE_ID]}, expect_uids({SALES_DEMO_UID}),
         id="one-member", setup=book_team_meetings),
    Case("CAL_LIST_ORGANIZATION_BOOKINGS", {"orgId": 999}, refused("not an admin of organization"),
         id="other-org", error_status=403),
    Case("CAL_LIST_ORG_TEAM_BOOKINGS", {"orgId": ORG_ID, "teamId": TEAM_SALES}, expect_uids({SALES_DEMO_UID}),
         setup=book_team_meetings),
    Case("CAL_LIST_ORG_TEAM_BOOKINGS", {"orgId": ORG_ID, "teamId": TEAM_ENGINEERING}, expect_uids(set()),
         id="no-bookings", setup=book_team_meetings),
    Case("CAL_LIST_ORG_USER_BOOKINGS", {"orgId": ORG_ID, "userId": BLAKE_ID}, expect_uids({SALES_DEMO_UID}),
         setup=book_team_meetings),
    Case("CAL_LIST_ORG_USER_BOOKINGS", {"orgId": ORG_ID, "userId": 999}, refused("is not a member"),
         id="not-a-member", error_status=404),
]

CASES: list[Case] = [*EVENT_TYPE_CASES, *PEOPLE_CASES, *ARTEFACT_CASES, *SCOPED_CASES]
