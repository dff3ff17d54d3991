"""``completion/complete`` for the prompts' arguments and the booking resource template.

Event types complete to the host's slugs (or IDs, when digits are typed), time zones to IANA names,
bookings to the uids of the host's upcoming bookings, durations to the host's event-type lengths.
Lists read from Cal are kept for ``CACHE_SECONDS``: a client asks on every keystroke, and each
lookup would otherwise spend the Cal rate budget. A lookup that fails completes to nothing (the
user can still type a value); completion must never be the reason a prompt cannot be used.
"""

from __future__ import annotations

import hashlib
import logging
import time
import zoneinfo
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

import mcp_types as types

from cal_mcp.auth.context import CALLER_CREDENTIAL
from cal_mcp.cal_reads import CalReadError, read_data

if TYPE_CHECKING:
    from cal_mcp.app import CalMcpApp

log = logging.getLogger("cal_mcp")

MAX_VALUES = 100  # the protocol's limit per answer
CACHE_SECONDS = 30.0
# IANA areas a person lives in; leaves out the legacy aliases (US/Eastern, Etc/GMT+5, posix/...).
IANA_AREAS = ("Africa/", "America/", "Antarctica/", "Arctic/", "Asia/", "Atlantic/", "Australia/", "Europe/",
              "Indian/", "Pacific/")
COMMON_DURATIONS = (15, 30, 45, 60, 90)


def rank(candidates: Iterable[tuple[str, Iterable[str]]], typed: str) -> list[str]:
    """Values whose keys start with ``typed`` first, then those containing it; case-insensitive, no duplicates.

    Each candidate is ``(value, keys)``: a booking uid is found by its uid, title or attendee.
    Spaces count as underscores, so "new y" finds America/New_York.
    """
    needle = typed.strip().casefold()
    alt = needle.replace(" ", "_")
    starts: list[str] = []
    contains: list[str] = []
    for value, keys in candidates:
        folded = [k.casefold() for k in keys if k] or [""]  # nothing typed yet: everything "starts" with it
        if any(k.startswith((needle, alt)) or k.rpartition("/")[2].startswith((needle, alt)) for k in folded):
            starts.append(value)
        elif any(needle in k or alt in k for k in folded):
            contains.append(value)
    return list(dict.fromkeys([*starts, *contains]))


def _result(values: list[str]) -> types.CompleteResult:
    return types.CompleteResult(completion=types.Completion(
        values=values[:MAX_VALUES], total=len(values), has_more=len(values) > MAX_VALUES))


class Completer:
    """Answers ``completion/complete``; one per app, holding the short-lived lists read from Cal."""

    def __init__(self, app: CalMcpApp, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.clock = clock
        self._cache: dict[str, tuple[float, Any]] = {}
        self._by_argument: dict[tuple[str, str, str], Callable[[str], Awaitable[list[str]]]] = {
            ("ref/prompt", "book_meeting", "event_type"): self.event_types,
            ("ref/prompt", "book_meeting", "attendee_time_zone"): self.time_zones,
            ("ref/prompt", "find_free_time", "time_zone"): self.time_zones,
            ("ref/prompt", "find_free_time", "duration_minutes"): self.durations,
            ("ref/prompt", "reschedule_booking", "booking"): self.bookings,
            ("ref/prompt", "cancel_booking", "booking"): self.bookings,
            ("ref/resource", "cal://bookings/{uid}", "uid"): self.bookings,
        }

    async def complete(self, params: types.CompleteRequestParams) -> types.CompleteResult:
        ref = params.ref
        target = ref.name if isinstance(ref, types.PromptReference) else ref.uri
        source = self._by_argument.get((ref.type, target, params.argument.name))
        if source is None:  # an argument with no known values (a name, an email, free text)
            return _result([])
        try:
            return _result(await source(params.argument.value))
        except CalReadError as exc:
            log.info("completion for %s.%s found nothing: %s", target, params.argument.name, exc)
            return _result([])

    async def _cached(self, tool: str, arguments: dict[str, Any]) -> Any:
        # Per credential: under --auth oauth each caller completes from their own lists, never another's.
        caller = CALLER_CREDENTIAL.get()
        owner = hashlib.sha256(caller.encode()).hexdigest()[:16] if caller else "server"
        key = f"{owner}:{tool}:{sorted(arguments.items())}"
        hit = self._cache.get(key)
        if hit is not None and self.clock() - hit[0] < CACHE_SECONDS:
            return hit[1]
        data = await read_data(self.app, tool, arguments)
        self._cache[key] = (self.clock(), data)
        return data

    async def event_types(self, typed: str) -> list[str]:
        found = _dicts(await self._cached("CAL_LIST_EVENT_TYPES", {}))
        if typed.strip().isdigit():  # an ID being typed
            return rank(((str(e.get("id")), [str(e.get("id"))]) for e in found), typed)
        return rank(((str(e["slug"]), [str(e["slug"]), str(e.get("title") or "")]) for e in found
                     if e.get("slug")), typed)

    async def time_zones(self, typed: str) -> list[str]:
        names = sorted(n for n in zoneinfo.available_timezones() if n.startswith(IANA_AREAS) or n == "UTC")
        if not names:  # no time-zone database on this machine: Cal's list of zones instead
            cal = _dicts(await self._cached("CAL_GET_ALL_TIMEZONES", {}))
            names = sorted({str(z["timezone"]) for z in cal if z.get("timezone")})
        return rank(((n, [n]) for n in names), typed)

    async def bookings(self, typed: str) -> list[str]:
        found = _dicts(await self._cached(
            "CAL_FETCH_ALL_BOOKINGS", {"status": ["upcoming"], "sortStart": "asc", "take": 100}))
        candidates = []
        for b in found:
            if not b.get("uid"):
                continue
            people = [str(p.get(k) or "") for p in _dicts(b.get("attendees")) for k in ("name", "email")]
            candidates.append((str(b["uid"]), [str(b["uid"]), str(b.get("title") or ""), *people]))
        return rank(candidates, typed)

    async def durations(self, typed: str) -> list[str]:
        try:
            lengths = {int(e["lengthInMinutes"]) for e in _dicts(await self._cached("CAL_LIST_EVENT_TYPES", {}))
                       if isinstance(e.get("lengthInMinutes"), int)}
        except CalReadError:
            lengths = set()
        values = [str(m) for m in sorted(lengths | set(COMMON_DURATIONS))]
        return [v for v in values if v.startswith(typed.strip())]


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
