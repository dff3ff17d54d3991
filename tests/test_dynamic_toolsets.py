"""--dynamic-toolsets end to end: real clients start with the meta-tools, enable toolsets, hear
notifications/tools/list_changed and re-list; sessions never see each other's changes."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from cal_mcp.app import CalMcpApp
from cal_mcp.config import Settings
from cal_mcp.registry import Registry
from cal_mcp.tool_views import DynamicStart
from cal_mcp.toolsets import DYNAMIC_INSTRUCTIONS, META_TOOL_NAMES, TOOLSET_SUMMARIES
from cal_mcp.transports import http_app
from tests.conftest import serve_in_thread

META = set(META_TOOL_NAMES)
ME_TOOLS = {"CAL_GET_ALL_TIMEZONES", "CAL_GET_ORGANIZATION_ID", "CAL_RETRIEVE_MY_INFORMATION",
            "CAL_UPDATE_USER_PROFILE_DETAILS"}


def sandbox_app(registry: Registry, start: DynamicStart | None = None, *, read_only: bool = False) -> CalMcpApp:
    served = registry.select(read_only=read_only)
    return CalMcpApp(Settings(rate_limit_per_minute=0, sandbox=True, api_key="cal_sandbox_key"), served,
                     dynamic=start or DynamicStart(), loaded=registry)


def names(listed: Any) -> set[str]:
    return {t.name for t in listed.tools}


def payload(result: Any) -> Any:
    return json.loads(result.content[0].text)


class Notes:
    """A client message handler that records the notifications it is sent."""

    def __init__(self) -> None:
        self.methods: list[str] = []
        self.list_changed = anyio.Event()

    async def __call__(self, message: Any) -> None:
        method = getattr(message, "method", None)
        if method:
            self.methods.append(method)
        if method == "notifications/tools/list_changed":
            self.list_changed.set()


def test_every_toolset_has_a_summary(registry: Registry) -> None:
    assert set(registry.toolsets) <= set(TOOLSET_SUMMARIES)


async def test_a_session_starts_with_the_meta_tools_and_the_named_toolsets(registry: Registry) -> None:
    async with Client(sandbox_app(registry, DynamicStart(frozenset({"slots"}))).build_server(),
                      mode="legacy") as client:
        assert client.server_capabilities.tools.list_changed is True  # type: ignore[union-attr]
        listed = names(await client.list_tools())
        assert DYNAMIC_INSTRUCTIONS in (client.instructions or "")
    assert listed == META | {s.name for s in registry.specs if s.toolset == "slots"}


async def test_enabling_adds_tools_notifies_and_unlocks_calls(registry: Registry) -> None:
    notes = Notes()
    async with Client(sandbox_app(registry).build_server(), mode="legacy", message_handler=notes) as client:
        refused = await client.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})
        assert refused.is_error
        assert "CAL_ENABLE_TOOLSETS" in refused.content[0].text and '"me"' in refused.content[0].text  # type: ignore[union-attr]

        toolsets = payload(await client.call_tool("CAL_LIST_TOOLSETS", {}))["toolsets"]
        assert {t["name"]: t["tools"] for t in toolsets} == registry.toolsets
        assert not any(t["enabled"] for t in toolsets)

        enabled = payload(await client.call_tool("CAL_ENABLE_TOOLSETS", {"toolsets": ["me"]}))
        assert enabled["newlyEnabled"] == ["me"]
        await anyio.sleep(0.05)
        assert "notifications/tools/list_changed" in notes.methods
        assert names(await client.list_tools()) == META | ME_TOOLS

        me = await client.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})
        assert not me.is_error

        # Enabling again changes nothing, so no second notification.
        count = notes.methods.count("notifications/tools/list_changed")
        again = payload(await client.call_tool("CAL_ENABLE_TOOLSETS", {"toolsets": ["me"]}))
        assert again["newlyEnabled"] == []
        await anyio.sleep(0.05)
        assert notes.methods.count("notifications/tools/list_changed") == count


async def test_bad_enable_and_search_arguments_name_the_fix(registry: Registry) -> None:
    async with Client(sandbox_app(registry).build_server(), mode="legacy") as client:
        unknown = await client.call_tool("CAL_ENABLE_TOOLSETS", {"toolsets": ["bookingz"]})
        assert unknown.is_error and "bookingz" in unknown.content[0].text  # type: ignore[union-attr]
        assert "bookings" in unknown.content[0].text  # type: ignore[union-attr]
        empty = await client.call_tool("CAL_ENABLE_TOOLSETS", {"toolsets": []})
        assert empty.is_error
        search = payload(await client.call_tool("CAL_SEARCH_TOOLS", {"query": "cancel booking"}))
        assert search["matches"][0]["name"] == "CAL_CANCEL_BOOKING_VIA_UID"
        assert search["matches"][0]["enabled"] is False
        assert (await client.call_tool("CAL_SEARCH_TOOLS", {"query": "  "})).is_error


async def test_read_only_still_wins(registry: Registry) -> None:
    async with Client(sandbox_app(registry, read_only=True).build_server(), mode="legacy") as client:
        await client.call_tool("CAL_ENABLE_TOOLSETS", {"toolsets": ["bookings"]})
        listed = names(await client.list_tools()) - META
        write = await client.call_tool("CAL_CANCEL_BOOKING_VIA_UID", {"bookingUid": "x"})
    bookings = {s.name for s in registry.specs if s.toolset == "bookings"}
    read_only = {s.name for s in registry.specs if s.toolset == "bookings" and s.annotations.read_only_hint}
    assert listed == read_only and read_only < bookings
    assert write.is_error and "read-only" in write.content[0].text  # type: ignore[union-attr]


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_stdio_both_eras_follow_list_changed(mode: str) -> None:
    """A real subprocess over stdio: the handshake era hears the notification; the 2026-07-28 era
    hears it on its subscriptions/listen stream. Either way the client re-lists and calls."""
    notes = Notes()
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "cal_mcp", "--sandbox", "--dynamic-toolsets", "--log-level", "WARNING"],
        env={"PYTHONPATH": os.environ.get("PYTHONPATH", ""), "CAL_MCP_RATE_LIMIT": "0"},
    )
    async with Client(params, mode=mode, message_handler=notes) as client:
        assert names(await client.list_tools()) == META
        if mode == "auto":
            assert client.protocol_version == "2026-07-28"
            async with client.listen(tools_list_changed=True) as events:
                await client.call_tool("CAL_ENABLE_TOOLSETS", {"toolsets": ["me"]})
                with anyio.fail_after(10):
                    event = await events.__anext__()
            assert type(event).__name__ == "ToolsListChanged"
        else:
            await client.call_tool("CAL_ENABLE_TOOLSETS", {"toolsets": ["me"]})
            with anyio.fail_after(10):
                await notes.list_changed.wait()
        assert names(await client.list_tools()) == META | ME_TOOLS
        assert not (await client.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})).is_error


@pytest.fixture(scope="module")
def dynamic_url(registry: Registry) -> Iterator[str]:
    with serve_in_thread(http_app(sandbox_app(registry))) as url:
        yield url


async def test_http_sessions_do_not_see_each_others_toolsets(dynamic_url: str) -> None:
    notes_a = Notes()
    async with Client(f"{dynamic_url}/mcp", mode="legacy", message_handler=notes_a) as a, \
            Client(f"{dynamic_url}/mcp", mode="legacy") as b:
        await a.call_tool("CAL_ENABLE_TOOLSETS", {"toolsets": ["me"]})
        assert "notifications/tools/list_changed" in notes_a.methods
        assert names(await a.list_tools()) == META | ME_TOOLS
        assert names(await b.list_tools()) == META
        assert (await b.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})).is_error
        assert not (await a.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})).is_error
    async with Client(f"{dynamic_url}/mcp", mode="legacy") as later:  # a new session starts afresh
        assert names(await later.list_tools()) == META


async def test_http_2026_requests_have_no_session_so_enabling_describes_the_tools(dynamic_url: str) -> None:
    """2026-07-28 over HTTP is one exchange per request: nothing can be remembered, so the enable
    tool returns the tools' full definitions and every served tool stays callable."""
    async with Client(f"{dynamic_url}/mcp") as client:
        assert client.protocol_version == "2026-07-28"
        assert names(await client.list_tools()) == META
        answer = payload(await client.call_tool("CAL_ENABLE_TOOLSETS", {"toolsets": ["me"]}))
        assert {t["name"] for t in answer["tools"]} == ME_TOOLS
        assert all("inputSchema" in t and "description" in t for t in answer["tools"])
        assert "/mcp/x/" in answer["next"]
        assert not (await client.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})).is_error


