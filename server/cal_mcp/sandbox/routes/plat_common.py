"""Request helpers shared by the platform-area routes (teams, orgs, webhooks, calendars, OAuth clients).

Records and their lookups live in ``cal_mcp.sandbox.stores``; this module keeps what reads a request:
paging, the organization guard, the OAuth callbacks. Request shapes are the request gate's
(``cal_mcp.sandbox.request_gate``), checked before any route runs.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from cal_mcp.sandbox.errors import bad_request, forbidden
from cal_mcp.sandbox.http import path_int, query_int
from cal_mcp.sandbox.state import ORG_ID, SandboxState
from cal_mcp.sandbox.stores.oauth import consume_oauth_state


def paging(request: Request, *, default: int = 250, maximum: int = 250) -> tuple[int, int]:
    """Cal's ``take``/``skip`` (SkipTakePagination: take 1..250, default 250)."""
    take = query_int(request, "take", default, minimum=1, maximum=maximum)
    skip = query_int(request, "skip", 0, minimum=0)
    assert take is not None and skip is not None
    return skip, take


def org_id_of(request: Request) -> int:
    """Only ORG_ID exists for the sandbox user: any other org is one they are not an admin of."""
    org_id = path_int(request, "orgId")
    if org_id != ORG_ID:
        raise forbidden(f"You are not an admin of organization with id={org_id}.")
    return org_id


# --- OAuth connects (calendars, conferencing apps, Stripe): they never leave the sandbox -----------


def json_oauth_state(request: Request, issued_by: str) -> dict[str, Any]:
    """The JSON ``state`` an auth-url endpoint put in the provider URL, back on the provider's callback."""
    raw = request.query_params.get("state")
    if not raw:
        raise bad_request("Missing `state` query param")
    invalid = f"state must be the JSON object issued by {issued_by}"
    try:
        decoded = json.loads(raw)
    except ValueError:
        raise bad_request(invalid) from None
    if not isinstance(decoded, dict):
        raise bad_request(invalid)
    return decoded


def oauth_granted(state: SandboxState, request: Request, decoded: dict[str, Any]) -> bool:
    """The provider sent a code (no error) for a state token the sandbox issued, which is now spent.

    Otherwise Cal sends the user to ``onErrorReturnTo`` (logging "Invalid Access token." for a bad token)."""
    params = request.query_params
    if params.get("error") or not params.get("code"):
        return False
    return consume_oauth_state(state, str(decoded.get("accessToken")))


def ok_url(url: str) -> Response:
    """Cal's OAuth and Stripe callbacks end in NestJS ``@Redirect(undefined, 301)`` with the returned url:
    an HTTP 301 whose ``Location`` is that url (empty when Cal has none), with Express's short text body
    (calendars.controller.ts, conferencing.controller.ts, stripe.controller.ts). Nothing follows it here."""
    return PlainTextResponse(f"Moved Permanently. Redirecting to {url}", status_code=301, headers={"Location": url})
