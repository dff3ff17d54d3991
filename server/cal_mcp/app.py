"""Builds the low-level MCP ``Server``: tools/list from the registry, tools/call through the handlers.

Start-up loads only what ``tools/list`` needs; the HTTP client, validators and sandbox load on the
first call. Every failure of a call ends as an ``isError`` result, never a protocol error.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import mcp_types as types
from mcp.server import Server, ServerRequestContext
from mcp.server.lowlevel.server import NotificationOptions

from cal_mcp import __version__
from cal_mcp.clock import Clock, WallClock
from cal_mcp.config import Settings
from cal_mcp.guidance import INSTRUCTIONS, get_prompt, list_prompts
from cal_mcp.registry import Registry
from cal_mcp.tool_views import DynamicStart, ToolViews

if TYPE_CHECKING:
    import httpx

    from cal_mcp.auth.caller import CallerGate
    from cal_mcp.cal_client import CalClient

log = logging.getLogger("cal_mcp")


class CalMcpApp:
    """The registry, the settings and the lazily created Cal client, shared by every session."""

    def __init__(
        self,
        settings: Settings,
        registry: Registry,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        base_url: str | None = None,
        dynamic: DynamicStart | None = None,
        loaded: Registry | None = None,
        clock: Clock | None = None,
    ) -> None:
        """``registry``: every tool served; ``dynamic``: what a session starts with under
        ``--dynamic-toolsets``; ``loaded``: every tool that exists, to explain why one is not served."""
        self.settings = settings
        self.clock: Clock = clock or WallClock()
        self.registry = registry
        self.views = ToolViews(registry, dynamic=dynamic, loaded=loaded)
        self._transport = transport
        self._base_url = base_url
        self._client: CalClient | None = None
        # --auth oauth: scopes filter the tools, and each call runs with its caller's Cal credential.
        self.caller: CallerGate | None = None

    def client(self) -> CalClient:
        if self._client is None:
            from cal_mcp.cal_client import CalClient

            transport, base_url = self._transport, self._base_url
            if transport is None and self.settings.sandbox:
                from cal_mcp.sandbox.inprocess import sandbox_transport

                # One clock for both, so the "now" the server reports is the sandbox's "now".
                transport, base_url = sandbox_transport(clock=self.clock), "http://sandbox.cal-mcp.local"
            self._client = CalClient(self.settings, transport=transport, base_url=base_url)
        # --auth oauth: every Cal call carries its caller's credential; none may fall back to the server's
        # (read on every call, so it holds whenever the gate was attached).
        self._client.caller_required = self.caller is not None
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def call_tool(self, name: str, arguments: dict[str, Any] | None) -> types.CallToolResult:
        from cal_mcp.errors import VERIFY_TOOL_BY_TOOLSET, ArgumentError, CalMcpError
        from cal_mcp.handlers import CallContext, handler_for
        from cal_mcp.results import internal_error_result

        spec = self.registry.get(name)
        if spec is None:
            from cal_mcp.tool_suggestions import unknown_tool_message

            message, hint = unknown_tool_message(name, self.registry.specs)
            return ArgumentError(message, hint).to_result()
        try:
            ctx = CallContext(self.client(), self.settings, self.clock)
            arguments = spec.canonical_arguments(dict(arguments or {}))
            return await handler_for(name)(ctx, spec, arguments)
        except CalMcpError as exc:
            log.info("%s failed: %s", name, exc.kind)
            return exc.to_result()
        except Exception:
            log.exception("internal error in %s", name)
            return internal_error_result(
                write=not spec.annotations.read_only_hint, verify_tool=VERIFY_TOOL_BY_TOOLSET.get(spec.toolset)
            )

    @property
    def instructions(self) -> str:
        if self.views.dynamic is None:
            return INSTRUCTIONS
        from cal_mcp.toolsets import DYNAMIC_INSTRUCTIONS

        return INSTRUCTIONS + "\n" + DYNAMIC_INSTRUCTIONS

    def build_server(self) -> Server[Any]:
        views = self.views

        async def on_list_tools(
            ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
        ) -> types.ListToolsResult:
            listed = views.list_tools(ctx)
            return self.caller.list_tools(ctx, listed) if self.caller else listed

        async def on_call_tool(
            ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
        ) -> types.CallToolResult:
            seen = views.resolve(ctx, params.name)
            if seen.error is not None:
                return seen.error
            if seen.meta:
                return await views.call_meta(ctx, params.name, dict(params.arguments or {}))
            if self.caller is not None:
                return await self.caller.call_tool(ctx, params.name, params.arguments, self.call_tool)
            return await self.call_tool(params.name, params.arguments)

        async def on_list_prompts(
            ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
        ) -> types.ListPromptsResult:
            return list_prompts()

        async def on_get_prompt(
            ctx: ServerRequestContext[Any], params: types.GetPromptRequestParams
        ) -> types.GetPromptResult:
            return get_prompt(params.name, params.arguments or {})

        # Resources and argument completion (issue 15): read live through the same Cal client.
        from mcp.shared.exceptions import MCPError

        from cal_mcp import resources
        from cal_mcp.completions import Completer
        from cal_mcp.errors import CalMcpError

        completer = Completer(self)

        async def on_list_resources(
            ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
        ) -> types.ListResourcesResult:
            return resources.LIST_RESULT

        async def on_list_resource_templates(
            ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
        ) -> types.ListResourceTemplatesResult:
            return resources.TEMPLATES_RESULT

        async def on_read_resource(
            ctx: ServerRequestContext[Any], params: types.ReadResourceRequestParams
        ) -> types.ReadResourceResult:
            if self.caller is None:
                return await resources.read_resource(self, params.uri)
            try:  # --auth oauth: read as the signed-in caller, never with the server's own credential
                return await self.caller.run_as(ctx, lambda: resources.read_resource(self, params.uri))
            except CalMcpError as exc:
                raise MCPError(types.INTERNAL_ERROR, f"Could not read {params.uri}: {exc}") from None

        async def on_completion(
            ctx: ServerRequestContext[Any], params: types.CompleteRequestParams
        ) -> types.CompleteResult:
            if self.caller is None:
                return await completer.complete(params)
            try:  # --auth oauth: complete from the caller's own lists
                return await self.caller.run_as(ctx, lambda: completer.complete(params))
            except CalMcpError:
                return types.CompleteResult(completion=types.Completion(values=[]))

        server_class = Server if views.dynamic is None else _ListChangingServer
        return server_class(
            "cal-mcp",
            version=__version__,
            title="Cal.com scheduling",
            instructions=self.instructions,
            get_tool_input_schema=views.input_schema,
            on_list_tools=on_list_tools,
            on_call_tool=on_call_tool,
            on_list_prompts=on_list_prompts,
            on_get_prompt=on_get_prompt,
            on_list_resources=on_list_resources,
            on_list_resource_templates=on_list_resource_templates,
            on_read_resource=on_read_resource,
            on_completion=on_completion,
            # 2026-07-28 clients hear of list changes only on a subscriptions/listen stream.
            on_subscriptions_listen=views.listen_handler() if views.dynamic is not None else None,
        )


class _ListChangingServer(Server[Any]):
    """Advertises ``tools.listChanged`` to handshake-era clients (every transport builds its
    initialize answer from this method's defaults)."""

    def create_initialization_options(self, notification_options: NotificationOptions | None = None,
                                      *args: Any, **kwargs: Any) -> Any:
        options = notification_options or NotificationOptions(tools_changed=True)
        return super().create_initialization_options(options, *args, **kwargs)
