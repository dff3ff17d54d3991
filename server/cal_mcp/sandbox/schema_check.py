"""One JSON value against one schema from the Cal facts, with class-validator's messages.

Cal's DTOs are NestJS classes checked by class-validator with ``whitelist``: undeclared properties are
stripped by Cal's global ValidationPipe (``apps/api/v2/src/app.ts``), and refused only by the custom
pipes that also set ``forbidNonWhitelisted`` (``forbid=True`` here; see ``request_validation``). The
OpenAPI schemas in ``cal_api_facts.json`` are generated from those classes, so walking a schema and
wording each failure as the matching decorator would (``IsString``, ``IsInt``, ``IsEnum``, ``Min``,
``ArrayMinSize``, ``ValidateNested`` …) gives the messages Cal answers with. Paths are dotted, as
NestJS flattens nested errors (``attendee.email must be an email``, ``locations.0.type …``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cal_mcp.cal_formats import EMAIL, is_date_string
from cal_mcp.sandbox.cal_api import resolve

# The OpenAPI `format: uri` check (class-validator's IsUrl is stricter; "obviously not a URL" suffices here).
URL = re.compile(r"^https?://[^\s/?#]+\.[^\s/?#]+(?::\d+)?(?:[/?#]\S*)?$|^https?://localhost(?::\d+)?(?:[/?#]\S*)?$")


# id(node) -> (node, prepared): the facts are loaded once and kept, so a node's id is stable; the node
# is kept alongside so that its id cannot be reused.
_PREPARED: dict[int, tuple[Any, Mapping[str, Any]]] = {}


def prepared(node: Any) -> Mapping[str, Any]:
    """``node`` resolved, with ``allOf`` parts merged into one schema (cached: facts never change)."""
    if not isinstance(node, Mapping):
        return {}
    hit = _PREPARED.get(id(node))
    if hit is None or hit[0] is not node:
        hit = _PREPARED[id(node)] = (node, _prepare(node))
    return hit[1]


def _prepare(node: Mapping[str, Any]) -> Mapping[str, Any]:
    node = resolve(node)
    if "allOf" not in node:
        return node
    merged: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
    for part in node["allOf"]:
        part = prepared(part)
        for key, value in part.items():
            if key == "properties":
                merged["properties"] = {**merged.get("properties", {}), **value}
            elif key == "required":
                merged["required"] = [*merged.get("required", ()), *value]
            else:
                merged.setdefault(key, value)
    return merged


def join(path: str, name: str | int) -> str:
    return f"{path}.{name}" if path else str(name)


def check(node: Any, value: Any, path: str, *, forbid: bool = False) -> list[str]:
    """Messages for ``value`` at ``path`` (a dotted wire path; "" for a whole body) against ``node``.

    ``forbid``: undeclared properties are errors (``forbidNonWhitelisted``) rather than stripped."""
    schema = prepared(node)
    if value is None:
        return [] if schema.get("nullable") else [f"{path} should not be empty"]
    if "anyOf" in schema:
        return _any_of(schema["anyOf"], value, path, forbid)
    kind = schema.get("type")
    if kind == "object" or (kind is None and "properties" in schema):
        return _object(schema, value, path, forbid)
    if kind == "array":
        return _array(schema, value, path, forbid)
    return scalar(schema, value, path)


def _object(schema: Mapping[str, Any], value: Any, path: str, forbid: bool) -> list[str]:
    if not isinstance(value, Mapping):
        return [f"{path} must be an object"]
    return object_members(schema, value, path, forbid=forbid)


def _free_form(schema: Mapping[str, Any]) -> bool:
    """Free-form objects (metadata, bookingFieldsResponses) declare no properties: any key goes."""
    extra = schema.get("additionalProperties")
    return not schema.get("properties") or extra is True or isinstance(extra, Mapping)


def object_members(
    schema: Mapping[str, Any], value: Mapping[str, Any], path: str, *, forbid: bool = False
) -> list[str]:
    """Messages for the members of an object (``path`` is "" for a whole body)."""
    properties: Mapping[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", ()))
    found: list[str] = []
    if forbid and not _free_form(schema):
        found += [f"property {join(path, key)} should not exist" for key in value if key not in properties]
    for name, sub in properties.items():
        if name not in value:
            if name in required:
                found.append(f"{join(path, name)} should not be empty")
        elif value[name] is None and name not in required:
            continue  # IsOptional: null and undefined skip every other check
        else:
            found += check(sub, value[name], join(path, name), forbid=forbid)
    return found


def _array(schema: Mapping[str, Any], value: Any, path: str, forbid: bool) -> list[str]:
    if not isinstance(value, list):
        return [f"{path} must be an array"]
    found: list[str] = []
    if len(value) < schema.get("minItems", 0):
        found.append(f"{path} must contain at least {schema['minItems']} elements")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        found.append(f"{path} must contain no more than {schema['maxItems']} elements")
    items = prepared(schema.get("items", {}))
    nested = "anyOf" in items or items.get("type") in ("object", "array") or "properties" in items
    for index, item in enumerate(value):
        # Nested DTOs report per item (``attendees.0.email``); scalar decorators with ``each: true``
        # report once for the array ("each value in guests must be an email").
        found += (check(items, item, join(path, index), forbid=forbid) if nested
                  else scalar(items, item, path, each=True))
    return list(dict.fromkeys(found))


def _tags(alternative: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """The ``type`` values that select this alternative, or None when it is not type-discriminated."""
    kind = prepared(alternative.get("properties", {}).get("type"))
    if "const" in kind:
        return (kind["const"],)
    enum = kind.get("enum")
    return tuple(enum) if enum else None


def _chosen(alternatives: list[Any], value: Any) -> list[Mapping[str, Any]] | None:
    """The alternatives ``value``'s ``type`` selects; all when they are not type-discriminated; None
    when ``value`` carries a ``type`` none of them takes."""
    options = [prepared(a) for a in alternatives]
    tags = [_tags(o) for o in options]
    if not all(t is not None for t in tags) or not isinstance(value, Mapping):
        return options
    chosen = [o for o, t in zip(options, tags, strict=True) if t is not None and value.get("type") in t]
    return chosen or None


def _any_of(alternatives: list[Any], value: Any, path: str, forbid: bool) -> list[str]:
    options = [prepared(a) for a in alternatives]
    tags = [_tags(o) for o in options]
    if all(t is not None for t in tags):
        # Cal's location and booking-field validators pick the class by ``type`` first.
        if not isinstance(value, Mapping):
            return [f"{path} must be an object"]
        chosen = [o for o, t in zip(options, tags, strict=True) if t is not None and value.get("type") in t]
        if not chosen:
            allowed = dict.fromkeys(v for t in tags if t is not None for v in t)
            return [f"{join(path, 'type')} must be one of the following values: {', '.join(map(str, allowed))}"]
        options = chosen
    best: list[str] | None = None
    for option in options:
        found = check(option, value, path, forbid=forbid)
        if not found:
            return []
        if best is None or len(found) < len(best):
            best = found
    return best or []


def _number_text(n: float) -> str:
    return str(int(n)) if float(n).is_integer() else str(n)



def scalar(schema: Mapping[str, Any], value: Any, path: str, *, each: bool = False) -> list[str]:
    """Messages for a string, number or boolean value (``each``: the items of an array)."""
    label = f"each value in {path}" if each else path
    allowed = schema.get("enum", [schema["const"]] if "const" in schema else None)
    if allowed is not None:
        if value not in allowed or isinstance(value, bool) != any(isinstance(a, bool) for a in allowed):
            return [f"{label} must be one of the following values: {', '.join(map(str, allowed))}"]
        return []
    kind = schema.get("type")
    if kind == "string":
        return _string(schema, value, label)
    if kind in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            word = "an integer number" if kind == "integer" else "a number conforming to the specified constraints"
            return [f"{label} must be {word}"]
        if kind == "integer" and not float(value).is_integer():
            return [f"{label} must be an integer number"]
        found = []
        if "minimum" in schema and value < schema["minimum"]:
            found.append(f"{label} must not be less than {_number_text(schema['minimum'])}")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{label} must not be greater than {_number_text(schema['maximum'])}")
        return found
    if kind == "boolean" and not isinstance(value, bool):
        return [f"{label} must be a boolean value"]
    if kind == "object" and not isinstance(value, Mapping):
        return [f"{label} must be an object"]
    if kind == "array" and not isinstance(value, list):
        return [f"{label} must be an array"]
    return []


def _string(schema: Mapping[str, Any], value: Any, label: str) -> list[str]:
    if not isinstance(value, str):
        return [f"{label} must be a string"]
    fmt = schema.get("format")
    if fmt == "email" and not EMAIL.match(value):
        return [f"{label} must be an email"]
    if fmt in ("date-time", "date") and not is_date_string(value):
        return [f"{label} must be a valid ISO 8601 date string"]
    if fmt == "uri" and not URL.match(value):
        return [f"{label} must be a URL address"]
    found = []
    pattern = schema.get("pattern")
    if pattern is not None and not re.search(pattern, value):
        found.append(f"{label} must match {pattern} regular expression")
    if len(value) < schema.get("minLength", 0):
        found.append(f"{label} must be longer than or equal to {schema['minLength']} characters")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        found.append(f"{label} must be shorter than or equal to {schema['maxLength']} characters")
    return found


def whitelisted(node: Any, value: Any) -> Any:
    """``value`` with every property its schema does not declare removed, as ``whitelist`` does.

    Called on a value that passed ``check``; alternatives keep the union of what they declare."""
    schema = prepared(node)
    if "anyOf" in schema:
        options = _chosen(schema["anyOf"], value) or []
        if isinstance(value, Mapping) and all(o.get("type") == "object" or "properties" in o for o in options):
            return _whitelisted_object(options, value)
        return value
    if isinstance(value, Mapping) and (schema.get("type") == "object" or "properties" in schema):
        return _whitelisted_object([schema], value)
    if isinstance(value, list) and schema.get("type") == "array":
        return [whitelisted(schema.get("items", {}), item) for item in value]
    return value


def _whitelisted_object(options: list[Mapping[str, Any]], value: Mapping[str, Any]) -> Any:
    if any(_free_form(o) for o in options):
        return dict(value)
    declared: dict[str, Any] = {}
    for option in options:
        for name, sub in option.get("properties", {}).items():
            declared.setdefault(name, sub)
    return {k: whitelisted(declared[k], v) for k, v in value.items() if k in declared}
