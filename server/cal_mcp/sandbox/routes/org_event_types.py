"""/v2/organizations/{orgId}/teams/…/event-types: event types of the organization's teams."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from cal_mcp.sandbox.http import Endpoint, json_body, ok, path_int, state_of
from cal_mcp.sandbox.routes import team_event_type_common as tet
from cal_mcp.sandbox.routes import team_requests as tr
from cal_mcp.sandbox.routes.plat_common import org_id_of, paging
from cal_mcp.sandbox.stores import team_event_types as team_events

_BASE = "/v2/organizations/{orgId}/teams"


async def all_org_event_types(request: Request) -> JSONResponse:
    org_id = org_id_of(request)
    state = state_of(request)
    skip, take = paging(request)
    team_ids = {t["id"] for t in state.table("teams").values() if t.get("parentId") == org_id}
    return ok(tet.list_event_types(state, request, team_ids)[skip : skip + take])


async def create_event_type(request: Request) -> JSONResponse:
    state, team = tr.org_team_of(request)
    event = tet.build_event_type(state, team, await json_body(request))
    return ok(team_events.event_type_out(state, event), status=201)


async def list_event_types(request: Request) -> JSONResponse:
    state, team = tr.org_team_of(request)
    return ok(tet.list_event_types(state, request, {team["id"]}))


async def get_event_type(request: Request) -> JSONResponse:
    state, team = tr.org_team_of(request)
    event = team_events.find_event_type(state, team["id"], path_int(request, "eventTypeId"))
    return ok(team_events.event_type_out(state, event))


async def create_phone_call(request: Request) -> JSONResponse:
    state, team = tr.org_team_of(request)
    team_events.find_event_type(state, team["id"], path_int(request, "eventTypeId"))
    return ok(tet.phone_call(state, await json_body(request)), status=201)


# Cal's operationId → handler; app.py serves each at its operation's method and path (cal_api_facts.json).
HANDLERS: dict[str, Endpoint] = {
    "OrganizationsEventTypesController_getTeamsEventTypes": all_org_event_types,
    "OrganizationsEventTypesController_createTeamEventType": create_event_type,
    "OrganizationsEventTypesController_getTeamEventTypes": list_event_types,
    "OrganizationsEventTypesController_getTeamEventType": get_event_type,
    "OrganizationsEventTypesController_createPhoneCall": create_phone_call,
}
