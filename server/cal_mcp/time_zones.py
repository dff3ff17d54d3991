"""IANA time zone names: is a value one, and which real names is a near miss close to.

Cal checks time zones with class-validator's ``IsTimeZone`` (IANA names and their legacy aliases).
Models often send a city (``Berlin``) or an abbreviation; the fix they
need is the exact name (``Europe/Berlin``), so a refusal suggests the closest ones.
"""

from __future__ import annotations

import difflib
from functools import cache
from zoneinfo import available_timezones

# Abbreviations people say that are not zones (or not the zone they mean): the usual place they stand for.
ABBREVIATIONS = {
    "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles", "pt": "America/Los_Angeles",
    "mdt": "America/Denver", "mt": "America/Denver", "cst": "America/Chicago", "cdt": "America/Chicago",
    "ct": "America/Chicago", "edt": "America/New_York", "et": "America/New_York", "bst": "Europe/London",
    "cest": "Europe/Paris", "ist": "Asia/Kolkata", "jst": "Asia/Tokyo", "aest": "Australia/Sydney",
    "aedt": "Australia/Sydney",
}


@cache
def _known() -> dict[str, str]:
    """lower-case name → canonical name; empty when this machine has no time zone database."""
    names = available_timezones() | {"UTC"}
    return {name.lower(): name for name in names}


@cache
def _by_city() -> dict[str, list[str]]:
    """"berlin" → ["Europe/Berlin"], "new york" → ["America/New_York"]: the last segment, in words."""
    cities: dict[str, list[str]] = {}
    for name in sorted(_known().values()):
        if "/" not in name or name.startswith(("Etc/", "SystemV/")):
            continue
        city = name.rsplit("/", 1)[1].replace("_", " ").lower()
        cities.setdefault(city, []).append(name)
    return cities


@cache  # available_timezones() walks the whole tz database on disk: ~12 ms of CPU per call, measured
def have_database() -> bool:
    return bool(available_timezones())


def is_known(value: str) -> bool:
    """Whether ``value`` is a zone name spelled as the tz database spells it; True if none can be checked.

    Exact spelling, as ``cal_formats`` checks it: the sandbox (and any tool computing with the zone) loads
    it by name, and a near miss gets the right spelling suggested instead."""
    return not have_database() or value in _known().values()


def closest(value: str, limit: int = 3) -> list[str]:
    """Real names close to ``value``: a city's zone first (``Berlin`` → ``Europe/Berlin``), then spelling."""
    text = value.strip().lower().replace("_", " ")
    if not text:
        return []
    if text in ABBREVIATIONS:
        return [ABBREVIATIONS[text]]
    spelled_exactly = _known().get(value.strip().lower())
    found: list[str] = [spelled_exactly] if spelled_exactly else []
    found.extend(_by_city().get(text, []))
    cities = difflib.get_close_matches(text, list(_by_city()), n=limit, cutoff=0.8)
    for city in cities:
        found.extend(_by_city()[city])
    canonical = _known()
    spelled = difflib.get_close_matches(value.strip().lower(), list(canonical), n=limit, cutoff=0.6)
    found.extend(canonical[name] for name in spelled)
    return list(dict.fromkeys(found))[:limit]
