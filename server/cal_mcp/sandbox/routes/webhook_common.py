"""Webhooks of every scope (user, event type, organization, OAuth client) in one ``webhooks`` table.

A record carries exactly one owner key: ``userId``, ``eventTypeId``, ``teamId`` or ``oAuthClientId``;
the output DTO of each scope echoes that key. ``secret`` is stored, and echoed only because Cal's
webhook output DTOs include it (it is the caller's own signing secret).

This module reads path/query parameters and the request bodies the gate checked (Cal's
CreateWebhookInputDto / UpdateWebhookInputDto, plus the tools' calRules); the records live in ``stores.webhooks``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from cal_mcp.sandbox.errors import not_found
from cal_mcp.sandbox.http import given_fields
from cal_mcp.sandbox.routes.plat_common import paging
from cal_mcp.sandbox.state import SandboxState
from cal_mcp.sandbox.stores import webhooks as store


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
    return store.create(state, given_fields(body), owner_key, owner)


def update(state: SandboxState, hook: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    return store.update(state, hook, given_fields(body))
