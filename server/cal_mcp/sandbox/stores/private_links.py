"""Private (hashed) links of event types: one-time or limited-use links, or links that expire.

Cal's ``PrivateLinksService`` (``apps/api/v2/src/ee/event-types-private-links``) keeps ``HashedLink`` rows
and answers TimeBasedPrivateLinkOutput (with ``expiresAt``) or UsageBasedPrivateLinkOutput (with
``maxUsageCount`` and ``usageCount``); a link without either is usable once (``maxUsageCount`` 1).
Booking URLs read ``<booker origin>/d/<hash>/<event type slug>``, the origin being the organization's
subdomain for its teams' event types (``PrivateLinksService_2024_09_04.buildBookingUrl``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cal_mcp.sandbox.state import SandboxState

PRIVATE_LINKS_TABLE = "private_links"  # keyed by the link's hash (its linkId)
BOOKER_ORIGIN = "https://cal.com"


def org_origin(org_slug: str) -> str:
    return f"https://{org_slug}.cal.com"


def new_link(state: SandboxState, event_type: dict[str, Any], expires_at: str | None,
             max_usage_count: int | None, *, link_id: str | None = None, origin: str = BOOKER_ORIGIN) -> dict[str, Any]:
    """``origin``: where the booker lives; an organization's event types book on its own subdomain."""
    link_id = link_id or state.new_uid()
    record = {
        "linkId": link_id, "eventTypeId": event_type["id"], "_slug": event_type.get("slug", ""), "_origin": origin,
        "expiresAt": expires_at, "maxUsageCount": None if expires_at else (max_usage_count or 1), "usageCount": 0,
    }
    state.table(PRIVATE_LINKS_TABLE)[link_id] = record
    return record


def links_of(state: SandboxState, event_type_id: int) -> list[dict[str, Any]]:
    return [r for r in state.table(PRIVATE_LINKS_TABLE).values() if r["eventTypeId"] == event_type_id]


def link_out(record: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Time-based when it has an expiry, else usage-based; expired by time or by uses."""
    out: dict[str, Any] = {
        "linkId": record["linkId"], "eventTypeId": record["eventTypeId"],
        "bookingUrl": f"{record['_origin']}/d/{record['linkId']}/{record['_slug']}",
    }
    if record["expiresAt"]:
        expiry = datetime.fromisoformat(record["expiresAt"].replace("Z", "+00:00"))
        out["isExpired"] = expiry <= now
        out["expiresAt"] = record["expiresAt"]
    else:
        out["isExpired"] = record["usageCount"] >= record["maxUsageCount"]
        out["maxUsageCount"] = record["maxUsageCount"]
        out["usageCount"] = record["usageCount"]
    return out
