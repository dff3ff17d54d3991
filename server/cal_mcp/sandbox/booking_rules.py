"""Booking rules without HTTP: list filters and Cal's status buckets (records: ``stores.bookings``).

Request bodies are checked before any route runs (``request_gate``: Cal's DTOs from the facts and calRules).

Records are stored in the BookingOutput_2024_08_13 wire shape; sandbox bookkeeping lives under
keys starting with '_' (``_rescheduled``, ``_rejectionReason``) and is dropped on output.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cal_mcp.sandbox.slots import parse_instant

Record = dict[str, Any]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def in_status(record: Record, bucket: str, now: datetime) -> bool:
    """Cal's booking list buckets (getAllUserBookings' status filters)."""
    status = record["status"]
    end = parse_instant(record["end"]) or now
    recurring = "recurringBookingUid" in record
    if bucket == "upcoming":
        return end >= now and (status == "accepted" if recurring else status not in ("cancelled", "rejected"))
    if bucket == "recurring":
        return end >= now and recurring and status not in ("cancelled", "rejected")
    if bucket == "past":
        return end <= now and status not in ("cancelled", "rejected")
    if bucket == "cancelled":
        return status in ("cancelled", "rejected")
    if bucket == "unconfirmed":
        return end >= now and status == "pending"
    return False


def sort_key(field: str) -> Any:
    wire = {"sortStart": "start", "sortEnd": "end", "sortCreated": "createdAt", "sortUpdatedAt": "updatedAt"}[field]
    return lambda record: (parse_instant(record[wire]) or EPOCH, record["id"])
