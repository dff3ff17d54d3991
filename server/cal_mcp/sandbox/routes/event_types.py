"""GET /v2/event-types, GET and DELETE /v2/event-types/{eventTypeId} (cal-api-version 2024-06-14).

The /v2/event-types/{id}/webhooks routes belong to the webhooks area.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from cal_mcp.sandbox.core_lookup import find_user, get_me
from cal_mcp.sandbox.errors import bad_request, forbidden, not_found
from cal_mcp.sandbox.http import Endpoint, ok, path_int, query_int, query_list, state_of
from cal_mcp.sandbox.state import ORG_ID, ORG_SLUG, USER_ID
from cal_mcp.sandbox.stores.event_types import EVENT_TYPES_TABLE, event_type_record, event_type_user

if TYPE_CHECKING:
    from cal_mcp.sandbox.state import SandboxState



def _in_org(request: Request) -> bool:
    """orgSlug/orgId narrow the username lookup to an organization: only the sandbox org exists."""
    org_slug = request.query_params.get("orgSlug")
    org_id = query_int(request, "orgId")
    return (org_slug in (None, ORG_SLUG)) and (org_id in (None, ORG_ID))


def _dynamic_event_type(state: SandboxState, usernames: list[str]) -> dict[str, Any]:
    """Cal's dynamic group event (no stored event type): 30 minutes with every listed user."""
    record = event_type_record(0, "Group Meeting", "dynamic", 30, "Dynamic group meeting", owner=get_me(state))
    users = [event_type_user(find_user(state, username=u) or {"id": 0, "username": u}) for u in usernames]
    record.update(ownerId=0, users=users, bookingUrl=f"https://cal.com/{'+'.join(usernames)}")
    return record


def _user_event_types(state: SandboxState, sort: str | None) -> list[dict[str, Any]]:
    # IDs grow with creation time, so they order event types by creation as Cal's createdAt does.
    items = sorted(state.table(EVENT_TYPES_TABLE).values(), key=lambda et: et["id"], reverse=sort == "desc")
    return [dict(et) for et in items]


async def list_event_types(request: Request) -> Response:
    state = state_of(request)
    sort = request.query_params.get("sortCreatedAt")  # asc or desc: the gate checked the enum
    username = request.query_params.get("username")
    slug = request.query_params.get("eventSlug")
    usernames = query_list(request, "usernames")
    me = get_me(state)
    if slug and not username:
        raise bad_request("eventSlug requires username", ["username must be provided together with eventSlug"])
    if username:
        found = _user_event_types(state, sort) if username == me["username"] and _in_org(request) else []
        # One slug may name a hidden event type; the public list leaves hidden ones out.
        found = [et for et in found if (et["slug"] == slug if slug else not et.get("hidden"))]
    elif usernames:
        missing = [u for u in usernames if find_user(state, username=u) is None]
        if missing:
            raise not_found(f"User with username {missing[0]} not found")
        found = [_dynamic_event_type(state, usernames)]
    else:
        found = _user_event_types(state, sort)
    if not found:
        raise not_found("Event types not found")
    return ok(found)


async def get_event_type(request: Request) -> Response:
    event_type_id = path_int(request, "eventTypeId")
    event_type = state_of(request).table(EVENT_TYPES_TABLE).get(event_type_id)
    if event_type is None:
        raise not_found(f"Event type with id {event_type_id} not found")
    return ok(dict(event_type))


async def delete_event_type(request: Request) -> Response:
    event_type_id = path_int(request, "eventTypeId")
    table = state_of(request).table(EVENT_TYPES_TABLE)
    event_type = table.get(event_type_id)
    if event_type is None:
        raise not_found(f"Event type with ID={event_type_id} does not exist.")
    if event_type.get("ownerId") != USER_ID:
        raise forbidden(f"User with ID={USER_ID} does not own event type with ID={event_type_id}")
    del table[event_type_id]
    summary = {k: event_type[k] for k in ("id", "lengthInMinutes", "title", "slug")}
    return ok(summary)


# Cal's operationId → handler; app.py serves each at its operation's method and path (cal_api_facts.json).
HANDLERS: dict[str, Endpoint] = {
    "EventTypesController_2024_06_14_getEventTypes": list_event_types,
    "EventTypesController_2024_06_14_getEventTypeById": get_event_type,
    "EventTypesController_2024_06_14_deleteEventType": delete_event_type,
}
