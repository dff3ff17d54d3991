"""/v2/organizations/{orgId}/users…: the organization's users (accounts plus their org profile)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from cal_mcp.sandbox.errors import CalHTTPError, forbidden
from cal_mcp.sandbox.http import Endpoint, given_fields, json_body, ok, path_int, query_int, query_list, state_of
from cal_mcp.sandbox.routes.plat_common import org_id_of
from cal_mcp.sandbox.state import ORG_ID, USER_ID, SandboxState
from cal_mcp.sandbox.stores.org_attributes import assignments_of, drop_assignments
from cal_mcp.sandbox.stores.records import iso, next_free_id, slugify
from cal_mcp.sandbox.stores.teams import add_membership, membership_of, org_user
from cal_mcp.sandbox.stores.users import all_users, user_record

_BASE = "/v2/organizations/{orgId}/users"
_NULLABLE = ("username", "name", "emailVerified", "bio", "avatarUrl", "appTheme", "theme", "defaultScheduleId",
             "locale", "timeFormat", "brandColor", "darkBrandColor", "allowDynamicBooking", "verified", "invitedTo")


def org_user_out(state: SandboxState, user: dict[str, Any]) -> dict[str, Any]:
    """GetOrgUsersWithProfileOutput; the sandbox user's core record lacks some keys, hence defaults."""
    out: dict[str, Any] = {"id": user["id"], "email": user["email"]}
    out.update({key: user.get(key) for key in _NULLABLE})
    out.update({
        "timeZone": user.get("timeZone") or "Europe/London",
        "weekStart": user.get("weekStart") or "Monday",
        "hideBranding": bool(user.get("hideBranding", False)),
        "createdDate": user.get("createdDate") or iso(state.now() - timedelta(days=730)),
        "metadata": user.get("metadata") or {},
        "profile": {"id": user["id"] + 10000, "organizationId": ORG_ID, "userId": user["id"],
                    "username": user.get("username")},
    })
    return out


def _matches_options(state: SandboxState, user_id: int, wanted: set[str], operator: str) -> bool:
    member = membership_of(state, ORG_ID, user_id)
    have = {a["attributeOptionId"] for a in assignments_of(state, member["id"])} if member else set()
    if operator == "OR":
        return bool(have & wanted)
    if operator == "NONE":
        return not have & wanted
    return wanted <= have


async def list_users(request: Request) -> JSONResponse:
    org_id = org_id_of(request)
    state = state_of(request)
    take = query_int(request, "take", 1000, minimum=1, maximum=1000) or 1000
    skip = query_int(request, "skip", 0) or 0
    operator = request.query_params.get("attributeQueryOperator", "AND")  # AND, OR or NONE: the gate checked
    emails = {e.lower() for e in query_list(request, "emails")}
    options = set(query_list(request, "assignedOptionIds"))
    team_ids = {int(float(t)) for t in query_list(request, "teamIds")}  # numbers: the gate checked
    users = []
    member_ids = sorted(m["userId"] for m in state.table("memberships").values() if m["teamId"] == org_id)
    for user_id in member_ids:
        user = user_record(state, user_id)
        if user is None or (emails and user["email"].lower() not in emails):
            continue
        if options and not _matches_options(state, user_id, options, operator):
            continue
        if team_ids and not any(membership_of(state, t, user_id) for t in team_ids):
            continue
        users.append(org_user_out(state, user))
    return ok(users[skip : skip + take])


async def create_user(request: Request) -> JSONResponse:
    org_id = org_id_of(request)
    body = given_fields(await json_body(request))
    state = state_of(request)
    email = body["email"].lower()
    if any(u.get("email", "").lower() == email for u in all_users(state)):
        raise CalHTTPError(409, "User with the provided e-mail already exists.")
    username = body.get("username") or slugify(email.split("@")[0])
    if any(u.get("username") == username for u in all_users(state)):
        raise CalHTTPError(409, f"Username '{username}' is already taken in the organization.")
    user_id = next_free_id(state, "users", 1100)
    user = {
        "id": user_id, "username": username, "name": None, "email": email, "emailVerified": None,
        "bio": body.get("bio"), "avatarUrl": body.get("avatarUrl"), "timeZone": body.get("timeZone", "Europe/London"),
        "weekStart": body.get("weekday", "Monday"), "appTheme": body.get("appTheme"), "theme": body.get("theme"),
        "defaultScheduleId": body.get("defaultScheduleId"), "locale": body.get("locale", "en"),
        "timeFormat": body.get("timeFormat", 24), "hideBranding": body.get("hideBranding", False),
        "brandColor": body.get("brandColor"), "darkBrandColor": body.get("darkBrandColor"),
        "allowDynamicBooking": True, "createdDate": iso(state.now()), "verified": False, "invitedTo": None,
        "metadata": body.get("metadata", {}), "organizationId": org_id,
    }
    state.table("users")[user_id] = user
    add_membership(state, org_id, {"userId": user_id, "role": body.get("organizationRole", "MEMBER"),
                                   "accepted": body.get("autoAccept", True)})
    return ok(org_user_out(state, user), status=201)


async def patch_user(request: Request) -> JSONResponse:
    org_id_of(request)
    state = state_of(request)
    user = org_user(state, path_int(request, "userId"))
    # UpdateOrganizationUserInput: the gate checked the fields and stripped others; a null clears a field,
    # except the e-mail, which every user has.
    body = {k: v for k, v in (await json_body(request)).items() if not (k == "email" and v is None)}
    if "email" in body and any(u["id"] != user["id"] and u.get("email", "").lower() == body["email"].lower()
                               for u in all_users(state)):
        raise CalHTTPError(409, "User with the provided e-mail already exists.")
    for key, value in body.items():
        user["weekStart" if key == "weekday" else key] = value
    return ok(org_user_out(state, user))


async def delete_user(request: Request) -> JSONResponse:
    """Cal deletes the account itself, with its memberships; the caller cannot delete themself."""
    org_id_of(request)
    state = state_of(request)
    user_id = path_int(request, "userId")
    user = org_user(state, user_id)
    if user_id == USER_ID:
        raise forbidden("You cannot delete your own user through the organization API.")
    out = org_user_out(state, user)
    memberships = state.table("memberships")
    for membership_id in [i for i, m in memberships.items() if m["userId"] == user_id]:
        drop_assignments(state, membership_id)
        del memberships[membership_id]
    schedules = state.table("org_user_schedules")
    for schedule_id in [i for i, s in schedules.items() if s["ownerId"] == user_id]:
        del schedules[schedule_id]
    del state.table("users")[user_id]
    return ok(out)


# Cal's operationId → handler; app.py serves each at its operation's method and path (cal_api_facts.json).
HANDLERS: dict[str, Endpoint] = {
    "OrganizationsUsersController_getOrganizationsUsers": list_users,
    "OrganizationsUsersController_createOrganizationUser": create_user,
    "OrganizationsUsersController_updateOrganizationUser": patch_user,
    "OrganizationsUsersController_deleteOrganizationUser": delete_user,
}
