"""/v2/organizations/{orgId}/…/schedules: availability schedules of organization members.

The records and their lookups live in ``stores.schedules``; this module checks bodies and serves them.
"""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request
from starlette.responses import JSONResponse

from cal_mcp.sandbox.errors import bad_request
from cal_mcp.sandbox.http import Endpoint, json_body, ok, path_int, state_of
from cal_mcp.sandbox.routes.plat_common import is_bool, is_obj, list_of, non_empty_str, org_id_of, paging, validate
from cal_mcp.sandbox.routes.team_common import WEEKDAYS
from cal_mcp.sandbox.state import USER_ID
from cal_mcp.sandbox.stores.records import next_free_id
from cal_mcp.sandbox.stores.schedules import find_schedule, make_default, schedule_out, schedules_of, table_for
from cal_mcp.sandbox.stores.teams import org_user
from cal_mcp.sandbox.stores.users import user_record

_BASE = "/v2/organizations/{orgId}/users/{userId}/schedules"
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FIELDS = {"name": non_empty_str, "timeZone": non_empty_str, "availability": list_of(is_obj),
          "isDefault": is_bool, "overrides": list_of(is_obj)}
DEFAULT_AVAILABILITY = [{"days": list(WEEKDAYS[:5]), "startTime": "09:00", "endTime": "17:00"}]


def _check_slots(body: dict[str, Any]) -> None:
    errors: list[str] = []
    try:
        ZoneInfo(body.get("timeZone") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        errors.append("timeZone must be a valid IANA time zone")
    for slot in body.get("availability", []):
        days = slot.get("days")
        if not isinstance(days, list) or not days or any(d not in WEEKDAYS for d in days):
            errors.append(f"availability.days must be a non-empty list of: {', '.join(WEEKDAYS)}")
    for slot in body.get("overrides", []):
        if not _DATE.match(str(slot.get("date", ""))):
            errors.append("overrides.date must be in YYYY-MM-DD format")
    for slot in body.get("availability", []) + body.get("overrides", []):
        start, end = str(slot.get("startTime", "")), str(slot.get("endTime", ""))
        if not (_TIME.match(start) and _TIME.match(end)):
            errors.append("startTime and endTime must be in HH:MM format")
        elif start >= end:
            errors.append(f"startTime {start} must be before endTime {end}")
    if errors:
        raise bad_request(", ".join(errors), errors)


async def list_org_schedules(request: Request) -> JSONResponse:
    org_id = org_id_of(request)
    state = state_of(request)
    skip, take = paging(request)
    members = sorted(m["userId"] for m in state.table("memberships").values() if m["teamId"] == org_id)
    rows = [schedule_out(s) for user_id in members for s in schedules_of(state, user_id)]
    return ok(rows[skip : skip + take])


async def list_user_schedules(request: Request) -> JSONResponse:
    org_id_of(request)
    state = state_of(request)
    user = org_user(state, path_int(request, "userId"))
    return ok([schedule_out(s) for s in schedules_of(state, user["id"])])


async def create_user_schedule(request: Request) -> JSONResponse:
    org_id_of(request)
    state = state_of(request)
    user = org_user(state, path_int(request, "userId"))
    body = await json_body(request)
    validate(body, FIELDS, ("name", "timeZone", "isDefault"))
    _check_slots(body)
    table_name = "schedules" if user["id"] == USER_ID else "org_user_schedules"
    schedule = {
        "id": next_free_id(state, table_name, 1 if user["id"] == USER_ID else 7001),
        "ownerId": user["id"],
        "name": body["name"],
        "timeZone": body["timeZone"],
        "availability": body.get("availability", DEFAULT_AVAILABILITY),
        "isDefault": body["isDefault"],
        "overrides": body.get("overrides", []),
    }
    state.table(table_name)[schedule["id"]] = schedule
    if body["isDefault"] or not any(s.get("isDefault") for s in schedules_of(state, user["id"])):
        make_default(state, user["id"], schedule["id"])
    return ok(schedule_out(schedule), status=201)


async def get_user_schedule(request: Request) -> JSONResponse:
    org_id_of(request)
    state = state_of(request)
    user = org_user(state, path_int(request, "userId"))
    return ok(schedule_out(find_schedule(state, user["id"], path_int(request, "scheduleId"))))


async def patch_user_schedule(request: Request) -> JSONResponse:
    org_id_of(request)
    state = state_of(request)
    user = org_user(state, path_int(request, "userId"))
    schedule = find_schedule(state, user["id"], path_int(request, "scheduleId"))
    body = await json_body(request)
    validate(body, FIELDS)
    _check_slots(body)
    for key in ("name", "timeZone", "availability", "overrides"):
        if key in body:
            schedule[key] = body[key]
    if body.get("isDefault"):
        make_default(state, user["id"], schedule["id"])
    return ok(schedule_out(schedule))


async def delete_user_schedule(request: Request) -> JSONResponse:
    org_id_of(request)
    state = state_of(request)
    user = org_user(state, path_int(request, "userId"))
    schedule = find_schedule(state, user["id"], path_int(request, "scheduleId"))
    del table_for(state, user["id"])[schedule["id"]]
    if schedule.get("isDefault"):
        owner = user_record(state, user["id"])
        if owner is not None and owner.get("defaultScheduleId") == schedule["id"]:
            owner["defaultScheduleId"] = None
    return JSONResponse({"status": "success"})


# Cal's operationId → handler; app.py serves each at its operation's method and path (cal_api_facts.json).
HANDLERS: dict[str, Endpoint] = {
    "OrganizationsSchedulesController_getOrganizationSchedules": list_org_schedules,
    "OrganizationsSchedulesController_getUserSchedules": list_user_schedules,
    "OrganizationsSchedulesController_createUserSchedule": create_user_schedule,
    "OrganizationsSchedulesController_getUserSchedule": get_user_schedule,
    "OrganizationsSchedulesController_updateUserSchedule": patch_user_schedule,
    "OrganizationsSchedulesController_deleteUserSchedule": delete_user_schedule,
}
