"""The handler every spec-only tool runs through."""

from __future__ import annotations

from typing import Any

import mcp_types as types

from cal_mcp.handlers.base import CallContext, send
from cal_mcp.results import success_result
from cal_mcp.specs import ToolSpec


async def call_generic(ctx: CallContext, spec: ToolSpec, arguments: dict[str, Any]) -> types.CallToolResult:
    response = await send(ctx, spec, arguments)
    return success_result(response.body, limit=ctx.settings.max_output_bytes)
