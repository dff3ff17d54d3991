"""/v2/organizations/{orgId}/…/schedules: availability schedules of organization members.

The records and their lookups live in ``stores.schedules``; this module serves them.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from cal_mcp.sandbox.http import Endpoint, given_fields, json_body, ok, path_int, state_of
from cal_mcp.sandbox.routes.plat_common import org_id_of, paging
from cal_mcp.sandbox.routes.team_common import WEEKDAYS
from cal_mcp.sandbox.state import USER_ID
from cal_mcp.sandbox.stores.records import next_free_id
from cal_mcp.sandbox.stores.schedules import find_schedule, make_default, schedule_out, schedules_of, table_for
from cal_mcp.sandbox.stores.teams import org_user
from cal_mcp.sandbox.stores.users import user_record

_BASE = "/v2/organizations/{orgId}/users/{userId}/schedules"
DEFAULT_AVAILABILITY = [{"days": list(WEEKDAYS[:5]), "startTime": "09:00", "endTime": "17:00"}]


def _given(body: dict[str, Any]) -> dict[str, Any]:
    """The body's fields with values (null is IsOptional's "not given"), override dates as days.

    The request gate checked the shape (CreateScheduleInput_2024_06_11 / UpdateScheduleInput_2024_06_11);
    Cal takes any ISO 8601 date string for an override and stores its day."""
    given = given_fields(body)
    if "overrides" in given:
        given["overrides"] = [{**o, "date": o["date"][:10]} for o in given["overrides"]]
    return given


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
    body = _given(await json_body(request))
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
    body = _given(await json_body(request))
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
