"""/v2/teams: teams, team memberships, team event types and the Cal.ai phone-call trigger."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from cal_mcp.sandbox.errors import forbidden
from cal_mcp.sandbox.http import Endpoint, given_fields, json_body, ok, path_int, query_list, state_of
from cal_mcp.sandbox.routes import team_event_type_common as tet
from cal_mcp.sandbox.routes import team_requests as tr
from cal_mcp.sandbox.routes.plat_common import paging
from cal_mcp.sandbox.routes.team_common import new_team
from cal_mcp.sandbox.state import USER_ID
from cal_mcp.sandbox.stores import team_event_types as team_events
from cal_mcp.sandbox.stores.teams import (
    ADMIN_ROLES,
    add_membership,
    delete_team,
    find_team,
    membership_of,
    membership_out,
    team_memberships,
    team_out,
    update_membership,
)


async def create_team(request: Request) -> JSONResponse:
    team = new_team(state_of(request), given_fields(await json_body(request)), None)
    return ok(team_out(team), status=201)


async def list_teams(request: Request) -> JSONResponse:
    """Every team the caller has a membership in (Cal includes the organization itself)."""
    state = state_of(request)
    ids = {m["teamId"] for m in state.table("memberships").values() if m["userId"] == USER_ID}
    teams = [team_out(t) for t in sorted(state.table("teams").values(), key=lambda t: t["id"]) if t["id"] in ids]
    return ok(teams)


async def get_team(request: Request) -> JSONResponse:
    _, team = tr.team_of(request)
    return ok(team_out(team))


async def patch_team(request: Request) -> JSONResponse:
    state, team = tr.team_of(request, ADMIN_ROLES)
    return await tr.patch_team(request, state, team)


async def remove_team(request: Request) -> JSONResponse:
    state, team = tr.team_of(request, ("OWNER",))
    if team.get("isOrganization"):
        raise forbidden("Organizations cannot be deleted through /v2/teams.")
    return ok(team_out(delete_team(state, team["id"])))


async def list_memberships(request: Request) -> JSONResponse:
    state, team = tr.team_of(request, ADMIN_ROLES)
    skip, take = paging(request)
    rows = [membership_out(state, m) for m in team_memberships(state, team["id"])]
    emails = {e.lower() for e in query_list(request, "emails")}
    if emails:
        rows = [m for m in rows if m["user"]["email"].lower() in emails]
    return ok(rows[skip : skip + take])


async def create_membership(request: Request) -> JSONResponse:
    state, team = tr.team_of(request, ADMIN_ROLES)
    body = given_fields(await json_body(request))
    return ok(membership_out(state, add_membership(state, team["id"], body)), status=201)


async def get_membership(request: Request) -> JSONResponse:
    state, team = tr.team_of(request, ADMIN_ROLES)
    return ok(membership_out(state, tr.membership_in(request, state, team["id"])))


async def patch_membership(request: Request) -> JSONResponse:
    state, team = tr.team_of(request, ADMIN_ROLES)
    membership, body = await tr.membership_patch(request, state, team["id"])
    mine = membership_of(state, team["id"])
    if body.get("role") == "OWNER" and (mine is None or mine["role"] != "OWNER"):
        raise forbidden("Only a team owner can make another member an owner.")
    update_membership(membership, body)
    return ok(membership_out(state, membership))


async def delete_membership(request: Request) -> JSONResponse:
    state, team = tr.team_of(request, ADMIN_ROLES)
    return tr.delete_membership(request, state, team["id"])


async def create_event_type(request: Request) -> JSONResponse:
    state, team = tr.team_of(request, ADMIN_ROLES)
    event = tet.build_event_type(state, team, await json_body(request))
    return ok(team_events.event_type_out(state, event), status=201)


async def list_event_types(request: Request) -> JSONResponse:
    """Public in Cal: anyone may list a team's event types, so only the team must exist."""
    state = state_of(request)
    team = find_team(state, path_int(request, "teamId"))
    return ok(tet.list_event_types(state, request, {team["id"]}))


async def get_event_type(request: Request) -> JSONResponse:
    state, team = tr.team_of(request)
    event = team_events.find_event_type(state, team["id"], path_int(request, "eventTypeId"))
    return ok(team_events.event_type_out(state, event))


async def delete_event_type(request: Request) -> JSONResponse:
    state, team = tr.team_of(request, ADMIN_ROLES)
    event = team_events.find_event_type(state, team["id"], path_int(request, "eventTypeId"))
    team_events.delete_event_type(state, event)
    return ok({"id": event["id"], "title": event["title"]})


async def create_phone_call(request: Request) -> JSONResponse:
    state, team = tr.team_of(request, ADMIN_ROLES)
    team_events.find_event_type(state, team["id"], path_int(request, "eventTypeId"))
    return ok(tet.phone_call(state, await json_body(request)), status=201)


# Cal's operationId → handler; app.py serves each at its operation's method and path (cal_api_facts.json).
HANDLERS: dict[str, Endpoint] = {
    "TeamsController_createTeam": create_team,
    "TeamsController_getTeams": list_teams,
    "TeamsController_getTeam": get_team,
    "TeamsController_updateTeam": patch_team,
    "TeamsController_deleteTeam": remove_team,
    "TeamsMembershipsController_getTeamMemberships": list_memberships,
    "TeamsMembershipsController_createTeamMembership": create_membership,
    "TeamsMembershipsController_getTeamMembership": get_membership,
    "TeamsMembershipsController_updateTeamMembership": patch_membership,
    "TeamsMembershipsController_deleteTeamMembership": delete_membership,
    "TeamsEventTypesController_createTeamEventType": create_event_type,
    "TeamsEventTypesController_getTeamEventTypes": list_event_types,
    "TeamsEventTypesController_getTeamEventType": get_event_type,
    "TeamsEventTypesController_deleteTeamEventType": delete_event_type,
    "TeamsEventTypesController_createPhoneCall": create_phone_call,
}
