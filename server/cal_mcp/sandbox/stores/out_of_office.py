"""Out-of-office entries of organization users (Cal's ``OutOfOfficeEntry``), in UserOooOutputDto shape.

Cal stores whole UTC days: the DTO moves ``start`` to 00:00:00.000 and ``end`` to 23:59:59.999 of their
days (``apps/api/v2/src/modules/ooo/inputs/ooo.input.ts``). While an entry lasts its user is unavailable:
Cal's availability drops the days the user is out of office (``packages/features/availability``:
``getUserAvailability`` builds ``outOfOfficeDays`` and removes them), so ``busy_periods`` is what the
sandbox's availability subtracts.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from cal_mcp.sandbox.errors import CalHTTPError, bad_request
from cal_mcp.sandbox.state import SandboxState
from cal_mcp.sandbox.stores.records import drop_none, iso_ms, next_free_id

OOO_TABLE = "out_of_office"  # keyed by id
REASONS = ("unspecified", "vacation", "travel", "sick", "public_holiday")
_FIRST_ID = 3001


def day_start(text: str) -> datetime:
    """The DTO's transform of ``start``: that UTC day at 00:00:00.000 (the gate checked the format)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    return datetime.combine(moment.date(), time(0, 0), tzinfo=UTC)


def day_end(text: str) -> datetime:
    """The DTO's transform of ``end``: that UTC day at 23:59:59.999."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    return datetime.combine(moment.date(), time(23, 59, 59, 999000), tzinfo=UTC)


def ooo_out(entry: dict[str, Any]) -> dict[str, Any]:
    return drop_none({key: entry.get(key) for key in
                      ("id", "uuid", "userId", "toUserId", "start", "end", "notes", "reason")})


def entries_of(state: SandboxState, user_ids: set[int] | None = None) -> list[dict[str, Any]]:
    rows = state.table(OOO_TABLE).values()
    return [r for r in rows if user_ids is None or r["userId"] in user_ids]


def sort_entries(rows: list[dict[str, Any]], sort_start: str | None, sort_end: str | None) -> list[dict[str, Any]]:
    """Cal orders by start, then end, as asked (``ooo.repository.ts``); by id otherwise."""
    ordered = sorted(rows, key=lambda r: r["id"])
    if sort_end:
        ordered.sort(key=lambda r: r["end"], reverse=sort_end == "desc")
    if sort_start:
        ordered.sort(key=lambda r: r["start"], reverse=sort_start == "desc")
    return ordered


def check_entry(state: SandboxState, user_id: int, start: datetime | None, end: datetime | None,
                to_user_id: int | None, *, ignore_id: int | None = None,
                eligible: set[int] | None = None) -> None:
    """Cal's ``UserOOOService.checkIsValidOOO`` rules, in its order and words."""
    if (start is None) != (end is None):
        raise bad_request("Please specify both ooo start and end time.")
    if start is not None and end is not None:
        if start > end:
            raise bad_request("Start date must be before end date.")
        others = [r for r in entries_of(state, {user_id}) if r["id"] != ignore_id]
        for other in entries_of(state):
            # An entry redirecting to this user while this user redirects to them: a loop.
            if (to_user_id is not None and other["userId"] == to_user_id and other.get("toUserId") == user_id
                    and other["start"] <= iso_ms(end) and other["end"] >= iso_ms(start)):
                raise bad_request("Booking redirect infinite not allowed.")
        if any(r["start"] == iso_ms(start) and r["end"] == iso_ms(end) for r in others):
            raise CalHTTPError(409, "Ooo entry already exists.")
    if to_user_id is not None and to_user_id == user_id:
        raise bad_request("Cannot redirect to self.")
    if to_user_id is not None and eligible is not None and to_user_id not in eligible:
        raise bad_request("Cannot redirect to this user.")


def add_entry(state: SandboxState, user_id: int, start: datetime, end: datetime, *, notes: str | None = None,
              to_user_id: int | None = None, reason: str | None = None) -> dict[str, Any]:
    entry_id = next_free_id(state, OOO_TABLE, _FIRST_ID)
    entry = {
        "id": entry_id, "uuid": state.new_uid(), "userId": user_id, "toUserId": to_user_id,
        "start": iso_ms(start), "end": iso_ms(end), "notes": notes, "reason": reason or "unspecified",
    }
    state.table(OOO_TABLE)[entry_id] = entry
    return entry


def busy_periods(state: SandboxState, user_id: int) -> list[tuple[datetime, datetime]]:
    """The user's out-of-office periods as half-open [start, end) pairs (the end's millisecond included)."""
    found = []
    for entry in entries_of(state, {user_id}):
        start = datetime.fromisoformat(entry["start"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(entry["end"].replace("Z", "+00:00")) + timedelta(milliseconds=1)
        found.append((start, end))
    return found
