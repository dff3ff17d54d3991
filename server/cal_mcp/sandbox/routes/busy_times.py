"""GET /v2/calendars/busy-times: what the connected external calendars report as busy.

Cal reads ``calendarsToLoad`` as an array of objects, so clients send bracket parameters:
``calendarsToLoad[0][credentialId]=101&calendarsToLoad[0][externalId]=alex@…``. The spec's flattened
``credentialId``/``externalId`` names are accepted too, as one calendar.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request

from cal_mcp.sandbox.errors import bad_request, unauthorized
from cal_mcp.sandbox.state import USER_ID, SandboxState
from cal_mcp.sandbox.stores import calendars as cs

_BRACKET = re.compile(r"^calendarsToLoad\[(\d+)\]\[(credentialId|externalId)\]$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _calendars_to_load(request: Request) -> list[tuple[int, str]]:
    found: dict[int, dict[str, str]] = {}
    for name, value in request.query_params.multi_items():
        match = _BRACKET.match(name)
        if match:
            found.setdefault(int(match[1]), {})[match[2]] = value
    params = request.query_params
    if not found and params.get("credentialId") and params.get("externalId"):
        found[0] = {"credentialId": params["credentialId"], "externalId": params["externalId"]}
    if not found:
        raise bad_request("calendarsToLoad must be an array with at least one calendar",
                          ["calendarsToLoad[0][credentialId] and calendarsToLoad[0][externalId] are required"])
    calendars = []
    for index in sorted(found):
        entry = found[index]
        cred, ext = entry.get("credentialId", ""), entry.get("externalId", "")
        if not cred.isdigit() or not ext:
            raise bad_request(f"calendarsToLoad[{index}] needs a numeric credentialId and an externalId",
                              [f"calendarsToLoad.{index}.credentialId must be a number",
                               f"calendarsToLoad.{index}.externalId must be a string"])
        calendars.append((int(cred), ext))
    return calendars


def _zone(request: Request) -> ZoneInfo:
    name = request.query_params.get("timeZone") or request.query_params.get("loggedInUsersTz")
    if not name:
        raise bad_request("Either timeZone or loggedInUsersTz must be provided")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise bad_request(f"timeZone must be a valid IANA time zone, got '{name}'",
                          ["timeZone must be a valid IANA time zone"]) from None


def _day(request: Request, name: str) -> datetime:
    raw = request.query_params.get(name, "")
    try:
        if not _DAY.match(raw):
            raise ValueError
        return datetime.fromisoformat(raw)
    except ValueError:
        raise bad_request(f"{name} must be a date in YYYY-MM-DD format", [f"{name} must be a valid date"]) from None


def _wire(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _parse(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _booked(state: SandboxState, calendars: set[tuple[int, str]]) -> list[dict[str, Any]]:
    """Accepted sandbox bookings, which Cal writes to the destination calendar, are busy there too."""
    destination = state.table("destination_calendars").get(USER_ID) or cs.ensure_destination(state)
    if destination is None or (destination["credentialId"], destination["externalId"]) not in calendars:
        return []
    events = []
    for booking in state.table("bookings").values():
        start, end = _parse(booking.get("start")), _parse(booking.get("end"))
        if booking.get("status") == "accepted" and start and end:
            events.append({"start": start, "end": end, "source": None})
    return events


def busy_times(state: SandboxState, request: Request) -> list[dict[str, Any]]:
    zone = _zone(request)
    calendars = _calendars_to_load(request)
    date_from, date_to = _day(request, "dateFrom"), _day(request, "dateTo")
    if date_to < date_from:
        raise bad_request("dateTo must not be before dateFrom", ["dateTo must not be before dateFrom"])
    for credential_id, _ in calendars:
        cred = state.table("credentials").get(credential_id)
        if cred is None or cred["userId"] != USER_ID:
            raise unauthorized("These credentials do not belong to you")
    window_start = datetime.combine(date_from.date(), time.min, zone)
    window_end = datetime.combine(date_to.date() + timedelta(days=1), time.min, zone)
    wanted = set(calendars)
    events: list[tuple[datetime, datetime, Any]] = []
    for row in state.table("busy_times").values():
        start, end = _parse(row["start"]), _parse(row["end"])
        if (row["credentialId"], row["externalId"]) in wanted and start and end:
            events.append((start, end, row.get("source")))
    events += [(e["start"], e["end"], e["source"]) for e in _booked(state, wanted)]
    hits = sorted((e for e in events if e[0] < window_end and e[1] > window_start), key=lambda e: e[0])
    return [{"start": _wire(start), "end": _wire(end), "source": source} for start, end, source in hits]
