"""Other spellings of argument names reach the right argument; two names for one are refused.

Callers spell arguments as the seed toolkit's descriptions do (``bookinguid``, ``loggedinuserstz``),
snake case (``booking_uid``), or as older Cal versions did (``startTime`` for slots); none of those
names appears in ``tools/list``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from cal_mcp.app import CalMcpApp
from cal_mcp.argument_aliases import alias_table, fold, resolve
from cal_mcp.config import Settings
from cal_mcp.errors import ArgumentError
from cal_mcp.registry import Registry
from cal_mcp.sandbox.app import create_app
from cal_mcp.sandbox.clock import FrozenClock
from cal_mcp.sandbox.seeds import new_state
from cal_mcp.sandbox.state import DEFAULT_EPOCH
from cal_mcp.specs import SpecError, load_specs
from cal_mcp.transports import http_app
from tests.conftest import require_shared, serve_in_thread
from tests.test_specs import broken, write
from tests.workflow import DAY, data


def test_spellings_fold_to_one_name() -> None:
    assert fold("booking_uid") == fold("bookingUid") == fold("BOOKINGUID") == fold("booking-uid")


def test_a_name_two_properties_share_when_folded_resolves_to_neither() -> None:
    table = alias_table({"team_id": {}, "teamId": {}, "take": {}}, {})
    assert "teamid" not in table
    assert table["take"] == "take"


def test_two_names_for_one_argument_are_refused_naming_both() -> None:
    properties = {"start": {}, "end": {}}
    table = alias_table(properties, {"startTime": "start"})
    with pytest.raises(ArgumentError) as error:
        resolve("CAL_X", properties, table, {"start": "2026-12-01", "startTime": "2026-12-02"})
    assert "`start`" in str(error.value) and "`startTime`" in str(error.value)
    assert error.value.field == "start"


def test_unknown_names_are_left_for_validation_to_report() -> None:
    properties = {"start": {}}
    assert resolve("CAL_X", properties, alias_table(properties, {}), {"colour": 1}) == {"colour": 1}


@pytest.mark.parametrize(
    ("aliases", "problem"),
    [
        ({"thing": "missing"}, "'missing', which is not a property"),
        ({"thing_id": "thingId"}, "already a spelling of the property 'thingId'"),
        ({"pageSize": "take", "page_size": "take"}, "one name in two spellings"),
    ],
    ids=["unknown-target", "redundant-spelling", "duplicate-alias"],
)
def test_the_loader_refuses_an_alias_that_could_mislead(tmp_path: Path, aliases: dict[str, str], problem: str) -> None:
    write(tmp_path, broken(aliases=aliases))
    with pytest.raises(SpecError, match=re.escape(problem)):
        load_specs(tmp_path)


def test_every_argument_the_seed_descriptions_name_reaches_an_argument_or_is_deliberately_omitted(
    registry: Registry,
) -> None:
    seed = require_shared("seed", "cal-toolkit.txt").read_text(encoding="utf-8")
    names = sorted((spec.name for spec in registry.specs), key=len, reverse=True)
    checked = 0
    for line in seed.splitlines():
        tool = next((name for name in names if line.startswith(name)), None)
        if tool is None:
            continue
        spec = registry.get(tool)
        assert spec is not None
        for word in re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", line[len(tool):]):
            canonical = spec.canonical_arguments({word: 1})
            reached = next(iter(canonical))
            assert reached in spec.properties or word in spec.request.omitted, (tool, word)
            checked += 1
    assert checked > 20


@pytest.fixture(scope="module")
def mcp_url(registry: Registry) -> Iterator[str]:
    with serve_in_thread(create_app(new_state(clock=FrozenClock(DEFAULT_EPOCH)))) as sandbox_url:
        settings = Settings(api_key="cal_alias_key", base_url=sandbox_url, rate_limit_per_minute=0)
        with serve_in_thread(http_app(CalMcpApp(settings, registry))) as url:
            yield f"{url}/mcp"


async def _call(url: str, tool: str, arguments: dict[str, Any]) -> Any:
    async with Client(url) as client:
        return await client.call_tool(tool, arguments)


async def test_older_slot_argument_names_find_the_same_slots(mcp_url: str) -> None:
    async with Client(mcp_url) as client:
        event_types = data(await client.call_tool("CAL_LIST_EVENT_TYPES", {}))
        event_type_id = event_types[0]["id"]
        canonical = data(await client.call_tool(
            "CAL_GET_AVAILABLE_SLOTS_INFO", {"eventTypeId": event_type_id, "start": DAY, "end": DAY}))
        older = data(await client.call_tool(
            "CAL_GET_AVAILABLE_SLOTS_INFO", {"eventtypeid": event_type_id, "startTime": DAY, "endTime": DAY}))
    assert canonical and older == canonical


async def test_the_seed_spelling_of_a_booking_uid_reaches_the_booking(mcp_url: str) -> None:
    async with Client(mcp_url) as client:
        bookings = data(await client.call_tool("CAL_FETCH_ALL_BOOKINGS", {}))
        uid = bookings[0]["uid"]
        for spelling in ("bookinguid", "booking_uid"):
            booking = data(await client.call_tool("CAL_RETRIEVE_BOOKING_DETAILS_BY_UID", {spelling: uid}))
            assert booking["uid"] == uid


async def test_busy_times_take_the_deprecated_time_zone_name(mcp_url: str) -> None:
    async with Client(mcp_url) as client:
        calendars = data(await client.call_tool("CAL_RETRIEVE_CALENDAR_LIST", {}))
        connected = calendars["connectedCalendars"][0]
        arguments = {
            "dateFrom": DAY, "dateTo": DAY, "loggedinuserstz": "Europe/Berlin",
            "credentialid": connected["credentialId"], "externalid": connected["calendars"][0]["externalId"],
        }
        result = await client.call_tool("CAL_RETRIEVE_CALENDAR_BUSY_TIMES", arguments)
    assert not result.is_error, result


async def test_a_call_naming_one_argument_twice_is_refused_naming_both_names(mcp_url: str) -> None:
    async with Client(mcp_url) as client:
        result = await client.call_tool(
            "CAL_GET_AVAILABLE_SLOTS_INFO", {"eventTypeId": 1, "start": DAY, "startTime": DAY, "end": DAY})
    assert result.is_error
    text = result.content[0].text
    assert "`start`" in text and "`startTime`" in text and "Send the value once" in text


async def test_aliases_are_not_listed(mcp_url: str, registry: Registry) -> None:
    async with Client(mcp_url) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    with_aliases = [spec for spec in registry.specs if spec.aliases]
    assert with_aliases
    for spec in with_aliases:
        listed = tools[spec.name].input_schema["properties"]
        assert not {fold(alias) for alias in spec.aliases} & {fold(name) for name in listed}
