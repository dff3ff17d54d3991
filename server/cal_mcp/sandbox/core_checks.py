"""Body and query validation in the style of Cal's class-validator DTOs.

Cal validates with ``whitelist`` + ``forbidNonWhitelisted``, so unknown properties are errors too.
Messages follow class-validator's wording; all of them go into ``error.details`` as a list.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cal_mcp.sandbox.errors import CalHTTPError, bad_request
from cal_mcp.sandbox.slots import parse_hhmm, parse_instant, zone

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def validation_error(messages: list[str]) -> CalHTTPError:
    return bad_request(", ".join(messages), messages)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_int(value: Any) -> bool:
    return is_number(value) and float(value).is_integer()


def is_time_zone(value: Any) -> bool:
    return isinstance(value, str) and zone(value) is not None


def is_date(value: Any) -> bool:
    if not isinstance(value, str) or not DATE.match(value):
        return False
    return parse_instant(value) is not None


Check = Callable[[Any], bool]

KINDS: dict[str, tuple[Check, str]] = {
    "string": (lambda v: isinstance(v, str), "must be a string"),
    "bool": (lambda v: isinstance(v, bool), "must be a boolean value"),
    "number": (is_number, "must be a number conforming to the specified constraints"),
    "int": (is_int, "must be an integer number"),
    "object": (lambda v: isinstance(v, dict), "must be an object"),
    "array": (lambda v: isinstance(v, list), "must be an array"),
    "email": (lambda v: isinstance(v, str) and bool(EMAIL.match(v)), "must be an email"),
    "tz": (is_time_zone, "must be a valid IANA time zone"),
    "iso": (lambda v: isinstance(v, str) and parse_instant(v) is not None,
            "must be a valid ISO 8601 date string"),
    "hhmm": (lambda v: isinstance(v, str) and parse_hhmm(v) is not None,
             "must be a valid time in format HH:MM"),
    "date": (is_date, "must be a valid date in format YYYY-MM-DD"),
}


@dataclass(frozen=True)
class Field:
    kind: str
    required: bool = False
    enum: tuple[Any, ...] | None = None
    nullable: bool = False


def check_fields(data: dict[str, Any], fields: dict[str, Field], prefix: str = "") -> list[str]:
    """Messages for unknown, missing and mistyped properties of one object."""
    messages = [f"property {prefix}{key} should not exist" for key in data if key not in fields]
    for name, field in fields.items():
        path = prefix + name
        if name not in data:
            if field.required:
                messages.append(f"{path} should not be empty")
            continue
        value = data[name]
        if value is None and field.nullable:
            continue
        check, wording = KINDS[field.kind]
        if value is None or not check(value):
            messages.append(f"{path} {wording}")
        elif field.enum is not None and value not in field.enum:
            messages.append(f"{path} must be one of the following values: {', '.join(map(str, field.enum))}")
    return messages


def check_list_items(
    items: Any, fields: dict[str, Field], path: str, extra: Callable[[dict[str, Any], str], list[str]] | None = None
) -> list[str]:
    """Validate each object of an array property (``path[0].startTime`` style paths)."""
    if not isinstance(items, list):
        return []
    messages: list[str] = []
    for index, item in enumerate(items):
        item_path = f"{path}.{index}."
        if not isinstance(item, dict):
            messages.append(f"{path}.{index} must be an object")
            continue
        messages.extend(check_fields(item, fields, item_path))
        if extra is not None:
            messages.extend(extra(item, item_path))
    return messages


def raise_if(messages: Iterable[str]) -> None:
    found = list(messages)
    if found:
        raise validation_error(found)
