"""Team and membership request bodies (Cal's DTOs) and the writes that copy them onto a team,
shared by /v2/teams and org routes. The records and their lookups live in ``stores.teams``.
"""

from __future__ import annotations

from typing import Any

from cal_mcp.sandbox.errors import bad_request
from cal_mcp.sandbox.routes.plat_common import (
    anything,
    enum,
    is_bool,
    is_hex_color,
    is_int,
    is_obj,
    is_str,
    is_url,
    non_empty_str,
)
from cal_mcp.sandbox.state import USER_ID, SandboxState
from cal_mcp.sandbox.stores.records import next_free_id, slugify
from cal_mcp.sandbox.stores.teams import ROLES, add_membership

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

TEAM_FIELDS = {
    "name": non_empty_str,
    "slug": is_str,
    "logoUrl": is_url,
    "calVideoLogo": is_url,
    "appLogo": is_url,
    "appIconLogo": is_url,
    "bio": is_str,
    "hideBranding": is_bool,
    "isPrivate": is_bool,
    "hideBookATeamMember": is_bool,
    "metadata": is_obj,
    "theme": is_str,
    "brandColor": is_hex_color,
    "darkBrandColor": is_hex_color,
    "bannerUrl": is_url,
    "timeFormat": enum(12, 24),
    "timeZone": is_str,
    "weekStart": enum(*WEEKDAYS),
}
CREATE_TEAM_FIELDS = {**TEAM_FIELDS, "autoAcceptCreator": is_bool}
UPDATE_TEAM_FIELDS = {**TEAM_FIELDS, "bookingLimits": anything, "includeManagedEventsInLimits": is_bool}

MEMBERSHIP_FIELDS = {
    "userId": is_int,
    "accepted": is_bool,
    "role": enum(*ROLES),
    "disableImpersonation": is_bool,
}
MEMBERSHIP_UPDATE_FIELDS = {k: v for k, v in MEMBERSHIP_FIELDS.items() if k != "userId"}


def new_team(state: SandboxState, body: dict[str, Any], parent_id: int | None) -> dict[str, Any]:
    """Create a team with the caller as its (accepted, unless told otherwise) owner."""
    slug = body.get("slug") or slugify(body["name"])
    siblings = [t for t in state.table("teams").values() if t.get("parentId") == parent_id]
    if any(t.get("slug") == slug for t in siblings):
        raise bad_request(f"Team with slug '{slug}' already exists.")
    team: dict[str, Any] = {
        "id": next_free_id(state, "teams", 601),
        "parentId": parent_id,
        "name": body["name"],
        "slug": slug,
        "isOrganization": False,
        "hideBranding": False,
        "isPrivate": False,
        "hideBookATeamMember": False,
        "metadata": {},
        "timeFormat": 24,
        "timeZone": "Europe/London",
        "weekStart": "Monday",
    }
    for key in TEAM_FIELDS:
        if key in body and key != "slug":
            team[key] = body[key]
    state.table("teams")[team["id"]] = team
    owner = {"userId": USER_ID, "role": "OWNER", "accepted": body.get("autoAcceptCreator", True)}
    add_membership(state, team["id"], owner)
    return team


def update_team(state: SandboxState, team: dict[str, Any], body: dict[str, Any]) -> None:
    if "slug" in body:
        clash = any(
            t["id"] != team["id"] and t.get("parentId") == team.get("parentId") and t.get("slug") == body["slug"]
            for t in state.table("teams").values()
        )
        if clash:
            raise bad_request(f"Team with slug '{body['slug']}' already exists.")
    for key, value in body.items():
        if key in TEAM_FIELDS:
            team[key] = value
        else:  # accepted by Cal's DTO but not part of the team output
            team.setdefault("_settings", {})[key] = value


