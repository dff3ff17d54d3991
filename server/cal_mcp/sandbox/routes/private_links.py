"""/v2/event-types/{eventTypeId}/private-links: hashed links to one of the caller's event types.

Cal's ``EventTypesPrivateLinksController`` (``apps/api/v2/src/ee/event-types-private-links``), behind
its event-type ownership guard: the event type must exist (404) and be the caller's own (403). The
request gate has checked the bodies (CreatePrivateLinkInput / UpdatePrivateLinkBody).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from cal_mcp.sandbox.core_lookup import event_type_by_id, is_team_event_type
from cal_mcp.sandbox.errors import forbidden, not_found
from cal_mcp.sandbox.http import Endpoint, given_fields, json_body, ok, path_int, state_of
from cal_mcp.sandbox.state import USER_ID, SandboxState
from cal_mcp.sandbox.stores.private_links import PRIVATE_LINKS_TABLE, link_out, links_of, new_link


def _own_event_type(request: Request) -> tuple[SandboxState, dict[str, Any]]:
    state = state_of(request)
    event_type_id = path_int(request, "eventTypeId")
    event_type = event_type_by_id(state, event_type_id)
    if event_type is None:
        raise not_found(f"Event type with id={event_type_id} not found")
    if is_team_event_type(event_type) or event_type.get("ownerId", USER_ID) != USER_ID:
        raise forbidden(f"Event type with id={event_type_id} is not owned by you.")
    return state, event_type


def _link(request: Request, state: SandboxState, event_type_id: int) -> dict[str, Any]:
    link_id = request.path_params["linkId"]
    record = state.table(PRIVATE_LINKS_TABLE).get(link_id)
    if record is None or record["eventTypeId"] != event_type_id:
        raise not_found(f"Private link {link_id} not found for event type {event_type_id}")
    return record


async def create_private_link(request: Request) -> JSONResponse:
    state, event_type = _own_event_type(request)
    body = given_fields(await json_body(request))
    record = new_link(state, event_type, body.get("expiresAt"), body.get("maxUsageCount"))
    return ok(link_out(record, state.now()), status=201)


async def list_private_links(request: Request) -> JSONResponse:
    state, event_type = _own_event_type(request)
    return ok([link_out(r, state.now()) for r in links_of(state, event_type["id"])])


async def update_private_link(request: Request) -> JSONResponse:
    state, event_type = _own_event_type(request)
    record = _link(request, state, event_type["id"])
    body = given_fields(await json_body(request))
    if "expiresAt" in body:
        record["expiresAt"], record["maxUsageCount"] = body["expiresAt"], None
    if "maxUsageCount" in body:
        # A new use limit makes it a usage-based link again (Cal's update input service).
        record["maxUsageCount"], record["expiresAt"] = body["maxUsageCount"], None
    return ok(link_out(record, state.now()))


async def delete_private_link(request: Request) -> JSONResponse:
    state, event_type = _own_event_type(request)
    record = _link(request, state, event_type["id"])
    del state.table(PRIVATE_LINKS_TABLE)[record["linkId"]]
    return ok({"linkId": record["linkId"], "message": "Private link deleted successfully"})


# Cal's operationId → handler; app.py serves each at its operation's method and path (cal_api_facts.json).
HANDLERS: dict[str, Endpoint] = {
    "EventTypesPrivateLinksController_createPrivateLink": create_private_link,
    "EventTypesPrivateLinksController_getPrivateLinks": list_private_links,
    "EventTypesPrivateLinksController_updatePrivateLink": update_private_link,
    "EventTypesPrivateLinksController_deletePrivateLink": delete_private_link,
}
