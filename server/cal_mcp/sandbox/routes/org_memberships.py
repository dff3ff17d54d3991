"""/v2/organizations/{orgId}/memberships…: who belongs to the organization, with which role."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from cal_mcp.sandbox.errors import bad_request
from cal_mcp.sandbox.http import Endpoint, given_fields, json_body, ok, state_of
from cal_mcp.sandbox.routes import team_requests as tr
from cal_mcp.sandbox.routes.plat_common import org_id_of, paging
from cal_mcp.sandbox.state import SandboxState
from cal_mcp.sandbox.stores.org_attributes import drop_assignments, member_attributes
from cal_mcp.sandbox.stores.teams import add_membership, membership_out, team_memberships, update_membership

_BASE = "/v2/organizations/{orgId}/memberships"


def org_membership_out(state: SandboxState, membership: dict[str, Any]) -> dict[str, Any]:
    return {**membership_out(state, membership), "attributes": member_attributes(state, membership["id"])}


def _guard_last_owner(state: SandboxState, membership: dict[str, Any], new_role: str | None) -> None:
    """Keep the sandbox usable: an organization always keeps at least one accepted owner."""
    if membership["role"] != "OWNER" or new_role == "OWNER":
        return
    owners = [m for m in team_memberships(state, membership["teamId"]) if m["role"] == "OWNER" and m["accepted"]]
    if owners == [membership]:
        raise bad_request("The organization must keep at least one owner.")


async def list_memberships(request: Request) -> JSONResponse:
    org_id = org_id_of(request)
    skip, take = paging(request)
    state = state_of(request)
    rows = team_memberships(state, org_id)[skip : skip + take]
    return ok([org_membership_out(state, m) for m in rows])


async def create_membership(request: Request) -> JSONResponse:
    org_id = org_id_of(request)
    body = given_fields(await json_body(request))
    state = state_of(request)
    return ok(org_membership_out(state, add_membership(state, org_id, body)), status=201)


async def get_membership(request: Request) -> JSONResponse:
    org_id = org_id_of(request)
    state = state_of(request)
    return ok(org_membership_out(state, tr.membership_in(request, state, org_id)))


async def patch_membership(request: Request) -> JSONResponse:
    org_id = org_id_of(request)
    state = state_of(request)
    membership, body = await tr.membership_patch(request, state, org_id)
    if "role" in body or body.get("accepted") is False:
        _guard_last_owner(state, membership, body.get("role") if body.get("accepted", True) else None)
    update_membership(membership, body)
    return ok(org_membership_out(state, membership))


async def delete_membership(request: Request) -> JSONResponse:
    org_id = org_id_of(request)
    state = state_of(request)
    membership = tr.membership_in(request, state, org_id)
    _guard_last_owner(state, membership, None)
    out = org_membership_out(state, membership)
    del state.table("memberships")[membership["id"]]
    drop_assignments(state, membership["id"])
    return ok(out)


# Cal's operationId → handler; app.py serves each at its operation's method and path (cal_api_facts.json).
HANDLERS: dict[str, Endpoint] = {
    "OrganizationsMembershipsController_getAllMemberships": list_memberships,
    "OrganizationsMembershipsController_createMembership": create_membership,
    "OrganizationsMembershipsController_getOrgMembership": get_membership,
    "OrganizationsMembershipsController_updateMembership": patch_membership,
    "OrganizationsMembershipsController_deleteMembership": delete_membership,
}
