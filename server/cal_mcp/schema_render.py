"""What a model is sent of a tool's input schema: the spec's schema without what only a validator needs.

Every tool call is still checked against the spec's full schema (``validation.py``), so nothing below
is lost as a rule; only the tokens a model pays for on every prompt go:

* ``additionalProperties: false``: every allowed property is listed anyway, and an extra one is
  refused with an ``isError`` naming it. (OpenAI strict-mode converters add it back themselves.)
  Open maps (``additionalProperties`` a schema or true) keep it: there it says something.
* ``pattern`` on a property whose description already states the format in words ("HH:mm",
  "E.164"): a model follows the words; the regex only repeats them.
* ``minLength: 1``: a value that must not be empty; an empty one is refused naming the field.
* ``minimum`` 0 or 1 on an integer (``skip``, ``take``): an offset or count cannot be negative anyway, and
  a value below is refused naming the field. Larger bounds (``maximum: 250``) stay: they say something.
* a long ``enum`` (``LONG_ENUM`` values or more: webhook triggers, 21, in 8 tools; video apps, 29):
  three examples and the count in the description instead; a value outside the list is refused with an
  ``isError`` that lists every valid value, so one wrong guess costs one retry.
* a property's ``description`` whose words are all in the property's own name (``enabled``:
  "Enabled.", ``teamIds``: "Team IDs."): it tells a model nothing the name does not. (The spec
  still has it: the loader asks every argument for one.)
"""

from __future__ import annotations

import re
from typing import Any

LONG_ENUM = 15
EXAMPLES = 3


def _examples(schema: dict[str, Any]) -> dict[str, Any]:
    values = schema["enum"]
    said = schema.get("description", "")
    shown = ", ".join(str(v) for v in values[:EXAMPLES])
    rest = {k: v for k, v in schema.items() if k not in ("enum", "description")}
    return {**rest, "description": f"{said} One of {len(values)} values, e.g. {shown}.".strip()}


def _words(text: str) -> set[str]:
    """Lower-case words, camelCase split: ``teamIds`` → {team, ids}."""
    return {w.lower() for w in re.findall(r"[A-Za-z]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", text))}


def _restates(name: str, schema: Any) -> bool:
    description = schema.get("description") if isinstance(schema, dict) else None
    return isinstance(description, str) and _words(description) <= _words(name)


def _property(name: str, schema: Any) -> Any:
    rendered = listed_schema(schema)
    # a pattern left out because the description states the format: that description stays
    if _restates(name, rendered) and "pattern" not in schema:
        rendered = {k: v for k, v in rendered.items() if k != "description"}
    return rendered


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
        if key == "minimum" and value in (0, 1) and schema.get("type") == "integer":
            continue
        if key == "properties" and isinstance(value, dict):
            rendered[key] = {name: _property(name, sub) for name, sub in value.items()}
        else:
            rendered[key] = listed_schema(value)
    return rendered
