"""Argument checking against each tool's input schema, before any network call.

The SDK no longer validates arguments, so we do: one jsonschema validator per tool, compiled on its
first call (never at start-up: ``tools/list`` does not need them). Messages name the field, the
expected form and an example, because the reader is a model that will try again.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from cal_mcp import time_zones
from cal_mcp.cal_formats import EMAIL
from cal_mcp.cal_rules import Violation, check, normalise
from cal_mcp.errors import ArgumentError
from cal_mcp.request_builder import CalRequest
from cal_mcp.specs import ToolSpec

if TYPE_CHECKING:
    from jsonschema import FormatChecker
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

EXAMPLES = {
    "date-time": "2026-12-01T09:00:00Z",
    "date": "2026-12-01",
    "email": "name@example.com",
    "uri": "https://example.com/hook",
    "integer": "123",
    "number": "1.5",
    "boolean": "true",
    "string": '"text"',
    "array": '["a", "b"]',
    "object": '{"key": "value"}',
}


def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    # Cal needs an absolute instant: a naive local time is ambiguous across time zones.
    return parsed.tzinfo is not None


def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_email(value: object) -> bool:
    return not isinstance(value, str) or bool(EMAIL.match(value))


def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlparse(value)
    return bool(parts.scheme in ("http", "https") and parts.netloc)


@cache
def _format_checker() -> FormatChecker:
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    checker.checks("date-time")(_is_datetime)
    checker.checks("date")(_is_date)
    checker.checks("email")(_is_email)
    checker.checks("uri")(_is_uri)
    return checker


_validators: dict[str, tuple[dict[str, Any], Validator]] = {}


def _validator_for(spec: ToolSpec) -> Validator:
    """Compiled once per tool; rebuilt only if a different schema object arrives under the same name."""
    cached = _validators.get(spec.name)
    if cached is not None and cached[0] is spec.input_schema:
        return cached[1]
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(spec.input_schema, format_checker=_format_checker())
    _validators[spec.name] = (spec.input_schema, validator)
    return validator


def _field_path(error: ValidationError) -> str:
    parts = [str(p) if not isinstance(p, int) else f"[{p}]" for p in error.absolute_path]
    return ".".join(parts).replace(".[", "[")


def _describe(error: ValidationError, spec: ToolSpec) -> tuple[str, str]:
    """(field, message) for the error a model can fix most directly."""
    field = _field_path(error)
    where = f"`{field}`" if field else "the arguments"
    validator, schema = error.validator, error.schema if isinstance(error.schema, dict) else {}
    if validator == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else "?"
        full = f"{field}.{missing}" if field else missing
        prop = schema.get("properties", {}).get(missing, {})
        about = f" ({prop['description']})" if isinstance(prop, dict) and prop.get("description") else ""
        return full, f"missing required argument `{full}`{about}."
    if validator == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed)) if isinstance(error.instance, dict) else []
        # An argument can be named "" by a confused client; name it visibly rather than not at all.
        unknown = (extra[0] or '""') if extra else ""
        return field or unknown, (
            f"unknown argument(s) {', '.join(f'`{e}`' for e in extra)} in {where}; "
            f"allowed: {', '.join(allowed) or 'none'}."
        )
    if validator == "enum":
        options = ", ".join(json.dumps(v) for v in error.validator_value)
        return field, f"{where} must be one of {options} (got {json.dumps(error.instance)})."
    if validator == "type":
        expected = error.validator_value
        example = EXAMPLES.get(expected if isinstance(expected, str) else expected[0], "")
        return field, (
            f"{where} must be of type {expected}, e.g. {example} (got {json.dumps(error.instance)[:60]})."
        )
    if validator == "format":
        example = EXAMPLES.get(str(error.validator_value), "")
        zone = " with a time zone offset or Z" if error.validator_value == "date-time" else ""
        return field, (
            f"{where} must be a valid {error.validator_value}{zone}, e.g. {example} "
            f"(got {json.dumps(error.instance)[:60]})."
        )
    if validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
                     "minItems", "maxItems", "pattern", "uniqueItems"):
        return field, f"{where}: {error.message}."
    return field, f"{where}: {error.message}."


def validate_arguments(spec: ToolSpec, arguments: dict[str, Any]) -> None:
    """Raise ``ArgumentError`` naming the first (most relevant) problem; return when the call may go."""
    from jsonschema.exceptions import best_match

    validator = _validator_for(spec)
    error = best_match(validator.iter_errors(arguments))
    if error is None:
        return
    field, problem = _describe(error, spec)
    raise ArgumentError(
        f"Invalid arguments for {spec.name}: {problem}",
        "Correct that argument as described and call the tool again; do not invent values the user did not give.",
        field=field or None,
    )


def time_zone_values(value: Any, path: str = "") -> list[tuple[str, str]]:
    """(field path, value) of every string under a ``timeZone``/``timezone`` key, at any depth."""
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, child in value.items():
            where = f"{path}.{key}" if path else str(key)
            if str(key).lower() == "timezone" and isinstance(child, str):
                found.append((where, child))
            else:
                found.extend(time_zone_values(child, where))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(time_zone_values(child, f"{path}[{index}]"))
    return found


def check_time_zones(spec: ToolSpec, arguments: dict[str, Any]) -> None:
    """Cal refuses a time zone that is not an IANA name; say so before sending, with the close matches.

    Run after the request is built (a bad path segment is named first) and before ``apply_cal_rules``,
    whose format check would refuse the same value without suggesting the name meant."""
    for field, value in time_zone_values(arguments):
        if time_zones.is_known(value):
            continue
        matches = time_zones.closest(value)
        suggestion = f" Did you mean {' or '.join(matches)}?" if matches else ""
        raise ArgumentError(
            f"Invalid arguments for {spec.name}: `{field}` must be an IANA time zone name such as "
            f"Europe/Berlin or America/New_York (got {json.dumps(value)[:60]}).{suggestion}",
            (f"Call again with `{field}` set to {matches[0]} if that is the place meant; "
             if matches else f"Ask the user for their city or region and set `{field}` to its zone; ")
            + "CAL_GET_ALL_TIMEZONES lists every name.",
            field=field,
        )


def apply_cal_rules(spec: ToolSpec, request: CalRequest) -> CalRequest:
    """The request with harmless refused values dropped; ``ArgumentError`` if it breaks a rule of Cal's.

    The rules are the spec's ``request.calRules`` (``cal_mcp.cal_rules``): what Cal's DTOs and pipes
    enforce beyond its OpenAPI. Checked on the built request, in Cal's wire names, so the check is the
    very one the sandbox applies to what it receives; messages name the model's argument.
    """
    rules = spec.request.cal_rules
    if rules.is_empty():
        return request
    body, query = normalise(rules, body=request.json, query=request.query)
    if body is not request.json or query != request.query:
        request = replace(request, json=body, query=query)
    violations = check(rules, body=request.json, query=dict(request.query))
    if not violations:
        return request
    argument_of = {spec.request.wire.get(name, name): name for name in (*spec.request.query, *spec.request.body)}
    first = violations[0]
    top = first.field.split(".")[0]
    field = argument_of.get(top, top) + first.field[len(top):]
    by_context: dict[str, list[Violation]] = {}
    for violation in violations:
        by_context.setdefault(violation.context, []).append(violation)
    problems = " ".join(
        f"{context}: it {', '.join(v.problem for v in group)}. {' '.join(dict.fromkeys(v.fix for v in group))}"
        for context, group in by_context.items()
    )
    raise ArgumentError(
        f"Invalid arguments for {spec.name}: {problems}",
        "Change the arguments as described and call the tool again; nothing was sent to Cal.",
        field=field or None,
    )
