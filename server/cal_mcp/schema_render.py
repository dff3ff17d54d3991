"""What a model is sent of a tool's input schema: the spec's schema without what only a validator needs.

Every tool call is still checked against the spec's full schema (``validation.py``), so nothing below
is lost as a rule; only the tokens a model pays for on every prompt go:

* ``additionalProperties: false``: every allowed property is listed anyway, and an extra one is
  refused with an ``isError`` naming it. (OpenAI strict-mode converters add it back themselves.)
  Open maps (``additionalProperties`` a schema or true) keep it: there it says something.
* ``pattern`` on a property whose description already states the format in words ("HH:mm",
  "E.164"): a model follows the words; the regex only repeats them.
* ``minLength: 1``: a value that must not be empty; an empty one is refused naming the field.
* a long ``enum`` (``LONG_ENUM`` values or more: webhook triggers, 21, in 8 tools; video apps, 29):
  a few examples in the description instead; a value outside the list is refused with an
  ``isError`` that lists every valid value, so one wrong guess costs one retry.
"""

from __future__ import annotations

from typing import Any

LONG_ENUM = 15
EXAMPLES = 6


def _examples(schema: dict[str, Any]) -> dict[str, Any]:
    values = schema["enum"]
    said = schema.get("description", "")
    shown = ", ".join(str(v) for v in values[:EXAMPLES])
    rest = {k: v for k, v in schema.items() if k not in ("enum", "description")}
    return {**rest, "description": f"{said} One of {len(values)} values, e.g. {shown}.".strip()}


def listed_schema(schema: Any) -> Any:
    if isinstance(schema, list):
        return [listed_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if isinstance(schema.get("enum"), list) and len(schema["enum"]) >= LONG_ENUM:
        schema = _examples(schema)
    rendered: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "additionalProperties" and value is False:
            continue
        if key == "pattern" and isinstance(schema.get("description"), str):
            continue
        if key == "minLength" and value == 1:
            continue
        if key == "properties" and isinstance(value, dict):
            rendered[key] = {name: listed_schema(sub) for name, sub in value.items()}
        else:
            rendered[key] = listed_schema(value)
    return rendered
