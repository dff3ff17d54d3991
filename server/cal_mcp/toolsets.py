"""Dynamic toolsets (``--dynamic-toolsets``): the meta-tools and what they answer.

A session starts with three small meta-tools (plus any toolsets named with ``--toolsets``) instead
of every tool; the model lists the toolsets, enables the ones its task needs, and its client
re-lists the tools after ``notifications/tools/list_changed``. This module knows the toolsets and
answers the meta-tools for one session's enabled set; where that set lives, and how the client is
told, is ``tool_views.py``'s job.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import mcp_types as types

from cal_mcp.registry import Registry

LIST_TOOLSETS = "CAL_LIST_TOOLSETS"
ENABLE_TOOLSETS = "CAL_ENABLE_TOOLSETS"
SEARCH_TOOLS = "CAL_SEARCH_TOOLS"
META_TOOL_NAMES = (LIST_TOOLSETS, ENABLE_TOOLSETS, SEARCH_TOOLS)
MAX_SEARCH_RESULTS = 12

# One line each: what a model reads to decide what to enable.
TOOLSET_SUMMARIES = {
    "bookings": "Book, list, get, reschedule, cancel, confirm or decline bookings; no-shows; reassign hosts.",
    "slots": "Find available times for an event type; hold and release a slot before booking.",
    "event_types": "List, get and delete the user's event types (the eventTypeId bookings and slots need).",
    "me": "The user's own profile (update it), time zones, and the user's organization ID.",
    "schedules": "Availability schedules (working hours): list, get, create, update, delete; the default one.",
    "calendars": "Connected calendars: list, busy times, select calendars, connect (Google, Apple, ICS), disconnect.",
    "conferencing": "Conferencing apps (Google Meet, Zoom...): list, connect, default app, disconnect.",
    "webhooks": "Webhooks of the user or of an event type: list, get, create, update, delete.",
    "teams": "Teams: create, list, update, delete; members and team event types; AI phone calls.",
    "organizations": "Organization admin: org teams, memberships, attributes, org webhooks, users' schedules.",
    "payments": "Stripe connection of the user or a team: connect URL, check, OAuth callback.",
    "platform": "Cal Platform (OAuth client credentials): managed users, their tokens, client webhooks.",
}

DYNAMIC_INSTRUCTIONS = f"""\
Tools are loaded on demand: this session starts with {LIST_TOOLSETS} (the toolsets and what each holds), \
{ENABLE_TOOLSETS} (adds a toolset's tools to your tool list) and {SEARCH_TOOLS} (finds a tool by words). \
Enable only what the task needs; for booking enable bookings, slots and event_types. \
After enabling, the tools appear in your tool list (your client re-lists them when notified).
"""


def summary_of(toolset: str, registry: Registry) -> str:
    known = TOOLSET_SUMMARIES.get(toolset)
    if known:
        return known
    titles = [s.title for s in registry.specs if s.toolset == toolset]
    return "; ".join(titles[:4]) + ("; ..." if len(titles) > 4 else "")


def meta_tools(toolsets: Iterable[str]) -> tuple[types.Tool, ...]:
    """The three meta-tools; the enable tool's enum names the toolsets this session may enable."""
    read_only = types.ToolAnnotations(
        read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
    )
    return (
        types.Tool(
            name=LIST_TOOLSETS,
            title="List toolsets",
            description=(
                "List the toolsets (groups of Cal.com tools): each one's summary, tool count and whether it "
                f"is enabled here. Call first, then {ENABLE_TOOLSETS} with the ones the task needs."
            ),
            input_schema={"type": "object", "properties": {}},
            annotations=read_only.model_copy(update={"title": "List toolsets"}),
        ),
        types.Tool(
            name=ENABLE_TOOLSETS,
            title="Enable toolsets",
            description=(
                "Add toolsets' tools to this session's tool list (names from "
                f"{LIST_TOOLSETS} or {SEARCH_TOOLS}). Only the list changes; nothing is sent to Cal.com."
            ),
            input_schema={
                "type": "object",
                "properties": {
                    "toolsets": {"type": "array", "items": {"type": "string", "enum": sorted(toolsets)},
                                 "minItems": 1}
                },
                "required": ["toolsets"],
            },
            annotations=read_only.model_copy(update={"title": "Enable toolsets"}),
        ),
        types.Tool(
            name=SEARCH_TOOLS,
            title="Search tools",
            description=(
                "Find tools by words (e.g. 'cancel booking', 'webhook') in every toolset, enabled or not: "
                "each match's name, toolset and title."
            ),
            input_schema={
                "type": "object",
                "properties": {"query": {"type": "string", "minLength": 1}},
                "required": ["query"],
            },
            annotations=read_only.model_copy(update={"title": "Search tools"}),
        ),
    )


@dataclass(frozen=True)
class MetaAnswer:
    """A meta-tool's result, and the toolsets it newly enabled (the caller stores them and notifies)."""

    result: types.CallToolResult
    newly_enabled: tuple[str, ...] = ()


def _answer(payload: dict[str, Any]) -> types.CallToolResult:
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=json.dumps(payload, separators=(",", ":")))],
        structured_content=payload,
    )


