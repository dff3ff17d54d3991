"""Tool handlers: the generic one for every spec, plus the few overrides keyed by tool name."""

from __future__ import annotations

from cal_mcp.handlers.base import CallContext, Handler
from cal_mcp.handlers.generic import call_generic
from cal_mcp.handlers.organization import get_organization_id

OVERRIDES: dict[str, Handler] = {
    # No endpoint lists "organization IDs": the answer is a projection of /v2/me.
    "CAL_GET_ORGANIZATION_ID": get_organization_id,
}


def handler_for(name: str) -> Handler:
    return OVERRIDES.get(name, call_generic)


__all__ = ["OVERRIDES", "CallContext", "Handler", "call_generic", "handler_for"]
