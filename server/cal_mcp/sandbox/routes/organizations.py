"""All /v2/organizations/{orgId}/… routes (the team Stripe check lives in ``payments``).

Order matters: literal segments (``teams/event-types``, ``teams/me``, ``attributes/options``) must be
registered before the ``{teamId}``/``{attributeId}`` routes that would otherwise swallow them.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from cal_mcp.sandbox.routes import (
    org_attributes,
    org_event_types,
    org_memberships,
    org_schedules,
    org_teams,
    org_users,
    org_webhooks,
)

ROUTES: list[BaseRoute] = [
    *org_event_types.ROUTES,
    *org_teams.ROUTES,
    *org_attributes.ROUTES,
    *org_memberships.ROUTES,
    *org_users.ROUTES,
    *org_schedules.ROUTES,
    *org_webhooks.ROUTES,
]
