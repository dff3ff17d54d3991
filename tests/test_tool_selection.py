"""Per-request tool selection over Streamable HTTP: by URL or header, narrowing only, fixed per session."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from mcp import Client

from cal_mcp.app import CalMcpApp
from cal_mcp.config import Settings
from cal_mcp.registry import Registry
from cal_mcp.tool_selection import Selection, SelectionRefused, parse_path
from cal_mcp.transports import http_app
from tests.conftest import serve_in_thread

INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def in_sets(registry: Registry, *toolsets: str, read_only: bool = False) -> set[str]:
    return {s.name for s in registry.specs
            if s.toolset in toolsets and (s.annotations.read_only_hint or not read_only)}


def test_paths() -> None:
    assert parse_path("") == Selection()
    assert parse_path("readonly") == Selection(read_only=True)
    assert parse_path("x/bookings,slots") == Selection(frozenset({"bookings", "slots"}))
    assert parse_path("x/bookings/readonly/") == Selection(frozenset({"bookings"}), True)
    assert parse_path("x/all/readonly") == Selection(None, True)
    with pytest.raises(SelectionRefused):
        parse_path("bookings")


def serve(registry: Registry, **http: Any) -> Any:
    app = CalMcpApp(Settings(rate_limit_per_minute=0, sandbox=True, api_key="cal_sandbox_key"), registry,
                    loaded=registry)
    return serve_in_thread(http_app(app, json_response=True, **http))


@pytest.fixture(scope="module")
def url(registry: Registry) -> Iterator[str]:
    with serve(registry) as base:
        yield base


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_the_url_narrows_the_list_and_the_calls(url: str, registry: Registry, mode: str) -> None:
    async with Client(f"{url}/mcp/x/me,slots", mode=mode) as client:
        listed = {t.name for t in (await client.list_tools()).tools}
        outside = await client.call_tool("CAL_FETCH_ALL_BOOKINGS", {})
        inside = await client.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})
    assert listed == in_sets(registry, "me", "slots")
    assert outside.is_error and "'bookings' toolset" in outside.content[0].text  # type: ignore[union-attr]
    assert not inside.is_error


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_readonly_url(url: str, registry: Registry, mode: str) -> None:
    async with Client(f"{url}/mcp/x/bookings/readonly", mode=mode) as client:
        listed = {t.name for t in (await client.list_tools()).tools}
        write = await client.call_tool("CAL_CANCEL_BOOKING_VIA_UID", {"bookingUid": "x"})
    assert listed == in_sets(registry, "bookings", read_only=True)
    assert write.is_error and "read-only" in write.content[0].text  # type: ignore[union-attr]


async def test_headers_select_like_the_url(url: str, registry: Registry) -> None:
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    headers = {"X-MCP-Toolsets": "event_types,me", "X-MCP-Readonly": "true"}
    async with httpx2.AsyncClient(headers=headers) as http, \
            Client(streamable_http_client(f"{url}/mcp", http_client=http), mode="legacy") as client:
        listed = {t.name for t in (await client.list_tools()).tools}
    assert listed == in_sets(registry, "event_types", "me", read_only=True)


def test_an_unknown_toolset_is_refused_with_the_valid_names(url: str, registry: Registry) -> None:
    answer = httpx.post(f"{url}/mcp/x/bookings,bookingz", json=INIT, headers=HEADERS)
    assert answer.status_code == 400
    message = answer.json()["error"]["message"]
    assert "bookingz" in message and all(name in message for name in registry.toolsets)
    by_header = httpx.post(f"{url}/mcp", json=INIT, headers={**HEADERS, "X-MCP-Toolsets": "nope"})
    assert by_header.status_code == 400
    assert httpx.post(f"{url}/mcp/bookings", json=INIT, headers=HEADERS).status_code == 400


def test_a_client_cannot_widen_what_the_server_serves(registry: Registry) -> None:
    served = registry.select(toolsets=["bookings", "slots"])
    with serve(served) as base:
        refused = httpx.post(f"{base}/mcp/x/teams", json=INIT, headers=HEADERS)
        narrowed = httpx.post(f"{base}/mcp/x/slots", json=INIT, headers=HEADERS)
    assert refused.status_code == 400 and "teams" in refused.json()["error"]["message"]
    assert "valid: bookings, slots" in refused.json()["error"]["message"]
    assert narrowed.status_code == 200


def _list(base: str, path: str, session: str | None = None, **extra: str) -> set[str]:
    headers = {**HEADERS, **extra, **({"Mcp-Session-Id": session} if session else {})}
    answer = httpx.post(f"{base}{path}", headers=headers,
                        json={"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}})
    assert answer.status_code == 200, answer.text
    return {t["name"] for t in answer.json()["result"]["tools"]}


def test_a_session_keeps_the_selection_it_was_opened_with(url: str, registry: Registry) -> None:
    opened = httpx.post(f"{url}/mcp/x/me", json=INIT, headers=HEADERS)
    session = opened.headers["mcp-session-id"]
    httpx.post(f"{url}/mcp", headers={**HEADERS, "Mcp-Session-Id": session},
               json={"jsonrpc": "2.0", "method": "notifications/initialized"})
    # Later requests of the session cannot widen it, by URL or by header.
    assert _list(url, "/mcp", session) == in_sets(registry, "me")
    assert _list(url, "/mcp/x/all", session, **{"X-MCP-Toolsets": "bookings"}) == in_sets(registry, "me")
    other = httpx.post(f"{url}/mcp", json=INIT, headers=HEADERS).headers["mcp-session-id"]
    httpx.post(f"{url}/mcp", headers={**HEADERS, "Mcp-Session-Id": other},
               json={"jsonrpc": "2.0", "method": "notifications/initialized"})
    assert _list(url, "/mcp", other) == {s.name for s in registry.specs}


def test_stateless_selects_per_request(registry: Registry) -> None:
    with serve(registry, stateless=True) as base:
        assert _list(base, "/mcp/x/slots") == in_sets(registry, "slots")
        assert _list(base, "/mcp/readonly") == {s.name for s in registry.specs if s.annotations.read_only_hint}
        assert _list(base, "/mcp", **{"X-MCP-Toolsets": "me"}) == in_sets(registry, "me")


async def test_dynamic_sessions_start_with_the_toolsets_the_url_names(registry: Registry) -> None:
    from cal_mcp.tool_views import DynamicStart
    from cal_mcp.toolsets import META_TOOL_NAMES

    app = CalMcpApp(Settings(rate_limit_per_minute=0, sandbox=True, api_key="cal_sandbox_key"),
                    registry.select(read_only=True), dynamic=DynamicStart(), loaded=registry)
    with serve_in_thread(http_app(app)) as base:
        async with Client(f"{base}/mcp/x/me,bookings", mode="legacy") as client:
            listed = {t.name for t in (await client.list_tools()).tools}
            toolsets = json.loads((await client.call_tool("CAL_LIST_TOOLSETS", {})).content[0].text)  # type: ignore[union-attr]
    assert listed == set(META_TOOL_NAMES) | in_sets(registry, "me", "bookings", read_only=True)
    assert {t["name"] for t in toolsets["toolsets"]} == {"me", "bookings"}
