"""Team event types (``team_event_types`` table, IDs from 9000), shared by /v2/teams and org routes.

Records are stored as ``TeamEventTypeOutput_2024_06_14`` (the 2024-06-14 wire shape); keys starting
with ``_`` are sandbox bookkeeping and never rendered.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request

from cal_mcp.sandbox.errors import bad_request, not_found
from cal_mcp.sandbox.http import query_int
from cal_mcp.sandbox.routes.plat_common import (
    anything,
    drop_none,
    enum,
    is_bool,
    is_int,
    is_num,
    is_obj,
    is_str,
    is_url,
    list_of,
    next_free_id,
    non_empty_str,
    user_record,
    validate,
)
from cal_mcp.sandbox.routes.team_common import membership_of, team_memberships
from cal_mcp.sandbox.seed_core import default_booking_fields
from cal_mcp.sandbox.state import SandboxState

TABLE = "team_event_types"
FIRST_ID = 9001

# Cal accepts the 2024-06-14 camelCase values; older clients send the Prisma enum names.
SCHEDULING_TYPES = {
    "roundRobin": "roundRobin", "ROUND_ROBIN": "roundRobin",
    "collective": "collective", "COLLECTIVE": "collective",
    "managed": "managed", "MANAGED": "managed",
}

CREATE_FIELDS = {
    "lengthInMinutes": is_num,
    "lengthInMinutesOptions": list_of(anything),
    "title": non_empty_str,
    "slug": non_empty_str,
    "description": is_str,
    "bookingFields": list_of(is_obj),
    "disableGuests": is_bool,
    "slotInterval": is_num,
    "minimumBookingNotice": is_num,
    "beforeEventBuffer": is_num,
    "afterEventBuffer": is_num,
    "scheduleId": is_num,
    "bookingLimitsCount": is_obj,
    "bookerActiveBookingsLimit": is_obj,
    "onlyShowFirstAvailableSlot": is_bool,
    "bookingLimitsDuration": is_obj,
    "bookingWindow": is_obj,
    "offsetStart": is_num,
    "bookerLayouts": is_obj,
    "confirmationPolicy": is_obj,
    "recurrence": is_obj,
    "requiresBookerEmailVerification": is_bool,
    "hideCalendarNotes": is_bool,
    "lockTimeZoneToggleOnBookingPage": is_bool,
    "color": is_obj,
    "seats": is_obj,
    "customName": is_str,
    "destinationCalendar": is_obj,
    "useDestinationCalendarEmail": is_bool,
    "hideCalendarEventDetails": is_bool,
    "successRedirectUrl": is_url,
    "hideOrganizerEmail": is_bool,
    "calVideoSettings": is_obj,
    "hidden": is_bool,
    "bookingRequiresAuthentication": is_bool,
    "disableCancelling": is_obj,
    "disableRescheduling": is_obj,
    "interfaceLanguage": is_str,
    "allowReschedulingPastBookings": is_bool,
    "allowReschedulingCancelledBookings": is_bool,
    "showOptimizedSlots": is_bool,
    "schedulingType": enum(*SCHEDULING_TYPES),
    "hosts": list_of(is_obj),
    "assignAllTeamMembers": is_bool,
    "locations": list_of(is_obj),
    "emailSettings": is_obj,
    "rescheduleWithSameRoundRobinHost": is_bool,
}
REQUIRED = ("lengthInMinutes", "title", "slug", "schedulingType")
_DEFAULT_SLUGS = {"name", "email", "location", "title", "notes", "guests", "rescheduleReason"}
HOST_FIELDS = {"userId": is_int, "mandatory": is_bool, "priority": enum("lowest", "low", "medium", "high", "highest")}

# Options the output renders straight from the input when given.
_PASSTHROUGH = (
    "lengthInMinutesOptions", "slotInterval", "bookingLimitsCount", "bookerActiveBookingsLimit",
    "onlyShowFirstAvailableSlot", "bookingLimitsDuration", "offsetStart", "bookerLayouts",
    "confirmationPolicy", "requiresBookerEmailVerification", "hideCalendarNotes", "color", "seats",
    "customName", "destinationCalendar", "useDestinationCalendarEmail", "hideCalendarEventDetails",
    "hideOrganizerEmail", "calVideoSettings", "disableCancelling", "disableRescheduling",
    "interfaceLanguage", "allowReschedulingPastBookings", "allowReschedulingCancelledBookings",
    "showOptimizedSlots", "emailSettings", "rescheduleWithSameRoundRobinHost",
)


def _custom_field(field: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(field.get("slug"), str) or not isinstance(field.get("type"), str):
        raise bad_request("bookingFields: each field needs a string type and slug",
                          ["each value in bookingFields must have a type and a slug"])
    out = {"label": field["slug"], "required": False, "hidden": False, "placeholder": "", **field}
    out["isDefault"] = False
    return out


def team_summary(team: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "slug", "bannerUrl", "name", "logoUrl", "weekStart", "brandColor", "darkBrandColor", "theme")
    return drop_none({key: team.get(key) for key in keys})


def _host_out(state: SandboxState, host: dict[str, Any], scheduling_type: str) -> dict[str, Any]:
    user = user_record(state, host["userId"]) or {}
    out = drop_none({"userId": host["userId"], "name": user.get("name"), "username": user.get("username"),
                     "avatarUrl": user.get("avatarUrl")})
    if scheduling_type == "roundRobin":
        out["mandatory"] = host.get("mandatory", False)
        out["priority"] = host.get("priority", "medium")
    return out


def resolve_hosts(state: SandboxState, team_id: int, body: dict[str, Any], scheduling_type: str) -> list[dict]:
    """Hosts must be accepted members of the team; ``assignAllTeamMembers`` takes them all."""
    if body.get("assignAllTeamMembers") and body.get("hosts"):
        raise bad_request("Provide either hosts or assignAllTeamMembers but not both.")
    if body.get("assignAllTeamMembers"):
        raw = [{"userId": m["userId"]} for m in team_memberships(state, team_id) if m["accepted"]]
    else:
        raw = body.get("hosts") or []
    hosts = []
    for host in raw:
        validate(host, HOST_FIELDS, ("userId",))
        member = membership_of(state, team_id, host["userId"])
        if member is None or not member["accepted"]:
            raise bad_request(
                f"Invalid hosts: user with id={host['userId']} is not an accepted member of team id={team_id}."
            )
        hosts.append(_host_out(state, host, scheduling_type))
    return hosts


def build_event_type(state: SandboxState, team: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    validate(body, CREATE_FIELDS, REQUIRED)
    if body["lengthInMinutes"] < 1:
        raise bad_request("lengthInMinutes must not be less than 1", ["lengthInMinutes must not be less than 1"])
    rows = state.table(TABLE)
    if any(e["teamId"] == team["id"] and e["slug"] == body["slug"] for e in rows.values()):
        raise bad_request(f"Event type with slug '{body['slug']}' already exists in team id={team['id']}.")
    scheduling_type = SCHEDULING_TYPES[body["schedulingType"]]
    # Cal's system fields (name, email, …) are always listed, with the caller's own fields among them.
    custom = [_custom_field(f) for f in body.get("bookingFields", []) if f.get("slug") not in _DEFAULT_SLUGS]
    locations = body.get("locations") or [{"type": "integration", "integration": "cal-video"}]
    booking_fields = default_booking_fields(locations, disable_guests=body.get("disableGuests", False), custom=custom)
    recurrence = body.get("recurrence")
    event: dict[str, Any] = {
        "id": next_free_id(state, TABLE, FIRST_ID),
        "lengthInMinutes": body["lengthInMinutes"],
        "title": body["title"],
        "slug": body["slug"],
        "description": body.get("description", ""),
        "locations": locations,
        "bookingFields": booking_fields,
        "disableGuests": body.get("disableGuests", False),
        "slotInterval": body.get("slotInterval"),
        "minimumBookingNotice": body.get("minimumBookingNotice", 0),
        "beforeEventBuffer": body.get("beforeEventBuffer", 0),
        "afterEventBuffer": body.get("afterEventBuffer", 0),
        "recurrence": None if not recurrence or recurrence.get("disabled") else recurrence,
        "metadata": {},
        "price": 0,
        "currency": "usd",
        "lockTimeZoneToggleOnBookingPage": body.get("lockTimeZoneToggleOnBookingPage", False),
        "seatsPerTimeSlot": None,
        "forwardParamsSuccessRedirect": None,
        "successRedirectUrl": body.get("successRedirectUrl"),
        "isInstantEvent": False,
        "seatsShowAvailabilityCount": None,
        "scheduleId": body.get("scheduleId"),
        "hidden": body.get("hidden", False),
        "bookingRequiresAuthentication": body.get("bookingRequiresAuthentication", False),
        "teamId": team["id"],
        "ownerId": None,
        "parentEventTypeId": None,
        "hosts": resolve_hosts(state, team["id"], body, scheduling_type),
        "assignAllTeamMembers": body.get("assignAllTeamMembers", False),
        "schedulingType": scheduling_type,
        "_createdAt": state.now().isoformat(),
    }
    if isinstance(body.get("bookingWindow"), dict) and not body["bookingWindow"].get("disabled"):
        event["bookingWindow"] = [body["bookingWindow"]]
    for key in _PASSTHROUGH:
        if key in body:
            event[key] = body[key]
    rows[event["id"]] = event
    return event


def delete_event_type(state: SandboxState, event: dict[str, Any]) -> None:
    """The event type's webhooks go with it, as Cal's foreign keys cascade."""
    del state.table(TABLE)[event["id"]]
    hooks = state.table("webhooks")
    for hook_id in [i for i, h in hooks.items() if h.get("eventTypeId") == event["id"]]:
        del hooks[hook_id]


def event_type_out(state: SandboxState, event: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in event.items() if not k.startswith("_")}
    team = state.table("teams").get(event["teamId"], {"id": event["teamId"]})
    out["team"] = team_summary(team)
    return out


def find_event_type(state: SandboxState, team_id: int, event_type_id: int) -> dict[str, Any]:
    event = state.table(TABLE).get(event_type_id)
    if event is None or event["teamId"] != team_id:
        raise not_found(f"Event type with id={event_type_id} not found in team id={team_id}.")
    return event


def list_event_types(state: SandboxState, request: Request, team_ids: set[int]) -> list[dict[str, Any]]:
    """Filters Cal's team event-type lists take: eventSlug, sortCreatedAt, hostsLimit."""
    rows = [e for e in state.table(TABLE).values() if e["teamId"] in team_ids]
    slug = request.query_params.get("eventSlug")
    if slug:
        rows = [e for e in rows if e["slug"] == slug]
    order = request.query_params.get("sortCreatedAt")
    if order not in (None, "asc", "desc"):
        raise bad_request("sortCreatedAt must be one of the following values: asc, desc",
                          ["sortCreatedAt must be one of the following values: asc, desc"])
    rows.sort(key=lambda e: (e["_createdAt"], e["id"]), reverse=order == "desc")
    limit = query_int(request, "hostsLimit", None, minimum=1)
    out = [event_type_out(state, e) for e in rows]
    if limit is not None:
        for event in out:
            event["hosts"] = event["hosts"][:limit]
    return out


PHONE_FIELDS = {
    "yourPhoneNumber": is_str,
    "numberToCall": is_str,
    "calApiKey": non_empty_str,
    "enabled": anything,
    "templateType": enum("CHECK_IN_APPOINTMENT", "CUSTOM_TEMPLATE"),
    "schedulerName": is_str,
    "guestName": is_str,
    "guestEmail": is_str,
    "guestCompany": is_str,
    "beginMessage": is_str,
    "generalPrompt": is_str,
}


def phone_call(state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
    """Validate like Cal's CreatePhoneCallInput; the sandbox never places a call (no Retell, no phone)."""
    validate(body, PHONE_FIELDS, ("yourPhoneNumber", "numberToCall", "calApiKey", "templateType"))
    errors = [
        f"{key} must match /^\\+[1-9]\\d{{1,14}}$/ regular expression"
        for key in ("yourPhoneNumber", "numberToCall")
        if not re.fullmatch(r"\+[1-9]\d{1,14}", body[key])
    ]
    if errors:
        raise bad_request(", ".join(errors), errors)
    return {"callId": "call_sandbox_" + state.new_uid(), "agentId": "agent_sandbox_" + state.new_uid()[:12]}
