"""Cal's API v2 operations as the sandbox knows them: the shipped facts file, loaded once.

``cal_api_facts.json`` is generated from Cal's OpenAPI documents by ``scripts/gen_cal_api_facts.py``
(descriptions stripped, generator artefacts fixed), so the sandbox needs no ``../shared`` at run
time. This module finds the operation a request is for (``match``), follows ``$ref``s, and pairs each
operation with the ``request.calRules`` of the tool specs that call it (Cal's DTO rules that the
OpenAPI document does not state).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import unquote

from cal_mcp.cal_rules import CalRules

FACTS_FILE = "cal_api_facts.json"
SCHEMA_PREFIX = "#/components/schemas/"


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # path, query or header
    required: bool
    schema: Mapping[str, Any]


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    parameters: tuple[Parameter, ...]
    body_required: bool
    body_schema: Mapping[str, Any] | None  # None: the operation declares no request body
    responses: Mapping[str, Any]
    era: str | None = None  # the older spec it comes from, when the newest one no longer documents it

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(self.path.strip("/").split("/"))

    def parameters_in(self, location: str) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.location == location)


@cache
def _facts() -> dict[str, Any]:
    text = resources.files("cal_mcp.sandbox").joinpath(FACTS_FILE).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _operation(raw: Mapping[str, Any]) -> Operation:
    body = raw.get("requestBody")
    return Operation(
        operation_id=raw["operationId"],
        method=raw["method"],
        path=raw["path"],
        parameters=tuple(
            Parameter(p["name"], p["in"], bool(p.get("required")), p.get("schema", {})) for p in raw["parameters"]
        ),
        body_required=bool(body and body.get("required")),
        body_schema=body.get("schema", {}) if body is not None else None,
        responses=raw.get("responses", {}),
        era=raw.get("era"),
    )


@cache
def _operations() -> dict[str, Operation]:
    return {op_id: _operation(raw) for op_id, raw in _facts()["operations"].items()}


def operations() -> tuple[Operation, ...]:
    return tuple(_operations().values())


def operation(operation_id: str) -> Operation:
    try:
        return _operations()[operation_id]
    except KeyError:
        raise KeyError(f"no Cal operation {operation_id!r} in {FACTS_FILE}") from None


def schema(name: str) -> Mapping[str, Any]:
    found: Mapping[str, Any] = _facts()["schemas"][name]
    return found


def resolve(node: Any) -> Any:
    """``node`` with its ``$ref`` followed (repeatedly) to a component schema; other nodes as they are."""
    seen: set[str] = set()
    while isinstance(node, Mapping) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith(SCHEMA_PREFIX) or ref in seen:
            raise ValueError(f"unsupported or cyclic $ref {ref!r}")
        seen.add(ref)
        node = schema(ref[len(SCHEMA_PREFIX) :])
    return node


@cache
def _by_shape() -> dict[tuple[str, int], tuple[Operation, ...]]:
    """Operations by (method, number of segments), literal segments first, so the first match wins.

    Cal (Express) registers literal routes such as ``/teams/me`` or ``/calendars/ics-feed/save`` so that
    they win over ``/teams/{teamId}`` and ``/calendars/{calendar}/save``; ranking by "literal at the
    earliest differing segment" gives the same answer for every pair of templates in the facts.
    """
    index: dict[tuple[str, int], list[Operation]] = {}
    for op in operations():
        index.setdefault((op.method, len(op.segments)), []).append(op)
    return {
        key: tuple(sorted(ops, key=lambda o: tuple(s.startswith("{") for s in o.segments)))
        for key, ops in index.items()
    }


def match(method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
    """The operation serving ``method path`` (a concrete URL path) and its path parameters, or None."""
    parts = path.split("?", 1)[0].strip("/").split("/")
    for op in _by_shape().get((method.upper(), len(parts)), ()):
        params: dict[str, str] = {}
        for template, part in zip(op.segments, parts, strict=True):
            if template.startswith("{") and template.endswith("}"):
                if not part:
                    break
                params[template[1:-1]] = unquote(part)
            elif template != part:
                break
        else:
            return op, params
    return None


@cache
def _rules_index() -> dict[tuple[str, str], tuple[CalRules, ...]]:
    from cal_mcp.specs import load_specs  # the tool specs, loaded once; imported late to keep this module light

    index: dict[tuple[str, str], list[CalRules]] = {}
    for spec in load_specs():
        rules = spec.request.cal_rules
        if not rules.is_empty():
            index.setdefault((spec.request.method, spec.request.path), []).append(rules)
    # Two tools on one operation may carry the same rules: keep one copy (CalRules are not hashable).
    return {key: tuple(r for i, r in enumerate(found) if r not in found[:i]) for key, found in index.items()}


def rules_for(op: Operation) -> tuple[CalRules, ...]:
    """The ``request.calRules`` of every tool spec that calls ``op`` (empty rules left out)."""
    return _rules_index().get((op.method, op.path), ())
