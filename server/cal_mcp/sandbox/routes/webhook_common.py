"""Webhooks of every scope (user, event type, organization, OAuth client) in one ``webhooks`` table.

A record carries exactly one owner key: ``userId``, ``eventTypeId``, ``teamId`` or ``oAuthClientId``;
the output DTO of each scope echoes that key. ``secret`` is stored, and echoed only because Cal's
webhook output DTOs include it (it is the caller's own signing secret).

This module checks request bodies and reads path/query parameters; the records live in ``stores.webhooks``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from cal_mcp.sandbox.errors import not_found
from cal_mcp.sandbox.routes.plat_common import enum, is_bool, is_str, is_url, list_of, paging, validate
from cal_mcp.sandbox.state import SandboxState
from cal_mcp.sandbox.stores import webhooks as store

TRIGGERS = (
    "BOOKING_CREATED", "BOOKING_PAYMENT_INITIATED", "BOOKING_PAID", "BOOKING_RESCHEDULED",
    "BOOKING_REQUESTED", "BOOKING_CANCELLED", "BOOKING_REJECTED", "BOOKING_NO_SHOW_UPDATED",
    "FORM_SUBMITTED", "MEETING_ENDED", "MEETING_STARTED", "RECORDING_READY", "INSTANT_MEETING",
    "RECORDING_TRANSCRIPTION_GENERATED", "OOO_CREATED", "AFTER_HOSTS_CAL_VIDEO_NO_SHOW",
    "AFTER_GUESTS_CAL_VIDEO_NO_SHOW", "FORM_SUBMITTED_NO_EVENT", "ROUTING_FORM_FALLBACK_HIT",
    "DELEGATION_CREDENTIAL_ERROR", "WRONG_ASSIGNMENT_REPORT",
)
FIELDS = {
    "payloadTemplate": is_str,
    "active": is_bool,
    "subscriberUrl": is_url,
    "triggers": list_of(enum(*TRIGGERS)),
    "secret": is_str,
    "version": enum("2021-10-20"),
}
REQUIRED = ("active", "subscriberUrl", "triggers")


def page_of(state: SandboxState, request: Request, owner_key: str, owner: Any) -> list[dict[str, Any]]:
    skip, take = paging(request)
    return [store.render(h) for h in store.owned(state, owner_key, owner)[skip : skip + take]]


def find(state: SandboxState, request: Request, owner_key: str, owner: Any) -> dict[str, Any]:
    """Webhook IDs are uuid strings in Cal; anything that is not one of this owner's is a 404."""
    raw = request.path_params["webhookId"]
    hook = state.table(store.TABLE).get(raw)
    if hook is None or hook.get(owner_key) != owner:
        raise not_found(f"Webhook with id={raw} not found.")
    return hook


def create(state: SandboxState, body: dict[str, Any], owner_key: str, owner: Any) -> dict[str, Any]:
    validate(body, FIELDS, REQUIRED)
    return store.create(state, body, owner_key, owner)


def update(state: SandboxState, hook: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    validate(body, FIELDS)
    return store.update(state, hook, body)
