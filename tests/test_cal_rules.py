"""Cal's own request rules (its DTOs and variant pipes), stricter than its OpenAPI: the server refuses a call
that Cal would refuse before sending anything, and quietly drops the harmless values Cal would trip over.

Each row cites the Cal source file the rule comes from (the spec's ``request.calRules`` carries it too).
The sandbox's side of the same rules (Cal's 400 for the raw HTTP request) is in
``test_sandbox_request_validation.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, get_args

import httpx
import pytest

from cal_mcp.cal_formats import FORMATS, Format
from cal_mcp.cal_rules import CalRules, check, normalise
from cal_mcp.registry import Registry
from cal_mcp.specs import SpecError, load_specs
from tests.test_request_builder import Recorder, call

ATTENDEE = {"name": "Dana Guest", "email": "dana@example.com", "timeZone": "Europe/London"}
BOOKING = {"start": "2026-12-01T14:00:00Z", "eventTypeId": 7, "attendee": ATTENDEE}
WINDOW = {"start": "2026-12-01", "end": "2026-12-02"}
PHONE = {"yourPhoneNumber": "+14155550100", "numberToCall": "+14155550101", "templateType": "CHECK_IN_APPOINTMENT"}
OVERRIDE = {"date": "2026-12-24", "startTime": "09:00", "endTime": "12:00"}
HOOK = {"triggers": ["BOOKING_CREATED"], "active": True}
WEBHOOK_TOOLS = [
    ("CAL_POST_WEBHOOK_EVENT", {}), ("CAL_UPDATE_WEBHOOK_BY_ID", {"webhookId": "w1"}),
    ("CAL_CREATE_WEBHOOK_FOR_EVENT_TYPE", {"eventTypeId": 7}),
    ("CAL_PATCH_WEBHOOK_EVENT_TYPE", {"eventTypeId": 7, "webhookId": "w1"}),
    ("CAL_CREATE_ORGANIZATION_WEBHOOK_BY_ORG_ID", {"orgId": 1}),
    ("CAL_UPDATE_WEBHOOK_FOR_ORGANIZATION", {"orgId": 1, "webhookId": "w1"}),
    ("CAL_CREATE_OAUTH_CLIENT_WEBHOOK_CONFIGURATION", {}), ("CAL_UPDATE_OAUTH_CLIENT_WEBHOOK", {"webhookId": "w1"}),
]
TEAM_EVENT = {"title": "Demo", "slug": "demo", "lengthInMinutes": 30, "schedulingType": "collective"}
ATTRIBUTE = {"name": "Department", "slug": "department", "type": "SINGLE_SELECT",
             "options": [{"value": "Sales", "slug": "sales"}]}

# (tool, arguments, the argument the refusal names, words the message must carry, Cal source file)
REFUSED = [
    ("CAL_POST_NEW_BOOKING_REQUEST", {**BOOKING, "instant": True, "recurrenceCount": 3}, "instant",
     "recurring booking", "create-booking-input.pipe.ts"),
    ("CAL_CANCEL_BOOKING_VIA_UID", {"bookingUid": "b1", "seatUid": "s1", "cancelSubsequentBookings": True,
                                    "cancellationReason": "ill"},
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
    # Value checks of Cal's DTOs that its OpenAPI does not state (format, minimum, notEmpty, oneOf).
    ("CAL_POST_NEW_BOOKING_REQUEST", {**BOOKING, "attendee": {**ATTENDEE, "timeZone": "Mars/Olympus"}},
     "attendee.timeZone", "IANA time zone", "create-booking.input.ts"),
    ("CAL_POST_NEW_BOOKING_REQUEST", {**BOOKING, "attendee": {**ATTENDEE, "email": "dana.example.com"}},
     "attendee.email", "an email address", "create-booking.input.ts"),
    ("CAL_POST_NEW_BOOKING_REQUEST", {**BOOKING, "attendee": {"name": "Dana", "timeZone": "Europe/London"}},
     "attendee", "`attendee.phoneNumber` is given", "create-booking.input.ts"),
    ("CAL_POST_NEW_BOOKING_REQUEST", {**BOOKING, "lengthInMinutes": 0}, "lengthInMinutes", "at least 1",
     "create-booking.input.ts"),
    ("CAL_POST_NEW_BOOKING_REQUEST", {**BOOKING, "recurrenceCount": 0}, "recurrenceCount", "at least 1",
     "create-booking.input.ts"),
    ("CAL_RESCHEDULE_BOOKING_BY_UID", {"bookingUid": "b1", "start": "2026-12-01T15:00:00Z", "rescheduledBy": "me"},
     "rescheduledBy", "an email address", "reschedule-booking.input.ts"),
    ("CAL_FETCH_ALL_BOOKINGS", {"afterStart": "yesterday"}, "afterStart", "ISO 8601", "get-bookings.input.ts"),
    ("CAL_UPDATE_USER_PROFILE_DETAILS", {"timeZone": "Mars/Olympus"}, "timeZone", "IANA time zone",
     "update-managed-user.input.ts"),
    ("CAL_CREATE_USER_AVAILABILITY_SCHEDULE", {"name": "Work", "timeZone": "CET+1", "isDefault": False},
     "timeZone", "IANA time zone", "create-schedule.input.ts"),
    ("CAL_UPDATE_SCHEDULE_BY_ID", {"scheduleId": 1, "overrides": [OVERRIDE, {**OVERRIDE, "date": "20 May"}]},
     "overrides.1.date", "ISO 8601", "create-schedule.input.ts"),
    ("CAL_CREATE_USER_SCHEDULE_IN_ORGANIZATION", {"orgId": 1, "userId": 2, "name": "Work", "timeZone": "Rome",
                                                  "isDefault": True}, "timeZone", "IANA time zone",
     "create-schedule.input.ts"),
    ("CAL_UPDATE_USER_SCHEDULE_IN_ORGANIZATION", {"orgId": 1, "userId": 2, "scheduleId": 3, "timeZone": "Rome"},
     "timeZone", "IANA time zone", "update-schedule.input.ts"),
    ("CAL_GET_AVAILABLE_SLOTS_INFO", {"start": "soon", "end": "2026-12-02", "eventTypeId": 7}, "start", "ISO 8601",
     "get-slots.input.ts"),
    ("CAL_GET_AVAILABLE_SLOTS_INFO", {**WINDOW, "eventTypeId": 7, "timeZone": "Mars/Olympus"}, "timeZone",
     "IANA time zone", "get-slots.input.ts"),
    ("CAL_CREATE_OAUTH_CLIENT_USER", {"email": "riley@example.com", "name": "Riley", "timeZone": "Mars/Olympus"},
     "timeZone", "IANA time zone", "create-managed-user.input.ts"),
    ("CAL_UPDATE_OAUTH_CLIENT_USER_SETTINGS", {"userId": 3, "timeZone": "Mars/Olympus"}, "timeZone",
     "IANA time zone", "update-managed-user.input.ts"),
    ("CAL_POST_USER_TO_ORGANIZATION", {"orgId": 1, "email": "not-an-email"}, "email", "an email address",
     "create-user.input.ts"),
    ("CAL_POST_USER_TO_ORGANIZATION", {"orgId": 1, "email": "sam@example.com", "timeZone": "Mars/Olympus"},
     "timeZone", "IANA time zone", "timeZoneValidator.ts"),
    ("CAL_PATCH_ORGANIZATION_USER_DETAILS", {"orgId": 1, "userId": 2, "email": "sam-at-example"}, "email",
     "an email address", "create-user.input.ts"),
    *[(tool, {**ids, **HOOK, "subscriberUrl": "hooks.example.com/cal"}, "subscriberUrl", "an http(s) URL",
       "webhook.input.ts") for tool, ids in WEBHOOK_TOOLS],
    ("CAL_SAVE_CALENDAR_ICS_FEEDS", {"urls": ["https://calendar.example.com/feed"]}, "urls", "an .ics file",
     "create-ics.input.ts"),
    ("CAL_SAVE_CALENDAR_ICS_FEEDS", {"urls": []}, "urls", "empty", "create-ics.input.ts"),
    ("CAL_CREATE_TEAM_EVENT_TYPE", {"teamId": 1, **TEAM_EVENT, "lengthInMinutes": 0}, "lengthInMinutes",
     "at least 1", "create-event-type.input.ts"),
    ("CAL_CREATE_TEAM_EVENT_TYPES_WITH_CUSTOM_OPTIONS", {"orgId": 1, "teamId": 2, **TEAM_EVENT, "lengthInMinutes": 0},
     "lengthInMinutes", "at least 1", "create-event-type.input.ts"),
    ("CAL_CREATE_ORGANIZATION_ATTRIBUTES", {"orgId": 1, **ATTRIBUTE, "name": ""}, "name", "empty",
     "create-organization-attribute.input.ts"),
    ("CAL_CREATE_ORGANIZATION_ATTRIBUTES", {"orgId": 1, **ATTRIBUTE, "options": [{"value": "", "slug": "x"}]},
     "options.0.value", "empty", "create-organization-attribute-option.input.ts"),
    ("CAL_ADD_ORGANIZATION_ATTRIBUTE_OPTION", {"orgId": 1, "attributeId": "a1", "value": "Sales", "slug": ""},
     "slug", "empty", "create-organization-attribute-option.input.ts"),
    ("CAL_POST_ORG_ATTRIBUTE_OPTION_BY_USER", {"orgId": 1, "userId": 2, "attributeId": ""}, "attributeId", "empty",
     "organizations-attributes-options-assign.input.ts"),
]

# (tool, body, query, Cal's message, Cal source file) — rules the server never meets on its own: the input
# schema refuses the value first (a stricter date-time, minItems), or the tool never sends the field (it is
# in ``omitted``). The sandbox still applies them to every request (test_sandbox_request_validation.py).
RULES_ONLY = [
    ("CAL_POST_NEW_BOOKING_REQUEST", {**BOOKING, "start": "tomorrow"}, {},
     "start must be a valid ISO 8601 date string", "create-booking.input.ts"),
    ("CAL_RESCHEDULE_BOOKING_BY_UID", {"start": "later"}, {}, "start must be a valid ISO 8601 date string",
     "reschedule-booking.input.ts"),
    ("CAL_RESERVE_SLOT_FOR_EVENT", {"eventTypeId": 7, "slotStart": "9am"}, {},
     "slotStart must be a valid ISO 8601 date string", "reserve-slot.input.ts"),
    ("CAL_GET_AVAILABLE_SLOTS_INFO", None, {**WINDOW, "usernames": "alex", "organizationSlug": "acme"},
     "The array must contain at least 2 elements.", "get-slots.input.ts"),
    ("CAL_GET_AVAILABLE_SLOTS_INFO", None, {**WINDOW, "eventTypeId": "7", "format": "slots"},
     "slotFormat must be either 'range' or 'time'", "get-slots.input.ts"),
    ("CAL_FETCH_ALL_BOOKINGS", None, {"beforeCreatedAt": "last week"}, "toDate must be a valid ISO 8601 date.",
     "get-bookings.input.ts"),
    ("CAL_CREATE_OAUTH_CLIENT_USER", {"email": "r@example.com", "name": "R", "avatarUrl": "me.png"}, {},
     "avatarUrl must be a URL address", "create-managed-user.input.ts"),
    ("CAL_POST_USER_TO_ORGANIZATION", {"email": "s@example.com", "brandColor": "blue"}, {},
     "brandColor must be a hexadecimal color", "create-user.input.ts"),
    ("CAL_POST_USER_TO_ORGANIZATION", {"email": "s@example.com", "weekday": "Funday"}, {},
     "Please include a valid weekday", "weekdayValidator.ts"),
    ("CAL_POST_USER_TO_ORGANIZATION", {"email": "s@example.com", "timeFormat": 13}, {},
     "Please include either 12 or 24", "timeFormatValidator.ts"),
    ("CAL_CREATE_USER_SCHEDULE_IN_ORGANIZATION",
     {"name": "Work", "timeZone": "Europe/Rome", "isDefault": True, "overrides": [{**OVERRIDE, "date": "May 20"}]},
     {}, "overrides.0.date must be a valid ISO 8601 date string", "create-schedule.input.ts"),
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


@pytest.mark.parametrize(("tool", "body", "query", "message", "source"), RULES_ONLY,
                         ids=[f"{r[0]}-{i}" for i, r in enumerate(RULES_ONLY)])
def test_a_rule_the_input_schema_preempts_or_for_an_omitted_field_still_states_cals_check(
    registry: Registry, tool: str, body: dict[str, Any] | None, query: dict[str, Any], message: str, source: str
) -> None:
    found = check(_rules(registry, tool), body=body, query=query)
    assert [v.cal_message for v in found] == [message]
    assert source in found[0].source


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
                           {"bookingUid": "b1", "seatUid": "s1", "cancelSubsequentBookings": True,
                            "cancellationReason": "ill"})
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


def test_a_rule_at_a_nested_object_checks_that_object_and_names_the_dotted_path() -> None:
    rules = CalRules.model_validate({"fields": [
        {"at": "body.attendee", "field": "timeZone", "format": "timeZone", "source": "create-booking.input.ts"}]})
    found = check(rules, body={"timeZone": "Mars/Olympus", "attendee": {"timeZone": "Mars/Olympus"}}, query={})
    assert [(v.field, v.cal_message) for v in found] == [
        ("attendee.timeZone", "attendee.timeZone must be a valid IANA time zone")]
    assert check(rules, body={"attendee": "Ada"}, query={}) == [], "a wrong type is the schema's to report"


def test_a_query_list_is_counted_as_cals_transform_splits_it() -> None:
    rules = CalRules.model_validate({"fields": [
        {"at": "query", "field": "usernames", "minItems": 2, "message": "The array must contain at least 2 elements.",
         "source": "get-slots.input.ts"}]})
    assert [v.cal_message for v in check(rules, body=None, query={"usernames": "alex"})] == [
        "The array must contain at least 2 elements."]
    assert check(rules, body=None, query={"usernames": "alex,blake"}) == []


def test_value_checks_skip_null_as_is_optional_does_and_judge_each_item_of_a_list() -> None:
    rules = CalRules.model_validate({"fields": [
        {"at": "body", "field": "urls", "format": "url", "source": "x.ts"},
        {"at": "body", "field": "days", "oneOf": ["Monday"], "source": "x.ts"}]})
    assert check(rules, body={"urls": None, "days": None}, query={}) == []
    found = check(rules, body={"urls": ["https://a.example/x", "ftp://b"], "days": ["Monday", "Funday"]}, query={})
    assert [v.cal_message for v in found] == ["each value in urls must be a URL address",
                                              "each value in days must be one of the following values: Monday"]


def test_a_message_must_word_exactly_one_value_check() -> None:
    with pytest.raises(ValueError, match="`message` words one"):
        CalRules.model_validate({"fields": [{"at": "body", "field": "x", "message": "bad", "source": "x.ts"}]})
    with pytest.raises(ValueError, match="`message` words one"):
        CalRules.model_validate({"fields": [
            {"at": "body", "field": "x", "format": "url", "oneOf": ["a"], "message": "bad", "source": "x.ts"}]})


@pytest.mark.parametrize(("format_name", "good", "bad"), [
    ("url", ["https://hooks.example.com/cal", "http://localhost:8080/x"], ["hooks.example.com", "ftp://x.example",
                                                                           "https://", "https://a b.example"]),
    ("icsUrl", ["https://cal.example.com/feed.ics?key=1"], ["https://cal.example.com/feed", "feed.ics"]),
    ("email", ["ada@example.com"], ["ada", "ada@example", "a da@example.com"]),
    ("timeZone", ["Europe/Rome", "UTC", "America/Argentina/Buenos_Aires"], ["Mars/Olympus", "", "../etc/passwd"]),
    ("dateString", ["2026-12-01", "2026-12-01T09:00:00Z", "2026-12-01T09:00:00+01:00"],
     ["2026-13-01", "tomorrow", "20261201"]),
    ("hexColor", ["#fff", "#A1B2C3", "a1b2c3"], ["blue", "#12345"]),
])
def test_each_format_accepts_what_cals_validator_accepts(format_name: str, good: list[str], bad: list[str]) -> None:
    valid = FORMATS[format_name].valid
    assert [v for v in good if not valid(v)] == []
    assert [v for v in bad if valid(v)] == []


def test_every_format_a_rule_may_name_has_a_check() -> None:
    assert set(get_args(Format)) == set(FORMATS)


def _spec_with_rules(tmp_path: Path, rules: dict[str, Any]) -> Path:
    source = Path(__file__).resolve().parents[1] / "tool_specs" / "platform" / "CAL_CREATE_OAUTH_CLIENT_USER.json"
    spec = json.loads(source.read_text(encoding="utf-8"))
    spec["request"]["calRules"] = rules
    (tmp_path / "platform").mkdir(parents=True)
    (tmp_path / "platform" / source.name).write_text(json.dumps(spec), encoding="utf-8")
    return tmp_path


def test_a_rule_may_check_a_field_the_tool_omits_but_not_one_it_does_not_know(tmp_path: Path) -> None:
    omitted = {"fields": [{"at": "body", "field": "avatarUrl", "format": "url", "source": "x.ts"}]}
    assert load_specs(_spec_with_rules(tmp_path / "a", omitted))
    unknown = {"fields": [{"at": "body", "field": "avatar", "format": "url", "source": "x.ts"}]}
    with pytest.raises(SpecError, match="'avatar' is not an argument"):
        load_specs(_spec_with_rules(tmp_path / "b", unknown))
    nested = {"fields": [{"at": "body.profile", "field": "bio", "notEmpty": True, "source": "x.ts"}]}
    with pytest.raises(SpecError, match=r"'body\.profile' names no body field"):
        load_specs(_spec_with_rules(tmp_path / "c", nested))
