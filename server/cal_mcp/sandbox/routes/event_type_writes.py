"""Event type writes the seed tools lack: POST and PATCH /v2/event-types (cal-api-version
2024-06-14), PATCH /v2/teams/{teamId}/event-types/{eventTypeId}, and PATCH and DELETE of an organization
team's event type. The request gate has checked the bodies (UpdateEventTypeInput_2024_06_14 and friends,
plus the tool specs' calRules); these handlers keep Cal's service rules: owner, slug, schedule, hosts.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from cal_mcp.sandbox.core_lookup import get_me
from cal_mcp.sandbox.errors import bad_request, forbidden, not_found
from cal_mcp.sandbox.http import Endpoint, given_fields, json_body, ok, path_int, state_of
from cal_mcp.sandbox.routes import team_requests as tr
from cal_mcp.sandbox.state import ORG_SLUG, USER_ID, USERNAME, SandboxState
from cal_mcp.sandbox.stores import team_event_types as team_events
from cal_mcp.sandbox.stores.event_types import EVENT_TYPES_TABLE, default_booking_fields, event_type_record
from cal_mcp.sandbox.stores.records import next_free_id
from cal_mcp.sandbox.stores.schedules import SCHEDULES_TABLE
from cal_mcp.sandbox.stores.teams import ADMIN_ROLES

Record = dict[str, Any]
FIRST_USER_EVENT_TYPE_ID = 101
# Cal's system booking fields; a caller's field with one of these slugs edits it rather than adding one.
SYSTEM_SLUGS = {"name", "email", "location", "title", "notes", "guests", "rescheduleReason"}
# Body fields stored as given (the gate checked their shapes).
PLAIN_FIELDS = ("title", "lengthInMinutes", "description", "locations", "minimumBookingNotice",
                "beforeEventBuffer", "afterEventBuffer", "hidden")
SLUG_TAKEN = "User already has an event type with this slug."  # event-types.service.ts, checkCanCreateEventType


def _custom_field(field: Record) -> Record:
    """A caller's booking question as Cal outputs it (transformers/internal-to-api/booking-fields.ts)."""
    return {"isDefault": False, "hidden": False, **field}


def _check_unique_slugs(fields: list[Record]) -> None:
    """InputBookingFieldValidator_2024_06_14 (event-types_2024_06_14/inputs/booking-fields.input.ts) refuses a
    repeated slug; a rule across list items, which the request gate's per-item checks cannot state."""
    seen: set[str] = set()
    for field in fields:
        if field["slug"] in seen:
            message = f"Duplicate bookingFields slug '{field['slug']}' found. All bookingFields slugs must be unique."
            raise bad_request(message, [message])
        seen.add(field["slug"])


def _settings(body: Record, *, disable_guests: bool = False) -> tuple[Record, tuple[str, ...]]:
    """The stored EventTypeOutput_2024_06_14 keys for the body's fields (only those given), and the keys
    a ``{disabled: true}`` setting removes (Cal then omits them from its output)."""
    out: Record = {key: body[key] for key in PLAIN_FIELDS if key in body}
    removed: list[str] = []
    if "bookingFields" in body:
        _check_unique_slugs(body["bookingFields"])
        custom = [_custom_field(f) for f in body["bookingFields"] if f["slug"] not in SYSTEM_SLUGS]
        out["bookingFields"] = default_booking_fields(disable_guests=disable_guests, custom=custom)
    policy = body.get("confirmationPolicy")
    if policy is not None:
        if policy.get("disabled"):
            removed.append("confirmationPolicy")
        else:
            out["confirmationPolicy"] = policy
    recurrence = body.get("recurrence")
    if recurrence is not None:
        out["recurrence"] = None if recurrence.get("disabled") else recurrence
    seats = body.get("seats")
    if seats is not None:
        on = not seats.get("disabled")
        # EventTypeOutput_2024_06_14 gives seats as one object; its flat seatsPerTimeSlot stays null.
        out["seatsShowAvailabilityCount"] = seats["showAvailabilityCount"] if on else False
        if on:
            out["seats"] = {k: seats[k] for k in ("seatsPerTimeSlot", "showAttendeeInfo", "showAvailabilityCount")}
        else:
            removed.append("seats")
    return out, tuple(removed)


def _apply(record: Record, body: Record) -> None:
    settings, removed = _settings(body, disable_guests=bool(record.get("disableGuests")))
    record.update(settings)
    for key in removed:
        record.pop(key, None)


