"""POST/GET /v2/bookings and GET /v2/bookings/{bookingUid} (cal-api-version 2024-08-13).

The state-changing actions on one booking (cancel, confirm, decline, reschedule, mark-absent,
reassign) live in ``booking_actions``; both share the availability rules in ``booking_flow``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from cal_mcp.sandbox import booking_flow
from cal_mcp.sandbox.booking_rules import in_status, sort_key
from cal_mcp.sandbox.core_lookup import public
from cal_mcp.sandbox.errors import bad_request
from cal_mcp.sandbox.http import (
    Endpoint,
    given_fields,
    json_body,
    ok,
    page,
    query_int,
    query_list,
    state_of,
)
from cal_mcp.sandbox.routes.booking_actions import HANDLERS as ACTION_HANDLERS
from cal_mcp.sandbox.slots import parse_instant
from cal_mcp.sandbox.stores.bookings import BOOKINGS_TABLE
from cal_mcp.sandbox.stores.team_event_types import TEAM_EVENT_TYPES_TABLE

DATE_FILTERS = {
    "afterStart": ("start", 1), "beforeEnd": ("end", -1),
    "afterCreatedAt": ("createdAt", 1), "beforeCreatedAt": ("createdAt", -1),
    "afterUpdatedAt": ("updatedAt", 1), "beforeUpdatedAt": ("updatedAt", -1),
}
SORTS = ("sortStart", "sortEnd", "sortCreated", "sortUpdatedAt")


async def create_booking(request: Request) -> Response:
    state = state_of(request)
    body = given_fields(await json_body(request))  # checked by the request gate (CreateBookingInputPipe)
    created = booking_flow.create(state, body)
    if len(created) == 1 and "recurringBookingUid" not in created[0]:
        return ok(public(created[0]), status=201)
    return ok([public(b) for b in created], status=201)


def _int_list(request: Request, name: str) -> list[int]:
    values = query_list(request, name)
    if any(not v.isdigit() for v in values):
        raise bad_request(f"{name} must be a list of integers", [f"each value in {name} must be an integer number"])
    return [int(v) for v in values]


def _matches(record: dict[str, Any], request: Request, filters: dict[str, Any]) -> bool:
    if filters["statuses"] and not any(in_status(record, s, filters["now"]) for s in filters["statuses"]):
        return False
    email = request.query_params.get("attendeeEmail")
    if email and all(a["email"].lower() != email.lower() for a in record["attendees"]):
        return False
    name = request.query_params.get("attendeeName")
    if name and all(name.lower() not in a["name"].lower() for a in record["attendees"]):
        return False
    uid = request.query_params.get("bookingUid")
    if uid and uid not in (record["uid"], record.get("recurringBookingUid")):
        return False
    if filters["event_types"] is not None and record["eventTypeId"] not in filters["event_types"]:
        return False
    for name_, (field, sign) in DATE_FILTERS.items():
        bound = filters["dates"].get(name_)
        value = parse_instant(record[field])
        if bound is not None and value is not None and (value - bound).total_seconds() * sign < 0:
            return False
    return True


def _list_filters(request: Request) -> dict[str, Any]:
    state = state_of(request)
    statuses = query_list(request, "status")
    event_types: set[int] | None = None
    wanted = _int_list(request, "eventTypeIds") + _int_list(request, "eventTypeId")
    if wanted:
        event_types = set(wanted)
    teams = set(_int_list(request, "teamsIds") + _int_list(request, "teamId"))
    if teams:
        team_types = {
            et_id for et_id, et in state.table(TEAM_EVENT_TYPES_TABLE).items() if et.get("teamId") in teams
        }
        event_types = team_types if event_types is None else event_types & team_types
    dates = {}
    for name in DATE_FILTERS:
        parsed = parse_instant(request.query_params.get(name, ""))
        if parsed is not None:  # the gate refused any other value (IsISO8601, get-bookings.input.ts)
            dates[name] = parsed
    return {"statuses": statuses, "event_types": event_types, "dates": dates, "now": state.now()}


async def list_bookings(request: Request) -> Response:
    return listed(request, list(state_of(request).table(BOOKINGS_TABLE).values()))


def listed(request: Request, candidates: list[dict[str, Any]]) -> Response:
    """Cal's booking list over ``candidates`` (the caller's scope: own, a team's, an organization's):
    the filters, sort and paging every GET …/bookings route shares."""
    take = query_int(request, "take", 100, minimum=1, maximum=250)
    skip = query_int(request, "skip", 0)
    assert take is not None and skip is not None
    filters = _list_filters(request)
    found = [b for b in candidates if _matches(b, request, filters)]
    sort = next((s for s in SORTS if s in request.query_params), None)
    if sort is not None:  # asc or desc: the gate checked the enum
        found.sort(key=sort_key(sort), reverse=request.query_params[sort] == "desc")
    else:
        # Cal lists past and cancelled bookings newest first, everything else soonest first.
        newest_first = bool(filters["statuses"]) and set(filters["statuses"]) <= {"past", "cancelled"}
        found.sort(key=sort_key("sortStart"), reverse=newest_first)
    chunk, pagination = page(found, skip, take)
    return ok([public(b) for b in chunk], pagination=pagination)


async def get_booking(request: Request) -> Response:
    return ok(booking_flow.view(state_of(request), request.path_params["bookingUid"]))


# Cal's operationId → handler; app.py serves each at its operation's method and path (cal_api_facts.json).
HANDLERS: dict[str, Endpoint] = {
    "BookingsController_2024_08_13_createBooking": create_booking,
    "BookingsController_2024_08_13_getBookings": list_bookings,
    "BookingsController_2024_08_13_getBooking": get_booking,
    **ACTION_HANDLERS,
}