def _error(message: str, hint: str, field: str) -> types.CallToolResult:
    from cal_mcp.errors import ArgumentError

    return ArgumentError(message, hint, field=field).to_result()


def list_toolsets(universe: Registry, enabled: frozenset[str]) -> MetaAnswer:
    rows = [
        {"name": name, "summary": summary_of(name, universe), "tools": count, "enabled": name in enabled}
        for name, count in universe.toolsets.items()
    ]
    return MetaAnswer(_answer({"toolsets": rows, "next": f"{ENABLE_TOOLSETS} with the toolsets the task needs."}))


def enable_toolsets(
    universe: Registry, enabled: frozenset[str], arguments: dict[str, Any], *, remembered: bool
) -> MetaAnswer:
    """``remembered`` is False where there is no session to keep the change in (see ``tool_views``)."""
    wanted = arguments.get("toolsets")
    if isinstance(wanted, str):
        wanted = [part.strip() for part in wanted.split(",") if part.strip()]
    valid = ", ".join(universe.toolsets)
    if not isinstance(wanted, list) or not wanted or not all(isinstance(w, str) for w in wanted):
        return MetaAnswer(_error("toolsets must be a non-empty array of toolset names.",
                                 f"Pass e.g. {{\"toolsets\": [\"bookings\"]}}; valid names: {valid}.", "toolsets"))
    unknown = sorted(set(wanted) - set(universe.toolsets))
    if unknown:
        return MetaAnswer(_error(f"Unknown or unavailable toolset(s): {', '.join(unknown)}.",
                                 f"Use names from {LIST_TOOLSETS}; valid here: {valid}.", "toolsets"))
    new = tuple(name for name in universe.toolsets if name in set(wanted) and name not in enabled)
    chosen = set(wanted)
    tools = [{"name": s.name, "title": s.title} for s in universe.specs if s.toolset in chosen]
    payload: dict[str, Any] = {"enabled": sorted(enabled | chosen), "newlyEnabled": list(new), "tools": tools}
    if remembered:
        payload["next"] = "These tools are now in your tool list; call them by name."
    else:
        # No session (a 2026-07-28 HTTP request, or --stateless): nothing can be remembered between
        # requests, so the tools are described here in full and every served tool can be called.
        payload["tools"] = [
            {"name": s.name, "description": s.description, "inputSchema": s.input_schema}
            for s in universe.specs if s.toolset in chosen
        ]
        payload["next"] = ("This connection has no session, so the tool list cannot change; call these tools "
                           "by name with the schemas above, or reconnect to /mcp/x/<toolsets> to have them listed.")
    return MetaAnswer(_answer(payload), new if remembered else ())


_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("_", " "))


def search_tools(universe: Registry, enabled: frozenset[str], arguments: dict[str, Any]) -> MetaAnswer:
    query = arguments.get("query")
    if not isinstance(query, str) or not _words(query):
        return MetaAnswer(_error("query must be a non-empty string of words.",
                                 "Pass e.g. {\"query\": \"cancel booking\"}.", "query"))
    terms = _words(query)
    scored: list[tuple[int, int, str]] = []
    for index, spec in enumerate(universe.specs):
        name_words = set(_words(spec.name) + _words(spec.title) + _words(spec.toolset))
        text_words = set(_words(spec.description))
        # A term matches a word it starts (book → bookings); name and title count double.
        score = sum(2 if any(w.startswith(t) for w in name_words) else
                    1 if any(w.startswith(t) for w in text_words) else 0 for t in terms)
        if score:
            scored.append((-score, index, spec.name))
    matches = [universe.by_name[name] for _, _, name in sorted(scored)[:MAX_SEARCH_RESULTS]]
    rows = [{"name": s.name, "toolset": s.toolset, "title": s.title, "enabled": s.toolset in enabled}
            for s in matches]
    payload: dict[str, Any] = {"matches": rows}
    payload["next"] = (f"Enable a match's toolset with {ENABLE_TOOLSETS}, then call it." if rows
                       else f"No match; {LIST_TOOLSETS} shows every toolset.")
    return MetaAnswer(_answer(payload))
