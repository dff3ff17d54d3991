"""Every sandbox response to every tool validates against the response schema of the operation it cites.

Each success case of the end-to-end lists (``e2e_cases_core``, ``_platform``, ``_beyond``) is replayed in
process: the tool's request is built as the server builds it, sent to a freshly seeded sandbox over an
ASGI transport, and the JSON body is validated (JSON Schema 2020-12, ``$ref``s resolved in the whole
document) against the response schema Cal's OpenAPI spec in ``../shared/cal-api`` declares for the
returned status of the operation ``tool-endpoint-map.json`` cites. The documents get the normalising
rewrites of ``contract_support`` (oneOf read as anyOf, ``TIME_FORMAT_HH_MM``, enum on the schedule
``days`` array, ``object`` + boolean default; test_contract checks those still fire), OpenAPI 3.0's
``nullable`` is translated, and the response-only rewrites below repair the places where Cal's real
responses contradict its spec. Each rewrite must still change the spec and still be needed by some
response; an unneeded one fails. A schema that a catch-all ``{"status": "success", "data": {}}``
satisfies would check nothing, so that body must fail every cited success schema (listed exemptions
aside, where Cal's schema genuinely allows it).
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from cal_mcp.request_builder import build_request
from cal_mcp.sandbox.app import create_app
from cal_mcp.sandbox.clock import FrozenClock
from cal_mcp.sandbox.seeds import new_state
from cal_mcp.sandbox.state import DEFAULT_EPOCH, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET
from cal_mcp.specs import ToolSpec, load_specs
from tests.contract_support import leaves, map_records, normalised_openapi, raw_openapi, shared_dir
from tests.e2e_cases_beyond import CASES as BEYOND_CASES
from tests.e2e_cases_beyond_seed import CASES as BEYOND_SEED_CASES
from tests.e2e_cases_core import CASES as CORE_CASES
from tests.e2e_cases_platform import CASES as PLATFORM_CASES
from tests.e2e_support import Case

SPECS: dict[str, ToolSpec] = {spec.name: spec for spec in load_specs()}
# Tools whose handler sends to another route than the spec's (its answer is that route's, checked there):
# Cal's team create-phone-call route refuses every call (handlers/phone_call.py).
REROUTED = {"CAL_CREATE_PHONE_CALL_FOR_EVENT_TYPE"}
SUCCESS_CASES: list[Case] = [
    c for c in (*CORE_CASES, *PLATFORM_CASES, *BEYOND_CASES, *BEYOND_SEED_CASES)
    if c.succeeds and c.tool not in REROUTED
]
CONFIG = {"oauth_client_id": OAUTH_CLIENT_ID, "api_key": "cal_sandbox_key"}
NEWEST, OLDER = "openapi-2026-03-11.json", "openapi-2024-12-17.json"
BASE = "urn:cal-api"
SUCCESS_ENVELOPE = {"type": "string", "enum": ["success", "error"]}

Document = dict[str, Any]


# --- response-schema rewrites: where Cal's real responses contradict its spec ------------------------


def _schemas(document: Document) -> dict[str, Any]:
    schemas: dict[str, Any] = document["components"]["schemas"]
    return schemas


def _team_event_type_hosts(document: Document) -> int:
    hosts = _schemas(document).get("TeamEventTypeOutput_2024_06_14", {}).get("properties", {}).get("hosts")
    if not hosts or hosts.get("items") != {"type": "string"}:
        return 0
    _schemas(document)["TeamEventTypeResponseHost"] = copy.deepcopy(
        _schemas(raw_openapi(OLDER))["TeamEventTypeResponseHost"])
    hosts["items"] = {"$ref": "#/components/schemas/TeamEventTypeResponseHost"}
    return 1


def _destination_calendar_id(document: Document) -> int:
    properties = _schemas(document).get("DestinationCalendar", {}).get("properties", {})
    if properties.get("id") != {"type": "object"}:
        return 0
    properties["id"] = {"type": "number"}
    return 1


def _stripe_check_status(document: Document) -> int:
    properties = _schemas(document).get("StripCredentialsCheckOutputResponseDto", {}).get("properties", {})
    if properties.get("status", {}).get("type") != "object":
        return 0
    properties["status"] = {"type": "string", "enum": ["success"]}
    return 1


def _booking_artefact_status(document: Document) -> int:
    fired = 0
    for name in ("BookingReferencesOutput_2024_08_13", "CalendarLinksOutput_2024_08_13"):
        properties = _schemas(document).get(name, {}).get("properties", {})
        if properties.get("status", {}).get("type") == "object":
            properties["status"] = {"type": "string", "enum": ["success"]}
            fired += 1
    return fired


def _membership_lists(document: Document) -> int:
    fired = 0
    for name in ("GetTeamMembershipsOutput", "GetAllOrgMemberships"):
        properties = _schemas(document).get(name, {}).get("properties", {})
        data = properties.get("data", {})
        if "$ref" in data:
            properties["data"] = {"type": "array", "items": data}
            fired += 1
    return fired


def _slots_schema(document: Document) -> dict[str, Any] | None:
    try:
        media = document["paths"]["/v2/slots"]["get"]["responses"]["200"]["content"]["application/json"]
    except KeyError:
        return None
    schema: dict[str, Any] = media["schema"]
    return schema


def _slots_envelope(document: Document) -> int:
    schema = _slots_schema(document)
    if schema is None or "status" in schema.get("properties", {}):
        return 0
    document["paths"]["/v2/slots"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {
        "type": "object", "properties": {"status": SUCCESS_ENVELOPE, "data": schema}, "required": ["status", "data"]}
    return 1


def _reassign_self_reference(document: Document) -> int:
    name = "ReassignBookingOutput_2024_08_13"
    properties = _schemas(document).get(name, {}).get("properties", {})
    if f"#/components/schemas/{name}" not in json.dumps(properties.get("data")):
        return 0
    properties["data"] = {
        "type": "object",
        "properties": {"bookingUid": {"type": "string"},
                       "reassignedTo": {"$ref": "#/components/schemas/ReassignedToDto"}},
        "required": ["bookingUid", "reassignedTo"],
    }
    return 1


WEBHOOK_OUTPUTS = ("UserWebhookOutputDto", "EventTypeWebhookOutputDto", "TeamWebhookOutputDto",
                   "OAuthClientWebhookOutputDto")


def _webhook_ids(document: Document) -> int:
    fired = 0
    for name in WEBHOOK_OUTPUTS:
        properties = _schemas(document).get(name, {}).get("properties", {})
        if properties.get("id", {}).get("type") == "number":
            properties["id"] = {"type": "string"}
            fired += 1
    return fired


def _booking_rating(document: Document) -> int:
    fired = 0
    for name, schema in _schemas(document).items():
        rating = schema.get("properties", {}).get("rating")
        if name.endswith("BookingOutput_2024_08_13") and rating == {"type": "number", "example": 4}:
            rating["nullable"] = True
            fired += 1
    return fired


def _event_type_users(document: Document) -> int:
    users = _schemas(document).get("EventTypeOutput_2024_06_14", {}).get("properties", {}).get("users")
    if not users or users.get("items") != {"type": "string"}:
        return 0
    nullable_string = {"type": "string", "nullable": True}
    users["items"] = {
        "type": "object",
        "properties": {"id": {"type": "number"}, "name": nullable_string, "username": nullable_string,
                       "avatarUrl": nullable_string, "weekStart": {"type": "string"},
                       "brandColor": nullable_string, "darkBrandColor": nullable_string,
                       "metadata": {"type": "object", "nullable": True}},
        "required": ["id", "name", "username", "avatarUrl", "weekStart", "brandColor", "darkBrandColor",
                     "metadata"],
    }
    return 1


@dataclass(frozen=True)
class Rewrite:
    reason: str
    apply: Callable[[Document], int]  # changes a document copy in place; returns how many places it changed


# Applied in this order. Each must still change the spec and be needed by at least one sandbox response.
def _routing_form_json_columns(document: Document) -> int:
    properties = _schemas(document).get("RoutingFormOutput", {}).get("properties", {})
    fired = 0
    for name in ("fields", "routes"):
        if properties.get(name) == {"type": "object", "nullable": True}:
            properties[name] = {"type": "array", "items": {"type": "object"}, "nullable": True}
            fired += 1
    return fired


def _routed_to_booking_uid(document: Document) -> int:
    properties = _schemas(document).get("RoutingFormResponseOutput", {}).get("properties", {})
    if properties.get("routedToBookingUid") != {"type": "string"}:
        return 0
    properties["routedToBookingUid"] = {"type": "string", "nullable": True}
    return 1


def _reserved_slot_self_reference(document: Document) -> int:
    name = "GetReservedSlotOutput_2024_09_04"
    properties = _schemas(document).get(name, {}).get("properties", {})
    if f"#/components/schemas/{name}" not in json.dumps(properties.get("data")):
        return 0
    properties["data"] = {"nullable": True, "allOf": [{"$ref": "#/components/schemas/ReserveSlotOutput_2024_09_04"}]}
    return 1


RESPONSE_REWRITES: dict[str, Rewrite] = {
    "team-event-type-hosts": Rewrite(
        "TeamEventTypeOutput_2024_06_14.hosts is typed as an array of strings, but Cal returns host objects "
        "(userId, name, username, avatarUrl; mandatory and priority for round robin), as the 2024-12-17 spec's "
        "TeamEventTypeResponseHost documents: that definition is used instead",
        _team_event_type_hosts),
    "destination-calendar-id": Rewrite(
        "GET /v2/calendars: DestinationCalendar.id is typed 'object' (a lost Prisma Int); Cal returns a number",
        _destination_calendar_id),
    "stripe-check-status": Rewrite(
        "GET /v2/stripe/check and the team Stripe check: 'status' is typed 'object' with example \"success\"; "
        "Cal returns the string \"success\"",
        _stripe_check_status),
    "booking-artefact-status": Rewrite(
        "GET /v2/bookings/{uid}/references and …/calendar-links: 'status' is typed 'object' with example "
        "\"success\"; Cal returns the string \"success\"",
        _booking_artefact_status),
    "membership-lists": Rewrite(
        "GET /v2/teams/{teamId}/memberships and GET /v2/organizations/{orgId}/memberships: 'data' is typed as one "
        "membership object, but both list endpoints return an array of them",
        _membership_lists),
    # GET /v2/slots also types format=time slots as strings where Cal returns {start} objects (its own example
    # shows them); with oneOf read as anyOf the range alternative, whose start/end are optional, accepts them,
    # so that needs no rewrite.
    "slots-envelope": Rewrite(
        "GET /v2/slots: the schema describes only the date map in 'data', not the {status, data} envelope Cal "
        "sends (its own example has the envelope); the map is moved under 'data'",
        _slots_envelope),
    "reassign-self-reference": Rewrite(
        "POST /v2/bookings/{uid}/reassign[/{userId}]: the output and its data class share the name "
        "ReassignBookingOutput_2024_08_13, so 'data' refers to the envelope itself and nothing validates; "
        "'data' is Cal's data class instead: {bookingUid, reassignedTo: ReassignedToDto}",
        _reassign_self_reference),
    "webhook-ids": Rewrite(
        "User, event-type, organization and OAuth-client webhook outputs type 'id' as a number, but Cal's "
        "Prisma model has `Webhook.id String @id @unique` (a uuid) and every webhook answer carries that string; "
        "the output DTO's @IsInt (apps/api/v2/src/modules/webhooks/outputs/webhook.output.ts) is never applied "
        "to responses. 'id' is typed string",
        _webhook_ids),
    "booking-rating": Rewrite(
        "2024-08-13 booking outputs type 'rating' as a number, but Cal's output service "
        "(apps/api/v2/src/ee/bookings/2024-08-13/services/output.service.ts) always sets it from the nullable "
        "Prisma column `Booking.rating Int?`, so an unrated booking carries \"rating\": null; typed nullable",
        _booking_rating),
    "event-type-users": Rewrite(
        "EventTypeOutput_2024_06_14.users is typed as an array of strings, but Cal returns user objects "
        "{id, name, username, avatarUrl, weekStart, brandColor, darkBrandColor, metadata} "
        "(packages/platform/types/event-types/event-types_2024_06_14/outputs/event-type.output.ts); "
        "those objects are the items instead",
        _event_type_users),
    "routing-form-json-columns": Rewrite(
        "RoutingFormOutput types 'fields' and 'routes' as objects (the DTO's Record<string, unknown>), but they "
        "are the form's JSON columns, arrays of fields and of routes (packages/app-store/routing-forms zod "
        "schemas: zodFields, zodRoutes), returned as stored; typed arrays of objects",
        _routing_form_json_columns),
    "routed-to-booking-uid": Rewrite(
        "RoutingFormResponseOutput types 'routedToBookingUid' as a string, but the Prisma column is "
        "`routedToBookingUid String?`: a response that led to no booking carries null; typed nullable",
        _routed_to_booking_uid),
    "reserved-slot-self-reference": Rewrite(
        "GET /v2/slots/reservations/{uid}: the output and its data class share the name "
        "GetReservedSlotOutput_2024_09_04, so 'data' refers to the envelope itself; 'data' is the reserved "
        "slot (the ReserveSlotOutput_2024_09_04 fields) or null (slots.service.ts getReservedSlot)",
        _reserved_slot_self_reference),
}

# Tools whose cited operation declares no JSON body for its success status: there is nothing to validate.
NO_RESPONSE_SCHEMA: dict[str, str] = {
    "CAL_SAVE_CALENDAR_ENTRY": "the OAuth callback answers {url} for the browser redirect; the spec declares no body",
    "CAL_SAVE_OAUTH_CREDENTIALS_VIA_GCAL_API": "the Google OAuth callback answers {url}; the spec declares no body",
    "CAL_HANDLE_CONFERENCING_OAUTH_CALLBACK_FOR_APP": "the OAuth callback answers {url}; the spec declares no body",
    "CAL_POST_CALENDAR_CREDENTIALS": "the spec declares the 201 without content; Cal answers {status: success}",
    "CAL_LIST_ORG_USER_BOOKINGS": "the spec declares the 200 without content; Cal answers the 2024-08-13 booking "
    "list, whose shape the organization and team booking lists' cases check",
}

# Cited success schemas that {"status": "success", "data": {}} satisfies because Cal's schema allows it.
_STATUS_ONLY = "the output DTO declares only 'status' (Cal sends no data, or the DTO leaves it undocumented)"
_BARE_OBJECT = "the spec types the whole body as a bare object, with no properties"
CATCH_ALL_EXEMPT: dict[tuple[str, str], str] = {
    ("DELETE", "/v2/conferencing/{app}/disconnect"): _STATUS_ONLY,
    ("DELETE", "/v2/organizations/{orgId}/users/{userId}/schedules/{scheduleId}"): _STATUS_ONLY,
    ("DELETE", "/v2/schedules/{scheduleId}"): _STATUS_ONLY,
    ("GET", "/v2/conferencing/{app}/oauth/auth-url"): _STATUS_ONLY,
    ("GET", "/v2/organizations/{orgId}/teams/{teamId}/stripe/check"): _STATUS_ONLY,
    ("GET", "/v2/provider/{clientId}/access-token"): _STATUS_ONLY,
    ("GET", "/v2/stripe/check"): _STATUS_ONLY,
    ("POST", "/v2/conferencing/{app}/default"): _STATUS_ONLY,
    ("GET", "/v2/conferencing/default"): "'data' is optional (no default app set) and DefaultConferencingAppsOutputDto "
    "has no required property",
    ("DELETE", "/v2/event-types/{eventTypeId}/private-links/{linkId}"): "DeletePrivateLinkOutput's data "
    "{linkId, message} has no required property",
    ("DELETE", "/v2/organizations/{orgId}/teams/{teamId}/event-types/{eventTypeId}/private-links/{linkId}"):
    "DeletePrivateLinkOutput's data {linkId, message} has no required property",
    ("POST", "/v2/organizations/{orgId}/routing-forms/{routingFormId}/responses"): "a routed response is one of "
    "three shapes (slots, a custom message, an external URL), so CreateRoutingFormResponseOutputData requires nothing",
    ("POST", "/v2/organizations/{orgId}/teams/{teamId}/routing-forms/{routingFormId}/responses"): "as the "
    "organization route: CreateRoutingFormResponseOutputData requires nothing",
    ("DELETE", "/v2/teams/{teamId}/event-types/{eventTypeId}"): "DeleteTeamEventTypeOutput types 'data' as a bare "
    "object",
    ("DELETE", "/v2/organizations/{orgId}/teams/{teamId}/event-types/{eventTypeId}"): "DeleteTeamEventTypeOutput "
    "types 'data' as a bare object",
    ("GET", "/v2/slots"): "'data' is a map from date to slots, and {} is Cal's documented answer when no slot is free",
    ("DELETE", "/v2/slots/reservations/{uid}"): _BARE_OBJECT,
    ("GET", "/v2/calendars/ics-feed/check"): _BARE_OBJECT,
    ("GET", "/v2/calendars/{calendar}/check"): _BARE_OBJECT,
    ("GET", "/v2/calendars/{calendar}/connect"): _BARE_OBJECT,
    ("GET", "/v2/timezones"): _BARE_OBJECT,
}


# --- documents and validators ----------------------------------------------------------------------


def _translate(node: Any) -> Any:
    """OpenAPI 3.0 schema → JSON Schema 2020-12: ``nullable: true`` becomes a null alternative."""
    if isinstance(node, list):
        return [_translate(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _translate(v) for k, v in node.items()}
    if out.pop("nullable", False):
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [{"type": "null"}, out]}
    return out


@cache
def document(spec_file: str, without: str | None = None) -> tuple[Document, dict[str, int]]:
    """The spec normalised, with every response rewrite but ``without``; also how often each one fired."""
    doc = copy.deepcopy(normalised_openapi(spec_file)[0])
    fired = {name: rewrite.apply(doc) for name, rewrite in RESPONSE_REWRITES.items() if name != without}
    return _translate(doc), fired


@cache
def _registry(spec_file: str, without: str | None) -> Registry[Any]:
    contents = document(spec_file, without)[0]
    return Registry().with_resource(BASE, Resource.from_contents(contents, default_specification=DRAFT202012))


def _pointer(*parts: str) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def response_pointer(spec_file: str, method: str, path: str, status: int) -> str | None:
    """JSON pointer to the operation's JSON response schema for ``status``; None when it declares none."""
    responses = document(spec_file)[0]["paths"][path][method.lower()]["responses"]
    media = responses.get(str(status), {}).get("content", {}).get("application/json")
    if media is None or "schema" not in media:
        return None
    return _pointer("paths", path, method.lower(), "responses", str(status), "content", "application/json", "schema")


