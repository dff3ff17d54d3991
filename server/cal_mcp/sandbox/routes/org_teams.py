"""/v2/organizations/{orgId}/teams…: the organization's teams, their memberships and members' schedules."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from cal_mcp.sandbox.errors import bad_request, not_found
from cal_mcp.sandbox.http import Endpoint, given_fields, json_body, ok, path_int, query_int, state_of
from cal_mcp.sandbox.routes import team_requests as tr
from cal_mcp.sandbox.routes.plat_common import org_id_of, paging
from cal_mcp.sandbox.routes.team_common import new_team
from cal_mcp.sandbox.state import USER_ID
from cal_mcp.sandbox.stores import team_event_types as team_events
from cal_mcp.sandbox.stores.schedules import member_schedules_for_team
from cal_mcp.sandbox.stores.teams import (
    add_membership,
    delete_team,
    membership_of,
    membership_out,
    team_memberships,
    team_out,
    update_membership,
)
from cal_mcp.sandbox.stores.users import user_record

_BASE = "/v2/organizations/{orgId}/teams"


def _org_teams(request: Request, org_id: int) -> list[dict]:
    teams = state_of(request).table("teams").values()
    return sorted((t for t in teams if t.get("parentId") == org_id and not t.get("isOrganization")),
                  key=lambda t: t["id"])


async def list_teams(request: Request) -> JSONResponse:
    org_id = org_id_of(request)
    skip, take = paging(request)
    return ok([team_out(t) for t in _org_teams(request, org_id)[skip : skip + take]])


async def my_teams(request: Request) -> JSONResponse:
    org_id = org_id_of(request)
    skip, take = paging(request)
    state = state_of(request)
    mine = [t for t in _org_teams(request, org_id) if membership_of(state, t["id"], USER_ID)]
    return ok([team_out(t) for t in mine[skip : skip + take]])


async def create_team(request: Request) -> JSONResponse:
    org_id = org_id_of(request)
    body = given_fields(await json_body(request))
    return ok(team_out(new_team(state_of(request), body, org_id)), status=201)


async def get_team(request: Request) -> JSONResponse:
    _, team = tr.org_team_of(request)
    return ok(team_out(team))


async def patch_team(request: Request) -> JSONResponse:
    state, team = tr.org_team_of(request)
    return await tr.patch_team(request, state, team)


async def remove_team(request: Request) -> JSONResponse:
    state, team = tr.org_team_of(request)
    return ok(team_out(delete_team(state, team["id"])))


async def list_memberships(request: Request) -> JSONResponse:
    state, team = tr.org_team_of(request)
    skip, take = paging(request)
    return ok([membership_out(state, m) for m in team_memberships(state, team["id"])[skip : skip + take]])


async def create_membership(request: Request) -> JSONResponse:
    state, team = tr.org_team_of(request)
    org_id = team["parentId"]  # the guard made sure it is the path's {orgId}
    body = given_fields(await json_body(request))
    if user_record(state, body["userId"]) and membership_of(state, org_id, body["userId"]) is None:
        raise bad_request(f"User with id={body['userId']} is not a member of organization id={org_id}.")
    return ok(membership_out(state, add_membership(state, team["id"], body)), status=201)


async def get_membership(request: Request) -> JSONResponse:
    state, team = tr.org_team_of(request)
    return ok(membership_out(state, tr.membership_in(request, state, team["id"])))


async def patch_membership(request: Request) -> JSONResponse:
    state, team = tr.org_team_of(request)
    membership, body = await tr.membership_patch(request, state, team["id"])
    update_membership(membership, body)
    return ok(membership_out(state, membership))


async def delete_membership(request: Request) -> JSONResponse:
    state, team = tr.org_team_of(request)
    return tr.delete_membership(request, state, team["id"])


async def member_schedules(request: Request) -> JSONResponse:
    state, team = tr.org_team_of(request)
    user_id = path_int(request, "userId")
    if membership_of(state, team["id"], user_id) is None:
        raise not_found(f"User with id={user_id} is not a member of team id={team['id']}.")
    event_type_id = query_int(request, "eventTypeId", None)
    event = team_events.find_event_type(state, team["id"], event_type_id) if event_type_id is not None else None
    return ok(member_schedules_for_team(state, user_id, event))


# /teams/me must precede /teams/{teamId}; /teams/event-types lives in org_event_types, listed earlier.
# Cal's operationId → handler; app.py serves each at its operation's method and path (cal_api_facts.json).
HANDLERS: dict[str, Endpoint] = {
    "OrganizationsTeamsController_getAllTeams": list_teams,
    "OrganizationsTeamsController_createTeam": create_team,
    "OrganizationsTeamsController_getMyTeams": my_teams,
    "OrganizationsTeamsController_getTeam": get_team,
    "OrganizationsTeamsController_updateTeam": patch_team,
    "OrganizationsTeamsController_deleteTeam": remove_team,
    "OrganizationsTeamsMembershipsController_getAllOrgTeamMemberships": list_memberships,
    "OrganizationsTeamsMembershipsController_createOrgTeamMembership": create_membership,
    "OrganizationsTeamsMembershipsController_getOrgTeamMembership": get_membership,
    "OrganizationsTeamsMembershipsController_updateOrgTeamMembership": patch_membership,
    "OrganizationsTeamsMembershipsController_deleteOrgTeamMembership": delete_membership,
    "OrganizationsTeamsSchedulesController_getUserSchedules": member_schedules,
}
