"""/v2/organizations/{orgId}/users…: the organization's users (accounts plus their org profile)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from cal_mcp.sandbox.errors import CalHTTPError, bad_request, forbidden
from cal_mcp.sandbox.http import Endpoint, json_body, ok, path_int, query_int, query_list, state_of
from cal_mcp.sandbox.routes.plat_common import (
    anything,
    enum,
    is_bool,
    is_email,
    is_hex_color,
    is_num,
    is_obj,
    is_str,
    is_url,
    non_empty_str,
    nullable,
    org_id_of,
    validate,
)
from cal_mcp.sandbox.routes.team_common import WEEKDAYS
from cal_mcp.sandbox.state import ORG_ID, USER_ID, SandboxState
from cal_mcp.sandbox.stores.org_attributes import assignments_of, drop_assignments
from cal_mcp.sandbox.stores.records import iso, next_free_id, slugify
from cal_mcp.sandbox.stores.teams import add_membership, membership_of, org_user
from cal_mcp.sandbox.stores.users import all_users, user_record

_BASE = "/v2/organizations/{orgId}/users"
CREATE_FIELDS = {
    "email": is_email,
    "username": non_empty_str,
    "weekday": enum(*WEEKDAYS),
    "brandColor": is_hex_color,
    "bio": is_str,
    "metadata": is_obj,
    "darkBrandColor": is_hex_color,
    "hideBranding": is_bool,
    "timeZone": is_str,
    "theme": nullable(is_str),
    "appTheme": nullable(is_str),
    "timeFormat": enum(12, 24),
    "defaultScheduleId": is_num,
    "locale": nullable(is_str),
    "avatarUrl": is_url,
    "organizationRole": enum("MEMBER", "ADMIN", "OWNER"),
    "autoAccept": is_bool,
}
# Cal's UpdateOrganizationUserInput is a partial of the create input (its schema lost its properties).
UPDATE_FIELDS = {**{k: v for k, v in CREATE_FIELDS.items() if k not in ("organizationRole", "autoAccept")},
                 "name": nullable(is_str), "weekStart": enum(*WEEKDAYS), "allowDynamicBooking": anything}
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
    operator = request.query_params.get("attributeQueryOperator", "AND")
    if operator not in ("AND", "OR", "NONE"):
        raise bad_request("attributeQueryOperator must be one of the following values: OR, AND, NONE",
                          ["attributeQueryOperator must be one of the following values: OR, AND, NONE"])
    emails = {e.lower() for e in query_list(request, "emails")}
    options = set(query_list(request, "assignedOptionIds"))
    raw_team_ids = query_list(request, "teamIds")
    if any(not t.isdigit() for t in raw_team_ids):
        raise bad_request("each value in teamIds must be a number", ["each value in teamIds must be a number"])
    team_ids = {int(t) for t in raw_team_ids}
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
    body = await json_body(request)
    validate(body, CREATE_FIELDS, ("email",))
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
    body = await json_body(request)
    validate(body, UPDATE_FIELDS)
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
