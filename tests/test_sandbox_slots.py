"""Slots in the sandbox: schedules, time zones and DST, overrides, bookings and reservations."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import httpx
import pytest

from cal_mcp.sandbox import slots
from cal_mcp.sandbox.app import create_app
from cal_mcp.sandbox.clock import FrozenClock
from cal_mcp.sandbox.seeds import new_state
from cal_mcp.sandbox.seeds.core import (
    EVENT_TYPE_CONSULTATION,
    EVENT_TYPE_DEEP_DIVE,
    EVENT_TYPE_INTRO_CALL,
    EVENT_TYPE_QUICK_CHAT,
    SCHEDULE_EXTENDED_HOURS,
)
from cal_mcp.sandbox.seeds.platform_apps import CRED_GOOGLE_CALENDAR, CRED_ICS_FEED, GOOGLE_PRIMARY, ICS_FEED_URL
from cal_mcp.sandbox.state import USERNAME, SandboxState

SLOTS = {"cal-api-version": "2024-09-04"}
BOOKINGS = {"cal-api-version": "2024-08-13"}
SCHEDULES = {"cal-api-version": "2024-06-11"}
# The default sandbox clock: Monday 2026-11-23 08:00 UTC. Seeded: Tue 24 10:00 accepted intro call,
# Tue 24 13:00 pending consultation, Wed 25 15:00 quick chat, Thu 26 11:00 cancelled intro call.
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def state(clock: FrozenClock) -> SandboxState:
    return new_state(clock=clock)


async def get_slots(client: httpx.AsyncClient, **params: object) -> dict[str, list[dict[str, str]]]:
    response = await client.get("/v2/slots", params=params, headers=SLOTS)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "success"
    data: dict[str, list[dict[str, str]]] = body["data"]
    return data


def starts(data: dict[str, list[dict[str, str]]], day: str) -> list[str]:
    return [slot["start"] for slot in data.get(day, [])]


async def test_slots_step_through_the_london_working_day_by_event_length(client: httpx.AsyncClient) -> None:
    data = await get_slots(client, eventTypeId=EVENT_TYPE_QUICK_CHAT, start="2026-12-01", end="2026-12-01")
    day = starts(data, "2026-12-01")
    assert day[0] == "2026-12-01T09:00:00.000Z"
    assert day[-1] == "2026-12-01T16:45:00.000Z"
    assert len(day) == 32


async def test_weekends_have_no_slots(client: httpx.AsyncClient) -> None:
    data = await get_slots(client, eventTypeId=EVENT_TYPE_INTRO_CALL, start="2026-11-28", end="2026-11-29")
    assert data == {}


@pytest.mark.parametrize(
    ("day", "first_in_new_york"),
    [
        ("2027-03-09", "2027-03-09T04:00:00.000-05:00"),  # both zones on winter time
        ("2027-03-16", "2027-03-16T05:00:00.000-04:00"),  # New York on summer time, London not yet
        ("2027-03-30", "2027-03-30T04:00:00.000-04:00"),  # both on summer time
        ("2027-10-26", "2027-10-26T04:00:00.000-04:00"),  # both on summer time
        ("2027-11-02", "2027-11-02T05:00:00.000-04:00"),  # London back on GMT, New York still on EDT
        ("2027-11-09", "2027-11-09T04:00:00.000-05:00"),  # both on winter time
    ],
)
async def test_a_london_schedule_seen_from_new_york_follows_both_dst_calendars(
    client: httpx.AsyncClient, day: str, first_in_new_york: str
) -> None:
    data = await get_slots(client, eventTypeId=EVENT_TYPE_INTRO_CALL, start=day, end=day,
                           timeZone="America/New_York")
    assert starts(data, day)[0] == first_in_new_york


async def test_london_hours_move_an_hour_earlier_in_utc_after_the_spring_change(client: httpx.AsyncClient) -> None:
    data = await get_slots(client, eventTypeId=EVENT_TYPE_INTRO_CALL, start="2027-03-26", end="2027-03-29")
    assert starts(data, "2027-03-26")[0] == "2027-03-26T09:00:00.000Z"
    assert starts(data, "2027-03-29")[0] == "2027-03-29T08:00:00.000Z"
    assert starts(data, "2027-03-29")[-1] == "2027-03-29T15:30:00.000Z"


def test_a_whole_local_day_lasts_23_or_25_hours_on_the_dst_change_sundays() -> None:
    sundays = slots.Availability("Europe/London", (slots.DayRule(frozenset({6}), time(0, 0), time(0, 0)),))
    for day, hours in ((date(2027, 3, 28), 23), (date(2027, 10, 31), 25)):
        noon = datetime.combine(day, time(12), tzinfo=UTC)
        [window] = [w for w in slots.working_windows(sundays, noon, noon) if w.start <= noon < w.end]
        assert window.end - window.start == timedelta(hours=hours)


async def test_dates_are_grouped_in_the_requested_time_zone(client: httpx.AsyncClient) -> None:
    data = await get_slots(client, eventTypeId=EVENT_TYPE_INTRO_CALL, start="2026-12-01", end="2026-12-01",
                           timeZone="Asia/Tokyo")
    # 09:00–16:30 London (UTC in winter) is 18:00–01:30 in Tokyo: two Tokyo dates.
    assert starts(data, "2026-12-01")[0] == "2026-12-01T18:00:00.000+09:00"
    assert starts(data, "2026-12-02")[-1] == "2026-12-02T01:30:00.000+09:00"


async def test_range_format_adds_the_end_of_each_slot(client: httpx.AsyncClient) -> None:
    data = await get_slots(client, eventTypeId=EVENT_TYPE_INTRO_CALL, start="2026-12-01", end="2026-12-01",
                           format="range", timeZone="Europe/Rome")
    assert data["2026-12-01"][0] == {"start": "2026-12-01T10:00:00.000+01:00", "end": "2026-12-01T10:30:00.000+01:00"}


async def test_a_date_override_replaces_the_weekly_hours_of_its_day(client: httpx.AsyncClient) -> None:
    # Deep dive (60 min) uses the extended hours: Mon–Thu 12:00–20:00, Wed 25 overridden to 14:00–16:00.
    # (On Tuesday 24 the selected Google calendar's 12:00–13:00 lunch keeps the first hours busy.)
    data = await get_slots(client, eventTypeId=EVENT_TYPE_DEEP_DIVE, start="2026-11-24", end="2026-11-25")
    assert starts(data, "2026-11-24")[0] == "2026-11-24T14:00:00.000Z"
    assert starts(data, "2026-11-24")[-1] == "2026-11-24T19:00:00.000Z"
    assert starts(data, "2026-11-25") == ["2026-11-25T14:00:00.000Z"]  # 15:00 collides with the quick chat


async def test_an_all_day_override_makes_the_date_unavailable(client: httpx.AsyncClient) -> None:
    response = await client.patch(
        f"/v2/schedules/{SCHEDULE_EXTENDED_HOURS}", headers=SCHEDULES,
        json={"overrides": [{"date": "2026-11-24", "startTime": "00:00", "endTime": "00:00"}]},
    )
    assert response.status_code == 200
    data = await get_slots(client, eventTypeId=EVENT_TYPE_DEEP_DIVE, start="2026-11-24", end="2026-11-25")
    assert "2026-11-24" not in data
    assert starts(data, "2026-11-25")[0] == "2026-11-25T12:00:00.000Z"  # the old override is gone


async def test_accepted_and_pending_bookings_take_their_slots_but_cancelled_ones_do_not(
    client: httpx.AsyncClient,
) -> None:
    data = await get_slots(client, eventTypeId=EVENT_TYPE_INTRO_CALL, start="2026-11-24", end="2026-11-26")
    tuesday = starts(data, "2026-11-24")
    assert "2026-11-24T10:00:00.000Z" not in tuesday  # accepted intro call
    assert "2026-11-24T13:00:00.000Z" not in tuesday  # pending consultation, another event type
    assert "2026-11-24T10:30:00.000Z" in tuesday
    assert "2026-11-26T11:00:00.000Z" in starts(data, "2026-11-26")  # cancelled


async def test_slots_never_start_before_now(client: httpx.AsyncClient, clock: FrozenClock) -> None:
    clock.set(datetime(2026, 11, 24, 11, 10, tzinfo=UTC))
    data = await get_slots(client, eventTypeId=EVENT_TYPE_INTRO_CALL, start="2026-11-24", end="2026-11-24")
    assert starts(data, "2026-11-24")[0] == "2026-11-24T11:30:00.000Z"


async def test_a_live_reservation_hides_its_slot_until_it_expires(
    client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    reserved = await client.post("/v2/slots/reservations", headers=SLOTS,
                                 json={"eventTypeId": EVENT_TYPE_INTRO_CALL, "slotStart": "2026-11-24T11:00:00Z"})
    assert reserved.status_code == 201
    assert reserved.json()["data"]["reservationUntil"] == "2026-11-23T08:05:00.000Z"
    data = await get_slots(client, eventTypeId=EVENT_TYPE_INTRO_CALL, start="2026-11-24", end="2026-11-24")
    assert "2026-11-24T11:00:00.000Z" not in starts(data, "2026-11-24")
    clock.advance(minutes=5, seconds=1)
    data = await get_slots(client, eventTypeId=EVENT_TYPE_INTRO_CALL, start="2026-11-24", end="2026-11-24")
    assert "2026-11-24T11:00:00.000Z" in starts(data, "2026-11-24")


async def test_a_deleted_reservation_frees_its_slot(client: httpx.AsyncClient) -> None:
    reserved = await client.post("/v2/slots/reservations", headers=SLOTS,
                                 json={"eventTypeId": EVENT_TYPE_INTRO_CALL, "slotStart": "2026-11-24T11:00:00Z",
                                       "reservationDuration": 30})
    data = reserved.json()["data"]
    assert data["reservationDuration"] == 30
    assert data["slotEnd"] == "2026-11-24T11:30:00.000Z"
    deleted = await client.delete(f"/v2/slots/reservations/{data['reservationUid']}", headers=SLOTS)
    assert deleted.json() == {"status": "success"}
    slots_now = await get_slots(client, eventTypeId=EVENT_TYPE_INTRO_CALL, start="2026-11-24", end="2026-11-24")
    assert "2026-11-24T11:00:00.000Z" in starts(slots_now, "2026-11-24")
    again = await client.delete(f"/v2/slots/reservations/{data['reservationUid']}", headers=SLOTS)
    assert again.status_code == 404


async def test_reserving_a_booked_or_already_reserved_slot_is_refused(client: httpx.AsyncClient) -> None:
    booked = await client.post("/v2/slots/reservations", headers=SLOTS,
                               json={"eventTypeId": EVENT_TYPE_INTRO_CALL, "slotStart": "2026-11-24T10:00:00Z"})
    assert booked.status_code == 400
    first = await client.post("/v2/slots/reservations", headers=SLOTS,
                              json={"eventTypeId": EVENT_TYPE_INTRO_CALL, "slotStart": "2026-11-24T11:00:00Z"})
    assert first.status_code == 201
    second = await client.post("/v2/slots/reservations", headers=SLOTS,
                               json={"eventTypeId": EVENT_TYPE_INTRO_CALL, "slotStart": "2026-11-24T11:00:00Z"})
    assert second.status_code == 400
    assert second.json()["error"]["code"] == "BadRequestException"


async def test_reservation_duration_needs_an_api_key(state: SandboxState) -> None:
    transport = httpx.ASGITransport(app=create_app(state))
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as anonymous:
        response = await anonymous.post("/v2/slots/reservations", headers=SLOTS, json={
            "eventTypeId": EVENT_TYPE_INTRO_CALL, "slotStart": "2026-11-24T11:00:00Z", "reservationDuration": 10})
        assert response.status_code == 401
        plain = await anonymous.post("/v2/slots/reservations", headers=SLOTS, json={
            "eventTypeId": EVENT_TYPE_INTRO_CALL, "slotStart": "2026-11-24T11:00:00Z"})
        assert plain.status_code == 201


async def test_slug_and_username_find_the_same_slots_as_the_id(client: httpx.AsyncClient) -> None:
    by_id = await get_slots(client, eventTypeId=EVENT_TYPE_INTRO_CALL, start="2026-11-24", end="2026-11-25")
    by_slug = await get_slots(client, eventTypeSlug="intro-call", username=USERNAME, start="2026-11-24",
                              end="2026-11-25")
    assert by_id == by_slug


async def test_rescheduling_lookups_count_the_booking_own_time_as_free(client: httpx.AsyncClient) -> None:
    data = await get_slots(client, eventTypeId=EVENT_TYPE_INTRO_CALL, start="2026-11-24", end="2026-11-24",
                           bookingUidToReschedule="sbxUpcomingIntro0003")
    assert "2026-11-24T10:00:00.000Z" in starts(data, "2026-11-24")


async def test_time_ranges_with_hours_are_honoured(client: httpx.AsyncClient) -> None:
    data = await get_slots(client, eventTypeId=EVENT_TYPE_CONSULTATION, start="2026-12-01T14:00:00Z",
                           end="2026-12-01T15:00:00Z")
    assert starts(data, "2026-12-01") == ["2026-12-01T14:00:00.000Z", "2026-12-01T14:30:00.000Z",
                                          "2026-12-01T15:00:00.000Z"]


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"eventTypeId": 999, "start": "2026-12-01", "end": "2026-12-01"}, 404, "Event Type not found"),
        ({"eventTypeId": EVENT_TYPE_INTRO_CALL, "end": "2026-12-01"}, 400, "start should not be empty"),
        ({"eventTypeId": EVENT_TYPE_INTRO_CALL, "start": "2026-12-02", "end": "2026-12-01"}, 400,
         "Invalid time range given"),
        ({"eventTypeId": EVENT_TYPE_INTRO_CALL, "start": "soon", "end": "2026-12-01"}, 400,
         "start must be a valid ISO 8601 date string"),
        ({"eventTypeId": EVENT_TYPE_INTRO_CALL, "start": "2026-12-01", "end": "2026-12-01", "timeZone": "Mars/Base"},
         400, "timeZone must be a valid IANA time zone"),
        ({"eventTypeId": EVENT_TYPE_INTRO_CALL, "start": "2026-12-01", "end": "2026-12-01", "format": "list"}, 400,
         "slotFormat must be either 'range' or 'time'"),
        ({"eventTypeId": EVENT_TYPE_INTRO_CALL, "start": "2026-12-01", "end": "2026-12-01", "colour": "red"}, 400,
         "property colour should not exist"),
        ({"usernames": USERNAME, "start": "2026-12-01", "end": "2026-12-01", "organizationSlug": "sandbox"}, 400,
         "The array must contain at least 2 elements."),
    ],
)
async def test_bad_slot_queries_are_refused(
    client: httpx.AsyncClient, params: dict[str, object], status: int, message: str
) -> None:
    # GetSlotsInputPipe throws BadRequestException(<its messages>), so they are the error message.
    response = await client.get("/v2/slots", params=params, headers=SLOTS)
    assert response.status_code == status
    assert message in response.json()["error"]["message"]


async def test_a_duration_of_no_minutes_counts_as_not_given(client: httpx.AsyncClient) -> None:
    window = {"eventTypeId": EVENT_TYPE_INTRO_CALL, "start": "2026-12-01", "end": "2026-12-01"}
    plain = await client.get("/v2/slots", params=window, headers=SLOTS)
    zero = await client.get("/v2/slots", params={**window, "duration": 0}, headers=SLOTS)
    assert zero.status_code == 200 and zero.json() == plain.json()


async def test_slots_need_the_2024_09_04_version_header(client: httpx.AsyncClient) -> None:
    response = await client.get("/v2/slots", params={"eventTypeId": EVENT_TYPE_INTRO_CALL, "start": "2026-12-01",
                                                     "end": "2026-12-01"})
    assert response.status_code == 400
    assert "2024-09-04" in response.json()["error"]["message"]


# --- external calendars: Cal subtracts what the user's selected calendars report busy -------------------
# (packages/core/getBusyTimes.ts: getBusyCalendarTimes over the user's selectedCalendars)


async def _busy_times(
    client: httpx.AsyncClient, credential_id: int, external_id: str
) -> list[tuple[datetime, datetime]]:
    response = await client.get("/v2/calendars/busy-times", params={
        "timeZone": "UTC", "dateFrom": "2026-11-23", "dateTo": "2026-11-29",
        "calendarsToLoad[0][credentialId]": str(credential_id), "calendarsToLoad[0][externalId]": external_id,
    })
    assert response.status_code == 200, response.text
    return [(slots.parse_instant(b["start"]), slots.parse_instant(b["end"])) for b in response.json()["data"]]  # type: ignore[misc]


async def test_no_offered_slot_overlaps_what_the_selected_calendar_reports_busy(client: httpx.AsyncClient) -> None:
    busy = await _busy_times(client, CRED_GOOGLE_CALENDAR, GOOGLE_PRIMARY)
    assert len(busy) > 1, "the seeded Google calendar has events this week besides the seeded booking"
    data = await get_slots(client, eventTypeId=EVENT_TYPE_INTRO_CALL, start="2026-11-23", end="2026-11-29")
    offered = [slots.parse_instant(s["start"]) for day in data.values() for s in day]
    for start in offered:
        assert start is not None
        end = start + timedelta(minutes=30)
        assert not any(start < b_end and end > b_start for b_start, b_end in busy), start


async def test_a_booking_at_a_time_the_selected_calendar_reports_busy_is_refused(client: httpx.AsyncClient) -> None:
    # Tuesday 24 12:00-13:00: a lunch on the selected Google calendar, inside working hours.
    body = {"start": "2026-11-24T12:00:00Z", "eventTypeId": EVENT_TYPE_INTRO_CALL,
            "attendee": {"name": "Dana Guest", "email": "dana@example.com", "timeZone": "Europe/London"}}
    response = await client.post("/v2/bookings", json=body, headers=BOOKINGS)
    assert response.status_code == 400, response.text


async def test_an_unselected_calendar_does_not_block_slots(client: httpx.AsyncClient) -> None:
    # The ICS feed's Friday offsite (09:00-17:00) is on a calendar the user did not select for conflicts.
    busy = await _busy_times(client, CRED_ICS_FEED, ICS_FEED_URL)
    assert busy, "the seeded ICS feed has an event this week"
    data = await get_slots(client, eventTypeId=EVENT_TYPE_INTRO_CALL, start="2026-11-27", end="2026-11-27")
    assert starts(data, "2026-11-27")[0] == "2026-11-27T09:00:00.000Z"
