"""The sandbox's one request check answers as Cal's NestJS validation would, from the shipped facts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from cal_mcp.cal_rules import CalRules
from cal_mcp.errors import ArgumentError
from cal_mcp.request_builder import CalRequest, build_request
from cal_mcp.sandbox import cal_api
from cal_mcp.sandbox.app import collect_handlers, create_app
from cal_mcp.sandbox.request_validation import EXPLANATION_HEADER, validate_request, whitelisted_body
from cal_mcp.specs import ToolSpec, load_specs
from cal_mcp.validation import apply_cal_rules
from tests.contract_support import CONFIG, generate

SPECS = {spec.name: spec for spec in load_specs()}
BOOKING = {"cal-api-version": "2024-08-13"}
EVENT_TYPES = {"cal-api-version": "2024-06-14"}
ATTENDEE = {"name": "Ada", "email": "ada@example.com", "timeZone": "Europe/Rome"}
# Tool -> why its generated request is refused. Each entry is a real mismatch between the tool and Cal.
# Tools whose own route real Cal refuses whatever is sent; the server never sends to it (see the handler).
DEAD_ROUTES: dict[str, str] = {
    "CAL_CREATE_PHONE_CALL_FOR_EVENT_TYPE": (
        "the team route's handler reads @Param('orgId', ParseIntPipe) but the URL has no :orgId "
        "(teams-event-types.controller.ts); the tool goes through the organization route instead"
    ),
}


def _problems(
    method: str,
    url: str,
    *,
    body: Any | None = None,
    query: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
    rules: tuple[CalRules, ...] | None = None,
) -> list[str]:
    found = cal_api.match(method, url)
    assert found is not None, f"{method} {url} matches no operation"
    op, path_params = found
    return validate_request(
        op, path_params=path_params, query=query or {}, headers=headers or {}, body=body, rules=rules
    )


def _booking(**extra: Any) -> dict[str, Any]:
    return {"start": "2026-12-01T09:00:00Z", "eventTypeId": 1, "attendee": dict(ATTENDEE), **extra}


def test_a_valid_booking_is_accepted() -> None:
    assert _problems("POST", "/v2/bookings", body=_booking(), headers=BOOKING) == []


def test_an_unknown_body_property_is_refused_by_name() -> None:
    assert _problems("POST", "/v2/bookings", body=_booking(colour="red"), headers=BOOKING) == [
        "property colour should not exist"
    ]


def test_outside_cals_variant_pipes_an_unknown_property_is_stripped_not_refused() -> None:
    # apps/api/v2/src/app.ts: the global ValidationPipe has whitelist but no forbidNonWhitelisted.
    body = {"title": "Intro", "slug": "intro", "lengthInMinutes": 30, "colour": "red"}
    assert _problems("POST", "/v2/event-types", body=body, headers=EVENT_TYPES) == []
    found = cal_api.match("POST", "/v2/event-types")
    assert found is not None
    assert whitelisted_body(found[0], body) == {"title": "Intro", "slug": "intro", "lengthInMinutes": 30}


async def test_a_global_pipe_refusal_reads_as_cals_production_answer() -> None:
    # filters/http-exception.filter.ts sends no details in production; BadRequestException({errors}) is
    # worded "Bad Request Exception". The sandbox says what failed in a header the model never sees.
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        response = await client.post("/v2/webhooks", headers={"Authorization": "Bearer k"},
                                     json={"subscriberUrl": "https://hooks.example.com/x", "triggers": ["NOPE"],
                                           "active": True})
    assert response.status_code == 400
    assert response.json()["error"] == {"code": "BadRequestException", "message": "Bad Request Exception"}
    assert "each value in triggers must be one of" in response.headers[EXPLANATION_HEADER]


async def test_a_variant_pipe_refusal_carries_the_pipes_messages() -> None:
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        response = await client.post("/v2/bookings/b1/cancel", headers={"Authorization": "Bearer k", **BOOKING},
                                     json={"seatUid": "s1", "cancelSubsequentBookings": True})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "property cancelSubsequentBookings should not exist"


def test_an_unknown_nested_property_is_refused_with_its_dotted_path() -> None:
    body = _booking(attendee={**ATTENDEE, "age": 3})
    assert _problems("POST", "/v2/bookings", body=body, headers=BOOKING) == ["property attendee.age should not exist"]


def test_a_missing_required_field_should_not_be_empty() -> None:
    body = {"title": "Intro", "lengthInMinutes": 30}
    assert _problems("POST", "/v2/event-types", body=body, headers=EVENT_TYPES) == ["slug should not be empty"]
    assert _problems("POST", "/v2/event-types", body={**body, "slug": "intro"}, headers=EVENT_TYPES) == []


def test_a_wrongly_typed_field_gets_the_class_validator_message() -> None:
    body = {"title": 5, "slug": "intro", "lengthInMinutes": "thirty", "hidden": "yes"}
    assert _problems("POST", "/v2/event-types", body=body, headers=EVENT_TYPES) == [
        "hidden must be a boolean value",
        "lengthInMinutes must be a number conforming to the specified constraints",
        "title must be a string",
    ]


def test_an_enum_field_lists_the_allowed_values() -> None:
    ok = _problems("GET", "/v2/bookings", query={"sortStart": ["asc"]}, headers=BOOKING)
    bad = _problems("GET", "/v2/bookings", query={"sortStart": ["up"]}, headers=BOOKING)
    assert ok == []
    assert bad == ["sortStart must be one of the following values: asc, desc"]


def test_a_numeric_path_parameter_must_be_a_numeric_string() -> None:
    headers = {"cal-api-version": "2024-06-11"}
    assert _problems("GET", "/v2/schedules/12", headers=headers) == []
    assert _problems("GET", "/v2/schedules/twelve", headers=headers) == [
        "Validation failed (numeric string is expected)"
    ]


def test_a_query_array_is_accepted_comma_joined_or_repeated_and_its_items_are_checked() -> None:
    assert _problems("GET", "/v2/bookings", query={"status": ["upcoming,past"]}, headers=BOOKING) == []
    assert _problems("GET", "/v2/bookings", query={"status": ["upcoming", "past"]}, headers=BOOKING) == []
    assert _problems("GET", "/v2/bookings", query={"status": ["soon"]}, headers=BOOKING) == [
        "each value in status must be one of the following values: upcoming, recurring, past, cancelled, unconfirmed"
    ]


def test_query_numbers_are_read_from_text_and_unknown_query_names_are_ignored() -> None:
    assert _problems("GET", "/v2/bookings", query={"take": ["10"], "colour": ["red"]}, headers=BOOKING) == []
    assert _problems("GET", "/v2/bookings", query={"take": ["ten"]}, headers=BOOKING) == [
        "take must be a number conforming to the specified constraints"
    ]
    assert _problems("GET", "/v2/webhooks", query={"take": ["0"]}) == ["take must not be less than 1"]
    assert _problems("GET", "/v2/webhooks", query={"take": ["251"]}) == ["take must not be greater than 250"]


def test_free_form_metadata_takes_any_keys() -> None:
    body = _booking(metadata={"anything": {"nested": 1}}, bookingFieldsResponses={"notes": "hi"})
    assert _problems("POST", "/v2/bookings", body=body, headers=BOOKING) == []


def test_event_type_locations_are_checked_against_the_variant_their_type_names() -> None:
    def post(locations: list[dict[str, Any]]) -> list[str]:
        body = {"title": "Intro", "slug": "intro", "lengthInMinutes": 30, "locations": locations}
        return _problems("POST", "/v2/event-types", body=body, headers=EVENT_TYPES)

    assert post([{"type": "address", "address": "1 Main St", "public": True}, {"type": "integration",
                 "integration": "cal-video"}]) == []
    # Undeclared keys are stripped, not refused, outside Cal's variant pipes (app.ts: whitelist only).
    assert post([{"type": "link", "address": "1 Main St", "public": True}]) == [
        "locations.0.link should not be empty",
    ]
    unknown = post([{"type": "carrier-pigeon"}])
    assert len(unknown) == 1 and unknown[0].startswith("locations.0.type must be one of the following values: address")


def test_the_cal_api_version_header_must_be_the_routes_version() -> None:
    assert _problems("POST", "/v2/bookings", body=_booking(), headers={"cal-api-version": "2024-04-15"}) == [
        "This endpoint requires the header cal-api-version: 2024-08-13 (got 2024-04-15)."
    ]
    assert _problems("POST", "/v2/bookings", body=_booking()) == [
        "This endpoint requires the header cal-api-version: 2024-08-13 (got none)."
    ]
    assert _problems("GET", "/v2/me") == []  # unversioned routes take any version, or none


def test_array_items_scalar_formats_and_integers_are_checked() -> None:
    guests = _booking(guests=["a@example.com", 5])
    assert _problems("POST", "/v2/bookings", body=guests, headers=BOOKING) == ["each value in guests must be a string"]
    ooo = "/v2/organizations/1/users/2/ooo"
    assert _problems("POST", ooo, body={"start": "2026-12-01T00:00:00Z", "end": "2026-12-02T00:00:00.000Z"}) == []
    # Cal's OOO DTO accepts only YYYY-MM-DDTHH:mm:ss[.sss]Z (ooo.input.ts, the calRules' utcInstant).
    assert _problems("POST", ooo, body={"start": "2026-12-01", "end": "2026-12-02T00:00:00Z"}) == ["Invalid Date."]
    assert _problems("POST", ooo, body={"start": "next tuesday", "end": "2026-12-02"})[:2] == [
        "start must be a valid ISO 8601 date string", "Invalid Date."
    ]
    credentials = "/v2/calendars/apple/disconnect"
    assert _problems("POST", credentials, body={"id": 5.0}) == []  # 5.0 is an integer in JSON
    assert _problems("POST", credentials, body={"id": 5.5}) == ["id must be an integer number"]
    assert _problems("POST", credentials, body={"id": True}) == ["id must be an integer number"]
    assert _problems("POST", "/v2/teams", body={"name": ""}) == ["name must be longer than or equal to 1 characters"]


def test_a_required_body_must_be_a_json_object() -> None:
    assert _problems("POST", "/v2/bookings", headers=BOOKING) == ["Request body must be a JSON object."]
    assert _problems("POST", "/v2/bookings", body=[1], headers=BOOKING) == ["Request body must be a JSON object."]


def test_cal_rules_add_cal_messages_after_the_schema_checks() -> None:
    rules = CalRules.model_validate({"variants": [{"at": "body", "source": "cancel-booking-input.pipe.ts", "choices": [
        {"name": "seated cancellation", "when": {"present": ["seatUid"]}, "fields": ["seatUid"],
         "required": ["seatUid"]},
        {"name": "cancellation", "fields": ["cancellationReason", "cancelSubsequentBookings"]},
    ]}]})
    url = "/v2/bookings/abc/cancel"
    seated = {"seatUid": "s1", "cancellationReason": "ill"}
    assert _problems("POST", url, body=seated, headers=BOOKING, rules=()) == []
    assert _problems("POST", url, body=seated, headers=BOOKING, rules=(rules,)) == [
        "property cancellationReason should not exist"
    ]
    assert _problems("POST", url, body={"cancellationReason": "ill"}, headers=BOOKING, rules=(rules,)) == []


# (method, URL, body, query, Cal's message) — the DTO checks the OpenAPI does not state, which the tool specs
# carry as calRules (the server's side: test_cal_rules.py), applied by the gate to every request.
HOOK = {"triggers": ["BOOKING_CREATED"], "active": True}
GATE_RULES = [
    ("POST", "/v2/bookings", _booking(start="tomorrow"), None, "start must be a valid ISO 8601 date string"),
    ("POST", "/v2/bookings", _booking(attendee={**ATTENDEE, "timeZone": "Mars/Olympus"}), None,
     "attendee.timeZone must be a valid IANA time zone"),
    ("POST", "/v2/bookings", _booking(attendee={**ATTENDEE, "email": "ada"}), None, "Invalid email format"),
    ("POST", "/v2/bookings", _booking(attendee={"name": "Ada", "timeZone": "Europe/Rome"}), None,
     "Attendee must have at least one contact method (email or phone number)"),
    ("POST", "/v2/bookings", _booking(lengthInMinutes=0), None, "lengthInMinutes must not be less than 1"),
    ("POST", "/v2/bookings", _booking(recurrenceCount=0), None, "recurrenceCount must not be less than 1"),
    ("POST", "/v2/bookings/abc/reschedule", {"start": "2026-12-01T10:00:00Z", "rescheduledBy": "me"}, None,
     "Invalid rescheduledBy email format"),
    ("POST", "/v2/bookings/abc/reschedule", {"start": "later"}, None, "start must be a valid ISO 8601 date string"),
    ("GET", "/v2/bookings", None, {"afterStart": ["yesterday"]}, "fromDate must be a valid ISO 8601 date."),
    ("GET", "/v2/bookings", None, {"beforeUpdatedAt": ["soon"]}, "toDate must be a valid ISO 8601 date."),
    ("PATCH", "/v2/me", {"timeZone": "Mars/Olympus"}, None, "timeZone must be a valid IANA time zone"),
    ("POST", "/v2/schedules", {"name": "Work", "timeZone": "Mars/Olympus", "isDefault": False}, None,
     "timeZone must be a valid IANA time zone"),
    ("PATCH", "/v2/schedules/1", {"overrides": [{"date": "20 May", "startTime": "09:00", "endTime": "10:00"}]},
     None, "overrides.0.date must be a valid ISO 8601 date string"),
    ("PATCH", "/v2/organizations/1/users/2/schedules/3", {"timeZone": "Rome"}, None,
     "timeZone must be a valid IANA time zone"),
    ("GET", "/v2/slots", None, {"start": ["soon"], "end": ["2026-12-02"], "eventTypeId": ["1"]},
     "start must be a valid ISO 8601 date string"),
    ("GET", "/v2/slots", None, {"start": ["2026-12-01"], "end": ["2026-12-02"], "eventTypeId": ["1"],
                                "timeZone": ["Mars/Olympus"]}, "timeZone must be a valid IANA time zone"),
    ("GET", "/v2/slots", None, {"start": ["2026-12-01"], "end": ["2026-12-02"], "eventTypeId": ["1"],
                                "format": ["slots"]}, "slotFormat must be either 'range' or 'time'"),
    ("GET", "/v2/slots", None, {"start": ["2026-12-01"], "end": ["2026-12-02"], "usernames": ["alex"],
                                "organizationSlug": ["acme"]}, "The array must contain at least 2 elements."),
    ("POST", "/v2/slots/reservations", {"eventTypeId": 1, "slotStart": "9am"}, None,
     "slotStart must be a valid ISO 8601 date string"),
    ("POST", "/v2/oauth-clients/c1/users", {"email": "r@example.com", "name": "R", "timeZone": "Mars/Olympus"}, None,
     "timeZone must be a valid IANA time zone"),
    ("PATCH", "/v2/oauth-clients/c1/users/3", {"avatarUrl": "me.png"}, None, "avatarUrl must be a URL address"),
    ("POST", "/v2/organizations/1/users", {"email": "nope"}, None, "email must be an email"),
    ("POST", "/v2/organizations/1/users", {"email": "s@example.com", "timeZone": "Mars"}, None,
     "Please include a valid time zone"),
    ("POST", "/v2/organizations/1/users", {"email": "s@example.com", "darkBrandColor": "navy"}, None,
     "darkBrandColor must be a hexadecimal color"),
    ("PATCH", "/v2/organizations/1/users/2", {"email": "nope", "username": 7}, None, "email must be an email"),
    ("POST", "/v2/webhooks", {**HOOK, "subscriberUrl": "nope"}, None, "subscriberUrl must be a URL address"),
    ("PATCH", "/v2/organizations/1/webhooks/w1", {"subscriberUrl": "nope"}, None,
     "subscriberUrl must be a URL address"),
    ("POST", "/v2/calendars/ics-feed/save", {"urls": ["https://cal.example.com/feed"]}, None,
     "The URL must be a valid ICS URL (ending with .ics)"),
    ("POST", "/v2/calendars/ics-feed/save", {"urls": []}, None, "urls should not be empty"),
    ("POST", "/v2/teams/1/event-types", {"title": "Demo", "slug": "demo", "lengthInMinutes": 0,
                                         "schedulingType": "collective"}, None,
     "lengthInMinutes must not be less than 1"),
    ("POST", "/v2/organizations/1/attributes", {"name": "", "slug": "d", "type": "TEXT", "options": []}, None,
     "name should not be empty"),
    ("POST", "/v2/organizations/1/attributes/a1/options", {"value": "", "slug": "x"}, None,
     "value should not be empty"),
    ("POST", "/v2/organizations/1/attributes/options/2", {"attributeId": ""}, None, "attributeId should not be empty"),
]


def _cal_version(method: str, url: str) -> dict[str, str]:
    """The cal-api-version header the operation requires, if any."""
    found = cal_api.match(method, url)
    assert found is not None
    param = next((p for p in found[0].parameters_in("header") if p.name == "cal-api-version"), None)
    return {"cal-api-version": param.schema["default"]} if param is not None and "default" in param.schema else {}


@pytest.mark.parametrize(("method", "url", "body", "query", "message"), GATE_RULES,
                         ids=[f"{r[0]} {r[1]} {r[4][:30]}" for r in GATE_RULES])
def test_the_gate_applies_the_dto_checks_the_tool_specs_carry(
    method: str, url: str, body: Any, query: Mapping[str, list[str]] | None, message: str
) -> None:
    assert message in _problems(method, url, body=body, query=query, headers=_cal_version(method, url))


def test_an_organization_user_update_is_checked_as_the_partial_of_the_create_input() -> None:
    # UpdateOrganizationUserInput = PartialType(CreateUserInput) from @nestjs/mapped-types, which Swagger
    # documents without properties (openapi_rewrites: partial-type-without-properties).
    url = "/v2/organizations/1/users/2"
    assert _problems("PATCH", url, body={"username": 7, "hideBranding": "no"}) == [
        "hideBranding must be a boolean value", "username must be a string"]
    found = cal_api.match("PATCH", url)
    assert found is not None
    assert whitelisted_body(found[0], {"bio": "Hi", "id": 99, "organizationRole": "OWNER"}) == {"bio": "Hi"}


async def test_a_dto_check_from_cal_rules_reads_as_cals_answer_on_either_kind_of_route() -> None:
    transport = httpx.ASGITransport(app=create_app())
    auth = {"Authorization": "Bearer k"}
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        global_pipe = await client.post("/v2/organizations/1/users", headers=auth,
                                        json={"email": "sam@example.com", "timeZone": "Mars/Olympus"})
        variant_pipe = await client.post("/v2/bookings", headers={**auth, **BOOKING},
                                         json=_booking(attendee={"name": "Ada", "timeZone": "Europe/Rome"}))
    assert global_pipe.status_code == 400
    assert global_pipe.json()["error"]["message"] == "Bad Request Exception"
    assert global_pipe.headers[EXPLANATION_HEADER] == "Please include a valid time zone"
    assert variant_pipe.status_code == 400
    assert variant_pipe.json()["error"]["message"] == (
        "Attendee must have at least one contact method (email or phone number)")


def _sandbox_problems(request: CalRequest) -> list[str]:
    query: dict[str, list[str]] = {}
    for name, value in request.query:
        query.setdefault(name, []).append(value)
    found = cal_api.match(request.method, request.path)
    assert found is not None, f"{request.method} {request.path} matches no operation"
    op, path_params = found
    return validate_request(op, path_params={k: unquote(v) for k, v in path_params.items()}, query=query,
                            headers=dict(request.headers), body=request.json)


def _server_refuses(spec: ToolSpec, request: CalRequest) -> bool:
    try:
        apply_cal_rules(spec, request)
    except ArgumentError:
        return True
    return False


@pytest.mark.parametrize("everything", [False, True], ids=["required-only", "every-argument"])
@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_server_and_the_sandbox_agree_on_every_tools_generated_request(name: str, everything: bool) -> None:
    """One source of truth: what the server would send, the sandbox (as Cal) accepts; what Cal's rules
    refuse, the server refuses before sending. Every argument at once mixes Cal's variants (seatUid with
    cancelSubsequentBookings, every location kind in one item), which is exactly what both sides refuse."""
    spec = SPECS[name]
    request = build_request(spec, generate(spec.input_schema, everything=everything), CONFIG)
    problems = _sandbox_problems(request)
    if name in DEAD_ROUTES:
        assert problems == ["Validation failed (numeric string is expected)"]
    elif _server_refuses(spec, request):
        assert problems, f"the server refuses {name}'s request, but Cal's validation would accept it"
    else:
        assert problems == [], f"the server would send {name}'s request, and Cal would refuse it"


def test_every_dead_route_names_a_tool_and_gives_a_reason() -> None:
    for name, reason in DEAD_ROUTES.items():
        assert name in SPECS and len(reason) > 30, name


async def test_the_sandbox_answers_the_dead_team_phone_call_route_as_cal_does() -> None:
    # teams-event-types.controller.ts reads @Param("orgId", ParseIntPipe) on a route without :orgId.
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        response = await client.post(
            "/v2/teams/601/event-types/9001/create-phone-call", headers={"Authorization": "Bearer k"},
            json={"yourPhoneNumber": "+14155550100", "numberToCall": "+14155550101", "calApiKey": "k",
                  "enabled": True, "templateType": "CHECK_IN_APPOINTMENT"})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Validation failed (numeric string is expected)"


async def test_an_operation_the_sandbox_does_not_implement_answers_501_naming_it() -> None:
    app = create_app()
    implemented = set(collect_handlers())
    unimplemented = next(op for op in cal_api.operations() if op.method == "GET" and "{" not in op.path
                         and not any(p.required for p in op.parameters_in("query"))
                         and op.operation_id not in implemented)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        response = await client.get(unimplemented.path, headers={"Authorization": "Bearer k"})
    assert response.status_code == 501, response.text
    assert unimplemented.operation_id in response.json()["error"]["message"]


def test_every_operation_a_tool_calls_has_a_sandbox_handler_keyed_by_its_operation_id() -> None:
    handlers = collect_handlers()
    for spec in SPECS.values():
        found = cal_api.match(spec.request.method, spec.request.path)
        assert found is not None, spec.name
        assert found[0].operation_id in handlers, f"{spec.name}: no handler for {found[0].operation_id}"


# --- the table, the sandbox side: the raw HTTP request real Cal refuses, refused as Cal does ------
# (the server side of each row is tests/test_cal_rules.py::REFUSED; both read the specs' calRules)

_BOOK = {"start": "2026-12-01T14:00:00Z", "eventTypeId": 1001, "attendee": ATTENDEE}
_SLOTS = {"start": "2026-12-01", "end": "2026-12-02"}
# (method, path, headers, query, body, a message Cal's layer gives, Cal source file)
CAL_REFUSES = [
    ("POST", "/v2/bookings", BOOKING, {}, {**_BOOK, "instant": True, "recurrenceCount": 2},
     "property instant should not exist", "create-booking-input.pipe.ts"),
    ("POST", "/v2/bookings", BOOKING, {}, {**_BOOK, "instant": False},
     "property instant should not exist", "create-booking.input.ts"),
    ("POST", "/v2/bookings/b1/cancel", BOOKING, {}, {"seatUid": "s1", "cancelSubsequentBookings": True},
     "property cancelSubsequentBookings should not exist", "cancel-booking.input.ts"),
    ("POST", "/v2/bookings/b1/reschedule", BOOKING, {},
     {"start": "2026-12-01T15:00:00Z", "seatUid": "s1", "reschedulingReason": "clash"},
     "property reschedulingReason should not exist", "reschedule-booking-input.pipe.ts"),
    ("GET", "/v2/slots", {"cal-api-version": "2024-09-04"}, {**_SLOTS, "eventTypeId": "7", "username": "a"}, None,
     "property username should not exist", "get-slots-input.pipe.ts"),
    ("GET", "/v2/slots", {"cal-api-version": "2024-09-04"}, {**_SLOTS, "usernames": "a,b"}, None,
     "organizationSlug should not be empty", "get-slots.input.ts"),
    ("POST", "/v2/teams/601/event-types", {}, {},
     {"title": "Demo", "slug": "demo", "lengthInMinutes": 30, "schedulingType": "collective",
      "locations": [{"type": "link", "link": "https://meet.example.com/x"}]},
     "locations.0.public should not be empty", "locations.input.ts"),
    ("POST", "/v2/bookings/b1/mark-absent", BOOKING, {}, {"attendees": []},
     "attendees must contain at least 1 elements", "mark-absent.input.ts"),
    ("PATCH", "/v2/teams/601", {}, {}, {"bio": "New"}, "name should not be empty", "update-team.input.ts"),
    ("PATCH", "/v2/organizations/501/teams/601", {}, {}, {"bio": "New"}, "name should not be empty",
     "update-team.input.ts"),
]


@pytest.mark.parametrize(("method", "path", "headers", "query", "body", "message", "source"), CAL_REFUSES,
                         ids=[f"{c[0]} {c[1]} ({c[5]})" for c in CAL_REFUSES])
async def test_the_sandbox_refuses_the_raw_request_as_cal_would(
    method: str, path: str, headers: dict[str, str], query: dict[str, str], body: Any, message: str, source: str
) -> None:
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        response = await client.request(method, path, params=query, json=body,
                                        headers={"Authorization": "Bearer k", **headers})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    said = error["message"] + " " + response.headers.get(EXPLANATION_HEADER, "")
    assert message in said, (source, said)
