"""The sandbox's one request check: Cal's 400 messages for a request, from the shipped facts and calRules.

Emulates what Cal's NestJS stack does before a handler runs: the ``cal-api-version`` routing,
``ParseIntPipe`` on numeric path parameters, ``ValidationPipe`` (class-validator with ``whitelist``:
undeclared properties stripped, or refused where a custom pipe adds ``forbidNonWhitelisted``) on the
query and the body, then the DTO rules the OpenAPI misses
(``request.calRules``, checked by ``cal_mcp.cal_rules``). Schemas come only from
``cal_api_facts.json`` (``cal_api``); ``schema_check`` words each failure as class-validator would.
An empty list means Cal would accept the request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cal_mcp import cal_rules
from cal_mcp.cal_rules import CalRules
from cal_mcp.sandbox import schema_check
from cal_mcp.sandbox.cal_api import Operation, Parameter, rules_for
from cal_mcp.sandbox.errors import CalHTTPError

VERSION_HEADER = "cal-api-version"
PARSE_INT_FAILED = "Validation failed (numeric string is expected)"
# Where the sandbox explains a refusal that Cal's production API words only "Bad Request Exception".
EXPLANATION_HEADER = "X-Sandbox-Validation"
NUMERIC_STRING = re.compile(r"^-?\d+$")  # ParseIntPipe's test
NUMBER_TEXT = re.compile(r"^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


def validate_request(
    op: Operation,
    *,
    path_params: Mapping[str, str],
    query: Mapping[str, list[str]],
    headers: Mapping[str, str],
    body: Any | None,
    rules: Sequence[CalRules] | None = None,
) -> list[str]:
    """Cal's messages for this request to ``op`` (deduplicated, in order); ``[]`` when Cal accepts it.

    ``rules`` replaces the tool specs' calRules for ``op`` (``rules_for(op)``) when given.
    """
    version = _version_problem(op, headers)
    if version is not None:
        # Cal routes a wrong version to other (legacy) handlers: nothing else about the request matters.
        return [version]
    for param in op.parameters_in("path"):
        numeric = param.schema.get("type") in ("number", "integer")
        # A numeric parameter the handler reads but the URL lacks (the team create-phone-call route's
        # @Param("orgId", ParseIntPipe), teams-event-types.controller.ts) reaches ParseIntPipe as
        # undefined: every call to that route is this 400, as on real Cal.
        if numeric and not NUMERIC_STRING.match(path_params.get(param.name, "")):
            # A pipe throws on its own, before ValidationPipe runs: one message, ParseIntPipe's.
            return [PARSE_INT_FAILED]
    # Cal reports one pipe's messages at a time (query or body, whichever its handler declares first);
    # both are given here so a caller sees every problem in one answer.
    rule_sets = rules_for(op) if rules is None else rules
    found = _query_problems(op.parameters_in("query"), query)
    found += _body_problems(op, body, forbid=any(r.forbids_unknown("body") for r in rule_sets))
    single = {name: values[0] for name, values in query.items() if values}
    for rule_set in rule_sets:
        mapping = body if isinstance(body, Mapping) else None
        found += [v.cal_message for v in cal_rules.check(rule_set, body=mapping, query=single)]
    return list(dict.fromkeys(found))


def _version_problem(op: Operation, headers: Mapping[str, str]) -> str | None:
    """Cal needs the exact ``cal-api-version`` on versioned routes (MAP-NOTES: "cal-api-version")."""
    param = next((p for p in op.parameters_in("header") if p.name.lower() == VERSION_HEADER), None)
    if param is None or not param.required:
        return None
    schema = param.schema
    allowed = schema.get("enum") or ([schema["const"]] if "const" in schema else None)
    if allowed is None and "default" in schema:
        allowed = [schema["default"]]  # Cal's generator writes the one accepted version as the default
    if not allowed:
        return None  # declared without a value: the controller accepts every version
    got = next((v for k, v in headers.items() if k.lower() == VERSION_HEADER), None)
    if got in allowed:
        return None
    return f"This endpoint requires the header {VERSION_HEADER}: {' or '.join(allowed)} (got {got or 'none'})."


def _query_problems(params: Iterable[Parameter], query: Mapping[str, list[str]]) -> list[str]:
    """Query DTO messages. Undeclared names are not refused: Cal's query DTOs are validated with
    ``whitelist`` but without ``forbidNonWhitelisted`` on most routes, so unknown names are dropped
    silently (and busy-times reads ``calendarsToLoad[0][credentialId]``, which the spec does not
    declare: MAP-NOTES "busy-times")."""
    found: list[str] = []
    for param in params:
        values = query.get(param.name) or []
        if not values:
            if param.required:
                found.append(f"{param.name} should not be empty")
            continue
        found += schema_check.check(param.schema, _from_text(param.schema, values), param.name)
    return found


def _from_text(schema: Mapping[str, Any], values: list[str]) -> Any:
    """A query value as Cal's DTO transforms see it: text made a number, boolean or list by the schema."""
    schema = schema_check.prepared(schema)
    if schema.get("type") == "array":
        # Cal accepts both ``a=1,2`` and ``a=1&a=2`` (its transforms split on commas).
        parts = [part for value in values for part in value.split(",") if part != ""]
        return [_scalar_from_text(schema_check.prepared(schema.get("items", {})), p) for p in parts]
    if len(values) > 1:
        return values  # a repeated scalar arrives as an array, and fails the type check as one
    return _scalar_from_text(schema, values[0])


