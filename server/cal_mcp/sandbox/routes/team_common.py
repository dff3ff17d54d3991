"""The writes that copy a team request body (checked by the request gate) onto a team, shared by
/v2/teams and org routes. The records and their lookups live in ``stores.teams``.
"""

from __future__ import annotations

from typing import Any

from cal_mcp.sandbox.errors import bad_request
from cal_mcp.sandbox.state import USER_ID, SandboxState
from cal_mcp.sandbox.stores.records import next_free_id, slugify
from cal_mcp.sandbox.stores.teams import add_membership

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# The team fields Cal's CreateTeamInput / UpdateTeamDto declare that the team output shows (the gate has
# checked them); the update-only ones are kept aside in ``_settings``.
TEAM_FIELDS = (
    "name", "slug", "logoUrl", "calVideoLogo", "appLogo", "appIconLogo", "bio", "hideBranding", "isPrivate",
    "hideBookATeamMember", "metadata", "theme", "brandColor", "darkBrandColor", "bannerUrl", "timeFormat",
    "timeZone", "weekStart",
)


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


