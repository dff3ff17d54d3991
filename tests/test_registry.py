"""Tool selection: --toolsets and --tools add up, --read-only always wins, unknown names stop start-up."""

from __future__ import annotations

import pytest

from cal_mcp.registry import Registry, SelectionError
from tests.conftest import TOOL_COUNT


def names(registry: Registry) -> set[str]:
    return {s.name for s in registry.specs}


def test_no_filter_serves_every_tool(registry: Registry) -> None:
    assert len(registry.select().specs) == TOOL_COUNT


def test_toolsets_and_tools_select_their_union(registry: Registry) -> None:
    chosen = registry.select(toolsets=["slots"], tools=["CAL_RETRIEVE_MY_INFORMATION"])
    assert names(chosen) == {s.name for s in registry.specs if s.toolset == "slots"} | {
        "CAL_RETRIEVE_MY_INFORMATION"
    }


def test_read_only_removes_every_tool_that_writes_even_when_named(registry: Registry) -> None:
    chosen = registry.select(toolsets=["bookings"], tools=["CAL_DELETE_SCHEDULE_BY_ID"], read_only=True)
    assert chosen.specs
    assert all(s.annotations.read_only_hint for s in chosen.specs)
    assert "CAL_CANCEL_BOOKING_VIA_UID" not in names(chosen)
    assert "CAL_DELETE_SCHEDULE_BY_ID" not in names(chosen)
    assert "CAL_FETCH_ALL_BOOKINGS" in names(chosen)


def test_read_only_alone_keeps_all_read_only_tools(registry: Registry) -> None:
    chosen = registry.select(read_only=True)
    assert names(chosen) == {s.name for s in registry.specs if s.annotations.read_only_hint}


def test_unknown_toolset_is_refused_listing_the_valid_ones(registry: Registry) -> None:
    with pytest.raises(SelectionError) as error:
        registry.select(toolsets=["bookings", "bokings"])
    assert "bokings" in str(error.value)
    assert "bookings" in str(error.value).split("valid:")[1]


def test_unknown_tool_name_is_refused(registry: Registry) -> None:
    with pytest.raises(SelectionError, match="CAL_NOPE"):
        registry.select(tools=["CAL_NOPE"])


def test_selected_registry_lists_only_its_tools(registry: Registry) -> None:
    chosen = registry.select(toolsets=["me"])
    assert {t.name for t in chosen.list_result.tools} == names(chosen)
    assert chosen.input_schema("CAL_FETCH_ALL_BOOKINGS") is None
