"""Tool handlers: the generic one for every spec, plus the few overrides keyed by tool name."""

from __future__ import annotations

from cal_mcp.handlers.base import CallContext, Handler
from cal_mcp.handlers.generic import call_generic
from cal_mcp.handlers.me import retrieve_my_information
from cal_mcp.handlers.organization import get_organization_id
from cal_mcp.handlers.phone_call import create_team_phone_call

OVERRIDES: dict[str, Handler] = {
    # The profile plus "now" (UTC and the host's local time): Cal has no endpoint for the time.
    "CAL_RETRIEVE_MY_INFORMATION": retrieve_my_information,
    # No endpoint lists "organization IDs": the answer is a projection of /v2/me.
    "CAL_GET_ORGANIZATION_ID": get_organization_id,
    # Cal's team route for it can never succeed; the organization's route takes the same body.
    "CAL_CREATE_PHONE_CALL_FOR_EVENT_TYPE": create_team_phone_call,
}


def handler_for(name: str) -> Handler:
    return OVERRIDES.get(name, call_generic)


__all__ = ["OVERRIDES", "CallContext", "Handler", "call_generic", "handler_for"]
