"""Availability schedules (ScheduleOutput_2024_06_11 shape): the sandbox user's in ``schedules`` (what
/v2/schedules serves), other organization members' in ``org_user_schedules``."""

from __future__ import annotations

from typing import Any

from cal_mcp.sandbox.errors import not_found
from cal_mcp.sandbox.state import USER_ID, USER_TIME_ZONE, SandboxState
from cal_mcp.sandbox.stores.users import ME_TABLE, user_record

SCHEDULES_TABLE = "schedules"  # ScheduleOutput_2024_06_11 shape
ORG_USER_SCHEDULES_TABLE = "org_user_schedules"  # other org members' schedules, seeded by the platform seed


def schedule_record(
    schedule_id: int, name: str, availability: list[dict[str, Any]], overrides: list[dict[str, str]],
    *, is_default: bool, time_zone: str = USER_TIME_ZONE,
) -> dict[str, Any]:
    return {
        "id": schedule_id,
        "ownerId": USER_ID,
        "name": name,
        "timeZone": time_zone,
        "availability": availability,
        "isDefault": is_default,
        "overrides": overrides,
    }


def table_for(state: SandboxState, user_id: int) -> dict[Any, dict[str, Any]]:
    """The sandbox user's schedules are the core table; other members' live in ``org_user_schedules``."""
    return state.table(SCHEDULES_TABLE if user_id == USER_ID else ORG_USER_SCHEDULES_TABLE)


def schedule_out(schedule: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": schedule["id"],
        "ownerId": schedule.get("ownerId", USER_ID),
        "name": schedule["name"],
        "timeZone": schedule["timeZone"],
        "availability": schedule.get("availability", []),
        "isDefault": bool(schedule.get("isDefault", False)),
        "overrides": schedule.get("overrides", []),
    }


def schedules_of(state: SandboxState, user_id: int) -> list[dict[str, Any]]:
    rows = [s for s in table_for(state, user_id).values() if s.get("ownerId", USER_ID) == user_id]
    return sorted(rows, key=lambda s: s["id"])


def make_default(state: SandboxState, user_id: int, schedule_id: int) -> None:
    for other in schedules_of(state, user_id):
        other["isDefault"] = other["id"] == schedule_id
    user = user_record(state, user_id)
    if user is not None:
        user["defaultScheduleId"] = schedule_id


def find_schedule(state: SandboxState, user_id: int, schedule_id: int) -> dict[str, Any]:
    schedule = table_for(state, user_id).get(schedule_id)
    if schedule is None or schedule.get("ownerId", USER_ID) != user_id:
        raise not_found(f"Schedule with id={schedule_id} not found for user id={user_id}.")
    return schedule


def member_schedules_for_team(state: SandboxState, user_id: int, event: dict[str, Any] | None) -> list[dict]:
    """A team member's schedules; with an event type, the one that event type uses for them."""
    schedules = schedules_of(state, user_id)
    if event is None:
        return [schedule_out(s) for s in schedules]
    chosen = [s for s in schedules if s["id"] == event.get("scheduleId")] or \
        [s for s in schedules if s.get("isDefault")]
    return [schedule_out(s) for s in chosen]


def set_default_schedule(state: SandboxState, schedule_id: int | None) -> None:
    """Point the user's defaultScheduleId at this schedule and keep every isDefault flag in step."""
    state.table(ME_TABLE)[USER_ID]["defaultScheduleId"] = schedule_id
    for schedule in state.table(SCHEDULES_TABLE).values():
        schedule["isDefault"] = schedule["id"] == schedule_id
