"""Compact results: event types, bookings and time zones trimmed to what an agent acts on.

Cal returns every booking-page display setting with each event type (~1,000 characters) and each
booking (~1,100); a list of them is mostly noise to a model and costs its context. By default the
tools in ``TOOL_SHAPES`` keep, per object, the fields listed in its shape; ``full: true`` (an argument
the server handles, never sent to Cal) returns Cal's object unchanged. Nothing identifying is lost:
whatever a shape drops is walked for ID fields (``id``, ``uid``, ``…Id``, ``…Uid``), which are put
back where they were, so every ID of the full object is in the compact one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cal_mcp.output_cap import is_id_key

FULL_ARGUMENT = "full"
FULL_PROPERTY = {
    "type": "boolean",
    "description": "true: Cal's whole objects, not the compact view.",
}

# Shape: key -> None (keep the value whole) or a nested shape (applied to a dict, or to each dict of a list).
Shape = dict[str, "Shape | None"]
PERSON: Shape = {"id": None, "userId": None, "name": None, "username": None, "email": None, "timeZone": None,
                 "mandatory": None, "priority": None, "absent": None}
HOST: Shape = {"id": None, "userId": None, "name": None}
# Values that only restate the default are left out of compact objects.
# (Not for the tool that sets them: there "absent: false" is the answer.)
DEFAULT_VALUES: dict[str, Any] = {"absent": False, "absentHost": False, "guests": []}
SHOWS_DEFAULTS = frozenset({"CAL_MARK_BOOKING_ABSENT_FOR_UID"})
EVENT_TYPE: Shape = {
    "id": None, "title": None, "slug": None, "description": None, "lengthInMinutes": None,
    "lengthInMinutesOptions": None, "locations": None, "bookingUrl": None, "scheduleId": None, "ownerId": None,
    "teamId": None, "parentEventTypeId": None, "schedulingType": None, "assignAllTeamMembers": None,
    "hosts": PERSON, "users": PERSON, "team": {"id": None, "slug": None, "name": None},
    # confirmation and recurrence settings, and what limits when it can be booked
    "requiresConfirmation": None, "confirmationPolicy": None, "recurrence": None, "seatsPerTimeSlot": None,
    "minimumBookingNotice": None, "beforeEventBuffer": None, "afterEventBuffer": None, "slotInterval": None,
    "bookingWindow": None, "hidden": None, "disableCancelling": None, "disableRescheduling": None,
    "price": None, "currency": None, "bookingFields": {"slug": None, "type": None, "required": None, "label": None},
}
BOOKING: Shape = {
    "id": None, "uid": None, "title": None, "description": None, "status": None, "start": None, "end": None,
    "duration": None, "eventTypeId": None, "eventType": {"id": None, "slug": None}, "hosts": HOST,
    "attendees": PERSON, "guests": None, "location": None, "meetingUrl": None, "recurringBookingUid": None,
    "rescheduledFromUid": None, "rescheduledToUid": None, "fromReschedule": None, "cancellationReason": None,
    "reschedulingReason": None, "rejectionReason": None, "absentHost": None, "seatUid": None,
}
TOOL_SHAPES: dict[str, str] = {
    **dict.fromkeys((
        "CAL_LIST_EVENT_TYPES", "CAL_RETRIEVE_EVENT_TYPE_BY_ID", "CAL_RETRIEVE_TEAM_EVENT_TYPES",
        "CAL_GET_EVENT_TYPE_BY_TEAM_ID", "CAL_CREATE_TEAM_EVENT_TYPE", "CAL_GET_ORGANIZATION_TEAMS_EVENT_TYPES",
        "CAL_LIST_TEAM_EVENT_TYPES_BY_ORG_AND_TEAM_ID", "CAL_FETCH_EVENT_TYPE_DETAILS",
        "CAL_CREATE_TEAM_EVENT_TYPES_WITH_CUSTOM_OPTIONS",
    ), "event_type"),
    **dict.fromkeys((
        "CAL_FETCH_ALL_BOOKINGS", "CAL_RETRIEVE_BOOKING_DETAILS_BY_UID", "CAL_POST_NEW_BOOKING_REQUEST",
        "CAL_RESCHEDULE_BOOKING_BY_UID", "CAL_CANCEL_BOOKING_VIA_UID", "CAL_CONFIRM_BOOKING_BY_UID",
        "CAL_DECLINE_BOOKING_WITH_REASON", "CAL_MARK_BOOKING_ABSENT_FOR_UID",
        "CAL_REASSIGN_BOOKING_TO_ANOTHER_USER", "CAL_REASSIGN_BOOKING_WITH_UID",
    ), "booking"),
    "CAL_GET_ALL_TIMEZONES": "time_zones",
}
# Where the whole object can be read again, for writes (repeating a write to see more would repeat it).
READ_TOOL = {"event_type": "CAL_RETRIEVE_EVENT_TYPE_BY_ID (or the team's get tool)",
             "booking": "CAL_RETRIEVE_BOOKING_DETAILS_BY_UID"}


def _ids_only(value: Any) -> Any:
    """Only the ID fields of ``value``, in their places; None when it holds none."""
    if isinstance(value, dict):
        out = {}
        for key, child in value.items():
            if is_id_key(key):
                out[key] = child
            elif isinstance(child, dict | list):
                inner = _ids_only(child)
                if inner is not None:
                    out[key] = inner
        return out or None
    if isinstance(value, list):
        items = [inner for inner in (_ids_only(v) for v in value) if inner is not None]
        return items or None
    return None


def _apply(value: Any, shape: Shape, defaults: dict[str, Any] = DEFAULT_VALUES) -> Any:
    if isinstance(value, list):
        return [_apply(item, shape, defaults) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, child in value.items():
        if key in shape:
            sub = shape[key]
            if child is None or child == "" or (key in defaults and child == defaults[key]):
                if is_id_key(key):
                    out[key] = child
                continue
            out[key] = child if sub is None else _apply(child, sub, defaults)
        elif is_id_key(key):
            out[key] = child
        else:
            ids = _ids_only(child)
            if ids is not None:
                out[key] = ids
    return out


def _event_type(value: dict[str, Any], defaults: dict[str, Any] = DEFAULT_VALUES) -> dict[str, Any]:
    compact: dict[str, Any] = _apply(value, EVENT_TYPE, defaults)
    if not value.get("price"):
        compact.pop("price", None)
        compact.pop("currency", None)
    fields = value.get("bookingFields")
    if isinstance(fields, list):
        # The default fields (name, email, notes, …) are the same everywhere; the custom ones are what to ask for.
        custom = [f for f in fields if isinstance(f, dict) and not f.get("isDefault")]
        kept = [_apply(f, EVENT_TYPE["bookingFields"] or {}) for f in custom]
        dropped_ids = _ids_only([f for f in fields if f not in custom])
        if kept or dropped_ids:
            compact["bookingFields"] = kept + (dropped_ids or [])
        else:
            compact.pop("bookingFields", None)
    return compact


def _booking(value: dict[str, Any], defaults: dict[str, Any] = DEFAULT_VALUES) -> dict[str, Any]:
    compact: dict[str, Any] = _apply(value, BOOKING, defaults)
    if compact.get("meetingUrl") is not None and compact.get("meetingUrl") == compact.get("location"):
        del compact["meetingUrl"]  # Cal repeats the video link in both
    return compact


def _looks_like(kind: str, value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    if kind == "booking":
        return "uid" in value and "start" in value
    return "lengthInMinutes" in value or ("slug" in value and "title" in value)


OBJECT_COMPACTORS: dict[str, Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]] = {
    "event_type": _event_type, "booking": _booking,
}


def _time_zones(data: Any) -> Any:
    if not isinstance(data, list) or not all(isinstance(row, dict) and "timezone" in row for row in data):
        return data
    return sorted({str(row["timezone"]) for row in data})


def compact_payload(tool: str, payload: dict[str, Any], *, read_only: bool) -> dict[str, Any]:
    """``payload`` with its ``data`` compacted for ``tool`` (unchanged for tools without a shape)."""
    kind = TOOL_SHAPES.get(tool)
    data = payload.get("data")
    if kind is None or data is None:
        return payload
    if kind == "time_zones":
        compacted = _time_zones(data)
        if compacted is data:
            return payload
        note = "IANA names only, sorted; call again with full: true for the city of each."
        return {**payload, "data": compacted, "compact": note}
    compactor = OBJECT_COMPACTORS[kind]
    defaults = {} if tool in SHOWS_DEFAULTS else DEFAULT_VALUES
    if isinstance(data, list):
        new_data: Any = [compactor(item, defaults) if _looks_like(kind, item) else item for item in data]
        changed = any(_looks_like(kind, item) for item in data)
    elif _looks_like(kind, data):
        new_data, changed = compactor(data, defaults), True
    else:
        return payload
    if not changed:
        return payload
    if read_only:
        how = "call again with full: true for every field"
    else:
        how = f"for every field read it with {READ_TOOL[kind]} and full: true (do not repeat this call)"
    note = f"Compact view, every ID kept; {how}."
    return {**payload, "data": new_data, "compact": note}