def scripted_model(seen: list[set[str]]) -> Any:
    """A pydantic-ai model function that records the tools it is offered at each step, enables the `me`
    toolset, calls CAL_RETRIEVE_MY_INFORMATION, then answers with that tool's result."""
    from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
    from pydantic_ai.models.function import AgentInfo

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen.append({t.name for t in info.function_tools})
        if len(seen) == 1:
            return ModelResponse(parts=[ToolCallPart("CAL_ENABLE_TOOLSETS", {"toolsets": ["me"]})])
        if len(seen) == 2:
            return ModelResponse(parts=[ToolCallPart("CAL_RETRIEVE_MY_INFORMATION", {})])
        return ModelResponse(parts=[TextPart(str(messages[-1].parts[0].content))])  # type: ignore[attr-defined]

    return model


async def test_an_agent_framework_sees_the_enabled_tools(dynamic_url: str) -> None:
    """pydantic-ai with a scripted model: enable a toolset, then call a tool from it."""
    from fastmcp.client import Client as FastMCPClient
    from pydantic_ai import Agent
    from pydantic_ai.mcp import MCPToolset
    from pydantic_ai.models.function import FunctionModel

    seen: list[set[str]] = []
    model = scripted_model(seen)

    notes = Notes()
    # pydantic-ai's default client speaks 2026-07-28 over HTTP, which has no sessions (see the test
    # above); a handshake-era client keeps one. It re-lists the tools before every model step.
    client = FastMCPClient(f"{dynamic_url}/mcp", mode="legacy", message_handler=notes)
    agent = Agent(FunctionModel(model), toolsets=[MCPToolset(client, cache_tools=False)])
    async with agent:
        result = await agent.run("Who am I on Cal.com?")
    assert seen[0] == META
    assert seen[1] == META | ME_TOOLS
    assert "notifications/tools/list_changed" in notes.methods
    assert "alex@sandbox.cal.test" in result.output


