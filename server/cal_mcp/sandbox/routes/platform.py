"""Platform (OAuth client) routes: managed users, OAuth-client webhooks, token refresh, provider checks.

The middleware already rejects a wrong ``x-cal-secret-key`` for the seeded client; an unknown client
ID is answered 401 "Invalid client credentials", as Cal's OAuthClientCredentialsGuard does.
Managed users are ``oauth_client_users``; tokens are ``oauth_access_tokens``/``oauth_refresh_tokens``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from cal_mcp.sandbox.errors import CalHTTPError, not_found, unauthorized
from cal_mcp.sandbox.http import Endpoint, given_fields, json_body, ok, path_int, query_int, query_list, state_of
from cal_mcp.sandbox.routes import webhook_common as wh
from cal_mcp.sandbox.state import SandboxState
from cal_mcp.sandbox.stores import webhooks as webhook_store
from cal_mcp.sandbox.stores.records import iso, next_free_id, slugify

USER_KEYS = ("id", "email", "username", "name", "bio", "timeZone", "weekStart", "createdDate", "timeFormat",
             "defaultScheduleId", "locale", "avatarUrl", "metadata")
ACCESS_TTL = timedelta(minutes=60)
REFRESH_TTL = timedelta(days=365)


def client_of(request: Request) -> dict[str, Any]:
    client = state_of(request).table("oauth_clients").get(request.path_params["clientId"])
    if client is None:
        raise unauthorized("Invalid client credentials")
    return client


def managed_email(email: str, client_id: str) -> str:
    """Cal makes managed users' emails unique per client: alice@x.com → alice+{clientId}@x.com."""
    local, _, domain = email.partition("@")
    return f"{local}+{client_id}@{domain}"


def user_out(user: dict[str, Any]) -> dict[str, Any]:
    return {key: user.get(key) for key in USER_KEYS}


def _revoke_tokens(state: SandboxState, user_id: int) -> None:
    for table in ("oauth_access_tokens", "oauth_refresh_tokens"):
        rows = state.table(table)
        for token in [t for t, row in rows.items() if row["userId"] == user_id]:
            del rows[token]


def issue_tokens(state: SandboxState, client_id: str, user_id: int) -> dict[str, Any]:
    """New access + refresh tokens for a managed user; previous ones stop working."""
    _revoke_tokens(state, user_id)
    now = state.now()
    access, refresh = "sbx_at_" + state.new_uid(), "sbx_rt_" + state.new_uid()
    access_exp, refresh_exp = now + ACCESS_TTL, now + REFRESH_TTL
    state.table("oauth_access_tokens")[access] = {"userId": user_id, "clientId": client_id,
                                                  "expiresAt": access_exp.isoformat()}
    state.table("oauth_refresh_tokens")[refresh] = {"userId": user_id, "clientId": client_id,
                                                   "expiresAt": refresh_exp.isoformat()}
    return {"accessToken": access, "refreshToken": refresh,
            "accessTokenExpiresAt": int(access_exp.timestamp() * 1000),
            "refreshTokenExpiresAt": int(refresh_exp.timestamp() * 1000)}


def _find_user(request: Request, client: dict[str, Any]) -> dict[str, Any]:
    user_id = path_int(request, "userId")
    user = state_of(request).table("oauth_client_users").get(user_id)
    if user is None or user["_clientId"] != client["id"]:
        raise not_found(f"Managed user with id={user_id} not found for OAuth client {client['id']}.")
    return user


async def create_user(request: Request) -> JSONResponse:
    client = client_of(request)
    body = given_fields(await json_body(request))  # checked by the request gate (CreateManagedUserInput)
    state = state_of(request)
    email = managed_email(body["email"].lower(), client["id"])
    if any(u["email"] == email for u in state.table("oauth_client_users").values()):
        raise CalHTTPError(409, "User with the provided e-mail already exists.")
    user = {
        "id": next_free_id(state, "oauth_client_users", 3001), "email": email, "username": slugify(email),
        "name": body["name"], "bio": body.get("bio"), "timeZone": body.get("timeZone", "Europe/London"),
        "weekStart": body.get("weekStart", "Sunday"), "createdDate": iso(state.now()),
        "timeFormat": body.get("timeFormat", 12), "defaultScheduleId": None, "locale": body.get("locale", "en"),
        "avatarUrl": body.get("avatarUrl"), "metadata": body.get("metadata", {}), "_clientId": client["id"],
    }
    state.table("oauth_client_users")[user["id"]] = user
    return ok({"user": user_out(user), **issue_tokens(state, client["id"], user["id"])}, status=201)


