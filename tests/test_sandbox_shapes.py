"""The sandbox answers in real Cal's output shapes, as the model sees them through the MCP tools.

Where Cal's OpenAPI is loose or wrong, Cal's source decides (each test cites the file); the matching
response-schema rewrites live in test_sandbox_responses.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from mcp import Client

from cal_mcp.app import CalMcpApp
from cal_mcp.compact import TOOL_SHAPES
from cal_mcp.config import Settings
from cal_mcp.registry import Registry
from cal_mcp.sandbox.app import create_app
from cal_mcp.sandbox.clock import FrozenClock
from cal_mcp.sandbox.seeds import new_state
from cal_mcp.sandbox.seeds.core import BOOKING_CANCELLED, BOOKING_UPCOMING, EVENT_TYPE_INTRO_CALL
from cal_mcp.sandbox.seeds.platform import TEAM_SALES
from cal_mcp.sandbox.state import (
    DEFAULT_EPOCH,
    OAUTH_CLIENT_ID,
    OAUTH_CLIENT_SECRET,
    USER_EMAIL,
    USER_ID,
    USERNAME,
    SandboxState,
)
from cal_mcp.transports import http_app
from tests.conftest import serve_in_thread
from tests.e2e_cases_core import WEDNESDAY, at
from tests.workflow import data

# input-event-types.service.ts (transformInputBookingFields): what an API-created event type stores.
SYSTEM_FIELDS = ["name", "email", "location", "title", "notes", "guests", "rescheduleReason"]


class Sandbox:
    def __init__(self, state: SandboxState, mcp_url: str) -> None:
        self.state, self.mcp_url = state, mcp_url

    async def call(self, tool: str, arguments: dict[str, Any]) -> Any:
        # Cal's whole objects: these tests check the sandbox's shapes, not the server's compact view.
        if tool in TOOL_SHAPES:
            arguments = {**arguments, "full": True}
        async with Client(self.mcp_url) as client:
            return data(await client.call_tool(tool, arguments))


@pytest.fixture(scope="module")
def served(registry: Registry) -> Iterator[Sandbox]:
    state = new_state(clock=FrozenClock(DEFAULT_EPOCH))
    with serve_in_thread(create_app(state)) as sandbox_url:
        settings = Settings(api_key="cal_shapes_key", base_url=sandbox_url, rate_limit_per_minute=0,
                            oauth_client_id=OAUTH_CLIENT_ID, oauth_client_secret=OAUTH_CLIENT_SECRET)
        with serve_in_thread(http_app(CalMcpApp(settings, registry))) as mcp_url:
            yield Sandbox(state, f"{mcp_url}/mcp")


@pytest.fixture
def sandbox(served: Sandbox) -> Sandbox:
    served.state.reset()
    return served


# --- webhooks: Prisma `Webhook.id String @id @unique` (packages/prisma/schema.prisma); the output DTO's
# @IsInt (apps/api/v2/src/modules/webhooks/outputs/webhook.output.ts) is never applied to responses.


async def test_a_webhook_id_returned_by_create_can_be_passed_back_to_get_webhook_by_id(sandbox: Sandbox) -> None:
    created = await sandbox.call("CAL_POST_WEBHOOK_EVENT", {
        "subscriberUrl": "https://hooks.example.test/shapes", "triggers": ["BOOKING_CREATED"], "active": True})
    assert isinstance(created["id"], str) and len(created["id"]) == 36  # a uuid
    fetched = await sandbox.call("CAL_GET_WEBHOOK_BY_ID", {"webhookId": created["id"]})
    assert fetched["id"] == created["id"] and fetched["subscriberUrl"] == "https://hooks.example.test/shapes"


async def test_every_listed_webhook_id_is_a_string_that_fetches_that_webhook(sandbox: Sandbox) -> None:
    listed = await sandbox.call("CAL_RETRIEVE_WEBHOOKS_LIST", {})
    assert listed and all(isinstance(hook["id"], str) for hook in listed)
    for hook in listed:
        assert (await sandbox.call("CAL_GET_WEBHOOK_BY_ID", {"webhookId": hook["id"]}))["id"] == hook["id"]


def test_webhook_ids_are_the_same_for_the_same_seed() -> None:
    from cal_mcp.sandbox.stores.webhooks import new_webhook_id

    first, second = SandboxState(seed=7), SandboxState(seed=7)
    assert new_webhook_id(first) == new_webhook_id(second)
    assert new_webhook_id(first) != new_webhook_id(SandboxState(seed=8))


# --- bookings: apps/api/v2/src/ee/bookings/2024-08-13/services/output.service.ts sets these on every booking.

ALWAYS_PRESENT = ("cancellationReason", "cancelledByEmail", "rescheduledByEmail", "rating", "absentHost", "icsUid")


async def test_every_booking_carries_cals_always_present_fields(sandbox: Sandbox) -> None:
    bookings = await sandbox.call("CAL_FETCH_ALL_BOOKINGS", {})
    assert bookings
    for booking in bookings:
        assert all(key in booking for key in ALWAYS_PRESENT), booking["uid"]
        assert booking["rating"] is None and isinstance(booking["absentHost"], bool)
        assert booking["rescheduledByEmail"] == ""
        responses = booking["bookingFieldsResponses"]
        assert responses["displayEmail"] == responses["email"] == booking["attendees"][0]["email"]
        assert responses["displayGuests"] == responses.get("guests", [])
    upcoming = next(b for b in bookings if b["uid"] == BOOKING_UPCOMING)
    assert (upcoming["cancellationReason"], upcoming["cancelledByEmail"]) == ("", "")


async def test_a_booking_with_guests_shows_them_in_display_guests(sandbox: Sandbox) -> None:
    slots = await sandbox.call("CAL_GET_AVAILABLE_SLOTS_INFO", {
        "eventTypeId": EVENT_TYPE_INTRO_CALL, "start": WEDNESDAY, "end": WEDNESDAY, "timeZone": "Europe/London"})
    start = next(slot["start"] for day in slots.values() for slot in day)
    booked = await sandbox.call("CAL_POST_NEW_BOOKING_REQUEST", {
        "eventTypeId": EVENT_TYPE_INTRO_CALL, "start": start, "guests": ["guest@example.com"],
        "attendee": {"name": "Robin", "email": "robin@example.com", "timeZone": "Europe/London"}})
    responses = booked["bookingFieldsResponses"]
    assert responses["displayEmail"] == "robin@example.com" and responses["displayGuests"] == ["guest@example.com"]


async def test_cancelling_records_the_reason_and_who_cancelled(sandbox: Sandbox) -> None:
    cancelled = await sandbox.call("CAL_CANCEL_BOOKING_VIA_UID",
                                   {"bookingUid": BOOKING_UPCOMING, "cancellationReason": "Host is travelling"})
    assert (cancelled["cancellationReason"], cancelled["cancelledByEmail"]) == ("Host is travelling", USER_EMAIL)
    seeded = await sandbox.call("CAL_RETRIEVE_BOOKING_DETAILS_BY_UID", {"bookingUid": BOOKING_CANCELLED})
    assert seeded["cancellationReason"] == "Attendee had a conflict" and seeded["cancelledByEmail"]


async def test_rescheduling_records_who_rescheduled(sandbox: Sandbox) -> None:
    fresh = await sandbox.call("CAL_RESCHEDULE_BOOKING_BY_UID", {
        "bookingUid": BOOKING_UPCOMING, "start": at(WEDNESDAY, "11:00"), "rescheduledBy": USER_EMAIL})
    assert fresh["rescheduledByEmail"] == USER_EMAIL and fresh["cancellationReason"] == ""
    old = await sandbox.call("CAL_RETRIEVE_BOOKING_DETAILS_BY_UID", {"bookingUid": BOOKING_UPCOMING})
    assert old["rescheduledByEmail"] == USER_EMAIL


# --- event types: packages/platform/types/event-types/event-types_2024_06_14/outputs/event-type.output.ts
# (users as objects) and transformers/internal-to-api/booking-fields.ts (the system booking fields' output).


async def test_event_types_list_their_users_as_objects(sandbox: Sandbox) -> None:
    for event_type in await sandbox.call("CAL_LIST_EVENT_TYPES", {}):
        [user] = event_type["users"]
        assert (user["id"], user["username"]) == (USER_ID, USERNAME)
        assert set(user) == {"id", "name", "username", "avatarUrl", "weekStart", "brandColor", "darkBrandColor",
                             "metadata"}


async def test_event_types_carry_cals_system_booking_fields(sandbox: Sandbox) -> None:
    event_type = await sandbox.call("CAL_RETRIEVE_EVENT_TYPE_BY_ID", {"eventTypeId": EVENT_TYPE_INTRO_CALL})
    fields = {f["slug"]: f for f in event_type["bookingFields"]}
    assert [f["slug"] for f in event_type["bookingFields"]] == SYSTEM_FIELDS
    assert all(f["isDefault"] is True for f in fields.values())
    assert (fields["name"]["type"], fields["name"]["required"]) == ("name", True)
    assert "hidden" not in fields["name"]  # NameDefaultFieldOutput_2024_06_14 declares none
    assert (fields["email"]["type"], fields["email"]["required"], fields["email"]["hidden"]) == ("email", True, False)
    assert fields["location"] == {"isDefault": True, "type": "radioInput", "slug": "location", "required": False,
                                  "hidden": False}
    assert fields["title"]["hidden"] is True and "attendeePhoneNumber" not in fields
    assert not fields["notes"]["hidden"] and not fields["guests"]["hidden"]


async def test_team_event_types_carry_the_system_booking_fields(sandbox: Sandbox) -> None:
    created = await sandbox.call("CAL_CREATE_TEAM_EVENT_TYPE", {
        "teamId": TEAM_SALES, "title": "Shapes", "slug": "shapes", "lengthInMinutes": 30,
        "schedulingType": "collective", "assignAllTeamMembers": True,
        "locations": [{"type": "integration", "integration": "cal-video"},
                      {"type": "address", "address": "1 Sandbox Street", "public": True}]})
    assert [f["slug"] for f in created["bookingFields"]] == SYSTEM_FIELDS
    fields = {f["slug"]: f for f in created["bookingFields"]}
    assert fields["location"]["hidden"] is False
    listed = await sandbox.call("CAL_RETRIEVE_TEAM_EVENT_TYPES", {"teamId": TEAM_SALES})
    assert all([f["slug"] for f in e["bookingFields"]][:3] == SYSTEM_FIELDS[:3] for e in listed)


async def test_a_team_event_types_own_fields_sit_between_cals_system_fields() -> None:
    # The MCP tool does not expose bookingFields/disableGuests, so this one asks the sandbox directly.
    state = new_state(clock=FrozenClock(DEFAULT_EPOCH))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(state)), base_url="http://sandbox",
                                 headers={"Authorization": "Bearer x"}) as api:
        answer = await api.post(f"/v2/teams/{TEAM_SALES}/event-types", json={
            "title": "Shapes", "slug": "shapes", "lengthInMinutes": 30, "schedulingType": "collective",
            "assignAllTeamMembers": True, "disableGuests": True,
            "bookingFields": [{"type": "text", "slug": "company", "label": "Company", "required": False}]})
    assert answer.status_code == 201, answer.text
    fields = answer.json()["data"]["bookingFields"]
    assert [f["slug"] for f in fields] == [*SYSTEM_FIELDS[:3], "company", *SYSTEM_FIELDS[3:]]
    by_slug = {f["slug"]: f for f in fields}
    assert by_slug["company"]["isDefault"] is False and by_slug["guests"]["hidden"] is True
