"""Scopes: ``cal:read`` (read-only tools) and ``cal:write`` (every tool). They decide what a session sees."""

from __future__ import annotations

from collections.abc import Iterable

SCOPE_READ = "cal:read"
SCOPE_WRITE = "cal:write"
SUPPORTED = [SCOPE_READ, SCOPE_WRITE]
DESCRIPTIONS = {
    SCOPE_READ: "See your bookings, event types, schedules and availability",
    SCOPE_WRITE: "Create, change and cancel bookings and other Cal.com data",
}


def may_call(scopes: Iterable[str], read_only_tool: bool) -> bool:
    granted = set(scopes)
    if SCOPE_WRITE in granted:
        return True
    return read_only_tool and SCOPE_READ in granted


def normalise(requested: Iterable[str] | None) -> list[str]:
    """What a grant holds: the known scopes asked for, in a fixed order (none asked: both)."""
    asked = set(requested or SUPPORTED)
    return [scope for scope in SUPPORTED if scope in asked]
