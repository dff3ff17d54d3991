"""Cal's own request rules (its DTOs and variant pipes), stricter than its OpenAPI: the server refuses a call
that Cal would refuse before sending anything, and quietly drops the harmless values Cal would trip over.

Each row cites the Cal source file the rule comes from (the spec's ``request.calRules`` carries it too).
The sandbox's side of the same rules (Cal's 400 for the raw HTTP request) is in
``test_sandbox_request_validation.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from cal_mcp.cal_rules import CalRules, check, normalise
from cal_mcp.registry import Registry
from cal_mcp.specs import SpecError, load_specs
from tests.test_request_builder import Recorder, call

ATTENDEE = {"name": "Dana Guest", "email": "dana@example.com", "timeZone": "Europe/London"}
BOOKING = {"start": "2026-12-01T14:00:00Z", "eventTypeId": 7, "attendee": ATTENDEE}
WINDOW = {"start": "2026-12-01", "end": "2026-12-02"}
PHONE = {"yourPhoneNumber": "+14155550100", "numberToCall": "+14155550101", "templateType": "CHECK_IN_APPOINTMENT"}

# (tool, arguments, the argument the refusal names, words the message must carry, Cal source file)
REFUSED = [
    ("CAL_POST_NEW_BOOKING_REQUEST", {**BOOKING, "instant": True, "recurrenceCount": 3}, "instant",
     "recurring booking", "create-booking-input.pipe.ts"),
    ("CAL_CANCEL_BOOKING_VIA_UID", {"bookingUid": "b1", "seatUid": "s1", "cancelSubsequentBookings": True},
     "cancelSubsequentBookings", "seat cancellation", "cancel-booking.input.ts"),
    ("CAL_RESCHEDULE_BOOKING_BY_UID", {"bookingUid": "b1", "start": "2026-12-01T15:00:00Z", "seatUid": "s1",
                                       "reschedulingReason": "clash"},
     "reschedulingReason", "seat reschedule", "reschedule-booking-input.pipe.ts"),
    ("CAL_GET_AVAILABLE_SLOTS_INFO", {**WINDOW, "eventTypeId": 7, "username": "alex"}, "username",
     "by event type ID", "get-slots-input.pipe.ts"),
    ("CAL_GET_AVAILABLE_SLOTS_INFO", {**WINDOW, "usernames": ["alex", "blake"]}, "organizationSlug",
     "several usernames", "get-slots.input.ts"),
    ("CAL_GET_AVAILABLE_SLOTS_INFO", {**WINDOW, "eventTypeSlug": "intro"}, "usernames",
     "several usernames", "get-slots-input.pipe.ts"),
    ("CAL_CREATE_TEAM_EVENT_TYPE", {"teamId": 1, "title": "Demo", "slug": "demo", "lengthInMinutes": 30,
                                    "schedulingType": "collective",
                                    "locations": [{"type": "link", "link": "https://meet.example.com/x"}]},
     "locations.0.public", "link location", "locations.input.ts"),
    ("CAL_CREATE_TEAM_EVENT_TYPES_WITH_CUSTOM_OPTIONS",
     {"orgId": 1, "teamId": 2, "title": "Demo", "slug": "demo", "lengthInMinutes": 30, "schedulingType": "collective",
      "locations": [{"type": "phone", "phone": "+14155550100"}]},
     "locations.0.public", "phone location", "locations.input.ts"),
    ("CAL_MARK_BOOKING_ABSENT_FOR_UID", {"bookingUid": "b1", "attendees": []}, "attendees",
     "attendees", "mark-absent.input.ts"),
    ("CAL_PATCH_TEAM_DETAILS_BY_ID", {"teamId": 1, "bio": "New bio"}, "name",
     "name", "update-team.input.ts"),
    ("CAL_UPDATE_TEAM_INFORMATION_BY_ID", {"orgId": 1, "teamId": 2, "bio": "New bio"}, "name",
     "name", "update-team.input.ts"),
]

# (tool, arguments, the JSON body or query Cal receives) — forms Cal accepts go out as given.
SENT = [
    ("CAL_POST_NEW_BOOKING_REQUEST", {**BOOKING, "recurrenceCount": 3}, {**BOOKING, "recurrenceCount": 3}),
    ("CAL_POST_NEW_BOOKING_REQUEST", {**BOOKING, "instant": True}, {**BOOKING, "instant": True}),
    ("CAL_CANCEL_BOOKING_VIA_UID", {"bookingUid": "b1", "seatUid": "s1", "cancellationReason": "ill"},
     {"seatUid": "s1", "cancellationReason": "ill"}),
    ("CAL_CANCEL_BOOKING_VIA_UID", {"bookingUid": "b1", "cancellationReason": "ill", "cancelSubsequentBookings": True},
     {"cancellationReason": "ill", "cancelSubsequentBookings": True}),
    ("CAL_RESCHEDULE_BOOKING_BY_UID", {"bookingUid": "b1", "start": "2026-12-01T15:00:00Z", "seatUid": "s1"},
     {"start": "2026-12-01T15:00:00Z", "seatUid": "s1"}),
    ("CAL_MARK_BOOKING_ABSENT_FOR_UID", {"bookingUid": "b1", "host": True}, {"host": True}),
]


def _problem_text(result: Any) -> str:
    return result.content[0].text if result.content else ""


@pytest.mark.parametrize(("tool", "args", "field", "words", "source"), REFUSED,
                         ids=[f"{r[0]}-{r[2]}" for r in REFUSED])
async def test_a_request_cal_would_refuse_is_refused_before_sending(
    registry: Registry, tool: str, args: dict[str, Any], field: str, words: str, source: str
) -> None:
    result, recorder = await call(registry, tool, args)
    assert result.is_error, _problem_text(result)
    error = result.structured_content["error"]
    assert error["kind"] == "invalid_arguments"
    assert error["field"] == field, error
    assert words in error["message"], error["message"]
    assert recorder.requests == [], "nothing may reach Cal"
    spec = registry.get(tool)
    assert spec is not None
    assert source in json.dumps(spec.request.cal_rules.model_dump(by_alias=True)), "the rule cites its Cal source"


@pytest.mark.parametrize(("tool", "args", "body"), SENT, ids=[f"{s[0]}-{i}" for i, s in enumerate(SENT)])
async def test_a_form_cal_accepts_is_sent_unchanged(
    registry: Registry, tool: str, args: dict[str, Any], body: dict[str, Any]
) -> None:
    result, recorder = await call(registry, tool, args)
    assert not result.is_error, _problem_text(result)
    assert json.loads(recorder.only.content) == body


async def test_instant_false_is_left_out_because_cal_takes_it_as_a_regular_booking_without_that_field(
    registry: Registry,
) -> None:
    result, recorder = await call(registry, "CAL_POST_NEW_BOOKING_REQUEST", {**BOOKING, "instant": False})
    assert not result.is_error, _problem_text(result)
    assert json.loads(recorder.only.content) == BOOKING


async def test_slots_by_slug_with_an_organization_are_sent_as_one_form(registry: Registry) -> None:
    args = {**WINDOW, "eventTypeSlug": "intro", "username": "alex", "organizationSlug": "acme"}
    result, recorder = await call(registry, "CAL_GET_AVAILABLE_SLOTS_INFO", args)
    assert not result.is_error, _problem_text(result)
    assert dict(recorder.only.url.params) == {**WINDOW, "eventTypeSlug": "intro", "username": "alex",
                                              "organizationSlug": "acme"}


async def test_the_seat_form_refusal_says_which_field_chose_it_and_how_to_get_the_other_form(
    registry: Registry,
) -> None:
    result, _ = await call(registry, "CAL_CANCEL_BOOKING_VIA_UID",
                           {"bookingUid": "b1", "seatUid": "s1", "cancelSubsequentBookings": True})
    message = result.structured_content["error"]["message"]
    assert "`seatUid` is given" in message and "leave out `seatUid`" in message, message


# --- CAL_CREATE_PHONE_CALL_FOR_EVENT_TYPE: Cal's team route can never succeed ------------------------------


def _team_then_call(parent_id: int | None) -> Recorder:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"status": "success", "data": {"id": 2, "parentId": parent_id}})
        return httpx.Response(200, json={"status": "success", "data": {"callId": "c1", "agentId": "a1"}})

    return Recorder(answer)


async def test_a_team_phone_call_goes_through_the_teams_organization(registry: Registry) -> None:
    recorder = _team_then_call(parent_id=501)
    result, _ = await call(registry, "CAL_CREATE_PHONE_CALL_FOR_EVENT_TYPE",
                           {"teamId": 2, "eventTypeId": 3, **PHONE}, recorder)
    assert not result.is_error, _problem_text(result)
    assert [(r.method, r.url.path) for r in recorder.requests] == [
        ("GET", "/v2/teams/2"),
        ("POST", "/v2/organizations/501/teams/2/event-types/3/create-phone-call"),
    ]
    assert json.loads(recorder.requests[1].content)["numberToCall"] == PHONE["numberToCall"]
    assert result.structured_content["data"]["callId"] == "c1"


async def test_a_phone_call_for_a_team_outside_any_organization_is_refused_with_the_reason(
    registry: Registry,
) -> None:
    recorder = _team_then_call(parent_id=None)
    result, _ = await call(registry, "CAL_CREATE_PHONE_CALL_FOR_EVENT_TYPE",
                           {"teamId": 2, "eventTypeId": 3, **PHONE}, recorder)
    assert result.is_error
    error = result.structured_content["error"]
    assert error["field"] == "teamId" and "belongs to no organization" in error["message"], error
    assert [r.method for r in recorder.requests] == ["GET"], "no call is placed"


async def test_a_bad_phone_number_is_refused_before_even_looking_up_the_team(registry: Registry) -> None:
    result, recorder = await call(registry, "CAL_CREATE_PHONE_CALL_FOR_EVENT_TYPE",
                                  {"teamId": 2, "eventTypeId": 3, **PHONE, "numberToCall": "555"})
    assert result.is_error and recorder.requests == []


# --- the rules themselves ---------------------------------------------------------------------------------


def _rules(registry: Registry, tool: str) -> CalRules:
    spec = registry.get(tool)
    assert spec is not None
    return spec.request.cal_rules


def test_slots_variants_are_tried_in_cals_order(registry: Registry) -> None:
    rules = _rules(registry, "CAL_GET_AVAILABLE_SLOTS_INFO")
    both = {**WINDOW, "eventTypeId": "7", "eventTypeSlug": "intro", "username": "alex"}
    assert [v.field for v in check(rules, body=None, query=both)] == ["eventTypeSlug", "username"]
    assert check(rules, body=None, query={**WINDOW, "teamSlug": "sales", "eventTypeSlug": "demo"}) == []


def test_the_sandbox_wording_is_class_validators(registry: Registry) -> None:
    rules = _rules(registry, "CAL_CANCEL_BOOKING_VIA_UID")
    found = check(rules, body={"seatUid": "s1", "cancelSubsequentBookings": True}, query={})
    assert [v.cal_message for v in found] == ["property cancelSubsequentBookings should not exist"]


def test_a_drop_rule_only_drops_the_harmless_value(registry: Registry) -> None:
    rules = _rules(registry, "CAL_POST_NEW_BOOKING_REQUEST")
    assert normalise(rules, body={"instant": False, "start": "x"}, query=())[0] == {"start": "x"}
    assert normalise(rules, body={"instant": True, "start": "x"}, query=())[0] == {"instant": True, "start": "x"}


def test_a_spec_whose_schema_contradicts_its_cal_rule_does_not_load(tmp_path: Path) -> None:
    source = Path(__file__).resolve().parents[1] / "tool_specs" / "teams" / "CAL_PATCH_TEAM_DETAILS_BY_ID.json"
    spec = json.loads(source.read_text(encoding="utf-8"))
    spec["inputSchema"]["required"] = ["teamId"]  # the rule says Cal requires name
    (tmp_path / "teams").mkdir()
    (tmp_path / "teams" / source.name).write_text(json.dumps(spec), encoding="utf-8")
    with pytest.raises(SpecError, match="Cal requires 'name'"):
        load_specs(tmp_path)


def test_a_spec_that_can_send_a_field_no_variant_accepts_does_not_load(tmp_path: Path) -> None:
    source = Path(__file__).resolve().parents[1] / "tool_specs" / "bookings" / "CAL_CANCEL_BOOKING_VIA_UID.json"
    spec = json.loads(source.read_text(encoding="utf-8"))
    choices = spec["request"]["calRules"]["variants"][0]["choices"]
    choices[-1]["fields"] = ["cancellationReason"]  # cancelSubsequentBookings now belongs to no variant
    (tmp_path / "bookings").mkdir()
    (tmp_path / "bookings" / source.name).write_text(json.dumps(spec), encoding="utf-8")
    with pytest.raises(SpecError, match="cancelSubsequentBookings"):
        load_specs(tmp_path)
