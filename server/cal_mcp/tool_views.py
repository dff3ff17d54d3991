"""Which tools one request sees: the server's tools, narrowed by the HTTP selection, and (with
``--dynamic-toolsets``) by what its session has enabled.

State is per session, never per server: a legacy (handshake) connection — stdio, SSE, one stateful
Streamable HTTP session — keeps its own enabled set, and so does a 2026-07-28 stdio (duplex)
connection. Requests with no session (2026-07-28 over HTTP, ``--stateless``) keep nothing: they
see the start set, may call any served tool, and the enable tool describes the tools in full.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import mcp_types as types
from mcp.server import ServerRequestContext
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from cal_mcp import toolsets
from cal_mcp.registry import Registry
from cal_mcp.specs import ToolSpec
from cal_mcp.tool_selection import SELECTION_STATE_KEY, Selection

log = logging.getLogger("cal_mcp.tools")


@dataclass(frozen=True)
class DynamicStart:
    """``--dynamic-toolsets``: the toolsets and single tools every session starts with."""

    toolsets: frozenset[str] = frozenset()
    tools: frozenset[str] = frozenset()


@dataclass
class SessionTools:
    enabled: set[str]
    # 2026-07-28 duplex connections get change events only on subscriptions/listen streams.
    bus: Any = None
    listen: Any = None


@dataclass
class _Seen:
    """What a call resolved to: a served spec, a meta-tool, or an error result to return as is."""

    spec: ToolSpec | None = None
    meta: bool = False
    error: types.CallToolResult | None = None


class ToolViews:
    def __init__(self, registry: Registry, *, dynamic: DynamicStart | None = None,
                 loaded: Registry | None = None) -> None:
        self.registry = registry  # every tool this server serves (after --toolsets/--read-only)
        self.dynamic = dynamic
        self.loaded = loaded or registry  # every tool that exists, for "not served here" messages
        self._sessions: weakref.WeakKeyDictionary[Any, SessionTools] = weakref.WeakKeyDictionary()
        self.universe = lru_cache(maxsize=64)(self._universe)
        self._meta_schemas = {t.name: dict(t.input_schema) for t in toolsets.meta_tools(registry.toolsets)}
        self._list_for = lru_cache(maxsize=256)(self._build_list)

    # --- the request's selection and session ---------------------------------------------------

    def _universe(self, selection: Selection | None) -> Registry:
        if selection is None or selection.is_everything:
            return self.registry
        return self.registry.select(toolsets=selection.toolsets or (), read_only=selection.read_only)

    @staticmethod
    def selection_of(ctx: ServerRequestContext[Any]) -> Selection | None:
        request = ctx.request
        state = getattr(request, "scope", {}).get("state") if request is not None else None
        chosen = state.get(SELECTION_STATE_KEY) if isinstance(state, dict) else None
        return chosen if isinstance(chosen, Selection) else None

    @staticmethod
    def session_key(ctx: ServerRequestContext[Any]) -> Any:
        """A live object for as long as the session lasts, or None for a request with no session.

        The SDK hands handlers a new ``ServerSession`` per request; the ``Connection`` behind it lasts
        as long as a handshake-era session. A 2026-07-28 duplex connection makes a ``Connection`` per
        request but shares one outbound channel, which is then the key.
        """
        connection = getattr(ctx.session, "_connection", None)
        if connection is None or not connection.has_standalone_channel:
            return None  # 2026-07-28 HTTP, or legacy --stateless: a single exchange
        if connection.protocol_version in MODERN_PROTOCOL_VERSIONS:
            return connection.outbound
        return connection

    def _start_set(self, universe: Registry, selection: Selection | None) -> set[str]:
        assert self.dynamic is not None
        start = set(self.dynamic.toolsets)
        if selection is not None and selection.toolsets:
            start |= set(selection.toolsets)  # toolsets named in the URL or header start enabled
        return start & set(universe.toolsets)

    def session(self, ctx: ServerRequestContext[Any], universe: Registry) -> SessionTools | None:
        key = self.session_key(ctx)
        if key is None:
            return None
        state = self._sessions.get(key)
        if state is None:
            state = SessionTools(self._start_set(universe, self.selection_of(ctx)))
            self._sessions[key] = state
        return state

    def enabled(self, ctx: ServerRequestContext[Any], universe: Registry) -> frozenset[str]:
        state = self.session(ctx, universe)
        if state is not None:
            return frozenset(state.enabled)
        return frozenset(self._start_set(universe, self.selection_of(ctx)))

    # --- tools/list ---------------------------------------------------------------------------

    def _build_list(self, selection: Selection | None, enabled: frozenset[str]) -> types.ListToolsResult:
        assert self.dynamic is not None
        universe = self.universe(selection)
        extra = self.dynamic.tools
        listed = [t for t, s in zip(universe.list_result.tools, universe.specs, strict=True)
                  if s.toolset in enabled or s.name in extra]
        return types.ListToolsResult(tools=[*toolsets.meta_tools(universe.toolsets), *listed])

    def list_tools(self, ctx: ServerRequestContext[Any]) -> types.ListToolsResult:
        selection = self.selection_of(ctx)
        universe = self.universe(selection)
        if self.dynamic is None:
            return universe.list_result
        return self._list_for(selection, self.enabled(ctx, universe))

    def input_schema(self, name: str) -> dict[str, Any] | None:
        if self.dynamic is not None and name in toolsets.META_TOOL_NAMES:
            return self._meta_schemas[name]
        return self.registry.input_schema(name)

    # --- tools/call ---------------------------------------------------------------------------

    def resolve(self, ctx: ServerRequestContext[Any], name: str) -> _Seen:
        from cal_mcp.errors import ArgumentError

        selection = self.selection_of(ctx)
        universe = self.universe(selection)
        if self.dynamic is not None and name in toolsets.META_TOOL_NAMES:
            return _Seen(meta=True)
        spec = universe.get(name)
        if spec is None:
            known = self.loaded.get(name) or self.registry.get(name)
            if known is None:
                return _Seen()  # no such tool: the app's answer suggests the closest names
            why = self._why_not_served(known, selection)
            return _Seen(error=ArgumentError(f"Tool {name!r} is not available here: {why}.",
                                             "Use a tool from tools/list.").to_result())
        if self.dynamic is not None:
            state = self.session(ctx, universe)
            if state is not None and spec.toolset not in state.enabled and spec.name not in self.dynamic.tools:
                return _Seen(error=ArgumentError(
                    f"Tool {name!r} is in the {spec.toolset!r} toolset, which is not enabled in this session.",
                    f"Call {toolsets.ENABLE_TOOLSETS} with {{\"toolsets\": [\"{spec.toolset}\"]}}, then call "
                    f"{name} again.").to_result())
        return _Seen(spec=spec)

    def _why_not_served(self, spec: ToolSpec, selection: Selection | None) -> str:
        if self.registry.get(spec.name) is None:
            if not spec.annotations.read_only_hint and all(s.annotations.read_only_hint for s in self.registry.specs):
                return "this server is read-only (--read-only)"
            return f"this server does not serve the {spec.toolset!r} toolset"
        if selection is not None and selection.read_only and not spec.annotations.read_only_hint:
            return "this connection is read-only (its URL or X-MCP-Readonly header)"
        return f"this connection's URL or X-MCP-Toolsets header does not include the {spec.toolset!r} toolset"

    async def call_meta(self, ctx: ServerRequestContext[Any], name: str,
                        arguments: dict[str, Any]) -> types.CallToolResult:
        universe = self.universe(self.selection_of(ctx))
        state = self.session(ctx, universe)
        enabled = frozenset(state.enabled) if state is not None else self.enabled(ctx, universe)
        if name == toolsets.LIST_TOOLSETS:
            return toolsets.list_toolsets(universe, enabled).result
        if name == toolsets.SEARCH_TOOLS:
            return toolsets.search_tools(universe, enabled, arguments).result
        answer = toolsets.enable_toolsets(universe, enabled, arguments, remembered=state is not None)
        if state is not None and answer.newly_enabled:
            state.enabled.update(answer.newly_enabled)
            log.info("session enabled toolset(s) %s", ", ".join(answer.newly_enabled))
            await self._notify_changed(ctx, state)
        return answer.result

    async def _notify_changed(self, ctx: ServerRequestContext[Any], state: SessionTools) -> None:
        if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS:
            if state.bus is not None:
                from mcp.server.subscriptions import ToolsListChanged

                await state.bus.publish(ToolsListChanged())
            return
        # Over Streamable HTTP the notification rides this call's own SSE answer, ahead of the result, so
        # the client re-lists before its next step; a client that keeps the session's GET stream open
        # (and a --json-response answer, which carries no notifications) gets it there too.
        notification = types.ToolListChangedNotification()
        channels = [ctx.request_id, None] if ctx.request is not None else [None]
        for related in channels:
            try:
                await ctx.session.send_notification(notification, related_request_id=related)
            except Exception:  # a client that went away must not turn a done change into an error
                log.info("could not send notifications/tools/list_changed", exc_info=True)

    # --- 2026-07-28 change events -------------------------------------------------------------

    def listen_handler(self) -> Callable[..., Any]:
        """``subscriptions/listen``: each duplex connection listens on its own session's bus."""
        from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler

        nowhere = ListenHandler(InMemorySubscriptionBus())  # a request with no session never changes

        async def on_listen(ctx: ServerRequestContext[Any], params: types.SubscriptionsListenRequestParams) -> Any:
            state = self.session(ctx, self.universe(self.selection_of(ctx)))
            if state is None:
                return await nowhere(ctx, params)
            if state.listen is None:
                state.bus = InMemorySubscriptionBus()
                state.listen = ListenHandler(state.bus)
            return await state.listen(ctx, params)

        return on_listen
