"""MCP resources: what an assistant reads again and again, without spending a tool call on it.

``cal://me`` (the host's profile, with the time zone every booking is reported in),
``cal://event-types``, ``cal://schedules``, and the template ``cal://bookings/{uid}``. Each is read
live through the Cal client (``cal_reads``), so it is as fresh as a tool call and in the sandbox
answers from the sandbox.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import mcp_types as types
from mcp.shared.exceptions import MCPError

from cal_mcp.cal_reads import CalReadError, read_data

if TYPE_CHECKING:
    from cal_mcp.app import CalMcpApp

JSON = "application/json"


@dataclass(frozen=True)
class FixedResource:
    resource: types.Resource
    tool: str
    arguments: dict[str, Any]


FIXED: dict[str, FixedResource] = {
    r.resource.uri: r
    for r in (
        FixedResource(
            types.Resource(
                uri="cal://me", name="me", title="Your Cal.com profile", mime_type=JSON,
                description="The host's profile: name, email, username, time zone (report times in it), "
                "week start, default schedule ID and organization ID.",
            ),
            "CAL_RETRIEVE_MY_INFORMATION", {},
        ),
        FixedResource(
            types.Resource(
                uri="cal://event-types", name="event-types", title="Your event types", mime_type=JSON,
                description="The host's event types: id (eventTypeId for slots and bookings), slug, title, "
                "length in minutes, locations and booking fields.",
            ),
            "CAL_LIST_EVENT_TYPES", {},
        ),
        FixedResource(
            types.Resource(
                uri="cal://schedules", name="schedules", title="Your working-hours schedules", mime_type=JSON,
                description="The host's availability schedules: id, name, time zone, weekly hours, date "
                "overrides, and which one is the default.",
            ),
            "CAL_RETRIEVE_SCHEDULES_LIST", {},
        ),
    )
}

BOOKING_TEMPLATE = types.ResourceTemplate(
    uri_template="cal://bookings/{uid}", name="booking", title="One booking by uid", mime_type=JSON,
    description="One booking's details (status, start/end in UTC, attendees, event type, location); "
    "uids come from CAL_FETCH_ALL_BOOKINGS, and the uid argument completes to the upcoming ones.",
)
_BOOKING_URI = re.compile(r"^cal://bookings/(?P<uid>[A-Za-z0-9_-]{1,200})$")

LIST_RESULT = types.ListResourcesResult(resources=[r.resource for r in FIXED.values()])
TEMPLATES_RESULT = types.ListResourceTemplatesResult(resource_templates=[BOOKING_TEMPLATE])


async def read_resource(app: CalMcpApp, uri: str) -> types.ReadResourceResult:
    fixed = FIXED.get(uri)
    if fixed is not None:
        tool, arguments = fixed.tool, fixed.arguments
    elif match := _BOOKING_URI.match(uri):
        tool, arguments = "CAL_RETRIEVE_BOOKING_DETAILS_BY_UID", {"bookingUid": match["uid"]}
    else:
        known = ", ".join([*FIXED, BOOKING_TEMPLATE.uri_template])
        # -32602 for an unknown resource (SEP-2164; the SDK's MCPServer answers the same).
        raise MCPError(types.INVALID_PARAMS, f"Unknown resource {uri!r}; this server offers: {known}")
    try:
        data = await read_data(app, tool, arguments)
    except CalReadError as exc:
        code = types.INVALID_PARAMS if exc.status == 404 else types.INTERNAL_ERROR  # no such booking: not found
        raise MCPError(code, f"Could not read {uri}: {exc}") from None
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return types.ReadResourceResult(contents=[types.TextResourceContents(uri=uri, mime_type=JSON, text=text)])
