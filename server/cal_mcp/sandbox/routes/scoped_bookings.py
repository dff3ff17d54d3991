"""Bookings beyond the user's own: GET /v2/teams/{teamId}/bookings, /v2/organizations/{orgId}/bookings,
…/teams/{teamId}/bookings and …/users/{userId}/bookings. Each narrows the bookings to its scope, then
applies the filters, sort and paging of GET /v2/bookings (``routes.bookings.listed``).

A team's bookings are those of its event types; an organization's, those of its teams' event types
and those its members host; a member's, those the member hosts or attends.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from cal_mcp.sandbox.core_lookup import find_user
from cal_mcp.sandbox.errors import bad_request, not_found
from cal_mcp.sandbox.http import Endpoint, path_int, query_list, state_of
from cal_mcp.sandbox.routes import team_requests as tr
from cal_mcp.sandbox.routes.bookings import listed
from cal_mcp.sandbox.routes.plat_common import org_id_of
from cal_mcp.sandbox.state import SandboxState
from cal_mcp.sandbox.stores.bookings import BOOKINGS_TABLE
from cal_mcp.sandbox.stores.team_event_types import TEAM_EVENT_TYPES_TABLE
from cal_mcp.sandbox.stores.teams import ADMIN_ROLES, membership_of, team_memberships

Record = dict[str, Any]


def _bookings(state: SandboxState) -> list[Record]:
    return list(state.table(BOOKINGS_TABLE).values())


def _of_teams(state: SandboxState, team_ids: set[int]) -> list[Record]:
    event_types = {et_id for et_id, et in state.table(TEAM_EVENT_TYPES_TABLE).items() if et["teamId"] in team_ids}
    return [b for b in _bookings(state) if b["eventTypeId"] in event_types]


async def team_bookings(request: Request) -> Response:
    # @Roles("TEAM_ADMIN") (apps/api/v2/src/modules/teams/bookings/teams-bookings.controller.ts): admins and owners.
    state, team = tr.team_of(request, ADMIN_ROLES)
    return listed(request, _of_teams(state, {team["id"]}))


async def org_team_bookings(request: Request) -> Response:
    state, team = tr.org_team_of(request)
    return listed(request, _of_teams(state, {team["id"]}))


async def org_bookings(request: Request) -> Response:
    org_id = org_id_of(request)
    state = state_of(request)
    teams = {t["id"] for t in state.table("teams").values() if t.get("parentId") == org_id}
    members = {m["userId"] for m in team_memberships(state, org_id) if m["accepted"]}
    in_teams = {b["uid"] for b in _of_teams(state, teams)}
    found = [b for b in _bookings(state)
             if b["uid"] in in_teams or any(h["id"] in members for h in b["hosts"])]
    wanted = query_list(request, "userIds")
    if wanted:  # members' own bookings: those they host or attend
        if not all(w.isdigit() for w in wanted):
            raise bad_request("userIds must be a list of integers", ["each value in userIds must be an integer number"])
        found = [b for b in found if any(_involves(state, b, int(w)) for w in wanted)]
    return listed(request, found)


def _involves(state: SandboxState, booking: Record, user_id: int) -> bool:
    user = find_user(state, user_id=user_id)
    email = str(user.get("email", "")).lower() if user else None
    return any(h["id"] == user_id for h in booking["hosts"]) or any(
        email and a["email"].lower() == email for a in booking["attendees"])


async def org_user_bookings(request: Request) -> Response:
    org_id = org_id_of(request)
    state = state_of(request)
    user_id = path_int(request, "userId")
    member = membership_of(state, org_id, user_id)
    user = find_user(state, user_id=user_id)
    if member is None or user is None:
        raise not_found(f"User with id={user_id} is not a member of organization with id={org_id}.")
    return listed(request, [b for b in _bookings(state) if _involves(state, b, user_id)])


# Cal's operationId → handler; app.py serves each at its operation's method and path (cal_api_facts.json).
HANDLERS: dict[str, Endpoint] = {
    "TeamsBookingsController_getAllTeamBookings": team_bookings,
    "OrganizationsBookingsController_getAllOrgTeamBookings": org_bookings,
    "OrganizationsTeamsBookingsController_getAllOrgTeamBookings": org_team_bookings,
    "OrganizationsUsersBookingsController_getOrganizationUserBookings": org_user_bookings,
}
