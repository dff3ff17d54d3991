"""The listed schemas are leaner than the specs' but keep every field; what they leave out is still enforced."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from cal_mcp.app import CalMcpApp
from cal_mcp.config import Settings
from cal_mcp.registry import Registry
from cal_mcp.schema_render import LONG_ENUM, listed_schema


def shape(schema: Any) -> Any:
    """Property names, required lists, types and short enums, recursively: what a model must see."""
    if isinstance(schema, list):
        return [shape(s) for s in schema]
    if not isinstance(schema, dict):
        return None
    kept: dict[str, Any] = {k: schema[k] for k in ("type", "required", "format") if k in schema}
    if "enum" in schema and len(schema["enum"]) < LONG_ENUM:
        kept["enum"] = schema["enum"]
    for key in ("items", "anyOf", "oneOf", "allOf"):
        if key in schema:
            kept[key] = shape(schema[key])
    if isinstance(schema.get("properties"), dict):
        kept["properties"] = {name: shape(sub) for name, sub in schema["properties"].items()}
    return kept


def test_every_field_type_required_list_and_short_enum_is_listed(registry: Registry) -> None:
    for spec in registry.specs:
        assert shape(listed_schema(spec.input_schema)) == shape(spec.input_schema), spec.name


def test_long_enums_keep_examples_and_the_count() -> None:
    rendered = listed_schema({"type": "string", "description": "Kind.", "enum": [f"V{i}" for i in range(20)]})
    assert "enum" not in rendered
    assert rendered["description"] == "Kind. One of 20 values, e.g. V0, V1, V2, V3, V4, V5."


@pytest.mark.parametrize(
    ("tool", "arguments", "named"),
    [
        ("CAL_RETRIEVE_MY_INFORMATION", {"surprise": 1}, "surprise"),  # additionalProperties: false
        ("CAL_CANCEL_BOOKING_VIA_UID", {"bookingUid": "", "cancellationReason": "x"}, "bookingUid"),  # minLength
        ("CAL_POST_WEBHOOK_EVENT", {"subscriberUrl": "https://hooks.example.com/cal", "active": True,
                                    "triggers": ["BOOKING_MADE"]}, "MEETING_ENDED"),  # long enum: all values
    ],
)
async def test_what_the_list_leaves_out_is_still_refused(registry: Registry, tool: str,
                                                          arguments: dict[str, Any], named: str) -> None:
    app = CalMcpApp(Settings(rate_limit_per_minute=0, sandbox=True, api_key="cal_sandbox_key"), registry)
    async with Client(app.build_server(), mode="legacy") as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error
    assert named in result.content[0].text  # type: ignore[union-attr]


async def test_a_time_pattern_left_out_of_the_list_is_still_checked(registry: Registry) -> None:
    spec = next(s for s in registry.specs if s.name == "CAL_CREATE_USER_AVAILABILITY_SCHEDULE")
    assert "pattern" in str(spec.input_schema) and "pattern" not in str(listed_schema(spec.input_schema))
    app = CalMcpApp(Settings(rate_limit_per_minute=0, sandbox=True, api_key="cal_sandbox_key"), registry)
    arguments = {"name": "Work", "timeZone": "Europe/London", "isDefault": False,
                 "availability": [{"days": ["Monday"], "startTime": "9am", "endTime": "17:00"}]}
    async with Client(app.build_server(), mode="legacy") as client:
        result = await client.call_tool("CAL_CREATE_USER_AVAILABILITY_SCHEDULE", arguments)
    assert result.is_error and "startTime" in result.content[0].text  # type: ignore[union-attr]
