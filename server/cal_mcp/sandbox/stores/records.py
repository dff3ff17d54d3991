"""Helpers every store uses: fresh IDs, Cal's timestamp formats, optional keys, slugs."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from cal_mcp.sandbox.state import SandboxState


def next_free_id(state: SandboxState, table: str, start: int) -> int:
    """A new ID from the table's counter, skipping any ID already taken (seeds may set IDs directly)."""
    rows = state.table(table)
    while True:
        candidate = state.new_id(table, start)
        if candidate not in rows:
            return candidate


def drop_none(record: dict[str, Any], keep: Iterable[str] = ()) -> dict[str, Any]:
    """Cal omits unset optional properties; ``keep`` lists the nullable ones it sends as null."""
    kept = set(keep)
    return {k: v for k, v in record.items() if v is not None or k in kept}


def iso(dt: Any) -> str:
    """UTC instant as Cal's dates read: 2026-11-23T08:00:00Z (whole seconds)."""
    return dt.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def iso_ms(moment: datetime) -> str:
    """A JS Date's JSON form, as Cal returns booking times: 2026-11-24T09:00:00.000Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
