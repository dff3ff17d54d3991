"""How many tools convert cleanly to OpenAI strict function schemas (as the Agents SDK converts them)."""

from __future__ import annotations

from typing import Any

from cal_mcp.registry import Registry
from tests.strict_schema import StrictSchemaError, ensure_strict_json_schema

# Free-form maps are open on purpose (Cal defines no keys for them): the known exceptions.
FREE_FORM = ("metadata", "bookingFieldsResponses", "responses", "response")  # response(s): routing-form answers


def open_objects(schema: Any, path: str = "") -> list[str]:
    found: list[str] = []
    if isinstance(schema, dict):
        if schema.get("type") == "object" and schema.get("additionalProperties") not in (None, False):
            found.append(path)
        for key, sub in (schema.get("properties") or {}).items():
            found += open_objects(sub, f"{path}.{key}" if path else key)
        if isinstance(schema.get("items"), dict):
            found += open_objects(schema["items"], f"{path}[]")
    return found


def test_every_tool_but_free_form_maps_converts_to_a_strict_schema(registry: Registry) -> None:
    failures: dict[str, list[str]] = {}
    for spec in registry.specs:
        try:
            ensure_strict_json_schema(spec.input_schema)
        except StrictSchemaError:
            failures[spec.name] = open_objects(spec.input_schema)
    for name, paths in failures.items():
        assert paths and all(p.split(".")[-1].rstrip("[]") in FREE_FORM for p in paths), (name, paths)
    converted = len(registry.specs) - len(failures)
    print(f"\n{converted}/{len(registry.specs)} tools convert to OpenAI strict schemas; exceptions: {sorted(failures)}")
    assert converted >= 135


def test_the_port_rejects_an_open_object_like_the_sdk() -> None:
    schema = {"type": "object", "properties": {"m": {"type": "object", "additionalProperties": True}}}
    try:
        ensure_strict_json_schema(schema)
    except StrictSchemaError:
        return
    raise AssertionError("an open object must not convert")