def _scalar_from_text(schema: Mapping[str, Any], text: str) -> Any:
    kind = schema.get("type")
    if kind in ("number", "integer") and "enum" not in schema:
        if not NUMBER_TEXT.match(text):
            return text  # stays text, so the type check reports it
        number = float(text)
        return int(number) if number.is_integer() else number
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    return text


def refusal(op: Operation, messages: list[str]) -> CalHTTPError:
    """Cal's 400 for ``messages`` as the layer that would raise it words it:
    - ParseIntPipe and the version routing: their own message;
    - the bookings and slots pipes: ``BadRequestException(<messages>)``, the messages as the error message;
    - the global ValidationPipe: ``BadRequestException({errors})``, which Nest words "Bad Request
      Exception" and Cal's production filter sends without details (``apps/api/v2/src/app.ts``,
      ``filters/http-exception.filter.ts``). The sandbox adds what failed in a header only.
    """
    if messages == [PARSE_INT_FAILED] or messages[0].startswith(f"This endpoint requires the header {VERSION_HEADER}"):
        return CalHTTPError(400, messages[0], hide_details=True)
    if uses_custom_pipe(op):
        return CalHTTPError(400, ", ".join(messages), hide_details=True)
    return CalHTTPError(400, "Bad Request Exception", hide_details=True,
                        headers={EXPLANATION_HEADER: "; ".join(messages)[:2000]})


def uses_custom_pipe(op: Operation) -> bool:
    """Whether Cal validates this operation with one of its variant-choosing pipes (bookings, slots),
    which answer with their own message rather than the global ValidationPipe's."""
    return any(r.forbids_unknown("body") or r.forbids_unknown("query") for r in rules_for(op))


def whitelisted_body(op: Operation, body: Any | None) -> Any | None:
    """The body as Cal's handler receives it: undeclared properties stripped (``whitelist``)."""
    if op.body_schema is None or not isinstance(body, Mapping):
        return body
    return schema_check.whitelisted(op.body_schema, body)


def _body_problems(op: Operation, body: Any | None, *, forbid: bool) -> list[str]:
    if op.body_schema is None:
        return []  # no DTO: Cal never reads a body here
    if body is None:
        return ["Request body must be a JSON object."] if op.body_required else []
    if not isinstance(body, Mapping):
        return ["Request body must be a JSON object."]
    found = schema_check.check(op.body_schema, body, "", forbid=forbid)
    if forbid:
        # Which top-level fields may appear depends on the variant Cal's pipe picks: the calRules
        # variants judge those; the merged schema judges only what lies below them (attendee.age).
        found = [m for m in found if not (m.startswith("property ") and "." not in m.split(" ")[1])]
    return found
