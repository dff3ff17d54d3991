"""What a handler receives, and the shared steps: validate → build → send."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import mcp_types as types

from cal_mcp.cal_client import CalClient, CalResponse
from cal_mcp.clock import Clock, WallClock
from cal_mcp.config import Settings
from cal_mcp.errors import VERIFY_TOOL_BY_TOOLSET, id_arguments
from cal_mcp.request_builder import CalRequest, build_request
from cal_mcp.specs import ToolSpec
from cal_mcp.validation import apply_cal_rules, check_time_zones, validate_arguments


@dataclass(frozen=True)
class CallContext:
    client: CalClient
    settings: Settings
    clock: Clock = field(default_factory=WallClock)

    @property
    def config_values(self) -> dict[str, str | None]:
        """Values ``fromConfig`` may read (secrets unwrapped only here, for the request body)."""
        from cal_mcp.auth.context import CALLER_CREDENTIAL

        key = self.settings.api_key
        caller = CALLER_CREDENTIAL.get()  # --auth oauth: the caller's own credential, never the server's
        return {
            "oauth_client_id": self.settings.oauth_client_id,
            "api_key": caller if caller is not None else key.get_secret_value() if key else None,
        }


Handler = Callable[[CallContext, ToolSpec, dict[str, Any]], Awaitable[types.CallToolResult]]


def prepare(ctx: CallContext, spec: ToolSpec, arguments: dict[str, Any]) -> CalRequest:
    """Validate the arguments and build the request; raises ``CalMcpError`` before anything is sent."""
    # Models often send ``null`` for an optional argument they mean to leave out; treat it so.
    # A required argument sent as null still fails validation, naming the field.
    arguments = {k: v for k, v in arguments.items() if v is not None or k not in spec.properties or k in spec.required}
    validate_arguments(spec, arguments)
    request = build_request(spec, arguments, ctx.config_values)
    check_time_zones(spec, arguments)
    request = apply_cal_rules(spec, request)
    # What error messages need to point the model at the right next step.
    request.meta.update(
        auth=spec.request.auth,
        template=spec.request.path,
        id_args=id_arguments(spec.request.path_params, arguments, spec.id_sources),
        id_sources=spec.id_sources,
        verify_tool=VERIFY_TOOL_BY_TOOLSET.get(spec.toolset),
        read_only=spec.annotations.read_only_hint,
        redirect_is_answer=spec.request.redirect_is_answer,
    )
    return request


async def send(ctx: CallContext, spec: ToolSpec, arguments: dict[str, Any]) -> CalResponse:
    return await ctx.client.send(prepare(ctx, spec, arguments), auth=spec.request.auth)
