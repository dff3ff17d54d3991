"""The sandbox's booking lifecycle and its errors, as Cal API v2 (2024-08-13) answers them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from cal_mcp.sandbox.app import create_app
from cal_mcp.sandbox.clock import FrozenClock
from cal_mcp.sandbox.request_validation import EXPLANATION_HEADER
from cal_mcp.sandbox.seeds import new_state
from cal_mcp.sandbox.seeds.core import (
    BOOKING_CANCELLED,
    BOOKING_PAST,
    BOOKING_UNCONFIRMED,
    BOOKING_UPCOMING,
    EVENT_TYPE_CONSULTATION,
    EVENT_TYPE_INTRO_CALL,
    EVENT_TYPE_WEEKLY_SYNC,
)
from cal_mcp.sandbox.state import USER_EMAIL, USER_ID, USERNAME, SandboxState

V = {"cal-api-version": "2024-08-13"}
SLOTS = {"cal-api-version": "2024-09-04"}
UNAVAILABLE = "User either already has booking at this time or is not available"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday; seeded intro call on Tue 24 at 10:00 UTC
ATTENDEE = {"name": "Dana Fox", "email": "dana.fox@example.com", "timeZone": "America/New_York"}
TEAM_EVENT_TYPE = 9500
OTHER_HOST = 1201
NOT_A_HOST = 1202


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def state(clock: FrozenClock) -> SandboxState:
    state = new_state(clock=clock)
    # A round-robin team event type as the platform area seeds them (IDs >= 9000).
    state.table("users")[OTHER_HOST] = {"id": OTHER_HOST, "username": "robin.host", "name": "Robin Host",
                                        "email": "robin.host@sandbox.cal.test", "timeZone": "Europe/London"}
    state.table("users")[NOT_A_HOST] = {"id": NOT_A_HOST, "username": "nia.guest", "name": "Nia Guest",
                                        "email": "nia@sandbox.cal.test", "timeZone": "Europe/London"}
    state.table("team_event_types")[TEAM_EVENT_TYPE] = {
        "id": TEAM_EVENT_TYPE, "title": "Team demo", "slug": "team-demo", "lengthInMinutes": 30, "teamId": 77,
        "schedulingType": "roundRobin", "locations": [], "hosts": [
            {"userId": USER_ID, "name": "Alex Sandbox", "username": USERNAME},
            {"userId": OTHER_HOST, "name": "Robin Host", "username": "robin.host"},
        ],
    }
    return state


async def book(client: httpx.AsyncClient, start: str, event_type_id: int = EVENT_TYPE_INTRO_CALL,
               **extra: Any) -> httpx.Response:
    body = {"start": start, "eventTypeId": event_type_id, "attendee": ATTENDEE, **extra}
    return await client.post("/v2/bookings", json=body, headers=V)


async def booking(client: httpx.AsyncClient, uid: str) -> dict[str, Any]:
    response = await client.get(f"/v2/bookings/{uid}", headers=V)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert body["status"] == "error"
    error: dict[str, Any] = body["error"]
    return error


async def test_booking_a_free_slot_creates_an_accepted_booking_that_takes_the_slot(
    client: httpx.AsyncClient,
) -> None:
    response = await book(client, "2026-11-24T11:00:00Z", guests=["guest@example.com"])
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["status"] == "accepted"
    assert data["start"] == "2026-11-24T11:00:00.000Z"
    assert data["end"] == "2026-11-24T11:30:00.000Z"
    assert data["eventType"] == {"id": EVENT_TYPE_INTRO_CALL, "slug": "intro-call"}
    assert data["hosts"][0]["email"] == USER_EMAIL
    assert [a["email"] for a in data["attendees"]] == ["dana.fox@example.com", "guest@example.com"]
    assert data["guests"] == ["guest@example.com"]
    assert data["location"] == f"https://app.cal.com/video/{data['uid']}"
    assert (await booking(client, data["uid"]))["id"] == data["id"]
    slots = await client.get("/v2/slots", headers=SLOTS, params={
        "eventTypeId": EVENT_TYPE_INTRO_CALL, "start": "2026-11-24", "end": "2026-11-24"})
    assert "2026-11-24T11:00:00.000Z" not in [s["start"] for s in slots.json()["data"]["2026-11-24"]]


async def test_booking_by_event_type_slug_and_username_works_like_the_id(client: httpx.AsyncClient) -> None:
    response = await client.post("/v2/bookings", headers=V, json={
        "start": "2026-11-24T11:00:00Z", "eventTypeSlug": "intro-call", "username": USERNAME, "attendee": ATTENDEE})
    assert response.status_code == 201
    assert response.json()["data"]["eventTypeId"] == EVENT_TYPE_INTRO_CALL


@pytest.mark.parametrize(
    "start",
    [
        "2026-11-24T10:00:00Z",  # the seeded accepted booking
        "2026-11-24T10:15:00Z",  # overlapping it
        "2026-11-24T13:00:00Z",  # the seeded pending booking of another event type
        "2026-11-24T07:00:00Z",  # before working hours
        "2026-11-24T16:45:00Z",  # would end after working hours
        "2026-11-28T10:00:00Z",  # Saturday
    ],
)
async def test_booking_a_taken_or_unavailable_time_is_refused(client: httpx.AsyncClient, start: str) -> None:
    response = await book(client, start)
    assert response.status_code == 400
    assert error_of(response)["message"] == UNAVAILABLE


async def test_booking_in_the_past_is_refused(client: httpx.AsyncClient) -> None:
    response = await book(client, "2026-11-20T10:00:00Z")
    assert response.status_code == 400
    assert error_of(response)["message"] == "Attempting to book a meeting in the past."


async def test_someone_elses_live_reservation_blocks_booking_until_it_expires(
    client: httpx.AsyncClient, state: SandboxState, clock: FrozenClock
) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(state)),
                                 base_url="http://sandbox") as stranger:
        held = await stranger.post("/v2/slots/reservations", headers=SLOTS, json={
            "eventTypeId": EVENT_TYPE_INTRO_CALL, "slotStart": "2026-11-24T11:00:00Z"})
        assert held.status_code == 201
    refused = await book(client, "2026-11-24T11:00:00Z")
    assert refused.status_code == 400
    assert error_of(refused)["message"] == UNAVAILABLE
    clock.advance(minutes=6)
    assert (await book(client, "2026-11-24T11:00:00Z")).status_code == 201


async def test_the_callers_own_reservation_is_used_up_by_the_booking(
    client: httpx.AsyncClient, state: SandboxState
) -> None:
    held = await client.post("/v2/slots/reservations", headers=SLOTS, json={
        "eventTypeId": EVENT_TYPE_INTRO_CALL, "slotStart": "2026-11-24T11:00:00Z"})
    assert held.status_code == 201
    assert (await book(client, "2026-11-24T11:00:00Z")).status_code == 201
    assert state.table("slot_reservations") == {}


async def test_requires_confirmation_bookings_wait_for_confirm(client: httpx.AsyncClient) -> None:
    created = await book(client, "2026-11-25T11:00:00Z", EVENT_TYPE_CONSULTATION)
    assert created.status_code == 201
    uid = created.json()["data"]["uid"]
    assert created.json()["data"]["status"] == "pending"
    confirmed = await client.post(f"/v2/bookings/{uid}/confirm", headers=V)
    assert confirmed.status_code == 200
    assert confirmed.json()["data"]["status"] == "accepted"
    again = await client.post(f"/v2/bookings/{uid}/confirm", headers=V)
    assert again.status_code == 400
    assert error_of(again)["message"] == "Booking already confirmed"


async def test_declining_a_pending_booking_rejects_it(client: httpx.AsyncClient) -> None:
    declined = await client.post(f"/v2/bookings/{BOOKING_UNCONFIRMED}/decline", headers=V,
                                 json={"reason": "Fully booked that week"})
    assert declined.status_code == 200
    assert declined.json()["data"]["status"] == "rejected"
    listed = await client.get("/v2/bookings", params={"status": "cancelled"}, headers=V)
    assert BOOKING_UNCONFIRMED in [b["uid"] for b in listed.json()["data"]]


@pytest.mark.parametrize("action", ["confirm", "decline"])
async def test_only_pending_bookings_can_be_confirmed_or_declined(client: httpx.AsyncClient, action: str) -> None:
    for uid in (BOOKING_UPCOMING, BOOKING_CANCELLED):
        response = await client.post(f"/v2/bookings/{uid}/{action}", headers=V, json={})
        assert response.status_code == 400


async def test_cancelling_twice_is_refused(client: httpx.AsyncClient) -> None:
    first = await client.post(f"/v2/bookings/{BOOKING_UPCOMING}/cancel", headers=V,
                              json={"cancellationReason": "Host is ill"})
    assert first.status_code == 200
    data = first.json()["data"]
    assert (data["status"], data["cancellationReason"], data["cancelledByEmail"]) == (
        "cancelled", "Host is ill", USER_EMAIL)
    second = await client.post(f"/v2/bookings/{BOOKING_UPCOMING}/cancel", headers=V,
                               json={"cancellationReason": "Host is ill"})
    assert second.status_code == 400
    assert error_of(second)["message"] == "This booking has already been cancelled."


async def test_the_host_must_give_a_cancellation_reason(client: httpx.AsyncClient) -> None:
    response = await client.post(f"/v2/bookings/{BOOKING_UPCOMING}/cancel", headers=V, json={})
    assert response.status_code == 400
    assert error_of(response)["message"] == "Cancellation reason is required when you are the host"


async def test_cancelling_frees_the_slot_for_a_new_booking(client: httpx.AsyncClient) -> None:
    await client.post(f"/v2/bookings/{BOOKING_UPCOMING}/cancel", headers=V, json={"cancellationReason": "Moved"})
    assert (await book(client, "2026-11-24T10:00:00Z")).status_code == 201


async def test_rescheduling_creates_a_new_booking_and_cancels_the_old_one(client: httpx.AsyncClient) -> None:
    response = await client.post(f"/v2/bookings/{BOOKING_UPCOMING}/reschedule", headers=V,
                                 json={"start": "2026-11-25T11:00:00Z", "reschedulingReason": "Clash"})
    assert response.status_code == 201
    fresh = response.json()["data"]
    assert fresh["uid"] != BOOKING_UPCOMING
    assert fresh["start"] == "2026-11-25T11:00:00.000Z"
    assert fresh["status"] == "accepted"
    assert fresh["rescheduledFromUid"] == BOOKING_UPCOMING
    assert fresh["reschedulingReason"] == "Clash"
    assert fresh["attendees"][0]["email"] == "sam.lee@example.com"
    old = await booking(client, BOOKING_UPCOMING)
    assert old["status"] == "cancelled"
    assert old["rescheduledToUid"] == fresh["uid"]
    again = await client.post(f"/v2/bookings/{BOOKING_UPCOMING}/reschedule", headers=V,
                              json={"start": "2026-11-26T09:30:00Z"})
    assert again.status_code == 400
    assert fresh["uid"] in error_of(again)["message"]


async def test_rescheduling_into_a_taken_slot_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(f"/v2/bookings/{BOOKING_UPCOMING}/reschedule", headers=V,
                                 json={"start": "2026-11-24T13:00:00Z"})
    assert response.status_code == 400
    assert error_of(response)["message"] == UNAVAILABLE


async def test_rescheduling_within_its_own_time_is_allowed(client: httpx.AsyncClient) -> None:
    response = await client.post(f"/v2/bookings/{BOOKING_UPCOMING}/reschedule", headers=V,
                                 json={"start": "2026-11-24T10:15:00Z"})
    assert response.status_code == 201


async def test_marking_absence_needs_the_meeting_to_have_started(client: httpx.AsyncClient) -> None:
    early = await client.post(f"/v2/bookings/{BOOKING_UPCOMING}/mark-absent", headers=V, json={"host": True})
    assert early.status_code == 400
    response = await client.post(f"/v2/bookings/{BOOKING_PAST}/mark-absent", headers=V, json={
        "host": False, "attendees": [{"email": "jamie.rivera@example.com", "absent": True}]})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["absentHost"] is False
    assert data["attendees"][0]["absent"] is True


async def test_reassigning_is_only_for_round_robin_bookings(client: httpx.AsyncClient) -> None:
    response = await client.post(f"/v2/bookings/{BOOKING_UPCOMING}/reassign", headers=V)
    assert response.status_code == 400
    to_user = await client.post(f"/v2/bookings/{BOOKING_UPCOMING}/reassign/{OTHER_HOST}", headers=V, json={})
    assert to_user.status_code == 400


async def test_round_robin_bookings_move_to_another_host(client: httpx.AsyncClient) -> None:
    created = await book(client, "2026-11-24T10:00:00Z", TEAM_EVENT_TYPE)  # Alex is busy: Robin hosts
    assert created.status_code == 201
    uid = created.json()["data"]["uid"]
    assert created.json()["data"]["hosts"][0]["id"] == OTHER_HOST
    moved = await client.post(f"/v2/bookings/{uid}/reassign/{USER_ID}", headers=V, json={"reason": "Cover"})
    assert moved.status_code == 200
    assert moved.json()["data"] == {"bookingUid": uid, "reassignedTo": {
        "id": USER_ID, "name": "Alex Sandbox", "email": USER_EMAIL, "displayEmail": USER_EMAIL}}
    not_a_host = await client.post(f"/v2/bookings/{uid}/reassign/{NOT_A_HOST}", headers=V, json={})
    assert not_a_host.status_code == 400
    assert "is not a valid Round Robin host" in error_of(not_a_host)["message"]
    nobody = await client.post(f"/v2/bookings/{uid}/reassign/4242", headers=V, json={})
    assert nobody.status_code == 404
    automatic = await client.post(f"/v2/bookings/{uid}/reassign", headers=V)
    assert automatic.json()["data"]["reassignedTo"]["id"] == OTHER_HOST


async def test_recurring_event_types_book_a_weekly_series(client: httpx.AsyncClient) -> None:
    created = await book(client, "2026-11-24T14:00:00Z", EVENT_TYPE_WEEKLY_SYNC)
    assert created.status_code == 201
    series = created.json()["data"]
    assert [b["start"] for b in series] == [
        "2026-11-24T14:00:00.000Z", "2026-12-01T14:00:00.000Z", "2026-12-08T14:00:00.000Z",
        "2026-12-15T14:00:00.000Z"]
    series_uid = series[0]["recurringBookingUid"]
    fetched = await client.get(f"/v2/bookings/{series_uid}", headers=V)
    assert [b["uid"] for b in fetched.json()["data"]] == [b["uid"] for b in series]
    cancelled = await client.post(f"/v2/bookings/{series_uid}/cancel", headers=V,
                                  json={"cancellationReason": "Project ended"})
    assert {b["status"] for b in cancelled.json()["data"]} == {"cancelled"}


async def test_listing_filters_by_status_as_cal_buckets_them(client: httpx.AsyncClient) -> None:
    async def uids(**params: Any) -> set[str]:
        response = await client.get("/v2/bookings", params=params, headers=V)
        assert response.status_code == 200
        return {b["uid"] for b in response.json()["data"]}

    upcoming = await uids(status="upcoming")
    assert BOOKING_UPCOMING in upcoming and BOOKING_UNCONFIRMED in upcoming
    assert BOOKING_PAST not in upcoming and BOOKING_CANCELLED not in upcoming
    assert await uids(status="unconfirmed") == {BOOKING_UNCONFIRMED}
    assert await uids(status="cancelled") == {BOOKING_CANCELLED}
    assert BOOKING_PAST in await uids(status="past")
    assert await uids(attendeeEmail="SAM.LEE@example.com") == {BOOKING_UPCOMING}
    assert await uids(eventTypeIds=str(EVENT_TYPE_CONSULTATION)) == {BOOKING_UNCONFIRMED}
    assert await uids(afterStart="2026-11-24T12:00:00Z", beforeEnd="2026-11-25T23:00:00Z") == {
        BOOKING_UNCONFIRMED, "sbxUpcomingQuick0004"}
    # Cal's global ValidationPipe strips query names its DTO does not declare: they change nothing.
    assert await uids(status="unconfirmed", colour="red") == {BOOKING_UNCONFIRMED}


async def test_a_malformed_listing_filter_is_the_global_pipes_400(client: httpx.AsyncClient) -> None:
    # get-bookings.input.ts words the date filters itself (IsISO8601 with its own message).
    response = await client.get("/v2/bookings", params={"afterStart": "yesterday", "status": "soon"}, headers=V)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Bad Request Exception"
    explanation = response.headers[EXPLANATION_HEADER]
    assert "fromDate must be a valid ISO 8601 date." in explanation
    assert "each value in status must be one of the following values" in explanation


async def test_listing_pages_with_take_and_skip(client: httpx.AsyncClient) -> None:
    response = await client.get("/v2/bookings", params={"take": 2, "skip": 2, "sortStart": "asc"}, headers=V)
    assert response.status_code == 200
    body = response.json()
    assert len(body["data"]) == 2
    assert body["pagination"] == {
        "totalItems": 6, "remainingItems": 2, "returnedItems": 2, "itemsPerPage": 2, "currentPage": 2,
        "totalPages": 3, "hasNextPage": True, "hasPreviousPage": True}
    starts = [b["start"] for b in body["data"]]
    assert starts == sorted(starts)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v2/bookings/nope"),
        ("POST", "/v2/bookings/nope/cancel"),
        ("POST", "/v2/bookings/nope/confirm"),
        ("POST", "/v2/bookings/nope/decline"),
        ("POST", "/v2/bookings/nope/reschedule"),
        ("POST", "/v2/bookings/nope/mark-absent"),
        ("POST", "/v2/bookings/nope/reassign"),
    ],
)
async def test_unknown_booking_uids_are_404(client: httpx.AsyncClient, method: str, path: str) -> None:
    bodies = {"reschedule": {"start": "2026-11-25T09:30:00Z"}, "cancel": {"cancellationReason": "x"}}
    body = bodies.get(path.rsplit("/", 1)[-1], {})
    response = await client.request(method, path, headers=V, json=body)
    assert response.status_code == 404
    assert error_of(response)["code"] == "NotFoundException"


@pytest.mark.parametrize("version", [None, "2024-04-15", "2026-02-25"])
async def test_a_missing_or_wrong_cal_api_version_is_400(client: httpx.AsyncClient, version: str | None) -> None:
    headers = {"cal-api-version": version} if version else {}
    response = await client.get("/v2/bookings", headers=headers)
    assert response.status_code == 400
    assert "2024-08-13" in error_of(response)["message"]


async def test_requests_without_an_api_key_are_401(state: SandboxState) -> None:
    transport = httpx.ASGITransport(app=create_app(state))
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as anonymous:
        response = await anonymous.get("/v2/bookings", headers=V)
    assert response.status_code == 401
    assert error_of(response)["code"] == "UnauthorizedException"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"eventTypeId": EVENT_TYPE_INTRO_CALL, "attendee": ATTENDEE}, "start should not be empty"),
        ({"start": "2026-11-24T11:00:00Z", "eventTypeId": EVENT_TYPE_INTRO_CALL}, "attendee should not be empty"),
        ({"start": "tomorrow", "eventTypeId": EVENT_TYPE_INTRO_CALL, "attendee": ATTENDEE},
         "start must be a valid ISO 8601 date string"),
        ({"start": "2026-11-24T11:00:00Z", "eventTypeId": EVENT_TYPE_INTRO_CALL,
          "attendee": {**ATTENDEE, "timeZone": "Mars/Olympus"}}, "attendee.timeZone must be a valid IANA time zone"),
        ({"start": "2026-11-24T11:00:00Z", "eventTypeId": EVENT_TYPE_INTRO_CALL, "attendee": ATTENDEE,
          "notes": "hi"}, "property notes should not exist"),
        ({"start": "2026-11-24T11:00:00Z", "eventTypeId": EVENT_TYPE_INTRO_CALL,
          "attendee": {**ATTENDEE, "email": "dana"}}, "Invalid email format"),
        ({"start": "2026-11-24T11:00:00Z", "eventTypeId": EVENT_TYPE_INTRO_CALL,
          "attendee": {"name": "Dana", "timeZone": "UTC"}},
         "Attendee must have at least one contact method (email or phone number)"),
        ({"start": "2026-11-24T11:00:00Z", "eventTypeId": EVENT_TYPE_INTRO_CALL, "attendee": ATTENDEE,
          "lengthInMinutes": 0}, "lengthInMinutes must not be less than 1"),
    ],
)
async def test_malformed_booking_bodies_are_400_naming_the_problem(
    client: httpx.AsyncClient, body: dict[str, Any], expected: str
) -> None:
    # CreateBookingInputPipe throws BadRequestException(<its messages>): they are the error message.
    response = await client.post("/v2/bookings", json=body, headers=V)
    assert response.status_code == 400
    assert expected in error_of(response)["message"]


async def test_booking_an_unknown_event_type_is_404(client: httpx.AsyncClient) -> None:
    response = await book(client, "2026-11-24T11:00:00Z", 4040)
    assert response.status_code == 404


async def test_the_reset_route_brings_back_the_seeded_state(client: httpx.AsyncClient) -> None:
    cancelled = await client.post("/v2/bookings/sbxUpcomingIntro0003/cancel", json={"cancellationReason": "x"},
                                  headers=V)
    assert cancelled.status_code == 200
    assert (await client.post("/_sandbox/reset")).status_code == 200
    again = await client.get("/v2/bookings/sbxUpcomingIntro0003", headers=V)
    assert again.json()["data"]["status"] == "accepted"


async def test_the_reset_route_needs_a_key(state: SandboxState) -> None:
    transport = httpx.ASGITransport(app=create_app(state))
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as anonymous:
        assert (await anonymous.post("/_sandbox/reset")).status_code == 401
