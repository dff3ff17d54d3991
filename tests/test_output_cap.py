"""The output cap trims inside a result, keeps every ID, and says what went.

A result over ``CAL_MCP_MAX_OUTPUT_BYTES`` loses the ends of long lists (a prefix stays, in order)
and the tails of long strings, biggest first; values under ID keys are never cut, so a write whose
answer is large still returns the ID of what it created. The ``truncated`` note names each trimmed
path and how much of it went.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from cal_mcp.app import CalMcpApp
from cal_mcp.config import Settings
from cal_mcp.output_cap import is_id_key
from cal_mcp.registry import load_registry
from cal_mcp.results import success_result
from tests.fake_upstream import FakeUpstream, json_reply

LIMIT = 5_000


def capped(data: Any, limit: int = LIMIT, **envelope: Any) -> tuple[dict[str, Any], str]:
    result = success_result({"status": "success", "data": data, **envelope}, limit=limit)
    assert not result.is_error
    text = result.content[0].text  # type: ignore[union-attr]
    assert len(text.encode()) <= limit
    assert json.loads(text) == result.structured_content  # the text block is the same JSON
    structured: dict[str, Any] = result.structured_content  # type: ignore[assignment]
    return structured, text


def test_a_single_object_over_the_cap_keeps_its_ids_and_loses_the_tail_of_its_long_string() -> None:
    data = {"id": 7, "uid": "bk_1", "title": "Intro", "description": "x" * 200_000, "eventTypeId": 42}
    out, _ = capped(data)
    shown = out["data"]
    assert (shown["id"], shown["uid"], shown["title"], shown["eventTypeId"]) == (7, "bk_1", "Intro", 42)
    assert shown["description"].startswith("xxx") and shown["description"].endswith("…")
    assert 100 < len(shown["description"]) < LIMIT
    assert "data.description (cut from 200000 characters)" in out["truncated"]


def test_a_list_inside_the_only_item_of_a_list_is_trimmed_not_the_outer_list() -> None:
    attendees = [{"email": f"guest{i}@example.com", "name": f"Guest {i}"} for i in range(5_000)]
    out, _ = capped([{"id": 1, "uid": "bk_1", "attendees": attendees}])
    (booking,) = out["data"]
    assert (booking["id"], booking["uid"]) == (1, "bk_1")
    kept = booking["attendees"]
    assert 0 < len(kept) < 5_000 and kept == attendees[: len(kept)]  # a prefix, in order
    assert f"data[0].attendees (kept {len(kept)} of 5000 items)" in out["truncated"]


def test_a_list_inside_an_object_is_trimmed_to_a_prefix_and_the_rest_of_the_object_stays() -> None:
    out, _ = capped({"id": 3, "name": "Team", "members": [{"userId": i, "role": "MEMBER"} for i in range(2_000)]})
    assert (out["data"]["id"], out["data"]["name"]) == (3, "Team")
    members = out["data"]["members"]
    assert 0 < len(members) < 2_000 and [m["userId"] for m in members] == list(range(len(members)))
    assert "data.members (kept" in out["truncated"] and "of 2000 items" in out["truncated"]


def test_the_biggest_parts_go_first_and_small_ones_stay_whole() -> None:
    data = {"id": 1, "notes": "short note", "tags": ["a", "b", "c"], "log": ["entry " * 20] * 500}
    out, _ = capped(data)
    assert out["data"]["notes"] == "short note" and out["data"]["tags"] == ["a", "b", "c"]
    assert "data.log (kept" in out["truncated"] and "data.tags" not in out["truncated"]


def test_when_trimming_lists_and_strings_is_not_enough_only_the_ids_remain() -> None:
    data = {"uid": "bk_1", "bookingId": 9, "nested": {"scheduleId": 4, **{f"field{i}": f"v{i}" for i in range(2_000)}}}
    out, _ = capped(data, limit=1_000)
    assert out["data"] == {"uid": "bk_1", "bookingId": 9, "nested": {"scheduleId": 4}}
    assert "every field except IDs" in out["truncated"]


def test_long_ids_are_never_cut() -> None:
    data = {"uid": "u" * 900, "bookingUid": "b" * 900, "description": "d" * 10_000}
    out, _ = capped(data)
    assert out["data"]["uid"] == "u" * 900 and out["data"]["bookingUid"] == "b" * 900


def test_pagination_is_kept_beside_a_trimmed_page() -> None:
    out, _ = capped([{"id": i, "title": "t" * 50} for i in range(1_000)], pagination={"totalItems": 1_000})
    assert out["pagination"] == {"totalItems": 1_000}
    assert "data (kept" in out["truncated"] and "take/limit" in out["truncated"]


def test_a_result_under_the_cap_is_unchanged() -> None:
    data = {"id": 1, "items": list(range(100))}
    out, _ = capped(data)
    assert out == {"data": data}


@pytest.mark.parametrize("limit", [1_000, 2_000, 10_000])
def test_many_trimmed_paths_are_counted_and_the_result_still_fits(limit: int) -> None:
    data = [{"id": i, "attendees": [{"email": f"g{j}@example.com"} for j in range(50)], "body": "z" * 500}
            for i in range(40)]
    out, _ = capped(data, limit=limit)
    assert out["data"] and all("id" in item for item in out["data"])
    assert "truncated" in out


@pytest.mark.parametrize(
    ("key", "is_id"),
    [("id", True), ("uid", True), ("eventTypeId", True), ("bookingUid", True), ("user_id", True),
     ("idea", False), ("hidden", False), ("title", False), ("ids", False)],
)
def test_id_keys_are_id_uid_and_names_ending_in_id_or_uid(key: str, is_id: bool) -> None:
    assert is_id_key(key) is is_id


async def test_a_booking_whose_answer_is_over_the_cap_still_returns_its_uid(cal: FakeUpstream) -> None:
    created = {"id": 11, "uid": "bk_new", "responses": {"notes": "n" * 300_000},
               "attendees": [{"name": f"A{i}", "email": f"a{i}@example.com"} for i in range(3_000)]}
    cal.program(json_reply(201, {"status": "success", "data": created}), method="POST", path="/v2/bookings")
    app = CalMcpApp(Settings(api_key="cal_test_key_123", base_url=cal.url, rate_limit_per_minute=0, sandbox=False,
                             max_output_bytes=20_000), load_registry())
    try:
        result = await app.call_tool("CAL_POST_NEW_BOOKING_REQUEST", {
            "start": "2026-12-01T09:00:00Z", "eventTypeId": 42,
            "attendee": {"name": "Ada", "email": "ada@example.com", "timeZone": "Europe/London"}})
    finally:
        await app.aclose()
    assert not result.is_error
    structured: dict[str, Any] = result.structured_content  # type: ignore[assignment]
    assert (structured["data"]["id"], structured["data"]["uid"]) == (11, "bk_new")
    assert "data.responses.notes" in structured["truncated"]
    assert len(result.content[0].text.encode()) <= 20_000  # type: ignore[union-attr]
