"""A sandbox with many Cal.com accounts, and Cal's OAuth sign-in emulated, for ``--sandbox --auth oauth``.

Each account is a world of its own (a seeded ``SandboxState`` behind its own app), so two people signed in to
the sandbox never see each other's bookings. Requests are routed by their Bearer credential: an access token
this module issued, the documented ``cal_sandbox_key`` (the default account), or any other API key (an account
of its own, named after the key's digest). ``GET /v2/me`` answers with the account's own identity.

Cal's OAuth, emulated offline: the authorize page (Cal serves it at app.cal.com/auth/oauth2/authorize; here at
``AUTHORIZE_PATH`` on the cal-mcp server) asks which sandbox account to sign in as, and
``POST /v2/auth/oauth2/token`` exchanges the code (PKCE S256) or a refresh token, rotating refresh tokens, and
answers ``{"status": "success", "data": {access_token, token_type, refresh_token, expires_in}}``
(calcom/cal.com apps/api/v2/src/modules/auth/oauth2/controllers/oauth2-token.controller.ts,
inputs/token.input.ts, outputs/oauth2-tokens.output.ts).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cal_mcp.sandbox.app import create_app
from cal_mcp.sandbox.clock import Clock
from cal_mcp.sandbox.seeds import new_state
from cal_mcp.sandbox.state import SANDBOX_API_KEY, USER_EMAIL, USER_ID, USER_NAME, USERNAME

AUTHORIZE_PATH = "/_sandbox/cal/auth/oauth2/authorize"
TOKEN_PATH = "/v2/auth/oauth2/token"
CAL_OAUTH_CLIENT_ID = "sandbox-cal-oauth-client"
CAL_OAUTH_CLIENT_SECRET = "sandbox-cal-oauth-secret"  # a documented fake, like the API key
ACCESS_TTL = 1800  # Cal's example expires_in (outputs/oauth2-tokens.output.ts)
DEFAULT_ACCOUNT = USERNAME
ACCOUNT_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")


@dataclass
class _Code:
    account: str
    redirect_uri: str
    challenge: str
    expires_at: float


@dataclass
class _Grant:
    account: str
    expires_at: float


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"status": "error", "timestamp": "", "path": TOKEN_PATH,
                         "error": {"code": "BadRequestException" if status == 400 else "UnauthorizedException",
                                   "message": message}}, status_code=status)


class SandboxAccounts:
    def __init__(self, clock: Callable[[], float] | None = None, make_clock: Callable[[], Clock] = Clock) -> None:
        self._clock = clock
        self._make_clock = make_clock
        self.worlds: dict[str, ASGIApp] = {}
        self._codes: dict[str, _Code] = {}
        self._access: dict[str, _Grant] = {}
        self._refresh: dict[str, str] = {}  # refresh token -> account (rotated on every use)

    def now(self) -> float:
        return self._clock() if self._clock else self._make_clock().now().timestamp()

    def world(self, account: str) -> ASGIApp:
        if account not in self.worlds:
            seed = int(hashlib.sha256(account.encode()).hexdigest()[:6], 16)
            self.worlds[account] = create_app(new_state(clock=self._make_clock(), seed=seed))
        return self.worlds[account]

    def account_for(self, credential: str) -> str | None:
        if credential.startswith("sbx_at_"):
            grant = self._access.get(credential)
            return grant.account if grant and grant.expires_at > self.now() else None
        if credential == SANDBOX_API_KEY:
            return DEFAULT_ACCOUNT
        return "key-" + hashlib.sha256(credential.encode()).hexdigest()[:10]

    @staticmethod
    def identity(account: str) -> dict[str, Any]:
        if account == DEFAULT_ACCOUNT:
            return {"id": USER_ID, "username": USERNAME, "email": USER_EMAIL, "name": USER_NAME}
        number = 2000 + int(hashlib.sha256(account.encode()).hexdigest()[:7], 16) % 900_000
        return {"id": number, "username": account, "email": f"{account}@sandbox.cal.test",
                "name": account.replace(".", " ").title()}

    # -- the Cal API side (an ASGI app, used as the httpx transport's app) ---------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.world(DEFAULT_ACCOUNT)(scope, receive, send)
            return
        if scope["path"] == TOKEN_PATH and scope["method"] == "POST":
            await (await self._token(Request(scope, receive)))(scope, receive, send)
            return
        scheme, _, credential = Request(scope).headers.get("authorization", "").partition(" ")
        account = self.account_for(credential.strip()) if scheme.lower() == "bearer" and credential.strip() else None
        if account is None and credential.strip().startswith("sbx_at_"):
            await _error(401, "Invalid Access Token.")(scope, receive, send)
            return
        world = self.world(account or DEFAULT_ACCOUNT)
        if account is not None and scope["path"] == "/v2/me" and scope["method"] == "GET":
            await self._me(account, world, scope, receive, send)
            return
        await world(scope, receive, send)

    async def _me(self, account: str, world: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        """The world's own /v2/me answer, with this account's identity in it."""
        started: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
            else:
                chunks.append(message.get("body", b""))

        await world(scope, receive, capture)
        body = json.loads(b"".join(chunks) or b"{}")
        if started.get("status") == 200 and isinstance(body.get("data"), dict):
            body["data"].update(self.identity(account))
        await JSONResponse(body, status_code=started.get("status", 500))(scope, receive, send)

    async def _token(self, request: Request) -> Response:
        if request.headers.get("content-type", "").startswith("application/json"):
            form = {k: str(v) for k, v in (await request.json()).items()}
        else:
            form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        if form.get("client_id") != CAL_OAUTH_CLIENT_ID or form.get("client_secret") != CAL_OAUTH_CLIENT_SECRET:
            return _error(401, "Invalid client credentials")
        grant = form.get("grant_type")
        if grant == "authorization_code":
            if not form.get("code") or not form.get("redirect_uri"):
                return _error(400, "invalid_request")
            code = self._codes.pop(form["code"], None)
            if code is None or code.expires_at <= self.now() or code.redirect_uri != form["redirect_uri"]:
                return _error(400, "invalid_grant")
            verifier = form.get("code_verifier", "")
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
            if digest != code.challenge:
                return _error(400, "invalid_grant")
            account = code.account
        elif grant == "refresh_token":
            account_or_none = self._refresh.pop(form.get("refresh_token", ""), None)
            if account_or_none is None:
                return _error(400, "invalid_grant")
            account = account_or_none
        else:
            return _error(400, "unsupported_grant_type")
        access, refresh = "sbx_at_" + secrets.token_urlsafe(24), "sbx_rt_" + secrets.token_urlsafe(24)
        self._access[access] = _Grant(account, self.now() + ACCESS_TTL)
        self._refresh[refresh] = account
        return JSONResponse({"status": "success", "data": {"access_token": access, "token_type": "bearer",
                                                           "refresh_token": refresh, "expires_in": ACCESS_TTL}})

    # -- the page a person sees (served by cal-mcp itself, so the browser can reach it) ---------------------------
    def authorize_routes(self) -> list[Route]:
        return [Route(AUTHORIZE_PATH, self._authorize, methods=["GET", "POST"])]

    async def _authorize(self, request: Request) -> Response:
        params = dict(request.query_params)
        if params.get("client_id") != CAL_OAUTH_CLIENT_ID or not params.get("redirect_uri") \
                or params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return HTMLResponse("<!doctype html><title>Sandbox Cal.com</title><p>Invalid OAuth request: unknown "
                                "client, or no redirect_uri or S256 code_challenge.</p>", status_code=400)
        if request.method == "GET":
            return HTMLResponse(
                "<!doctype html><html lang=en><head><meta charset=utf-8><title>Sandbox Cal.com: sign in</title>"
                "</head><body style='font-family:system-ui;max-width:28rem;margin:4rem auto'>"
                "<h1>Cal.com sandbox</h1><p>Fake accounts for trying cal-mcp; no real calendar is touched.</p>"
                "<form method=post><label for=account>Sign in as (any name makes an account)</label><br>"
                f"<input id=account name=account value='{escape(DEFAULT_ACCOUNT, quote=True)}' "
                "pattern='[a-z0-9][a-z0-9._\\-]{0,39}' required> "
                "<button type=submit>Allow access</button></form></body></html>")
        account = str((await request.form()).get("account", "")).strip().lower()
        if not ACCOUNT_NAME.match(account):
            return HTMLResponse("<!doctype html><title>Sandbox Cal.com</title><p>Account names use a-z, 0-9, "
                                "dot, dash and underscore.</p>", status_code=400)
        code = "sbx_code_" + secrets.token_urlsafe(24)
        self._codes[code] = _Code(account, params["redirect_uri"], params["code_challenge"], self.now() + 60)
        query = urlencode({"code": code, **({"state": params["state"]} if params.get("state") else {})})
        return RedirectResponse(f"{params['redirect_uri']}?{query}", status_code=303)
