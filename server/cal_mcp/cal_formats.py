"""The value formats Cal's DTO decorators check and its OpenAPI document does not state, for ``calRules``.

Each format is judged without network I/O (a time zone is looked up in the local tz database) and
worded as class-validator words it (``IsUrl``, ``IsEmail``, ``IsTimeZone``, ``IsDateString``/``IsISO8601``,
``IsHexColor``) or as Cal's own validator does (the ICS-feed URL), with what a model needs to put it
right. ``cal_mcp.cal_rules`` applies them to the fields a rule names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Literal
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Format = Literal["url", "icsUrl", "email", "timeZone", "dateString", "hexColor", "utcInstant"]


@dataclass(frozen=True)
class FormatSpec:
    """How a ``format`` is judged and worded: class-validator's default message (``{path}`` is the
    wire path), and for a model what the value must be, with an example."""

    valid: Callable[[str], bool]
    message: str
    means: str
    example: str


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
HEX_COLOR = re.compile(r"^#?([0-9a-f]{3}|[0-9a-f]{4}|[0-9a-f]{6}|[0-9a-f]{8})$", re.IGNORECASE)  # isHexColor's


def _is_url(text: str) -> bool:
    """An absolute http(s) URL with a host: what every URL field of Cal's that a tool sends expects."""
    if any(c.isspace() for c in text):
        return False
    parts = urlparse(text)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _is_ics_url(text: str) -> bool:
    """Cal's IsICSUrlConstraint (create-ics.input.ts): an http(s) URL whose path ends in .ics."""
    return _is_url(text) and urlparse(text).path.endswith(".ics")


@cache
def _is_time_zone(text: str) -> bool:
    """An IANA zone name as the tz database spells it (class-validator's IsTimeZone asks the runtime's Intl).

    Names are matched as spelled: the sandbox computes with the stored zone, so a name it cannot load is
    refused rather than accepted and broken later."""
    if not text or text.startswith(("/", ".")) or ".." in text:
        return False
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def is_date_string(text: str) -> bool:
    """IsDateString / IsISO8601 (strict): a calendar date, or a date and time with an optional offset."""
    try:
        if len(text) == 10:
            date.fromisoformat(text)
        else:
            datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return "-" in text[:8]


UTC_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$")


def is_utc_instant(text: str) -> bool:
    """Cal's own check on out-of-office dates (``apps/api/v2/src/modules/ooo/inputs/ooo.input.ts``,
    ``isDateString``): YYYY-MM-DDTHH:mm:ss, optional milliseconds, then Z; and a real date."""
    return bool(UTC_INSTANT.match(text)) and is_date_string(text)


FORMATS: dict[str, FormatSpec] = {
    "url": FormatSpec(_is_url, "{path} must be a URL address", "an http(s) URL", "https://example.com/hook"),
    "icsUrl": FormatSpec(_is_ics_url, "{path} must be a valid ICS URL (ending with .ics)",
                          "an http(s) URL of an .ics file", "https://example.com/calendar.ics"),
    "email": FormatSpec(lambda t: bool(EMAIL.match(t)), "{path} must be an email", "an email address",
                         "name@example.com"),
    "timeZone": FormatSpec(_is_time_zone, "{path} must be a valid IANA time zone", "an IANA time zone name",
                            "Europe/London"),
    "dateString": FormatSpec(is_date_string, "{path} must be a valid ISO 8601 date string",
                              "an ISO 8601 date or date-time", "2026-12-01T09:00:00Z"),
    "hexColor": FormatSpec(lambda t: bool(HEX_COLOR.match(t)), "{path} must be a hexadecimal color",
                           "a hex colour", "#292929"),
    "utcInstant": FormatSpec(is_utc_instant, "{path} must be a UTC date-time", "a UTC date-time ending in Z",
                             "2026-12-01T00:00:00Z"),
}
