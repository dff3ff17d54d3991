"""Issue 14 item 1: the model learns "now" (UTC), the host's time zone and local time in one call."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from mcp import Client

from cal_mcp.app import CalMcpApp
from cal_mcp.config import Settings
from cal_mcp.guidance import INSTRUCTIONS
from cal_mcp.handlers.me import now_block
from cal_mcp.registry import Registry
from cal_mcp.sandbox.clock import FrozenClock
from cal_mcp.sandbox.state import SANDBOX_API_KEY

# A Thursday afternoon in London, in winter (UTC+0), chosen away from the sandbox's default epoch.
FROZEN = datetime(2026, 12, 3, 14, 5, 9, tzinfo=UTC)


def sandbox_app(registry: Registry, clock: FrozenClock) -> CalMcpApp:
    settings = Settings(sandbox=True, api_key=SANDBOX_API_KEY, rate_limit_per_minute=0)
    return CalMcpApp(settings, registry, clock=clock)


async def test_my_information_carries_now_from_the_injected_clock(registry: Registry) -> None:
    clock = FrozenClock(FROZEN)
    async with Client(sandbox_app(registry, clock).build_server()) as client:
        result = await client.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})
        assert not result.is_error
        now = result.structured_content["now"]
        assert now == {"utc": "2026-12-03T14:05:09Z", "timeZone": "Europe/London",
                       "local": "2026-12-03T14:05:09+00:00", "weekday": "Thursday"}
        assert '"now":' in result.content[0].text  # the text block a model reads says it too
        # The clock moves; the next call says so (nothing is cached).
        clock.advance(hours=10)
        later = (await client.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})).structured_content["now"]
        assert later["utc"] == "2026-12-04T00:05:09Z" and later["weekday"] == "Friday"


async def test_local_time_follows_the_hosts_time_zone(registry: Registry) -> None:
    async with Client(sandbox_app(registry, FrozenClock(FROZEN)).build_server()) as client:
        moved = await client.call_tool("CAL_UPDATE_USER_PROFILE_DETAILS", {"timeZone": "America/Los_Angeles"})
        assert not moved.is_error
        now = (await client.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})).structured_content["now"]
    assert now["timeZone"] == "America/Los_Angeles"
    assert now["local"] == "2026-12-03T06:05:09-08:00" and now["weekday"] == "Thursday"


async def test_the_sandbox_shares_the_servers_clock(registry: Registry) -> None:
    """In --sandbox mode "now" and the free slots agree: no slot is offered before the reported now."""
    async with Client(sandbox_app(registry, FrozenClock(FROZEN)).build_server()) as client:
        slots = await client.call_tool("CAL_GET_AVAILABLE_SLOTS_INFO",
                                       {"eventTypeId": 102, "start": "2026-12-03", "end": "2026-12-03"})
    starts = [slot["start"] for day in slots.structured_content["data"].values() for slot in day]
    assert starts and all(datetime.fromisoformat(s.replace("Z", "+00:00")) >= FROZEN for s in starts)


@pytest.mark.parametrize(("zone", "local"), [
    ("Europe/Berlin", "2026-07-01T12:00:00+02:00"),  # summer time
    ("Asia/Kolkata", "2026-07-01T15:30:00+05:30"),
])
def test_now_block_uses_the_zones_offset_on_that_date(zone: str, local: str) -> None:
    block = now_block(datetime(2026, 7, 1, 10, 0, tzinfo=UTC), zone)
    assert block["local"] == local and block["utc"] == "2026-07-01T10:00:00Z"


def test_an_unknown_profile_zone_still_gives_utc() -> None:
    block = now_block(FROZEN, "Mars/Olympus")
    assert block["utc"] == "2026-12-03T14:05:09Z" and "local" not in block and "Mars/Olympus" in block["note"]


def test_the_instructions_say_where_now_is() -> None:
    sentence = next(line for line in INSTRUCTIONS.splitlines() if "CAL_RETRIEVE_MY_INFORMATION" in line
                    and re.search(r"\bnow\b", line))
    assert "UTC" in sentence and "time zone" in sentence
