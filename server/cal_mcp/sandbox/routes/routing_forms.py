"""Routing forms: the organization's and its teams' forms, their responses, and routed slots.

Cal: ``OrganizationsRoutingFormsController`` / ``OrganizationsTeamsRoutingFormsController`` (lists),
``OrganizationsRoutingFormsResponsesController`` / its team twin (responses: org admin), and
``RoutingFormsController.calculateSlotsBasedOnRoutingFormResponse`` (``apps/api/v2/src/modules/routing-forms``).
A response's answers are the request's JSON body, flat, keyed by field identifier (Cal reads
``new URLSearchParams(request.body)``); the slot window comes in the query (GetAvailableSlotsInput_2024_09_04,
checked by the request gate). Creating a response stores it (or queues it) and answers the routed event
type's free slots; calculate-slots routes without storing anything.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from cal_mcp.sandbox import availability, slots
from cal_mcp.sandbox.core_lookup import event_type_by_id, host_users
from cal_mcp.sandbox.errors import CalHTTPError, bad_request, not_found
from cal_mcp.sandbox.http import Endpoint, json_body, ok, path_int, query_bool, query_list, state_of
from cal_mcp.sandbox.routes.plat_common import org_id_of, paging
from cal_mcp.sandbox.routes.team_requests import org_team_of
from cal_mcp.sandbox.state import SandboxState
from cal_mcp.sandbox.stores.routing_forms import (
    RESPONSES_TABLE,
    add_response,
    find_form,
    form_out,
    forms_of,
    matching_route,
    queue_response,
    read_answers,
    response_out,
    responses_of,
)

Record = dict[str, Any]


def _org_team_ids(state: SandboxState, org_id: int) -> set[int]:
    return {t["id"] for t in state.table("teams").values() if t.get("parentId") == org_id}


def _created_filters(request: Request, rows: list[Record], *, stamp: str = "createdAt") -> list[Record]:
    """Cal's list filters: created after/before (inclusive), routed booking, and createdAt order."""
    params = request.query_params
    after, before = params.get("afterCreatedAt"), params.get("beforeCreatedAt")
    picked = [
        r for r in rows
        if (after is None or _instant(r[stamp]) >= _instant(after))
        and (before is None or _instant(r[stamp]) <= _instant(before))
    ]
    booking = params.get("routedToBookingUid")
    if booking is not None:
        picked = [r for r in picked if r.get("routedToBookingUid") == booking]
    picked.sort(key=lambda r: r[stamp], reverse=params.get("sortCreatedAt") == "desc")
    skip, take = paging(request)
    return picked[skip : skip + take]


def _instant(text: str) -> datetime:
    moment = slots.parse_instant(text)
    if moment is None:
        raise bad_request(f"Invalid date {text!r}.")
    return moment


# --- forms -------------------------------------------------------------------------------------------


async def list_org_forms(request: Request) -> JSONResponse:
    org_id = org_id_of(request)
    state = state_of(request)
    team_ids = _org_team_ids(state, org_id) | {org_id}
    wanted = {int(float(t)) for t in query_list(request, "teamIds")}
    if wanted:
        team_ids &= wanted
    return ok([form_out(f) for f in _created_filters(request, forms_of(state, team_ids))])


async def list_team_forms(request: Request) -> JSONResponse:
    state, team = org_team_of(request)
    return ok([form_out(f) for f in _created_filters(request, forms_of(state, {team["id"]}))])


# --- responses ---------------------------------------------------------------------------------------


def _org_form(request: Request) -> tuple[SandboxState, Record]:
    org_id = org_id_of(request)
    state = state_of(request)
    form = find_form(state, request.path_params["routingFormId"])
    if form.get("teamId") not in _org_team_ids(state, org_id) | {org_id}:
        raise not_found("Routing form not found.")
    return state, form


def _team_form(request: Request) -> tuple[SandboxState, Record]:
    state, team = org_team_of(request)
    form = find_form(state, request.path_params["routingFormId"])
    if form.get("teamId") != team["id"]:
        raise not_found("Routing form not found.")
    return state, form


def _window(request: Request) -> tuple[datetime, datetime]:
    params = request.query_params
    start = slots.parse_range_bound(params["start"], is_end=False)
    end = slots.parse_range_bound(params["end"], is_end=True)
    if start is None or end is None:
        raise bad_request("Invalid start or end date")
    if end < start:
        raise bad_request("End date cannot be before start date.")
    return start, end