def _check_schedule(state: SandboxState, schedule_id: int | None) -> None:
    """checkUserOwnsSchedule (event-types.service.ts): the schedule must be one of the user's."""
    schedule = state.table(SCHEDULES_TABLE).get(schedule_id) if schedule_id else None
    if schedule_id and (schedule is None or schedule.get("ownerId", USER_ID) != USER_ID):
        raise not_found(f"User with ID={USER_ID} does not own schedule with ID={schedule_id}")


def _slug_taken(table: dict[Any, Record], slug: str | None, *, but: int | None = None, **scope: Any) -> bool:
    return slug is not None and any(
        et["slug"] == slug and et["id"] != but and all(et.get(k) == v for k, v in scope.items())
        for et in table.values()
    )


async def create_event_type(request: Request) -> Response:
    state = state_of(request)
    body = given_fields(await json_body(request))
    table = state.table(EVENT_TYPES_TABLE)
    if _slug_taken(table, body["slug"], ownerId=USER_ID):
        raise bad_request(SLUG_TAKEN)
    _check_schedule(state, body.get("scheduleId"))
    event_type_id = next_free_id(state, EVENT_TYPES_TABLE, FIRST_USER_EVENT_TYPE_ID)
    record = event_type_record(event_type_id, body["title"], body["slug"], body["lengthInMinutes"],
                               body.get("description", ""), owner=get_me(state))
    _apply(record, body)
    if "scheduleId" in body:
        record["scheduleId"] = body["scheduleId"]
    table[event_type_id] = record
    return ok(dict(record), status=201)


async def update_event_type(request: Request) -> Response:
    state = state_of(request)
    event_type_id = path_int(request, "eventTypeId")
    body = given_fields(await json_body(request))
    table = state.table(EVENT_TYPES_TABLE)
    record = table.get(event_type_id)
    if record is None:
        raise not_found(f"Event type with id {event_type_id} not found")
    if record.get("ownerId") != USER_ID:
        raise forbidden(f"User with ID={USER_ID} does not own event type with ID={event_type_id}")
    _check_schedule(state, body.get("scheduleId"))
    if _slug_taken(table, body.get("slug"), but=event_type_id, ownerId=USER_ID):
        raise bad_request(SLUG_TAKEN)
    _apply(record, body)
    if "scheduleId" in body:
        record["scheduleId"] = body["scheduleId"]
    if "slug" in body:
        record["slug"] = body["slug"]
        record["bookingUrl"] = f"https://{ORG_SLUG}.cal.com/{USERNAME}/{body['slug']}"
    return ok(dict(record))


def _update_team_event_type(state: SandboxState, team: Record, event: Record, body: Record) -> Record:
    """Cal's team event-type update: hosts replace the old ones and must be accepted members."""
    if _slug_taken(state.table(team_events.TABLE), body.get("slug"), but=event["id"], teamId=team["id"]):
        raise bad_request(f"Event type with slug '{body['slug']}' already exists in team id={team['id']}.")
    if "hosts" in body or body.get("assignAllTeamMembers"):
        event["hosts"] = team_events.resolve_hosts(state, team["id"], body, event["schedulingType"])
        event["assignAllTeamMembers"] = bool(body.get("assignAllTeamMembers"))
    _apply(event, body)
    if "slug" in body:
        event["slug"] = body["slug"]
    return team_events.event_type_out(state, event)


async def update_team_event_type(request: Request) -> Response:
    state, team = tr.team_of(request, ADMIN_ROLES)
    event = team_events.find_event_type(state, team["id"], path_int(request, "eventTypeId"))
    body = given_fields(await json_body(request))
    return ok(_update_team_event_type(state, team, event, body))


async def update_org_team_event_type(request: Request) -> Response:
    state, team = tr.org_team_of(request)
    event = team_events.find_event_type(state, team["id"], path_int(request, "eventTypeId"))
    body = given_fields(await json_body(request))
    return ok(_update_team_event_type(state, team, event, body))


async def delete_org_team_event_type(request: Request) -> Response:
    state, team = tr.org_team_of(request)
    event = team_events.find_event_type(state, team["id"], path_int(request, "eventTypeId"))
    team_events.delete_event_type(state, event)
    return ok({"id": event["id"], "title": event["title"]})


# Cal's operationId → handler; app.py serves each at its operation's method and path (cal_api_facts.json).
HANDLERS: dict[str, Endpoint] = {
    "EventTypesController_2024_06_14_createEventType": create_event_type,
    "EventTypesController_2024_06_14_updateEventType": update_event_type,
    "TeamsEventTypesController_updateTeamEventType": update_team_event_type,
    "OrganizationsEventTypesController_updateTeamEventType": update_org_team_event_type,
    "OrganizationsEventTypesController_deleteTeamEventType": delete_org_team_event_type,
}
