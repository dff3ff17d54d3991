"""Read-only Cal lookups for resources and argument completion, made through the tools' own handlers.

They go through the same Cal client as ``tools/call`` (rate budget, retries, secret masking, sandbox),
and work whatever ``--toolsets``/``--tools`` selected: a resource or a completion is not a tool the
model can call, so the selection (which limits what the model sees) does not limit them.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from cal_mcp.registry import Registry, load_registry

if TYPE_CHECKING:
    from cal_mcp.app import CalMcpApp


class CalReadError(Exception):
    """A lookup Cal refused or could not answer; the message is safe to show (already masked)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # Cal's HTTP status, when Cal answered


@functools.cache
def _all_tools() -> Registry:
    return load_registry()


async def read_data(app: CalMcpApp, tool: str, arguments: dict[str, Any] | None = None) -> Any:
    """Call a read-only tool's handler and return its ``data``; raise ``CalReadError`` when it fails."""
    from cal_mcp.errors import CalMcpError
    from cal_mcp.handlers import CallContext, handler_for

    spec = app.registry.get(tool) or _all_tools().get(tool)
    if spec is None or not spec.annotations.read_only_hint:  # a programming error, not Cal's
        raise CalReadError(f"{tool} is not a read-only tool")
    try:
        result = await handler_for(tool)(CallContext(app.client(), app.settings), spec, dict(arguments or {}))
    except CalMcpError as exc:
        raise CalReadError(*_describe(exc.to_result().structured_content)) from None
    content = result.structured_content or {}
    if result.is_error:
        raise CalReadError(*_describe(content))
    return content.get("data")


def _describe(content: dict[str, Any] | None) -> tuple[str, int | None]:
    error = (content or {}).get("error") or {}
    message = str(error.get("message") or "Cal.com could not answer")
    hint = error.get("hint")
    status = error.get("status")
    return (f"{message} {hint}" if hint else message), (status if isinstance(status, int) else None)
