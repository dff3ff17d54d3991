"""Private (hashed) booking links of event types: the caller's own (/v2/event-types/{eventTypeId}/private-links)
and an organization team's (/v2/organizations/{orgId}/teams/{teamId}/event-types/{eventTypeId}/private-links).

Cal's ``EventTypesPrivateLinksController`` (``apps/api/v2/src/ee/event-types-private-links``), behind its
event-type ownership guard: the event type must exist (404) and be the caller's own (403); the organization
twin (``OrganizationsEventTypesPrivateLinksController``) needs an organization admin, a team of the
organization and one of that team's event types. The request gate has checked the bodies
(CreatePrivateLinkInput / UpdatePrivateLinkBody).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from cal_mcp.sandbox.core_lookup import event_type_by_id, is_team_event_type
from cal_mcp.sandbox.errors import forbidden, not_found
from cal_mcp.sandbox.http import Endpoint, given_fields, json_body, ok, path_int, state_of
from cal_mcp.sandbox.routes.team_requests import org_team_of
from cal_mcp.sandbox.state import ORG_SLUG, USER_ID, SandboxState
from cal_mcp.sandbox.stores.private_links import (
    BOOKER_ORIGIN,
    PRIVATE_LINKS_TABLE,
    link_out,
    links_of,
    new_link,
    org_origin,
)


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


def _team_event_type(request: Request) -> tuple[SandboxState, dict[str, Any]]:
    state, team = org_team_of(request)
    event_type_id = path_int(request, "eventTypeId")
    event_type = event_type_by_id(state, event_type_id)
    if event_type is None or event_type.get("teamId") != team["id"]:
        raise not_found(f"Event type with id={event_type_id} not found in team id={team['id']}")
    return state, event_type


Resolver = Callable[[Request], tuple[SandboxState, dict[str, Any]]]


async def _create(request: Request, resolve: Resolver, origin: str) -> JSONResponse:
    state, event_type = resolve(request)
    body = given_fields(await json_body(request))
    record = new_link(state, event_type, body.get("expiresAt"), body.get("maxUsageCount"), origin=origin)
    return ok(link_out(record, state.now()), status=201)


async def _list(request: Request, resolve: Resolver) -> JSONResponse:
    state, event_type = resolve(request)
    return ok([link_out(r, state.now()) for r in links_of(state, event_type["id"])])


async def _update(request: Request, resolve: Resolver) -> JSONResponse:
    state, event_type = resolve(request)
    record = _link(request, state, event_type["id"])
    body = given_fields(await json_body(request))
    if "expiresAt" in body:
        record["expiresAt"], record["maxUsageCount"] = body["expiresAt"], None
    if "maxUsageCount" in body:
        # A new use limit makes it a usage-based link again (Cal's update input service).
        record["maxUsageCount"], record["expiresAt"] = body["maxUsageCount"], None
    return ok(link_out(record, state.now()))


async def _delete(request: Request, resolve: Resolver) -> JSONResponse:
    state, event_type = resolve(request)
    record = _link(request, state, event_type["id"])
    del state.table(PRIVATE_LINKS_TABLE)[record["linkId"]]
    return ok({"linkId": record["linkId"], "message": "Private link deleted successfully"})


async def create_private_link(request: Request) -> JSONResponse:
    return await _create(request, _own_event_type, BOOKER_ORIGIN)


async def list_private_links(request: Request) -> JSONResponse:
    return await _list(request, _own_event_type)


async def update_private_link(request: Request) -> JSONResponse:
    return await _update(request, _own_event_type)


async def delete_private_link(request: Request) -> JSONResponse:
    return await _delete(request, _own_event_type)


async def create_team_private_link(request: Request) -> JSONResponse:
    return await _create(request, _team_event_type, org_origin(ORG_SLUG))


async def list_team_private_links(request: Request) -> JSONResponse:
    return await _list(request, _team_event_type)


async def update_team_private_link(request: Request) -> JSONResponse:
    return await _update(request, _team_event_type)


async def delete_team_private_link(request: Request) -> JSONResponse:
    return await _delete(request, _team_event_type)


# Cal's operationId → handler; app.py serves each at its operation's method and path (cal_api_facts.json).
HANDLERS: dict[str, Endpoint] = {
    "EventTypesPrivateLinksController_createPrivateLink": create_private_link,
    "EventTypesPrivateLinksController_getPrivateLinks": list_private_links,
    "EventTypesPrivateLinksController_updatePrivateLink": update_private_link,
    "EventTypesPrivateLinksController_deletePrivateLink": delete_private_link,
    "OrganizationsEventTypesPrivateLinksController_createPrivateLink": create_team_private_link,
    "OrganizationsEventTypesPrivateLinksController_getPrivateLinks": list_team_private_links,
    "OrganizationsEventTypesPrivateLinksController_updatePrivateLink": update_team_private_link,
    "OrganizationsEventTypesPrivateLinksController_deletePrivateLink": delete_team_private_link,
}
