"""Teams and memberships as Cal stores and renders them (``teams`` and ``memberships`` tables).

Organizations are teams too (``isOrganization: true``), so org memberships live in the same
``memberships`` table as team memberships, exactly like Cal's Membership model.
"""

from __future__ import annotations

from typing import Any

from cal_mcp.sandbox.errors import bad_request, forbidden, not_found
from cal_mcp.sandbox.state import ORG_ID, USER_ID, SandboxState
from cal_mcp.sandbox.stores.records import drop_none, next_free_id
from cal_mcp.sandbox.stores.users import user_record

ROLES = ("MEMBER", "OWNER", "ADMIN")
ADMIN_ROLES = ("ADMIN", "OWNER")
_TEAM_KEYS = (
    "id", "parentId", "name", "slug", "logoUrl", "calVideoLogo", "appLogo", "appIconLogo", "bio",
    "hideBranding", "isOrganization", "isPrivate", "hideBookATeamMember", "metadata", "theme",
    "brandColor", "darkBrandColor", "bannerUrl", "timeFormat", "timeZone", "weekStart",
)


def team_out(team: dict[str, Any]) -> dict[str, Any]:
    """TeamOutputDto: unset optional properties are left out rather than sent as null."""
    return drop_none({key: team.get(key) for key in _TEAM_KEYS})


def find_team(state: SandboxState, team_id: int) -> dict[str, Any]:
    team = state.table("teams").get(team_id)
    if team is None:
        raise not_found(f"Team with id={team_id} not found.")
    return team


def membership_of(state: SandboxState, team_id: int, user_id: int = USER_ID) -> dict[str, Any] | None:
    for membership in state.table("memberships").values():
        if membership["teamId"] == team_id and membership["userId"] == user_id:
            return membership
    return None


def require_role(state: SandboxState, team_id: int, roles: tuple[str, ...] = ROLES) -> dict[str, Any]:
    """The team must exist (404) and the caller must hold one of ``roles`` in it (403)."""
    team = find_team(state, team_id)
    membership = membership_of(state, team_id)
    if membership is None or not membership["accepted"] or membership["role"] not in roles:
        needed = "member" if roles == ROLES else " or ".join(r.lower() for r in roles)
        raise forbidden(f"You must be a team {needed} of team with id={team_id} to access this resource.")
    return team


def user_summary(state: SandboxState, user_id: int) -> dict[str, Any]:
    user = user_record(state, user_id) or {"email": f"user{user_id}@sandbox.cal.test"}
    return drop_none(
        {
            "avatarUrl": user.get("avatarUrl"),
            "username": user.get("username"),
            "name": user.get("name"),
            "email": user["email"],
            "bio": user.get("bio"),
            "metadata": user.get("metadata") or {},
        }
    )


def membership_out(state: SandboxState, membership: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": membership["id"],
        "userId": membership["userId"],
        "teamId": membership["teamId"],
        "accepted": membership["accepted"],
        "role": membership["role"],
        "disableImpersonation": membership.get("disableImpersonation", False),
        "user": user_summary(state, membership["userId"]),
    }


def team_memberships(state: SandboxState, team_id: int) -> list[dict[str, Any]]:
    rows = [m for m in state.table("memberships").values() if m["teamId"] == team_id]
    return sorted(rows, key=lambda m: m["id"])


def find_membership(state: SandboxState, team_id: int, membership_id: int) -> dict[str, Any]:
    membership = state.table("memberships").get(membership_id)
    if membership is None or membership["teamId"] != team_id:
        raise not_found(f"Membership with id={membership_id} not found in team with id={team_id}.")
    return membership


def add_membership(state: SandboxState, team_id: int, body: dict[str, Any]) -> dict[str, Any]:
    user_id = body["userId"]
    if user_record(state, user_id) is None:
        raise not_found(f"User with id={user_id} not found.")
    if membership_of(state, team_id, user_id) is not None:
        raise bad_request(f"User with id={user_id} is already a member of team with id={team_id}.")
    membership = {
        "id": next_free_id(state, "memberships", 2001),
        "userId": user_id,
        "teamId": team_id,
        "accepted": body.get("accepted", False),
        "role": body.get("role", "MEMBER"),
        "disableImpersonation": body.get("disableImpersonation", False),
    }
    state.table("memberships")[membership["id"]] = membership
    return membership


def update_membership(membership: dict[str, Any], body: dict[str, Any]) -> None:
    for key in ("accepted", "role", "disableImpersonation"):
        if key in body:
            membership[key] = body[key]


def delete_team(state: SandboxState, team_id: int) -> dict[str, Any]:
    """Cal cascades: memberships, team event types (and their webhooks) and team webhooks go with the team."""
    team = state.table("teams").pop(team_id)
    event_type_ids = {e["id"] for e in state.table("team_event_types").values() if e["teamId"] == team_id}
    hooks = state.table("webhooks")
    for hook_id in [i for i, h in hooks.items() if h.get("eventTypeId") in event_type_ids]:
        del hooks[hook_id]
    for table, key in (("memberships", "teamId"), ("team_event_types", "teamId"), ("webhooks", "teamId")):
        rows = state.table(table)
        for row_id in [i for i, row in rows.items() if row.get(key) == team_id]:
            del rows[row_id]
    return team


def require_org_team(state: SandboxState, org_id: int, team_id: int) -> dict[str, Any]:
    """An org route's team: 404 if unknown, 403 if it belongs elsewhere (Cal's IsTeamInOrg guard).

    The caller is the organization's owner, and org admins may manage every team of the org."""
    team = find_team(state, team_id)
    if team.get("isOrganization") or team.get("parentId") != org_id:
        raise forbidden(
            f"IsTeamInOrg - Team with id={team_id} is not part of the organization with id={org_id}."
        )
    return team


def org_user(state: SandboxState, user_id: int) -> dict[str, Any]:
    """A user of the organization (404 unless they hold an org membership)."""
    user = user_record(state, user_id)
    if user is None or membership_of(state, ORG_ID, user_id) is None:
        raise not_found(f"User with id={user_id} not found in organization id={ORG_ID}.")
    return user
