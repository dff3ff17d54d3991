"""All /v2/organizations/{orgId}/… handlers (the team Stripe check lives in ``payments``)."""

from __future__ import annotations

from cal_mcp.sandbox.http import Endpoint
from cal_mcp.sandbox.routes import (
    org_attributes,
    org_event_types,
    org_memberships,
    org_schedules,
    org_teams,
    org_users,
    org_webhooks,
)

HANDLERS: dict[str, Endpoint] = {
    **org_event_types.HANDLERS,
    **org_teams.HANDLERS,
    **org_attributes.HANDLERS,
    **org_memberships.HANDLERS,
    **org_users.HANDLERS,
    **org_schedules.HANDLERS,
    **org_webhooks.HANDLERS,
}