def problems(body: Any, spec_file: str, pointer: str, without: str | None = None) -> list[str]:
    validator = Draft202012Validator({"$ref": BASE + "#" + pointer}, registry=_registry(spec_file, without))
    found = []
    for error in validator.iter_errors(body):
        for leaf in leaves(error):
            where = "/".join(str(p) for p in leaf.absolute_path) or "(top)"
            found.append(f"{where}: {leaf.message[:200]}")
    return sorted(set(found))


# --- the sandbox's answers -------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    case: Case
    status: int
    body: Any

    @property
    def record(self) -> dict[str, Any]:
        return map_records()[self.case.tool]


async def _ask(case: Case) -> Answer:
    spec = SPECS[case.tool]
    state = new_state(clock=FrozenClock(DEFAULT_EPOCH))
    if case.setup:
        case.setup(state)
    request = build_request(spec, case.args, CONFIG)
    headers = dict(request.headers)
    if spec.request.auth == "oauth_client":
        headers["x-cal-secret-key"] = OAUTH_CLIENT_SECRET
    else:
        headers["Authorization"] = f"Bearer {CONFIG['api_key']}"
    transport = httpx.ASGITransport(app=create_app(state))
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        response = await client.request(request.method, request.path, params=list(request.query),
                                        headers=headers, json=request.json)
    if 300 <= response.status_code < 400:  # Cal's callbacks: 301 Location, read by the server as redirectTo
        return Answer(case, response.status_code, {"status": "success",
                                                   "data": {"redirectTo": response.headers["location"]}})
    return Answer(case, response.status_code, response.json())