async def list_users(request: Request) -> JSONResponse:
    client = client_of(request)
    limit = query_int(request, "limit", None, minimum=1)
    offset = query_int(request, "offset", 0) or 0
    emails = {e.lower() for e in query_list(request, "emails")}
    wanted = emails | {managed_email(e, client["id"]) for e in emails}
    users = sorted(state_of(request).table("oauth_client_users").values(), key=lambda u: u["id"])
    users = [u for u in users if u["_clientId"] == client["id"] and (not emails or u["email"] in wanted)]
    end = None if limit is None else offset + limit
    return ok([user_out(u) for u in users[offset:end]])


async def get_user(request: Request) -> JSONResponse:
    return ok(user_out(_find_user(request, client_of(request))))


async def patch_user(request: Request) -> JSONResponse:
    client = client_of(request)
    user = _find_user(request, client)
    body = given_fields(await json_body(request))  # checked by the request gate (UpdateManagedUserInput)
    if "email" in body:
        body["email"] = managed_email(body["email"].lower(), client["id"])
        body["username"] = slugify(body["email"])
    user.update(body)
    return ok(user_out(user))


async def delete_user(request: Request) -> JSONResponse:
    state = state_of(request)
    user = _find_user(request, client_of(request))
    _revoke_tokens(state, user["id"])
    del state.table("oauth_client_users")[user["id"]]
    return ok(user_out(user))


async def force_refresh(request: Request) -> JSONResponse:
    client = client_of(request)
    user = _find_user(request, client)
    return ok(issue_tokens(state_of(request), client["id"], user["id"]))


async def refresh(request: Request) -> JSONResponse:
    client = client_of(request)
    body = await json_body(request)  # a refreshToken string: the request gate checked it
    state = state_of(request)
    row = state.table("oauth_refresh_tokens").get(body["refreshToken"])
    if row is None or row["clientId"] != client["id"] or row["expiresAt"] < state.now().isoformat():
        raise unauthorized("Invalid refresh token.")
    return ok(issue_tokens(state, client["id"], row["userId"]))


async def list_webhooks(request: Request) -> JSONResponse:
    client = client_of(request)
    return ok(wh.page_of(state_of(request), request, "oAuthClientId", client["id"]))


async def create_webhook(request: Request) -> JSONResponse:
    client = client_of(request)
    hook = wh.create(state_of(request), await json_body(request), "oAuthClientId", client["id"])
    return ok(webhook_store.render(hook), status=201)


async def get_webhook(request: Request) -> JSONResponse:
    client = client_of(request)
    return ok(webhook_store.render(wh.find(state_of(request), request, "oAuthClientId", client["id"])))


async def patch_webhook(request: Request) -> JSONResponse:
    client = client_of(request)
    state = state_of(request)
    hook = wh.find(state, request, "oAuthClientId", client["id"])
    return ok(webhook_store.render(wh.update(state, hook, await json_body(request))))


async def delete_webhook(request: Request) -> JSONResponse:
    client = client_of(request)
    state = state_of(request)
    return ok(webhook_store.delete(state, wh.find(state, request, "oAuthClientId", client["id"])))


async def provider(request: Request) -> JSONResponse:
    client = client_of(request)
    return ok({"clientId": client["id"], "organizationId": client["organizationId"], "name": client["name"]})


async def provider_access_token(request: Request) -> JSONResponse:
    """Only verifies the Bearer token (the middleware already required one); returns no token."""
    client_of(request)
    return JSONResponse({"status": "success"})


_USERS = "/v2/oauth-clients/{clientId}/users"
_HOOKS = "/v2/oauth-clients/{clientId}/webhooks"
# Cal's operationId → handler; app.py serves each at its operation's method and path (cal_api_facts.json).
HANDLERS: dict[str, Endpoint] = {
    "OAuthClientUsersController_getManagedUsers": list_users,
    "OAuthClientUsersController_createUser": create_user,
    "OAuthClientUsersController_getUserById": get_user,
    "OAuthClientUsersController_updateUser": patch_user,
    "OAuthClientUsersController_deleteUser": delete_user,
    "OAuthClientUsersController_forceRefresh": force_refresh,
    "OAuthClientWebhooksController_getOAuthClientWebhooks": list_webhooks,
    "OAuthClientWebhooksController_createOAuthClientWebhook": create_webhook,
    "OAuthClientWebhooksController_getOAuthClientWebhook": get_webhook,
    "OAuthClientWebhooksController_updateOAuthClientWebhook": patch_webhook,
    "OAuthClientWebhooksController_deleteOAuthClientWebhook": delete_webhook,
    "OAuthFlowController_refreshTokens": refresh,
    "CalProviderController_verifyClientId": provider,
    "CalProviderController_verifyAccessToken": provider_access_token,
}
