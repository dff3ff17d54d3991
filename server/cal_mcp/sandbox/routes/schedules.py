"""/v2/schedules CRUD and /v2/schedules/default (cal-api-version 2024-06-11).

``isDefault`` mirrors the user's ``defaultScheduleId``: making one schedule default unmarks the
others, as Cal computes the flag from the owner's default schedule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cal_mcp.sandbox.core_checks import Field, check_fields, check_list_items, raise_if
from cal_mcp.sandbox.core_lookup import get_me
from cal_mcp.sandbox.errors import bad_request, forbidden, not_found
from cal_mcp.sandbox.http import Endpoint, json_body, ok, path_int, require_version, state_of
from cal_mcp.sandbox.slots import WEEKDAYS
from cal_mcp.sandbox.state import USER_ID
from cal_mcp.sandbox.stores.event_types import EVENT_TYPES_TABLE
from cal_mcp.sandbox.stores.schedules import SCHEDULES_TABLE, schedule_record, set_default_schedule

if TYPE_CHECKING:
    from cal_mcp.sandbox.state import SandboxState

VERSION = "2024-06-11"
DEFAULT_AVAILABILITY = [
    {"days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"], "startTime": "09:00", "endTime": "17:00"}
]
AVAILABILITY_FIELDS = {
    "days": Field("array", required=True),
    "startTime": Field("hhmm", required=True),
    "endTime": Field("hhmm", required=True),
}
OVERRIDE_FIELDS = {
    "date": Field("date", required=True),
    "startTime": Field("hhmm", required=True),
    "endTime": Field("hhmm", required=True),
}
SCHEDULE_FIELDS = {
    "name": Field("string", required=True),
    "timeZone": Field("tz", required=True),
    "isDefault": Field("bool", required=True),
    "availability": Field("array"),
    "overrides": Field("array"),
}


def _day_problems(item: dict[str, Any], path: str) -> list[str]:
    days = item.get("days")
    if not isinstance(days, list):
        return []
    problems = []
    if not days:
        problems.append(f"{path}days should not be empty")
    if any(day not in WEEKDAYS for day in days):
        problems.append(f"{path}days must be one of the following values: {', '.join(WEEKDAYS)}")
    return problems


def _check_schedule_body(body: dict[str, Any], *, partial: bool) -> None:
    fields = {k: Field(f.kind, required=f.required and not partial) for k, f in SCHEDULE_FIELDS.items()}
    messages = check_fields(body, fields)
    if isinstance(body.get("name"), str) and not body["name"].strip():
        messages.append("name should not be empty")
    messages += check_list_items(body.get("availability"), AVAILABILITY_FIELDS, "availability", _day_problems)
    messages += check_list_items(body.get("overrides"), OVERRIDE_FIELDS, "overrides")
    raise_if(messages)


def _clean_availability(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Days come back in week order, without repeats, as Cal stores them as day numbers.
    return [
        {"days": [d for d in WEEKDAYS if d in item["days"]], "startTime": item["startTime"], "endTime": item["endTime"]}
        for item in items
    ]


def _clean_overrides(items: list[dict[str, Any]]) -> list[dict[str, str]]:
    cleaned = [{"date": i["date"], "startTime": i["startTime"], "endTime": i["endTime"]} for i in items]
    return sorted(cleaned, key=lambda o: (o["date"], o["startTime"]))


def _owned(state: SandboxState, schedule_id: int) -> dict[str, Any]:
    schedule = state.table(SCHEDULES_TABLE).get(schedule_id)
    if schedule is None:
        raise not_found(f"Schedule with ID={schedule_id} does not exist.")
    if schedule["ownerId"] != USER_ID:
        raise forbidden(f"User with ID={USER_ID} does not own schedule with ID={schedule_id}")
    return schedule


async def create_schedule(request: Request) -> Response:
    require_version(request, VERSION)
    state = state_of(request)
    body = await json_body(request)
    _check_schedule_body(body, partial=False)
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
    require_version(request, VERSION)
    schedules = state_of(request).table(SCHEDULES_TABLE)
    return ok([dict(s) for _, s in sorted(schedules.items()) if s["ownerId"] == USER_ID])


async def get_default_schedule(request: Request) -> Response:
    require_version(request, VERSION)
    state = state_of(request)
    default_id = get_me(state).get("defaultScheduleId")
    schedule = state.table(SCHEDULES_TABLE).get(default_id)
    return ok(dict(schedule) if schedule else None)


async def get_schedule(request: Request) -> Response:
    require_version(request, VERSION)
    return ok(dict(_owned(state_of(request), path_int(request, "scheduleId"))))


async def update_schedule(request: Request) -> Response:
    require_version(request, VERSION)
    state = state_of(request)
    schedule = _owned(state, path_int(request, "scheduleId"))
    body = await json_body(request)
    _check_schedule_body(body, partial=True)
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
    require_version(request, VERSION)
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