async def test_an_sse_connection_keeps_its_own_enabled_set(dynamic_url: str) -> None:
    from mcp.client.sse import sse_client

    notes = Notes()
    async with Client(sse_client(f"{dynamic_url}/sse"), mode="legacy", message_handler=notes) as client:
        await client.call_tool("CAL_ENABLE_TOOLSETS", {"toolsets": ["me"]})
        with anyio.fail_after(10):
            await notes.list_changed.wait()
        assert names(await client.list_tools()) == META | ME_TOOLS
    async with Client(sse_client(f"{dynamic_url}/sse"), mode="legacy") as other:
        assert names(await other.list_tools()) == META


async def test_an_agent_framework_over_stdio_in_its_default_era() -> None:
    """pydantic-ai's own client over stdio (2026-07-28): the stdio connection is the session."""
    from fastmcp.client.transports import StdioTransport
    from pydantic_ai import Agent
    from pydantic_ai.mcp import MCPToolset
    from pydantic_ai.models.function import FunctionModel

    seen: list[set[str]] = []
    model = scripted_model(seen)

    server = StdioTransport(
        command=sys.executable, args=["-m", "cal_mcp", "--sandbox", "--dynamic-toolsets", "--log-level", "WARNING"],
        env={"PYTHONPATH": os.environ.get("PYTHONPATH", ""), "CAL_MCP_RATE_LIMIT": "0"},
    )
    # Its client does not open a subscriptions/listen stream, so it hears no change: it re-lists per step.
    agent = Agent(FunctionModel(model), toolsets=[MCPToolset(server, cache_tools=False)])
    async with agent:
        result = await agent.run("Who am I on Cal.com?")
    assert seen[0] == META and seen[1] == META | ME_TOOLS
    assert "alex@sandbox.cal.test" in result.output
