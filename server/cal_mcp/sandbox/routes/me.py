"""GET/PATCH /v2/me and GET /v2/timezones (the latter is public and versionless, as in Cal)."""

from __future__ import annotations

from functools import cache
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from cal_mcp.sandbox.core_lookup import get_me
from cal_mcp.sandbox.errors import not_found
from cal_mcp.sandbox.http import Endpoint, given_fields, json_body, ok, state_of
from cal_mcp.sandbox.stores.schedules import SCHEDULES_TABLE, set_default_schedule


async def get_my_profile(request: Request) -> Response:
    return ok(dict(get_me(state_of(request))))


async def update_my_profile(request: Request) -> Response:
    state = state_of(request)
    body = given_fields(await json_body(request))  # shape checked by the request gate (UpdateManagedUserInput)
    me = get_me(state)
    schedules = state.table(SCHEDULES_TABLE)
    if "defaultScheduleId" in body:
        schedule_id = int(body["defaultScheduleId"])
        if schedule_id not in schedules:
            raise not_found(f"Schedule with ID={schedule_id} does not exist.")
        set_default_schedule(state, schedule_id)
    for key in ("email", "name", "timeZone", "locale", "avatarUrl", "bio", "weekStart", "metadata"):
        if key in body:
            me[key] = body[key]
    if "timeFormat" in body:
        me["timeFormat"] = int(body["timeFormat"])
    # Cal moves the default schedule to the new time zone together with the profile.
    if "timeZone" in body and me.get("defaultScheduleId") in schedules:
        schedules[me["defaultScheduleId"]]["timeZone"] = body["timeZone"]
    return ok(dict(me))


@cache
def _city_time_zones() -> tuple[dict[str, Any], ...]:
    """Cal answers with city-timezones data; the sandbox derives cities from the IANA database."""
    from zoneinfo import available_timezones

    regions = ("Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/", "Europe/",
               "Indian/", "Pacific/")
    names = _canonical_zones() or {n for n in available_timezones() if n.startswith(regions)}
    rows = [
        {"city": name.rsplit("/", 1)[-1].replace("_", " "), "timezone": name, "pop": 0}
        for name in names
        if not name.rsplit("/", 1)[-1].isupper()  # legacy aliases such as Australia/ACT
    ]
    rows.append({"city": "UTC", "timezone": "UTC", "pop": 0})
    return tuple(sorted(rows, key=lambda r: (r["city"], r["timezone"])))


def _canonical_zones() -> set[str]:
    """Zone names from the tz database's zone1970.tab (no backward-compatible links), if present."""
    from pathlib import Path
    from zoneinfo import TZPATH

    for folder in TZPATH:
        table = Path(folder) / "zone1970.tab"
        if table.is_file():
            lines = table.read_text(encoding="utf-8").splitlines()
            return {line.split("\t")[2] for line in lines if line and not line.startswith("#")}
    return set()


async def list_time_zones(request: Request) -> Response:
    return ok([dict(row) for row in _city_time_zones()])


# Cal's operationId → handler; app.py serves each at its operation's method and path (cal_api_facts.json).
HANDLERS: dict[str, Endpoint] = {
    "MeController_getMe": get_my_profile,
    "MeController_updateMe": update_my_profile,
    "TimezonesController_getTimeZones": list_time_zones,
}
