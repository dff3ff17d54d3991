"""Read helpers over the core tables: the user, event types (user and team), schedules, hosts.

Team event types (IDs >= 9000, table ``team_event_types``) and other users are seeded by the
platform area; they are read defensively here (hosts as objects or plain usernames).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cal_mcp.sandbox.errors import not_found
from cal_mcp.sandbox.state import USER_ID, USER_TIME_ZONE
from cal_mcp.sandbox.stores.event_types import EVENT_TYPES_TABLE
from cal_mcp.sandbox.stores.schedules import SCHEDULES_TABLE
from cal_mcp.sandbox.stores.team_event_types import TEAM_EVENT_TYPES_TABLE
from cal_mcp.sandbox.stores.users import ME_TABLE

if TYPE_CHECKING:
    from cal_mcp.sandbox.state import SandboxState

Record = dict[str, Any]


def public(record: Record) -> Record:
    """The wire shape: stored records keep sandbox-only bookkeeping under keys starting with '_'."""
    return {k: v for k, v in record.items() if not k.startswith("_")}


def get_me(state: SandboxState) -> Record:
    return state.table(ME_TABLE)[USER_ID]


def event_type_by_id(state: SandboxState, event_type_id: int) -> Record | None:
    """A user event type or a team event type (team ones live in the platform's table)."""
    found = state.table(EVENT_TYPES_TABLE).get(event_type_id)
    if found is None:
        found = state.table(TEAM_EVENT_TYPES_TABLE).get(event_type_id)
    return found


def is_team_event_type(event_type: Record) -> bool:
    return "teamId" in event_type or "schedulingType" in event_type


def scheduling_type(event_type: Record) -> str:
    """'roundrobin', 'collective', 'managed' or '' (lower-cased, underscores dropped)."""
    return str(event_type.get("schedulingType") or "").replace("_", "").lower()


def requires_confirmation(event_type: Record) -> bool:
    policy = event_type.get("confirmationPolicy")
    if isinstance(policy, dict) and policy and not policy.get("disabled"):
        return True
    return bool(event_type.get("requiresConfirmation"))


def _user_tables(state: SandboxState) -> list[dict[Any, Record]]:
    return [t for name, t in state.tables.items() if ("user" in name or "member" in name) and name != ME_TABLE]


def _as_user(candidate: Any) -> Record | None:
    if isinstance(candidate, dict) and "id" in candidate and ("email" in candidate or "username" in candidate):
        return candidate
    return None


def find_user(state: SandboxState, *, user_id: int | None = None, username: str | None = None) -> Record | None:
    """A user as a booking host: id, name, email, username, timeZone (None when unknown)."""
    me = get_me(state)
    if (user_id is not None and user_id == me["id"]) or (username is not None and username == me["username"]):
        return {k: me[k] for k in ("id", "name", "email", "username", "timeZone")}
    users = state.table("users")  # the platform area's users, keyed by id
    if user_id is not None and isinstance(users.get(user_id), dict):
        return _normalise_user({"id": user_id, **users[user_id]})
    for table in _user_tables(state):
        for record in table.values():
            for candidate in (record, record.get("user") if isinstance(record, dict) else None):
                user = _as_user(candidate)
                if user is None:
                    continue
                if (user_id is not None and user.get("id") == user_id) or (
                    username is not None and user.get("username") == username
                ):
                    return _normalise_user(user)
    return None


def _normalise_user(user: Record) -> Record:
    username = user.get("username") or f"user{user['id']}"
    return {
        "id": user["id"],
        "name": user.get("name") or username,
        "email": user.get("email") or f"{username}@sandbox.cal.test",
        "username": username,
        "timeZone": user.get("timeZone") or USER_TIME_ZONE,
    }


def host_users(state: SandboxState, event_type: Record) -> list[Record]:
    """The people who can host bookings of this event type, first = preferred."""
    if not is_team_event_type(event_type):
        owner = find_user(state, user_id=event_type.get("ownerId") or USER_ID)
        return [owner] if owner else []
    hosts: list[Record] = []
    for entry in event_type.get("hosts") or []:
        user: Record | None = None
        if isinstance(entry, dict):
            user_id = entry.get("userId", entry.get("id"))
            user = find_user(state, user_id=user_id) if user_id is not None else None
            if user is None and user_id is not None:
                user = _normalise_user({**entry, "id": user_id})
        elif isinstance(entry, str):
            user = find_user(state, username=entry)
            if user is None and entry.isdigit():
                user = find_user(state, user_id=int(entry))
        if user is not None and all(h["id"] != user["id"] for h in hosts):
            hosts.append(user)
    return hosts


def schedule_for(state: SandboxState, event_type: Record | None) -> Record | None:
    """The event type's own schedule, else the user's default schedule, else any schedule."""
    schedules = state.table(SCHEDULES_TABLE)
    if event_type is not None and event_type.get("scheduleId") in schedules:
        return schedules[event_type["scheduleId"]]
    default_id = get_me(state).get("defaultScheduleId")
    if default_id in schedules:
        return schedules[default_id]
    return next((s for s in schedules.values() if s.get("ownerId") == USER_ID), None)


def host_schedule(state: SandboxState, event_type: Record | None, host_id: int) -> Record | None:
    """A team host's own default schedule (platform table ``org_user_schedules``), else ``schedule_for``."""
    if host_id != USER_ID:
        user = state.table("users").get(host_id)
        own = state.table("org_user_schedules").get(user.get("defaultScheduleId")) if isinstance(user, dict) else None
        if own is not None:
            return own
    return schedule_for(state, event_type)


def user_event_type_by_slug(state: SandboxState, username: str, slug: str) -> Record | None:
    if username != get_me(state)["username"]:
        raise not_found(f"User with username {username} not found")
    return next((et for et in state.table(EVENT_TYPES_TABLE).values() if et["slug"] == slug), None)


def team_event_type_by_slug(state: SandboxState, team_slug: str, slug: str) -> Record | None:
    teams = [t for t in state.table("teams").values() if isinstance(t, dict) and t.get("slug") == team_slug]
    if not teams:
        raise not_found(f"Team with slug {team_slug} not found")
    team_ids = {t.get("id") for t in teams}
    for event_type in state.table(TEAM_EVENT_TYPES_TABLE).values():
        if event_type.get("slug") == slug and event_type.get("teamId") in team_ids:
            return event_type
    return None
