"""Real transports end to end: stdio (subprocess), SSE and Streamable HTTP (uvicorn on loopback), one sandbox."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.sse import sse_client

from cal_mcp.app import CalMcpApp
from cal_mcp.config import Settings
from cal_mcp.registry import Registry
from cal_mcp.sandbox.app import create_app
from cal_mcp.sandbox.clock import FrozenClock
from cal_mcp.sandbox.seeds import new_state
from cal_mcp.sandbox.state import DEFAULT_EPOCH
from cal_mcp.transports import http_app
from tests.conftest import REPO, serve_in_thread
from tests.workflow import book_and_cancel, data, edit_book_and_share, weekday_after

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    with serve_in_thread(create_app(new_state(clock=FrozenClock(DEFAULT_EPOCH)))) as url:
        yield url


@pytest.fixture(scope="module")
def mcp_url(sandbox_url: str, registry: Registry) -> Iterator[str]:
    settings = Settings(api_key="cal_test_key", base_url=sandbox_url, rate_limit_per_minute=0)
    with serve_in_thread(http_app(CalMcpApp(settings, registry))) as url:
        yield url

SERVER_PATH = str(REPO / "server")  # the children run this checkout, whichever one the venv was installed from


def stdio_params(sandbox_url: str, *extra: str) -> StdioServerParameters:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": SERVER_PATH, "CAL_API_BASE_URL": sandbox_url,
           "CAL_API_KEY": "cal_test_key",
           "CAL_MCP_RATE_LIMIT": "0", "CAL_MCP_LOG_LEVEL": "WARNING"}
    return StdioServerParameters(command=sys.executable, args=["-m", "cal_mcp", *extra], env=env)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_stdio_runs_the_booking_path(sandbox_url: str, mode: str) -> None:
    async with Client(stdio_params(sandbox_url), mode=mode) as client:  # type: ignore[arg-type]
        await book_and_cancel(client)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_streamable_http_runs_the_booking_path(mcp_url: str, mode: str) -> None:
    async with Client(f"{mcp_url}/mcp", mode=mode) as client:  # type: ignore[arg-type]
        await book_and_cancel(client)


async def test_streamable_http_runs_the_edit_and_share_path(mcp_url: str) -> None:
    """Issue 11: create and edit an event type, add an attendee, move the meeting, list team and org bookings."""
    async with Client(f"{mcp_url}/mcp") as client:
        await edit_book_and_share(client, tag="http")


async def test_stdio_runs_the_edit_and_share_path(sandbox_url: str) -> None:
    async with Client(stdio_params(sandbox_url)) as client:
        await edit_book_and_share(client, tag="stdio")


async def test_sse_runs_the_booking_path(mcp_url: str) -> None:
    async with Client(sse_client(f"{mcp_url}/sse"), mode="legacy") as client:
        await book_and_cancel(client)


async def test_a_booking_made_over_stdio_is_seen_over_http(sandbox_url: str, mcp_url: str) -> None:
    async with Client(stdio_params(sandbox_url)) as stdio_client:
        uid = await book_and_cancel(stdio_client, attendee_email="cross@example.com")
    async with Client(f"{mcp_url}/mcp") as http_client:
        seen: Any = data(await http_client.call_tool("CAL_RETRIEVE_BOOKING_DETAILS_BY_UID", {"bookingUid": uid}))
    assert seen["uid"] == uid and seen["status"] == "cancelled"


async def test_stdio_filters_tools_and_lists_only_read_only_ones(sandbox_url: str) -> None:
    params = stdio_params(sandbox_url, "--toolsets", "bookings,slots", "--read-only")
    async with Client(params) as client:
        tools = (await client.list_tools()).tools
    assert tools and all(t.annotations and t.annotations.read_only_hint for t in tools)
    assert {t.name for t in tools} >= {"CAL_FETCH_ALL_BOOKINGS", "CAL_GET_AVAILABLE_SLOTS_INFO"}


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_the_sandbox_flag_runs_the_booking_path_with_no_account(mode: str) -> None:
    """``cal-mcp --sandbox`` (in-process emulator on the wall clock), exactly as the README runs it."""
    params = StdioServerParameters(command=sys.executable, args=["-m", "cal_mcp", "--sandbox"],
                                   env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": SERVER_PATH})
    async with Client(params, mode=mode) as client:  # type: ignore[arg-type]
        me = data(await client.call_tool("CAL_RETRIEVE_MY_INFORMATION", {}))
        assert me["username"]
        await book_and_cancel(client, day=weekday_after(datetime.now(UTC)))
        await edit_book_and_share(client, tag="sandbox", day=weekday_after(datetime.now(UTC)))
