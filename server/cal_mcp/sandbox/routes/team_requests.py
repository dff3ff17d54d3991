"""Request steps shared by the team-shaped routes: /v2/teams, the org's teams and the org's memberships.

The routes differ in who may act (a team role, or being the organization's admin) and in a few extra
rules; once the team is resolved, updating it and finding, patching or deleting one of its memberships
is the same everywhere, so it lives here once.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from cal_mcp.sandbox.http import given_fields, json_body, ok, path_int, state_of
from cal_mcp.sandbox.routes.plat_common import org_id_of
from cal_mcp.sandbox.routes.team_common import update_team
from cal_mcp.sandbox.state import SandboxState
from cal_mcp.sandbox.stores.teams import (
    ROLES,
    find_membership,
    membership_out,
    require_org_team,
    require_role,
    team_out,
)

Record = dict[str, Any]


def team_of(request: Request, roles: tuple[str, ...] = ROLES) -> tuple[SandboxState, Record]:
    """/v2/teams/{teamId}: the team (404) when the caller holds one of ``roles`` in it (403)."""
    state = state_of(request)
    return state, require_role(state, path_int(request, "teamId"), roles)


def org_team_of(request: Request) -> tuple[SandboxState, Record]:
    """/v2/organizations/{orgId}/teams/{teamId}: the caller must administer the org (403), and the team
    must exist (404) and belong to it (403)."""
    org_id = org_id_of(request)
    state = state_of(request)
    return state, require_org_team(state, org_id, path_int(request, "teamId"))


async def patch_team(request: Request, state: SandboxState, team: Record) -> JSONResponse:
    update_team(state, team, given_fields(await json_body(request)))
    return ok(team_out(team))


def membership_in(request: Request, state: SandboxState, team_id: int) -> Record:
    """The {membershipId} of the path, 404 unless it is a membership of ``team_id``."""
    return find_membership(state, team_id, path_int(request, "membershipId"))


async def membership_patch(request: Request, state: SandboxState, team_id: int) -> tuple[Record, Record]:
    """The membership to patch (404) and the patch body the gate checked; the caller applies its own
    rules, then ``update_membership``."""
    membership = membership_in(request, state, team_id)
    return membership, given_fields(await json_body(request))


def delete_membership(request: Request, state: SandboxState, team_id: int) -> JSONResponse:
    membership = membership_in(request, state, team_id)
    del state.table("memberships")[membership["id"]]
    return ok(membership_out(state, membership))
