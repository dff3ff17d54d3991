"""Team event-type requests (Cal's create DTO, list filters, phone calls), shared by /v2/teams and
org routes. The records live in ``stores.team_event_types``.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request

from cal_mcp.sandbox.errors import bad_request
from cal_mcp.sandbox.http import query_int
from cal_mcp.sandbox.routes.plat_common import (
    anything,
    enum,
    is_bool,
    is_int,
    is_num,
    is_obj,
    is_str,
    is_url,
    list_of,
    non_empty_str,
    validate,
)
from cal_mcp.sandbox.state import SandboxState
from cal_mcp.sandbox.stores.team_event_types import SCHEDULING_TYPES, TABLE, add_event_type, event_type_out

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
HOST_FIELDS = {"userId": is_int, "mandatory": is_bool, "priority": enum("lowest", "low", "medium", "high", "highest")}


def build_event_type(state: SandboxState, team: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    validate(body, CREATE_FIELDS, REQUIRED)
    if body["lengthInMinutes"] < 1:
        raise bad_request("lengthInMinutes must not be less than 1", ["lengthInMinutes must not be less than 1"])
    return add_event_type(state, team, body, check_host=lambda host: validate(host, HOST_FIELDS, ("userId",)))

# Options the output renders straight from the input when given.


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
