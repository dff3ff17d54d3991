"""GET/PATCH /v2/me and GET /v2/timezones (the latter is public and versionless, as in Cal)."""

from __future__ import annotations

from functools import cache
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from cal_mcp.sandbox.core_checks import Field, check_fields, raise_if
from cal_mcp.sandbox.core_lookup import get_me
from cal_mcp.sandbox.errors import not_found
from cal_mcp.sandbox.http import Endpoint, json_body, ok, state_of
from cal_mcp.sandbox.slots import WEEKDAYS
from cal_mcp.sandbox.stores.schedules import SCHEDULES_TABLE, set_default_schedule

LOCALES = (
    "ar", "ca", "de", "es", "eu", "he", "id", "ja", "lv", "pl", "ro", "sr", "th", "vi", "az", "cs", "el",
    "es-419", "fi", "hr", "it", "km", "nl", "pt", "ru", "sv", "tr", "zh-CN", "bg", "da", "en", "et", "fr",
    "hu", "iw", "ko", "no", "pt-BR", "sk", "ta", "uk", "zh-TW", "bn",
)
UPDATE_ME_FIELDS = {
    "email": Field("email"),
    "name": Field("string"),
    "timeFormat": Field("number", enum=(12, 24)),
    "defaultScheduleId": Field("int"),
    "weekStart": Field("string", enum=WEEKDAYS),
    "timeZone": Field("tz"),
    "locale": Field("string", enum=LOCALES),
    "avatarUrl": Field("string"),
    "bio": Field("string"),
    "metadata": Field("object"),
}


def _metadata_problems(metadata: Any) -> list[str]:
    """Cal's metadata limits: at most 50 keys, keys up to 40 characters, values up to 500."""
    if not isinstance(metadata, dict):
        return []
    problems = []
    if len(metadata) > 50:
        problems.append("metadata must have at most 50 keys")
    if any(len(str(k)) > 40 for k in metadata):
        problems.append("metadata keys must be at most 40 characters")
    if any(isinstance(v, str) and len(v) > 500 for v in metadata.values()):
        problems.append("metadata values must be at most 500 characters")
    return problems


async def get_my_profile(request: Request) -> Response:
    return ok(dict(get_me(state_of(request))))


async def update_my_profile(request: Request) -> Response:
    state = state_of(request)
    body = await json_body(request)
    raise_if(check_fields(body, UPDATE_ME_FIELDS) + _metadata_problems(body.get("metadata")))
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