@cache
def answers() -> tuple[Answer, ...]:
    """Every success case's sandbox answer, fetched once per session (fresh state per case)."""

    async def ask_all() -> tuple[Answer, ...]:
        return tuple([await _ask(case) for case in SUCCESS_CASES])

    return asyncio.run(ask_all())


def _answer_problems(answer: Answer, without: str | None = None) -> list[str]:
    record = answer.record
    if answer.status == 301:
        # The OAuth/Stripe callbacks: NestJS @Redirect(undefined, 301), no JSON body to check (the
        # controllers in calendars.controller.ts, conferencing.controller.ts, stripe.controller.ts).
        return [] if answer.body["data"]["redirectTo"] is not None else ["a redirect without a Location"]
    if not 200 <= answer.status < 300:
        return [f"the sandbox answered {answer.status}: {json.dumps(answer.body)[:300]}"]
    pointer = response_pointer(record["spec_file"], record["method"], record["path"], answer.status)
    if pointer is None:
        declared = document(record["spec_file"])[0]["paths"][record["path"]][record["method"].lower()]["responses"]
        if str(answer.status) not in declared:
            return [f"{record['method']} {record['path']} declares no {answer.status} response ({sorted(declared)})"]
        return [] if answer.case.tool in NO_RESPONSE_SCHEMA else [f"no JSON schema for {answer.status}"]
    return problems(answer.body, record["spec_file"], pointer, without)


