"""Server instructions and workflow prompts, as an MCP client receives them."""

from __future__ import annotations

import re

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from cal_mcp.app import CalMcpApp
from cal_mcp.config import Settings
from cal_mcp.guidance import INSTRUCTIONS
from cal_mcp.registry import Registry


def app(registry: Registry) -> CalMcpApp:
    return CalMcpApp(Settings(rate_limit_per_minute=0), registry)


def test_instructions_are_short_and_name_only_existing_tools(registry: Registry) -> None:
    assert len(INSTRUCTIONS.split()) < 300
    named = set(re.findall(r"CAL_[A-Z0-9_]+", INSTRUCTIONS))
    assert named and named <= set(registry.by_name)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_the_client_receives_the_instructions(registry: Registry, mode: str) -> None:
    async with Client(app(registry).build_server(), mode=mode) as client:  # type: ignore[arg-type]
        instructions = client.instructions
    assert instructions == INSTRUCTIONS


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_the_four_workflow_prompts_are_listed(registry: Registry, mode: str) -> None:
    async with Client(app(registry).build_server(), mode=mode) as client:  # type: ignore[arg-type]
        prompts = await client.list_prompts()
    assert {p.name for p in prompts.prompts} == {
        "book_meeting", "reschedule_booking", "cancel_booking", "find_free_time"}


@pytest.mark.parametrize(
    ("name", "args", "must_name"),
    [
        ("book_meeting", {"attendee_name": "Dana", "attendee_email": "dana@example.com"},
         ["CAL_LIST_EVENT_TYPES", "CAL_GET_AVAILABLE_SLOTS_INFO", "CAL_POST_NEW_BOOKING_REQUEST"]),
        ("reschedule_booking", {"booking": "uid-1", "new_time": "Friday 3pm"},
         ["CAL_GET_AVAILABLE_SLOTS_INFO", "CAL_RESCHEDULE_BOOKING_BY_UID"]),
        ("cancel_booking", {"booking": "uid-1"}, ["CAL_CANCEL_BOOKING_VIA_UID"]),
        ("find_free_time", {"date_range": "next week"}, ["CAL_RETRIEVE_CALENDAR_BUSY_TIMES"]),
    ],
)
async def test_each_prompt_walks_through_existing_tools(
    registry: Registry, name: str, args: dict[str, str], must_name: list[str]
) -> None:
    async with Client(app(registry).build_server()) as client:
        result = await client.get_prompt(name, args)
    text = result.messages[0].content.text  # type: ignore[union-attr]
    for tool in must_name:
        assert tool in text
    assert set(re.findall(r"CAL_[A-Z0-9_]+", text)) <= set(registry.by_name)
    for value in args.values():
        assert value in text


async def test_a_prompt_without_its_required_argument_is_refused(registry: Registry) -> None:
    async with Client(app(registry).build_server()) as client:
        with pytest.raises(MCPError, match="attendee_name"):
            await client.get_prompt("book_meeting", {})
