"""/v2/organizations/{orgId}/webhooks…: webhooks owned by the organization (``teamId`` = org ID)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from cal_mcp.sandbox.http import Endpoint, json_body, ok, state_of
from cal_mcp.sandbox.routes import webhook_common as wh
from cal_mcp.sandbox.routes.plat_common import org_id_of
from cal_mcp.sandbox.stores import webhooks as webhook_store

_BASE = "/v2/organizations/{orgId}/webhooks"


async def list_webhooks(request: Request) -> JSONResponse:
    org_id = org_id_of(request)
    return ok(wh.page_of(state_of(request), request, "teamId", org_id))


async def create_webhook(request: Request) -> JSONResponse:
    org_id = org_id_of(request)
    hook = wh.create(state_of(request), await json_body(request), "teamId", org_id)
    return ok(webhook_store.render(hook), status=201)


async def get_webhook(request: Request) -> JSONResponse:
    org_id = org_id_of(request)
    return ok(webhook_store.render(wh.find(state_of(request), request, "teamId", org_id)))


async def patch_webhook(request: Request) -> JSONResponse:
    org_id = org_id_of(request)
    state = state_of(request)
    hook = wh.find(state, request, "teamId", org_id)
    return ok(webhook_store.render(wh.update(state, hook, await json_body(request))))


async def delete_webhook(request: Request) -> JSONResponse:
    org_id = org_id_of(request)
    state = state_of(request)
    return ok(webhook_store.delete(state, wh.find(state, request, "teamId", org_id)))


# Cal's operationId → handler; app.py serves each at its operation's method and path (cal_api_facts.json).
HANDLERS: dict[str, Endpoint] = {
    "OrganizationsWebhooksController_getAllOrganizationWebhooks": list_webhooks,
    "OrganizationsWebhooksController_createOrganizationWebhook": create_webhook,
    "OrganizationsWebhooksController_getOrganizationWebhook": get_webhook,
    "OrganizationsWebhooksController_updateOrgWebhook": patch_webhook,
    "OrganizationsWebhooksController_deleteWebhook": delete_webhook,
}
