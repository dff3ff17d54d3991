"""CAL_GET_ORGANIZATION_ID: Cal has no endpoint for it, so it is answered from GET /v2/me."""

from __future__ import annotations

from typing import Any

import mcp_types as types

from cal_mcp.handlers.base import CallContext, send
from cal_mcp.results import success_payload, success_result
from cal_mcp.specs import ToolSpec


async def get_organization_id(
    ctx: CallContext, spec: ToolSpec, arguments: dict[str, Any]
) -> types.CallToolResult:
    response = await send(ctx, spec, arguments)
    me = success_payload(response.body)["data"]
    me = me if isinstance(me, dict) else {}
    projected = {
        "organizationId": me.get("organizationId"),
        "userId": me.get("id"),
        "username": me.get("username"),
    }
    if projected["organizationId"] is None:
        projected["note"] = "This user belongs to no organization, so organization tools cannot be used."
    return success_result({"data": projected}, limit=ctx.settings.max_output_bytes)
