"""Pure availability maths: schedules → working windows → free slot starts → Cal's slot map.

Nothing here touches the sandbox state: callers pass the schedule, the busy intervals and the
clock's "now". Wall-clock times in a schedule are read in the schedule's own time zone with
``zoneinfo`` so that a 09:00 London start stays 09:00 London across the March/October DST
changes (and moves by an hour when seen from New York in the weeks the two zones disagree).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/Universal", "Universal", "Zulu", "Etc/Zulu"})


@dataclass(frozen=True)
class Interval:
    """A half-open UTC interval [start, end)."""

    start: datetime
    end: datetime

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class DayRule:
    """Weekly availability: these weekdays (0 = Monday), from start to end local time."""

    weekdays: frozenset[int]
    start: time
    end: time


@dataclass(frozen=True)
class DateOverride:
    """A date override replaces the weekly rules for that local date (00:00–00:00 = day off)."""

    day: date
    start: time
    end: time


@dataclass(frozen=True)
class Availability:
    time_zone: str
    rules: tuple[DayRule, ...]
    overrides: tuple[DateOverride, ...] = ()


@dataclass(frozen=True)
class SlotRules:
    """What an event type adds on top of the schedule."""

    length: int  # minutes
    step: int  # minutes between candidate starts (slotInterval, else the length)
    minimum_notice: int = 0  # minutes after "now" before the first bookable start
    before_buffer: int = 0
    after_buffer: int = 0


def zone(name: str) -> ZoneInfo | None:
    """The ZoneInfo for an IANA name, or None when the name is unknown."""
    if not name or name.startswith(("/", ".")) or ".." in name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def parse_hhmm(value: str) -> time | None:
    """'09:00' → time(9, 0); Cal's TIME_FORMAT_HH_MM (24h, zero-padded)."""
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        return None
    hours, minutes = value[:2], value[3:]
    if not (hours.isdigit() and minutes.isdigit()):
        return None
    h, m = int(hours), int(minutes)
    if h > 23 or m > 59:
        return None
    return time(h, m)


def availability_from_schedule(schedule: dict[str, Any]) -> Availability:
    """Read a schedule stored in Cal's ScheduleOutput_2024_06_11 shape."""
    rules = []
    for block in schedule.get("availability") or []:
        start, end = parse_hhmm(block["startTime"]), parse_hhmm(block["endTime"])
        if start is None or end is None:
            continue
        days = frozenset(WEEKDAYS.index(d) for d in block["days"] if d in WEEKDAYS)
        rules.append(DayRule(days, start, end))
    overrides = []
    for block in schedule.get("overrides") or []:
        start, end = parse_hhmm(block["startTime"]), parse_hhmm(block["endTime"])
        if start is None or end is None:
            continue
        overrides.append(DateOverride(date.fromisoformat(block["date"]), start, end))
    return Availability(schedule.get("timeZone") or "Europe/London", tuple(rules), tuple(overrides))


def _local_span(day: date, start: time, end: time, tz: ZoneInfo) -> Interval | None:
    """One local-time span of ``day`` as UTC; an end of 00:00 or 23:59 means midnight after."""
    begin = datetime.combine(day, start, tzinfo=tz)
    if end in (time(0, 0), time(23, 59)):
        finish = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=tz)
    else:
        finish = datetime.combine(day, end, tzinfo=tz)
    begin_utc, finish_utc = begin.astimezone(UTC), finish.astimezone(UTC)
    if finish_utc <= begin_utc:
        return None
    return Interval(begin_utc, finish_utc)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    ordered = sorted(intervals, key=lambda i: i.start)
    merged: list[Interval] = []
    for item in ordered:
        if merged and item.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Interval(last.start, max(last.end, item.end))
        else:
            merged.append(item)
    return merged


def intersect(first: Sequence[Interval], second: Sequence[Interval]) -> list[Interval]:
    """The times inside both lists of windows (for meetings every host must attend)."""
    both = [
        Interval(max(a.start, b.start), min(a.end, b.end))
        for a in first
        for b in second
        if a.overlaps(b)
    ]
    return merge(both)


