"""The handler every spec-only tool runs through."""

from __future__ import annotations

from typing import Any

import mcp_types as types

from cal_mcp.compact import FULL_ARGUMENT, compact_payload
from cal_mcp.handlers.base import CallContext, send
from cal_mcp.results import payload_result, success_payload
from cal_mcp.specs import ToolSpec


async def call_generic(ctx: CallContext, spec: ToolSpec, arguments: dict[str, Any]) -> types.CallToolResult:
    response = await send(ctx, spec, arguments)
    payload = success_payload(response.body)
    if arguments.get(FULL_ARGUMENT) is not True:
        payload = compact_payload(spec.name, payload, read_only=spec.annotations.read_only_hint)
    return payload_result(payload, limit=ctx.settings.max_output_bytes)
