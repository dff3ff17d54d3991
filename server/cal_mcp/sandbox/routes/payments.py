"""Stripe Connect: /v2/stripe/connect|save|check and the org team check.

The seeded user has no Stripe account connected (``check`` answers 404 as Cal does); seeded org team
601 (Sales) has one. ``save`` is Stripe's OAuth callback, completed locally with a sandbox-issued state.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cal_mcp.sandbox.errors import bad_request, not_found
from cal_mcp.sandbox.http import Endpoint, ok, state_of
from cal_mcp.sandbox.routes.plat_common import json_oauth_state, oauth_granted, ok_url
from cal_mcp.sandbox.routes.team_requests import org_team_of
from cal_mcp.sandbox.state import USER_EMAIL, USER_ID, USER_NAME, SandboxState
from cal_mcp.sandbox.stores.oauth import issue_oauth_state
from cal_mcp.sandbox.stores.records import next_free_id
from cal_mcp.sandbox.stores.teams import ADMIN_ROLES, membership_of

STRIPE_TYPE = "stripe_payment"


def stripe_credential(state: SandboxState, *, user_id: int | None = None, team_id: int | None = None) -> Any:
    rows = state.table("credentials").values()
    return next((c for c in rows if c["type"] == STRIPE_TYPE and c["userId"] == user_id
                 and c["teamId"] == team_id), None)


def connect_stripe(state: SandboxState, *, user_id: int | None, team_id: int | None) -> None:
    """Cal deletes any previous Stripe credential of the owner before storing the new one."""
    rows = state.table("credentials")
    for cred_id in [i for i, c in rows.items() if c["type"] == STRIPE_TYPE and c["userId"] == user_id
                    and c["teamId"] == team_id]:
        del rows[cred_id]
    cred_id = next_free_id(state, "credentials", 101)
    rows[cred_id] = {"id": cred_id, "type": STRIPE_TYPE, "userId": user_id, "teamId": team_id, "appId": "stripe",
                     "invalid": False, "stripeUserId": f"acct_sandbox{cred_id}"}


def _check(cred: dict[str, Any] | None) -> JSONResponse:
    if cred is None:
        raise not_found("Credentials for stripe not found.")
    if cred["invalid"]:
        raise bad_request("Invalid stripe credentials.")
    return JSONResponse({"status": "success"})


async def connect(request: Request) -> JSONResponse:
    state = state_of(request)
    origin = request.headers.get("origin")
    oauth_state = {
        "onErrorReturnTo": request.query_params.get("onErrorReturnTo") or origin,
        "fromApp": False,
        "returnTo": request.query_params.get("returnTo") or origin,
        "accessToken": issue_oauth_state(state),
    }
    query = {
        "client_id": "ca_sandbox_stripe_client",
        "scope": "read_write",
        "response_type": "code",
        "stripe_user[email]": USER_EMAIL,
        "stripe_user[first_name]": USER_NAME,
        "redirect_uri": f"{request.url.scheme}://{request.url.netloc}/v2/stripe/save",
        "state": json.dumps(oauth_state, separators=(",", ":")),
    }
    return ok({"authUrl": f"https://connect.stripe.com/oauth/authorize?{urlencode(query)}"})


async def save(request: Request) -> Response:
    """Cal answers 301 to returnTo (onErrorReturnTo on any failure); the sandbox returns the URL."""
    decoded = json_oauth_state(request, "/v2/stripe/connect")
    on_error = decoded.get("onErrorReturnTo") or ""
    state = state_of(request)
    if not oauth_granted(state, request, decoded):
        return ok_url(on_error)
    team_id = decoded.get("teamId")
    if team_id and decoded.get("orgId"):
        membership = membership_of(state, int(team_id))
        if membership is None or membership["role"] not in ADMIN_ROLES:
            return ok_url(on_error)
        connect_stripe(state, user_id=None, team_id=int(team_id))
    else:
        connect_stripe(state, user_id=USER_ID, team_id=None)
    return ok_url(decoded.get("returnTo") or "")


async def check(request: Request) -> JSONResponse:
    return _check(stripe_credential(state_of(request), user_id=USER_ID))


async def check_team(request: Request) -> JSONResponse:
    state, team = org_team_of(request)
    return _check(stripe_credential(state, team_id=team["id"]))


# Cal's operationId → handler; app.py serves each at its operation's method and path (cal_api_facts.json).
HANDLERS: dict[str, Endpoint] = {
    "StripeController_redirect": connect,
    "StripeController_save": save,
    "StripeController_check": check,
    "OrganizationsStripeController_checkTeamStripeConnection": check_team,
}
