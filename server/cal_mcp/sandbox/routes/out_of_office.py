"""/v2/organizations/{orgId}/users/{userId}/ooo and /v2/organizations/{orgId}/ooo: out-of-office entries.

Cal's ``OrganizationsUsersOOOController`` over ``UserOOOService`` (``apps/api/v2/src/modules/ooo``): the
request gate has checked the body (CreateOutOfOfficeEntryDto / UpdateOutOfOfficeEntryDto, their strict
UTC date-time format included); this module applies the service's rules and keeps the entries, which
also make their user unavailable (``availability.busy_for_host``).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from cal_mcp.sandbox.errors import not_found
from cal_mcp.sandbox.http import Endpoint, given_fields, json_body, ok, path_int, state_of
from cal_mcp.sandbox.routes.plat_common import org_id_of, paging
from cal_mcp.sandbox.state import SandboxState
from cal_mcp.sandbox.stores.out_of_office import (
    OOO_TABLE,
    add_entry,
    check_entry,
    day_end,
    day_start,
    entries_of,
    ooo_out,
    sort_entries,
)
from cal_mcp.sandbox.stores.records import iso_ms
from cal_mcp.sandbox.stores.teams import org_user
from cal_mcp.sandbox.stores.users import all_users


def _org_member_ids(state: SandboxState, org_id: int) -> set[int]:
    return {m["userId"] for m in state.table("memberships").values() if m["teamId"] == org_id and m["accepted"]}


def _listed(request: Request, rows: list[dict[str, Any]]) -> JSONResponse:
    params = request.query_params
    skip, take = paging(request)
    ordered = sort_entries(rows, params.get("sortStart"), params.get("sortEnd"))
    return ok([ooo_out(r) for r in ordered[skip : skip + take]])


def _entry(state: SandboxState, user_id: int, ooo_id: int) -> dict[str, Any]:
    entry = state.table(OOO_TABLE).get(ooo_id)
    if entry is None or entry["userId"] != user_id:
        raise not_found(f"OOO entry with id={ooo_id} not found for user id={user_id}.")
    return entry


async def list_user_ooo(request: Request) -> JSONResponse:
    org_id_of(request)
    state = state_of(request)
    user = org_user(state, path_int(request, "userId"))
    return _listed(request, entries_of(state, {user["id"]}))


async def list_org_ooo(request: Request) -> JSONResponse:
    org_id = org_id_of(request)
    state = state_of(request)
    members = _org_member_ids(state, org_id)
    email = request.query_params.get("email")
    if email is not None:
        # Only a user of the organization can be filtered on; anyone else yields nothing.
        members &= {u["id"] for u in all_users(state) if str(u.get("email", "")).lower() == email.lower()}
    return _listed(request, entries_of(state, members))


async def create_user_ooo(request: Request) -> JSONResponse:
    org_id = org_id_of(request)
    state = state_of(request)
    user = org_user(state, path_int(request, "userId"))
    body = given_fields(await json_body(request))
    start, end = day_start(body["start"]), day_end(body["end"])
    check_entry(state, user["id"], start, end, body.get("toUserId"), eligible=_org_member_ids(state, org_id))
    entry = add_entry(state, user["id"], start, end, notes=body.get("notes"), to_user_id=body.get("toUserId"),
                      reason=body.get("reason"))
    return ok(ooo_out(entry), status=201)


async def update_user_ooo(request: Request) -> JSONResponse:
    org_id = org_id_of(request)
    state = state_of(request)
    user = org_user(state, path_int(request, "userId"))
    entry = _entry(state, user["id"], path_int(request, "oooId"))
    body = given_fields(await json_body(request))
    start = day_start(body["start"]) if "start" in body else None
    end = day_end(body["end"]) if "end" in body else None
    check_entry(state, user["id"], start, end, body.get("toUserId"), ignore_id=entry["id"],
                eligible=_org_member_ids(state, org_id))
    if start is not None and end is not None:
        entry["start"], entry["end"] = iso_ms(start), iso_ms(end)
    for key in ("notes", "toUserId", "reason"):
        if key in body:
            entry[key] = body[key]
    return ok(ooo_out(entry))


async def delete_user_ooo(request: Request) -> JSONResponse:
    org_id_of(request)
    state = state_of(request)
    user = org_user(state, path_int(request, "userId"))
    entry = _entry(state, user["id"], path_int(request, "oooId"))
    del state.table(OOO_TABLE)[entry["id"]]
    return ok(ooo_out(entry))


# Cal's operationId → handler; app.py serves each at its operation's method and path (cal_api_facts.json).
HANDLERS: dict[str, Endpoint] = {
    "OrganizationsUsersOOOController_getOrganizationUserOOO": list_user_ooo,
    "OrganizationsUsersOOOController_createOrganizationUserOOO": create_user_ooo,
    "OrganizationsUsersOOOController_updateOrganizationUserOOO": update_user_ooo,
    "OrganizationsUsersOOOController_deleteOrganizationUserOOO": delete_user_ooo,
    "OrganizationsUsersOOOController_getOrganizationUsersOOO": list_org_ooo,
}
