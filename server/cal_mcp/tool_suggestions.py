"""An unknown tool name → whether a tool for that capability exists, and its name.

Models guess names (``CAL_BOOK_MEETING``, ``CAL_LIST_BOOKINGS``) or ask for a tool the operator left out
with ``--toolsets``/``--tools``/``--read-only``. "Unknown tool" alone sends them to re-read the whole list;
naming the closest tools (by spelling and by the words of their names and titles) usually ends it.
"""

from __future__ import annotations

import difflib
import re
from functools import cache

from cal_mcp.specs import ToolSpec, load_specs

# Words models use for the ones in our names and titles.
SYNONYMS = {
    "book": "booking", "bookings": "booking", "meeting": "booking", "meetings": "booking", "appointment": "booking",
    "events": "event", "types": "type", "list": "get", "fetch": "get", "retrieve": "get", "show": "get",
    "remove": "delete", "cancel": "cancel", "move": "reschedule", "availability": "slots", "free": "slots",
    "slot": "slots", "profile": "me", "my": "me", "webhooks": "webhook", "teams": "team", "members": "membership",
    "member": "membership", "memberships": "membership", "schedules": "schedule", "calendars": "calendar",
    "timezones": "timezone", "timezone": "timezone", "zones": "timezone", "update": "update", "edit": "update",
    "modify": "update", "patch": "update", "add": "create", "new": "create", "post": "create",
    # The current time comes with the profile (CAL_RETRIEVE_MY_INFORMATION).
    "now": "me", "current": "me", "today": "me", "clock": "me", "date": "me",
}
STOP = {"cal", "a", "an", "the", "for", "by", "of", "to", "in", "with", "via", "and", "or", "id", "uid", "details",
        "info", "information", "all"}
# Each word of a tool's name the guess did not ask for (TEAM, ORG, USER…) narrows the tool to a scope the
# model did not mean: CAL_LIST_BOOKINGS is the user's own bookings, not a team's.
UNASKED_WORD_PENALTY = 0.15


def _raw_words(text: str) -> set[str]:
    return {word for word in re.findall(r"[a-z0-9]+", text.lower()) if word not in STOP}


def _words(text: str) -> set[str]:
    return {SYNONYMS.get(word, word) for word in _raw_words(text)}


def _closest(name: str, specs: tuple[ToolSpec, ...], limit: int = 3) -> list[ToolSpec]:
    by_name = {spec.name: spec for spec in specs}
    wanted, wanted_raw = _words(name), _raw_words(name)
    scored: list[tuple[float, str]] = []
    for spec in specs:
        text = f"{spec.name} {spec.title}"
        overlap = len(wanted & _words(text)) / max(len(wanted), 1)
        exact = len(wanted_raw & _raw_words(text)) / max(len(wanted_raw), 1)
        spelling = difflib.SequenceMatcher(None, name.upper(), spec.name).ratio()
        unasked = len(_words(spec.name) - wanted) * UNASKED_WORD_PENALTY
        score = overlap + exact / 2 + spelling / 2 - unasked
        if overlap or spelling >= 0.75:
            scored.append((score, spec.name))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [by_name[n] for _, n in scored[:limit]]


@cache
def _every_tool() -> dict[str, ToolSpec]:
    """All of cal-mcp's tools, served or not (read once, on the first unknown name)."""
    return {spec.name: spec for spec in load_specs()}


def unknown_tool_message(name: str, served: tuple[ToolSpec, ...]) -> tuple[str, str]:
    """(message, next step) for a call to ``name``, which this server does not serve."""
    served_names = {spec.name for spec in served}
    every = _every_tool()
    if name in every and name not in served_names:
        spec = every[name]
        return (
            f"Tool {name!r} exists in cal-mcp ({spec.title}; toolset {spec.toolset!r}) but this server was "
            "started without it (--toolsets, --tools or --read-only).",
            "Tell the user it is not enabled here; whoever runs the server can enable it. Do not retry.",
        )
    closest = _closest(name, served)
    if not closest:
        return (f"Unknown tool {name!r}: no tool here does anything close to that.",
                "Call tools/list and use one of the names it returns; tell the user if none fits.")
    listed = "; ".join(f"{spec.name} ({spec.title})" for spec in closest)
    return (f"Unknown tool {name!r}. The closest tools here: {listed}.",
            f"If one of them does what you meant, call it by that exact name (e.g. {closest[0].name}).")
