"""Team member schedules and team invite links, for standalone teams (/v2/teams/{teamId}/…) and the
organization's teams (/v2/organizations/{orgId}/teams/{teamId}/…).

Cal: ``TeamsSchedulesController`` and ``TeamsInviteController`` need a team admin (``Roles("TEAM_ADMIN")``);
their organization twins need an organization admin and a team of that organization
(``OrganizationsTeamsSchedulesController``, ``OrganizationsTeamsInviteController``).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from cal_mcp.sandbox.core_lookup import event_type_by_id
from cal_mcp.sandbox.errors import not_found
from cal_mcp.sandbox.http import Endpoint, ok, query_int
from cal_mcp.sandbox.routes.plat_common import paging
from cal_mcp.sandbox.routes.team_requests import org_team_of, team_of
from cal_mcp.sandbox.state import SandboxState
from cal_mcp.sandbox.stores.schedules import member_schedules_for_team
from cal_mcp.sandbox.stores.team_invites import new_invite
from cal_mcp.sandbox.stores.teams import ADMIN_ROLES


def _member_ids(state: SandboxState, team_id: int) -> list[int]:
    return sorted(m["userId"] for m in state.table("memberships").values() if m["teamId"] == team_id and m["accepted"])


def _schedules(request: Request, state: SandboxState, team_id: int, event: dict[str, Any] | None) -> JSONResponse:
    skip, take = paging(request)
    rows = [s for user_id in _member_ids(state, team_id) for s in member_schedules_for_team(state, user_id, event)]
    return ok(rows[skip : skip + take])


async def team_schedules(request: Request) -> JSONResponse:
    state, team = team_of(request, ADMIN_ROLES)
    return _schedules(request, state, team["id"], None)


async def org_team_schedules(request: Request) -> JSONResponse:
    state, team = org_team_of(request)
    event = None
    event_type_id = query_int(request, "eventTypeId")
    if event_type_id is not None:
        # Narrowed to the schedule each member uses for one of the team's event types.
        event = event_type_by_id(state, event_type_id)
        if event is None or event.get("teamId") != team["id"]:
            raise not_found(f"Event type with id={event_type_id} not found in team id={team['id']}.")
    return _schedules(request, state, team["id"], event)


async def team_invite(request: Request) -> JSONResponse:
    state, team = team_of(request, ADMIN_ROLES)
    return ok(new_invite(state, team["id"]))


async def org_team_invite(request: Request) -> JSONResponse:
    state, team = org_team_of(request)
    return ok(new_invite(state, team["id"]))


# Cal's operationId → handler; app.py serves each at its operation's method and path (cal_api_facts.json).
HANDLERS: dict[str, Endpoint] = {
    "TeamsSchedulesController_getTeamSchedules": team_schedules,
    "OrganizationsTeamsSchedulesController_getTeamSchedules": org_team_schedules,
    "TeamsInviteController_createInvite": team_invite,
    "OrganizationsTeamsInviteController_createInvite": org_team_invite,
}
