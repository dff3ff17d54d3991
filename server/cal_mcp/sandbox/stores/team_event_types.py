"""Team event types (``team_event_types`` table, IDs from 9000), shared by /v2/teams and org routes.

Records are stored as ``TeamEventTypeOutput_2024_06_14`` (the 2024-06-14 wire shape); keys starting
with ``_`` are sandbox bookkeeping and never rendered. Request bodies are checked by the route layer
(``routes.team_event_type_common``) before they get here.
"""

from __future__ import annotations

from typing import Any

from cal_mcp.sandbox.errors import bad_request, not_found
from cal_mcp.sandbox.state import SandboxState
from cal_mcp.sandbox.stores.event_types import default_booking_fields
from cal_mcp.sandbox.stores.records import drop_none, next_free_id
from cal_mcp.sandbox.stores.teams import membership_of, team_memberships
from cal_mcp.sandbox.stores.users import user_record

TEAM_EVENT_TYPES_TABLE = "team_event_types"  # seeded by the platform seed, IDs >= 9000
TABLE = TEAM_EVENT_TYPES_TABLE
FIRST_ID = 9001
SCHEDULING_TYPES = {
    "roundRobin": "roundRobin", "ROUND_ROBIN": "roundRobin",
    "collective": "collective", "COLLECTIVE": "collective",
    "managed": "managed", "MANAGED": "managed",
}
_DEFAULT_SLUGS = {"name", "email", "location", "title", "notes", "guests", "rescheduleReason"}
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


def resolve_hosts(
    state: SandboxState, team_id: int, body: dict[str, Any], scheduling_type: str,
) -> list[dict]:
    """Hosts must be accepted members of the team; ``assignAllTeamMembers`` takes them all."""
    if body.get("assignAllTeamMembers") and body.get("hosts"):
        raise bad_request("Provide either hosts or assignAllTeamMembers but not both.")
    if body.get("assignAllTeamMembers"):
        raw = [{"userId": m["userId"]} for m in team_memberships(state, team_id) if m["accepted"]]
    else:
        raw = body.get("hosts") or []
    hosts = []
    for host in raw:
        member = membership_of(state, team_id, host["userId"])
        if member is None or not member["accepted"]:
            raise bad_request(
                f"Invalid hosts: user with id={host['userId']} is not an accepted member of team id={team_id}."
            )
        hosts.append(_host_out(state, host, scheduling_type))
    return hosts


def add_event_type(
    state: SandboxState, team: dict[str, Any], body: dict[str, Any],
) -> dict[str, Any]:
    """Store a new team event type built from a create body the request gate checked."""
    rows = state.table(TABLE)
    if any(e["teamId"] == team["id"] and e["slug"] == body["slug"] for e in rows.values()):
        raise bad_request(f"Event type with slug '{body['slug']}' already exists in team id={team['id']}.")
    scheduling_type = SCHEDULING_TYPES[body["schedulingType"]]
    # Cal's system fields (name, email, …) are always listed, with the caller's own fields among them.
    custom = [_custom_field(f) for f in body.get("bookingFields", []) if f.get("slug") not in _DEFAULT_SLUGS]
    booking_fields = default_booking_fields(disable_guests=body.get("disableGuests", False), custom=custom)
    recurrence = body.get("recurrence")
    event: dict[str, Any] = {
        "id": next_free_id(state, TABLE, FIRST_ID),
        "lengthInMinutes": body["lengthInMinutes"],
        "title": body["title"],
        "slug": body["slug"],
        "description": body.get("description", ""),
        "locations": body.get("locations") or [{"type": "integration", "integration": "cal-video"}],
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