def working_windows(availability: Availability, start: datetime, end: datetime) -> list[Interval]:
    """UTC windows of availability touching [start, end], with overrides replacing weekly rules."""
    tz = zone(availability.time_zone) or ZoneInfo("UTC")
    first = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date() + timedelta(days=1)
    by_day: dict[date, list[DateOverride]] = {}
    for override in availability.overrides:
        by_day.setdefault(override.day, []).append(override)
    windows: list[Interval] = []
    day = first
    while day <= last:
        if day in by_day:
            spans = [
                _local_span(day, o.start, o.end, tz)
                for o in by_day[day]
                if not (o.start == time(0, 0) and o.end == time(0, 0))
            ]
        else:
            spans = [_local_span(day, r.start, r.end, tz) for r in availability.rules if day.weekday() in r.weekdays]
        windows.extend(s for s in spans if s is not None)
        day += timedelta(days=1)
    return merge(windows)


def free_starts(
    windows: Sequence[Interval],
    rules: SlotRules,
    busy: Sequence[Interval],
    *,
    now: datetime,
    start: datetime,
    end: datetime,
) -> list[datetime]:
    """Slot starts stepped through each window, inside [start, end], bookable now, and clear of busy."""
    length, step = timedelta(minutes=rules.length), timedelta(minutes=max(rules.step, 1))
    earliest = now + timedelta(minutes=rules.minimum_notice)
    before, after = timedelta(minutes=rules.before_buffer), timedelta(minutes=rules.after_buffer)
    starts: list[datetime] = []
    for window in windows:
        candidate = window.start
        while candidate + length <= window.end:
            if start <= candidate <= end and candidate >= earliest:
                blocked = Interval(candidate - before, candidate + length + after)
                if not any(blocked.overlaps(b) for b in busy):
                    starts.append(candidate)
            candidate += step
    return sorted(set(starts))


def fits(windows: Sequence[Interval], candidate: Interval) -> bool:
    """True when the candidate lies entirely inside one availability window."""
    return any(w.start <= candidate.start and candidate.end <= w.end for w in windows)


def format_instant(moment: datetime, time_zone: str | None) -> str:
    """Like luxon's toISO(): milliseconds, 'Z' in UTC, '+01:00' style offsets elsewhere."""
    if not time_zone or time_zone in UTC_NAMES:
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    tz = zone(time_zone) or ZoneInfo("UTC")
    return moment.astimezone(tz).isoformat(timespec="milliseconds")


def slot_map(
    starts: Iterable[datetime], length: int, time_zone: str | None, fmt: str
) -> dict[str, list[dict[str, str]]]:
    """Group starts by local date in ``time_zone`` (UTC if none), as GET /v2/slots returns them."""
    tz = zone(time_zone or "UTC") or ZoneInfo("UTC")
    grouped: dict[str, list[dict[str, str]]] = {}
    for moment in sorted(starts):
        key = moment.astimezone(tz).date().isoformat()
        item = {"start": format_instant(moment, time_zone)}
        if fmt == "range":
            item["end"] = format_instant(moment + timedelta(minutes=length), time_zone)
        grouped.setdefault(key, []).append(item)
    return grouped


def parse_instant(value: str) -> datetime | None:
    """ISO 8601 date-time (Z, offset or naive = UTC) → aware UTC datetime; None if invalid."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_range_bound(value: str, *, is_end: bool) -> datetime | None:
    """GET /v2/slots start/end: a bare date or a midnight end means that whole day (23:59:59)."""
    parsed = parse_instant(value)
    if parsed is None:
        return None
    if is_end and (parsed.hour, parsed.minute, parsed.second, parsed.microsecond) == (0, 0, 0, 0):
        parsed = parsed.replace(hour=23, minute=59, second=59)
    return parsed