# --- tests -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("index", range(len(SUCCESS_CASES)), ids=[c.name for c in SUCCESS_CASES])
def test_the_sandbox_response_matches_the_cited_response_schema(index: int) -> None:
    shared_dir()
    answer = answers()[index]
    found = _answer_problems(answer)
    assert not found, f"{answer.case.name} → {answer.status}:\n" + "\n".join(found)


def test_every_response_rewrite_still_changes_the_spec_and_is_needed() -> None:
    shared_dir()
    files = {record["spec_file"] for record in map_records().values()}
    fired = {name: sum(document(f)[1][name] for f in files) for name in RESPONSE_REWRITES}
    assert all(fired.values()), f"rewrites that no longer change any spec (remove them): {fired}"
    unneeded = [name for name in RESPONSE_REWRITES
                if not any(_answer_problems(answer, without=name) for answer in answers())]
    assert not unneeded, f"every sandbox response validates without these rewrites (remove them): {unneeded}"


def test_tools_listed_without_a_response_schema_still_have_none() -> None:
    shared_dir()
    stale = []
    for tool in NO_RESPONSE_SCHEMA:
        record = map_records()[tool]
        responses = document(record["spec_file"])[0]["paths"][record["path"]][record["method"].lower()]["responses"]
        declared = [s for s in responses if s.startswith("2")
                    and response_pointer(record["spec_file"], record["method"], record["path"], int(s))]
        if declared:
            stale.append(f"{tool}: {declared}")
    assert not stale, f"these now declare a response schema (remove them from NO_RESPONSE_SCHEMA): {stale}"


def test_a_catch_all_body_fails_every_cited_success_schema() -> None:
    shared_dir()
    catch_all = {"status": "success", "data": {}}
    operations = {(r["spec_file"], r["method"], r["path"]) for r in map_records().values()}
    accepted = set()
    for spec_file, method, path in sorted(operations):
        responses = document(spec_file)[0]["paths"][path][method.lower()]["responses"]
        for status in (s for s in responses if s.startswith("2")):
            pointer = response_pointer(spec_file, method, path, int(status))
            if pointer is not None and not problems(catch_all, spec_file, pointer):
                accepted.add((method, path))
    unexpected = sorted(accepted - set(CATCH_ALL_EXEMPT))
    stale = sorted(set(CATCH_ALL_EXEMPT) - accepted)
    assert not unexpected, f"these success schemas accept a catch-all body, so they check nothing: {unexpected}"
    assert not stale, f"these exemptions are no longer needed (remove them): {stale}"


def test_every_tool_with_a_success_case_is_checked() -> None:
    assert {c.tool for c in SUCCESS_CASES} <= set(SPECS)
    assert len({c.name for c in SUCCESS_CASES}) == len(SUCCESS_CASES), "case names must be unique"