def _routed_slots(request: Request, state: SandboxState, event_type: Record) -> dict[str, Any]:
    params = request.query_params
    start, end = _window(request)
    options = event_type.get("lengthInMinutesOptions") or []
    wanted = int(float(params["duration"])) if "duration" in params else None
    length = wanted if wanted is not None and wanted in options else int(event_type["lengthInMinutes"])
    starts = availability.event_type_starts(state, event_type, length, start, end,
                                            exclude_uid=params.get("bookingUidToReschedule"))
    return slots.slot_map(starts, length, params.get("timeZone"), params.get("format", "time"))


async def _respond(request: Request, state: SandboxState, form: Record) -> JSONResponse:
    _window(request)  # Cal checks the window before routing (validateDateRange)
    answers = read_answers(form, await json_body(request))
    action = matching_route(form, answers)["action"]
    if action["type"] == "customPageMessage":
        return ok({"routingCustomMessage": action["value"]}, status=201)
    if action["type"] != "eventTypeRedirectUrl":
        return ok({"routingExternalRedirectUrl": action["value"]}, status=201)
    event_type = event_type_by_id(state, int(action["eventTypeId"]))
    if event_type is None:
        raise CalHTTPError(500, "Chosen event type not found.")
    routing: dict[str, Any] = {"teamMemberIds": [h["id"] for h in host_users(state, event_type)]}
    if query_bool(request, "queueResponse"):
        routing["queuedResponseId"] = queue_response(state, form, answers)
    else:
        routing["responseId"] = add_response(state, form, answers)["id"]
    return ok({"eventTypeId": event_type["id"], "routing": routing,
               "slots": _routed_slots(request, state, event_type)}, status=201)


async def create_org_response(request: Request) -> JSONResponse:
    state, form = _org_form(request)
    return await _respond(request, state, form)


async def create_team_response(request: Request) -> JSONResponse:
    state, form = _team_form(request)
    return await _respond(request, state, form)


async def list_org_responses(request: Request) -> JSONResponse:
    state, form = _org_form(request)
    return ok([response_out(r) for r in _created_filters(request, responses_of(state, form["id"]))])


async def list_team_responses(request: Request) -> JSONResponse:
    state, form = _team_form(request)
    return ok([response_out(r) for r in _created_filters(request, responses_of(state, form["id"]))])


async def _update(request: Request, state: SandboxState, form: Record) -> JSONResponse:
    response_id = path_int(request, "responseId")
    record = state.table(RESPONSES_TABLE).get(response_id)
    if record is None or record["formId"] != form["id"]:
        raise not_found(f"Routing form response with id={response_id} not found.")
    body = await json_body(request)
    if isinstance(body.get("response"), dict):
        # Cal replaces the stored answers with the given object (organizations-routing-forms.repository.ts).
        record["response"] = body["response"]
    return ok(response_out(record))


async def update_org_response(request: Request) -> JSONResponse:
    state, form = _org_form(request)
    return await _update(request, state, form)


async def update_team_response(request: Request) -> JSONResponse:
    state, form = _team_form(request)
    return await _update(request, state, form)


# --- routing without a stored response --------------------------------------------------------------


async def calculate_slots(request: Request) -> JSONResponse:
    state = state_of(request)
    form = find_form(state, request.path_params["routingFormId"])
    _window(request)
    answers = read_answers(form, await json_body(request))
    action = matching_route(form, answers)["action"]
    if action["type"] == "customPageMessage":
        raise not_found("Route to which the form response should be redirected not found.")
    if action["type"] != "eventTypeRedirectUrl":
        raise not_found("Routed to a non cal.com event type URL.")
    event_type = event_type_by_id(state, int(action["eventTypeId"]))
    if event_type is None or event_type.get("teamId") is None:
        raise not_found("Event type not found.")
    return ok({"eventTypeId": event_type["id"], "slots": _routed_slots(request, state, event_type)})


# Cal's operationId → handler; app.py serves each at its operation's method and path (cal_api_facts.json).
HANDLERS: dict[str, Endpoint] = {
    "OrganizationsRoutingFormsController_getOrganizationRoutingForms": list_org_forms,
    "OrganizationsTeamsRoutingFormsController_getTeamRoutingForms": list_team_forms,
    "OrganizationsRoutingFormsResponsesController_getRoutingFormResponses": list_org_responses,
    "OrganizationsRoutingFormsResponsesController_createRoutingFormResponse": create_org_response,
    "OrganizationsRoutingFormsResponsesController_updateRoutingFormResponse": update_org_response,
    "OrganizationsTeamsRoutingFormsResponsesController_getRoutingFormResponses": list_team_responses,
    "OrganizationsTeamsRoutingFormsResponsesController_createRoutingFormResponse": create_team_response,
    "OrganizationsTeamsRoutingFormsResponsesController_updateRoutingFormResponse": update_team_response,
    "RoutingFormsController_calculateSlotsBasedOnRoutingFormResponse": calculate_slots,
}
