"""The sandbox user's availability schedules (``schedules`` table, ScheduleOutput_2024_06_11 shape)."""

from __future__ import annotations

from typing import Any

from cal_mcp.sandbox.state import USER_ID, USER_TIME_ZONE

SCHEDULES_TABLE = "schedules"  # ScheduleOutput_2024_06_11 shape


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
