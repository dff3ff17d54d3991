"""Renders the README's generated tables from tool_specs/ (kept fresh by test_readme.py)."""

from __future__ import annotations

import re

from cal_mcp.specs import ToolSpec

TOOLSET_NOTES = {
    "bookings": "create, list, reschedule, cancel, confirm/decline, no-shows, reassign, attendees and guests, "
    "location, calendar links, references, recordings",
    "slots": "free times, holding and releasing a slot",
    "event_types": "the user's event types: list, create, edit, delete",
    "me": "the authenticated user, organization ID, time zones",
    "schedules": "working-hours schedules",
    "calendars": "connected calendars, busy times, ICS feeds, selected/destination calendars",
    "conferencing": "video conferencing apps",
    "webhooks": "user and event-type webhooks",
    "teams": "teams, memberships, team event types, team bookings",
    "organizations": "organization users, memberships, attributes, teams, team event types, schedules, bookings, "
    "webhooks (org admin)",
    "platform": "Platform OAuth-client managed users and webhooks (OAuth client credentials)",
    "payments": "Stripe connection",
}


def first_sentence(text: str) -> str:
    """Up to the first `.` or `;` that ends a sentence: not inside parentheses, not of "e.g." or "i.e."."""
    depth = 0
    for index, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        at_end = index + 1 == len(text) or text[index + 1].isspace()
        if char in ".;" and depth <= 0 and at_end and not text[: index + 1].endswith(("e.g.", "i.e.")):
            return text[:index]
    return text.rstrip(".;")


def marks(spec: ToolSpec) -> str:
    hints = spec.annotations
    if hints.read_only_hint:
        return "read-only"
    return "destructive" if hints.destructive_hint else "writes"


def toolsets_table(specs: tuple[ToolSpec, ...]) -> str:
    counts: dict[str, int] = {}
    for spec in specs:
        counts[spec.toolset] = counts.get(spec.toolset, 0) + 1
    rows = ["| toolset | tools | covers |", "|---|---:|---|"]
    rows += [f"| `{name}` | {count} | {TOOLSET_NOTES.get(name, '')} |" for name, count in sorted(counts.items())]
    rows.append(f"| **all** | **{len(specs)}** | |")
    return "\n".join(rows)


def tools_table(specs: tuple[ToolSpec, ...]) -> str:
    rows = ["| tool | toolset | what it does | kind |", "|---|---|---|---|"]
    for spec in sorted(specs, key=lambda s: (s.toolset, s.name)):
        summary = first_sentence(spec.description).replace("|", "\\|")
        rows.append(f"| `{spec.name}` | {spec.toolset} | {summary} | {marks(spec)} |")
    return "\n".join(rows)


def replace_block(text: str, marker: str, content: str) -> str:
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise ValueError(f"README has no {start} … {end} block")
    return pattern.sub(lambda _: f"{start}\n{content}\n{end}", text)
