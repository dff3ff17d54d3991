"""/v2/webhooks (the caller's own webhooks) and /v2/event-types/{eventTypeId}/webhooks."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from cal_mcp.sandbox.errors import forbidden, not_found
from cal_mcp.sandbox.http import Endpoint, json_body, ok, path_int, state_of
from cal_mcp.sandbox.routes import webhook_common as wh
from cal_mcp.sandbox.state import USER_ID, SandboxState
from cal_mcp.sandbox.stores import webhooks as webhook_store
from cal_mcp.sandbox.stores.teams import ADMIN_ROLES, membership_of


async def create_user_webhook(request: Request) -> JSONResponse:
    hook = wh.create(state_of(request), await json_body(request), "userId", USER_ID)
    return ok(webhook_store.render(hook), status=201)


async def list_user_webhooks(request: Request) -> JSONResponse:
    return ok(wh.page_of(state_of(request), request, "userId", USER_ID))


async def get_user_webhook(request: Request) -> JSONResponse:
    return ok(webhook_store.render(wh.find(state_of(request), request, "userId", USER_ID)))


async def patch_user_webhook(request: Request) -> JSONResponse:
    state = state_of(request)
    hook = wh.find(state, request, "userId", USER_ID)
    return ok(webhook_store.render(wh.update(state, hook, await json_body(request))))


async def delete_user_webhook(request: Request) -> JSONResponse:
    state = state_of(request)
    return ok(webhook_store.delete(state, wh.find(state, request, "userId", USER_ID)))


def _owned_event_type(state: SandboxState, event_type_id: int) -> int:
    """The caller must own the event type, or administer the team that owns a team event type."""
    event: dict[str, Any] | None = state.table("event_types").get(event_type_id)
    if event is not None:
        owner = event.get("ownerId", event.get("userId", USER_ID))
        if owner not in (None, USER_ID):
            raise forbidden(f"You are not the owner of event type with id={event_type_id}.")
        return event_type_id
    team_event = state.table("team_event_types").get(event_type_id)
    if team_event is None:
        raise not_found(f"Event type with id={event_type_id} not found.")
    membership = membership_of(state, team_event["teamId"])
    if membership is None or membership["role"] not in ADMIN_ROLES:
        raise forbidden(f"You are not an admin of the team owning event type with id={event_type_id}.")
    return event_type_id


async def create_event_type_webhook(request: Request) -> JSONResponse:
    state = state_of(request)
    event_type_id = _owned_event_type(state, path_int(request, "eventTypeId"))
    hook = wh.create(state, await json_body(request), "eventTypeId", event_type_id)
    return ok(webhook_store.render(hook), status=201)


async def list_event_type_webhooks(request: Request) -> JSONResponse:
    state = state_of(request)
    event_type_id = _owned_event_type(state, path_int(request, "eventTypeId"))
    return ok(wh.page_of(state, request, "eventTypeId", event_type_id))


async def delete_event_type_webhooks(request: Request) -> JSONResponse:
    state = state_of(request)
    event_type_id = _owned_event_type(state, path_int(request, "eventTypeId"))
    hooks = webhook_store.owned(state, "eventTypeId", event_type_id)
    for hook in hooks:
        del state.table(webhook_store.TABLE)[hook["id"]]
    return ok(f"{len(hooks)} webhooks deleted")


async def get_event_type_webhook(request: Request) -> JSONResponse:
    state = state_of(request)
    event_type_id = _owned_event_type(state, path_int(request, "eventTypeId"))
    return ok(webhook_store.render(wh.find(state, request, "eventTypeId", event_type_id)))


async def patch_event_type_webhook(request: Request) -> JSONResponse:
    state = state_of(request)
    event_type_id = _owned_event_type(state, path_int(request, "eventTypeId"))
    hook = wh.find(state, request, "eventTypeId", event_type_id)
    return ok(webhook_store.render(wh.update(state, hook, await json_body(request))))


async def delete_event_type_webhook(request: Request) -> JSONResponse:
    state = state_of(request)
    event_type_id = _owned_event_type(state, path_int(request, "eventTypeId"))
    return ok(webhook_store.delete(state, wh.find(state, request, "eventTypeId", event_type_id)))


_ET = "/v2/event-types/{eventTypeId}/webhooks"
# Cal's operationId → handler; app.py serves each at its operation's method and path (cal_api_facts.json).
HANDLERS: dict[str, Endpoint] = {
    "WebhooksController_createWebhook": create_user_webhook,
    "WebhooksController_getWebhooks": list_user_webhooks,
    "WebhooksController_getWebhook": get_user_webhook,
    "WebhooksController_updateWebhook": patch_user_webhook,
    "WebhooksController_deleteWebhook": delete_user_webhook,
    "EventTypeWebhooksController_createEventTypeWebhook": create_event_type_webhook,
    "EventTypeWebhooksController_getEventTypeWebhooks": list_event_type_webhooks,
    "EventTypeWebhooksController_deleteAllEventTypeWebhooks": delete_event_type_webhooks,
    "EventTypeWebhooksController_getEventTypeWebhook": get_event_type_webhook,
    "EventTypeWebhooksController_updateEventTypeWebhook": patch_event_type_webhook,
    "EventTypeWebhooksController_deleteEventTypeWebhook": delete_event_type_webhook,
}
