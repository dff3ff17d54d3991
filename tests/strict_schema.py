"""A faithful port of the OpenAI Agents SDK's ``ensure_strict_json_schema`` (agents/strict_schema.py).

The SDK itself cannot be installed next to ``mcp`` 2.x (it pins the 1.x client), so the conversion
its MCP integration applies to every tool schema (``convert_schemas_to_strict=True``) is reproduced
here: a schema "converts cleanly" when this raises nothing.
"""

from __future__ import annotations

import copy
from typing import Any


class StrictSchemaError(ValueError):
    pass


def ensure_strict_json_schema(schema: dict[str, Any]) -> dict[str, Any]:
    if schema == {}:
        return {"additionalProperties": False, "type": "object", "properties": {}, "required": []}
    converted: dict[str, Any] = _strict(copy.deepcopy(schema), path=(), root=schema)
    return converted


def _strict(node: Any, *, path: tuple[str, ...], root: dict[str, Any]) -> Any:
    if not isinstance(node, dict):
        raise TypeError(f"expected a dict at {path}")
    for key in ("$defs", "definitions"):
        defs = node.get(key)
        if isinstance(defs, dict):
            for name, sub in defs.items():
                _strict(sub, path=(*path, key, name), root=root)
    if node.get("type") == "object":
        if "additionalProperties" not in node:
            node["additionalProperties"] = False
        elif node["additionalProperties"]:
            raise StrictSchemaError(f"additionalProperties should not be set for object types (at {'/'.join(path)})")
    properties = node.get("properties")
    if isinstance(properties, dict):
        node["required"] = list(properties)
        node["properties"] = {
            key: _strict(sub, path=(*path, "properties", key), root=root) for key, sub in properties.items()
        }
    items = node.get("items")
    if isinstance(items, dict):
        node["items"] = _strict(items, path=(*path, "items"), root=root)
    for key in ("anyOf", "allOf"):
        variants = node.get(key)
        if isinstance(variants, list):
            node[key] = [_strict(v, path=(*path, key, str(i)), root=root) for i, v in enumerate(variants)]
    if "default" in node and node["default"] is None:
        node.pop("default")
    if "$ref" in node and len(node) > 1:
        raise StrictSchemaError("$ref with siblings is not supported by the port")
    return node
