"""Webhooks of every scope (user, event type, organization, OAuth client) in one ``webhooks`` table.

A record carries exactly one owner key: ``userId``, ``eventTypeId``, ``teamId`` or ``oAuthClientId``;
the output DTO of each scope echoes that key. ``secret`` is stored, and echoed only because Cal's
webhook output DTOs include it (it is the caller's own signing secret). Request bodies are checked by
the sandbox's request gate before any route runs.
"""

from __future__ import annotations

import uuid
from typing import Any

from cal_mcp.sandbox.errors import CalHTTPError
from cal_mcp.sandbox.state import SandboxState

TABLE = "webhooks"
OWNER_KEYS = ("userId", "eventTypeId", "teamId", "oAuthClientId")
# What a create/update body may set (the fields of Cal's webhook input DTOs).
WRITABLE = ("payloadTemplate", "active", "subscriberUrl", "triggers", "secret", "version")


def render(hook: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": hook["id"],
        "subscriberUrl": hook["subscriberUrl"],
        "triggers": list(hook["triggers"]),
        "active": hook["active"],
        # Cal stores null when no template is set; "" means the same to its sender (falsy = default payload).
        "payloadTemplate": hook.get("payloadTemplate") or "",
    }
    for key in OWNER_KEYS:
        if hook.get(key) is not None:
            out[key] = hook[key]
    if hook.get("secret"):
        out["secret"] = hook["secret"]
    return out


def owned(state: SandboxState, owner_key: str, owner: Any) -> list[dict[str, Any]]:
    """This owner's webhooks, oldest first (the table keeps creation order; the IDs are uuids)."""
    return [h for h in state.table(TABLE).values() if h.get(owner_key) == owner]


def new_webhook_id(state: SandboxState) -> str:
    """A uuid (Cal's ``Webhook.id String @id @unique``), drawn from the sandbox's seeded random."""
    return str(uuid.UUID(int=state.random.getrandbits(128), version=4))


def create(state: SandboxState, body: dict[str, Any], owner_key: str, owner: Any) -> dict[str, Any]:
    if any(h["subscriberUrl"] == body["subscriberUrl"] for h in owned(state, owner_key, owner)):
        raise CalHTTPError(409, "Webhook with this subscriber url already exists.")
    hook = {
        "id": new_webhook_id(state),
        owner_key: owner,
        "subscriberUrl": body["subscriberUrl"],
        "triggers": list(dict.fromkeys(body["triggers"])),
        "active": body["active"],
        "payloadTemplate": body.get("payloadTemplate"),
        "secret": body.get("secret"),
        "version": body.get("version", "2021-10-20"),
        "createdAt": state.now().isoformat(),
    }
    state.table(TABLE)[hook["id"]] = hook
    return hook


def update(state: SandboxState, hook: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    url = body.get("subscriberUrl")
    if url and url != hook["subscriberUrl"]:
        owner_key = next(k for k in OWNER_KEYS if hook.get(k) is not None)
        if any(h["subscriberUrl"] == url for h in owned(state, owner_key, hook[owner_key])):
            raise CalHTTPError(409, "Webhook with this subscriber url already exists.")
    for key in WRITABLE:
        if key in body:
            hook[key] = list(dict.fromkeys(body[key])) if key == "triggers" else body[key]
    return hook


def delete(state: SandboxState, hook: dict[str, Any]) -> dict[str, Any]:
    del state.table(TABLE)[hook["id"]]
    return render(hook)
