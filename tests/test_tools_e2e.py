"""Every tool, called end to end over real loopback HTTP against the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from mcp import Client

from cal_mcp.app import CalMcpApp
from cal_mcp.config import Settings
from cal_mcp.registry import Registry
from cal_mcp.sandbox.app import create_app
from cal_mcp.sandbox.clock import FrozenClock
from cal_mcp.sandbox.seeds import new_state
from cal_mcp.sandbox.state import DEFAULT_EPOCH, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, SandboxState
from cal_mcp.transports import http_app
from tests.conftest import serve_in_thread
from tests.e2e_cases_beyond import CASES as BEYOND_CASES
from tests.e2e_cases_beyond_seed import CASES as BEYOND_SEED_CASES
from tests.e2e_cases_core import CASES as CORE_CASES
from tests.e2e_cases_platform import CASES as PLATFORM_CASES
from tests.e2e_support import Case, Recorder

ALL_CASES: list[Case] = [*CORE_CASES, *PLATFORM_CASES, *BEYOND_CASES, *BEYOND_SEED_CASES]


class Loopback:
    def __init__(self, state: SandboxState, recorder: Recorder, mcp_url: str) -> None:
        self.state, self.recorder, self.mcp_url = state, recorder, mcp_url


@pytest.fixture(scope="module")
def loopback(registry: Registry) -> Iterator[Loopback]:
    state = new_state(clock=FrozenClock(DEFAULT_EPOCH))
    recorder = Recorder(create_app(state))
    with serve_in_thread(recorder) as sandbox_url:
        settings = Settings(api_key="cal_e2e_key", base_url=sandbox_url, rate_limit_per_minute=0,
                            oauth_client_id=OAUTH_CLIENT_ID, oauth_client_secret=OAUTH_CLIENT_SECRET)
        with serve_in_thread(http_app(CalMcpApp(settings, registry))) as mcp_url:
            yield Loopback(state, recorder, f"{mcp_url}/mcp")


def test_every_tool_has_an_end_to_end_case(registry: Registry) -> None:
    covered = {case.tool for case in ALL_CASES if case.succeeds}
    assert covered == set(registry.by_name), sorted(set(registry.by_name) ^ covered)


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: c.name)
async def test_tool_end_to_end(case: Case, loopback: Loopback) -> None:
    loopback.state.reset()
    if case.setup:
        case.setup(loopback.state)
    loopback.recorder.exchanges.clear()
    # Opened in the test, not in an async fixture: pytest-asyncio tears fixtures down in another task,
    # and the client's anyio task group must exit in the task that entered it.
    async with Client(loopback.mcp_url) as client:
        result = await client.call_tool(case.tool, case.args)
    text = result.content[0].text if result.content else ""
    if case.refused_here:
        assert result.is_error, text
        assert result.structured_content["error"]["kind"] == "invalid_arguments", text
        assert not loopback.recorder.exchanges, "a call Cal's rules refuse must not reach the sandbox"
        if getattr(case.check, "on_error", False):
            case.check(result.structured_content["error"], loopback.state)
        return
    if case.error_status is not None:
        assert result.is_error, text
        assert result.structured_content["error"].get("status") == case.error_status, text
        assert result.structured_content["error"].get("hint"), text
        if getattr(case.check, "on_error", False):
            case.check(result.structured_content["error"], loopback.state)
        return
    assert not result.is_error, text
    assert loopback.recorder.exchanges, "the call never reached the sandbox"
    data: Any = result.structured_content["data"]
    case.check(data, loopback.state)
