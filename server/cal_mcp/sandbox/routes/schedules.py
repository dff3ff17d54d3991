"""/v2/schedules CRUD and /v2/schedules/default (cal-api-version 2024-06-11).

``isDefault`` mirrors the user's ``defaultScheduleId``: making one schedule default unmarks the
others, as Cal computes the flag from the owner's default schedule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cal_mcp.sandbox.core_lookup import get_me
from cal_mcp.sandbox.errors import bad_request, forbidden, not_found
from cal_mcp.sandbox.http import Endpoint, given_fields, json_body, ok, path_int, state_of
from cal_mcp.sandbox.slots import WEEKDAYS
from cal_mcp.sandbox.state import USER_ID
from cal_mcp.sandbox.stores.event_types import EVENT_TYPES_TABLE
from cal_mcp.sandbox.stores.schedules import SCHEDULES_TABLE, schedule_record, set_default_schedule

if TYPE_CHECKING:
    from cal_mcp.sandbox.state import SandboxState

DEFAULT_AVAILABILITY = [
    {"days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"], "startTime": "09:00", "endTime": "17:00"}
]


def _clean_availability(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Days come back in week order, without repeats, as Cal stores them as day numbers.
    return [
        {"days": [d for d in WEEKDAYS if d in item["days"]], "startTime": item["startTime"], "endTime": item["endTime"]}
        for item in items
    ]


def _clean_overrides(items: list[dict[str, Any]]) -> list[dict[str, str]]:
    # Cal takes any ISO 8601 date string (IsISO8601) and stores the day: a date-time keeps its date part.
    cleaned = [{"date": i["date"][:10], "startTime": i["startTime"], "endTime": i["endTime"]} for i in items]
    return sorted(cleaned, key=lambda o: (o["date"], o["startTime"]))


def _owned(state: SandboxState, schedule_id: int) -> dict[str, Any]:
    schedule = state.table(SCHEDULES_TABLE).get(schedule_id)
    if schedule is None:
        raise not_found(f"Schedule with ID={schedule_id} does not exist.")
    if schedule["ownerId"] != USER_ID:
        raise forbidden(f"User with ID={USER_ID} does not own schedule with ID={schedule_id}")
    return schedule


async def create_schedule(request: Request) -> Response:
    state = state_of(request)
    body = given_fields(await json_body(request))  # shape checked by the request gate (CreateScheduleInput_2024_06_11)
    schedule_id = state.new_id(SCHEDULES_TABLE, 201)
    record = schedule_record(
        schedule_id,
        body["name"],
        _clean_availability(body.get("availability", DEFAULT_AVAILABILITY)),
        _clean_overrides(body.get("overrides", [])),
        is_default=False,
        time_zone=body["timeZone"],
    )
    state.table(SCHEDULES_TABLE)[schedule_id] = record
    if body["isDefault"]:
        set_default_schedule(state, schedule_id)
    return ok(dict(record), status=201)


async def list_schedules(request: Request) -> Response:
    schedules = state_of(request).table(SCHEDULES_TABLE)
    return ok([dict(s) for _, s in sorted(schedules.items()) if s["ownerId"] == USER_ID])


async def get_default_schedule(request: Request) -> Response:
    state = state_of(request)
    default_id = get_me(state).get("defaultScheduleId")
    schedule = state.table(SCHEDULES_TABLE).get(default_id)
    return ok(dict(schedule) if schedule else None)


async def get_schedule(request: Request) -> Response:
    return ok(dict(_owned(state_of(request), path_int(request, "scheduleId"))))


async def update_schedule(request: Request) -> Response:
    state = state_of(request)
    schedule = _owned(state, path_int(request, "scheduleId"))
    body = given_fields(await json_body(request))  # shape checked by the request gate (UpdateScheduleInput_2024_06_11)
    for key in ("name", "timeZone"):
        if key in body:
            schedule[key] = body[key]
    if "availability" in body:
        schedule["availability"] = _clean_availability(body["availability"])
    if "overrides" in body:
        schedule["overrides"] = _clean_overrides(body["overrides"])
    # Like Cal, only isDefault: true changes anything (false leaves the default where it is).
    if body.get("isDefault") is True:
        set_default_schedule(state, schedule["id"])
    return ok(dict(schedule))


async def delete_schedule(request: Request) -> Response:
    state = state_of(request)
    schedule_id = path_int(request, "scheduleId")
    schedules = state.table(SCHEDULES_TABLE)
    if schedule_id not in schedules:
        # Cal answers 400 (not 404) here.
        raise bad_request(f"Schedule with ID={schedule_id} does not exist.")
    _owned(state, schedule_id)
    del schedules[schedule_id]
    for event_type in state.table(EVENT_TYPES_TABLE).values():
        if event_type.get("scheduleId") == schedule_id:
            event_type["scheduleId"] = None
    if get_me(state).get("defaultScheduleId") == schedule_id:
        set_default_schedule(state, min(schedules) if schedules else None)
    return JSONResponse({"status": "success"})


# Cal's operationId → handler; app.py serves each at its operation's method and path (cal_api_facts.json).
HANDLERS: dict[str, Endpoint] = {
    "SchedulesController_2024_06_11_createSchedule": create_schedule,
    "SchedulesController_2024_06_11_getSchedules": list_schedules,
    "SchedulesController_2024_06_11_getDefaultSchedule": get_default_schedule,
    "SchedulesController_2024_06_11_getSchedule": get_schedule,
    "SchedulesController_2024_06_11_updateSchedule": update_schedule,
    "SchedulesController_2024_06_11_deleteSchedule": delete_schedule,
}
