"""The browser half of /authorize: sign in upstream (Cal.com OAuth or an API key), then consent, then the code.

Each flow is bound to the browser that opened it (a random cookie whose digest the pending request keeps) and
every form carries the flow's CSRF token; a page from another browser or a forged form gets an error page. The
client's redirect URI was checked by /authorize before any of this; errors here never redirect anywhere else.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import replace
from urllib.parse import urlencode, urlsplit

from mcp.server.auth.provider import construct_redirect_uri
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from cal_mcp.auth import pages
from cal_mcp.auth import scopes as scope_names
from cal_mcp.auth.crypto import SecretBox, credential_binding, token_hash
from cal_mcp.auth.provider import CalMcpAuthProvider, client_label
from cal_mcp.auth.store import AuthStore, PendingAuthorization, UserRecord
from cal_mcp.auth.upstream import CalIdentity, CalUpstream, UpstreamError, pkce_pair

log = logging.getLogger("cal_mcp.auth")
COOKIE = "cal_mcp_signin"


class FlowError(Exception):
    def __init__(self, title: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.title, self.message, self.status = title, message, status


class SignInPages:
    def __init__(self, *, store: AuthStore, box: SecretBox, provider: CalMcpAuthProvider,
                 upstream: CalUpstream | None, api_key_signin: bool, secure_cookies: bool,
                 clock: Callable[[], float]) -> None:
        self.store, self.box, self.provider, self.upstream = store, box, provider, upstream
        self.api_key_signin, self.secure_cookies, self.clock = api_key_signin, secure_cookies, clock

    def routes(self) -> list[Route]:
        return [
            Route("/signin", self.signin, methods=["GET"]),
            Route("/signin/api-key", self.api_key, methods=["POST"]),
            Route("/signin/cal", self.cal_start, methods=["POST"]),
            Route("/signin/cal/callback", self.cal_callback, methods=["GET"]),
            Route("/consent", self.consent, methods=["GET", "POST"]),
        ]

    # -- helpers -----------------------------------------------------------------------------------------------
    async def _pending(self, request_id: str | None) -> PendingAuthorization:
        pending = await self.store.get_pending(request_id) if request_id else None
        if pending is None or pending.expires_at <= self.clock():
            raise FlowError("This sign-in link has expired", "The sign-in request is unknown, used or expired.")
        return pending

    def _check_browser(self, request: Request, pending: PendingAuthorization) -> None:
        cookie = request.cookies.get(COOKIE, "")
        if pending.browser_hash is None or not cookie or \
                not hmac.compare_digest(token_hash(cookie), pending.browser_hash):
            raise FlowError("Sign-in interrupted", "This sign-in was started in another browser window or the "
                                                   "browser's cookies were cleared.", 403)

    async def _form(self, request: Request) -> tuple[PendingAuthorization, dict[str, str]]:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        pending = await self._pending(form.get("request"))
        self._check_browser(request, pending)
        if not hmac.compare_digest(form.get("csrf", ""), pending.csrf):
            raise FlowError("Form expired", "The form's security token does not match; reload the page.", 403)
        return pending, form

    async def _label(self, pending: PendingAuthorization) -> str:
        return client_label(await self.provider.get_client(pending.client_id), pending.client_id)

    async def _handle(self, work: Callable[[], object]) -> Response:
        try:
            return await work()  # type: ignore[misc]
        except FlowError as exc:
            return pages.error_page(exc.title, exc.message, exc.status)

    async def _signed_in(self, pending: PendingAuthorization, identity: CalIdentity, kind: str, access: str,
                         refresh: str | None, expires_in: float | None) -> Response:
        now = self.clock()
        # Bound to the row's Cal user as associated data: a ciphertext copied to another row won't open.
        bound = credential_binding(identity.cal_user_id)
        existing = await self.store.upsert_user(UserRecord(
            user_id="u_" + secrets.token_hex(8), cal_user_id=identity.cal_user_id, kind=kind,
            access_enc=self.box.encrypt(access, bound),
            refresh_enc=self.box.encrypt(refresh, bound) if refresh else None,
            cal_expires_at=now + expires_in if expires_in is not None else None, display_name=identity.display_name,
            created_at=now, updated_at=now))
        uid = existing.user_id
        await self.store.update_pending(replace(pending, user_id=uid, upstream_state_hash=None,
                                                upstream_verifier_enc=None))
        log.info("user %s signed in with %s", uid, "Cal.com OAuth" if kind == "oauth" else "an API key")
        return RedirectResponse(f"/consent?{urlencode({'request': pending.request_id})}", status_code=303)

    # -- pages -------------------------------------------------------------------------------------------------
    async def signin(self, request: Request) -> Response:
        async def work() -> Response:
            pending = await self._pending(request.query_params.get("request"))
            cookie = request.cookies.get(COOKIE)
            set_cookie = None
            if pending.browser_hash is None:  # first visit: this browser now owns the flow
                set_cookie = cookie or secrets.token_urlsafe(24)
                pending = replace(pending, browser_hash=token_hash(set_cookie))
                await self.store.update_pending(pending)
            else:
                self._check_browser(request, pending)
            if pending.user_id:
                return RedirectResponse(f"/consent?{urlencode({'request': pending.request_id})}", status_code=303)
            response: Response = pages.signin_page(request_id=pending.request_id, csrf=pending.csrf,
                                                   client=await self._label(pending),
                                                   cal_oauth=self.upstream is not None and self._cal_oauth,
                                                   api_key=self.api_key_signin)
            if set_cookie:
                response.set_cookie(COOKIE, set_cookie, httponly=True, samesite="lax", secure=self.secure_cookies,
                                    max_age=3600, path="/")
            return response

        return await self._handle(work)

    @property
    def _cal_oauth(self) -> bool:
        return self.upstream is not None and self.upstream.settings.cal_oauth_enabled

    async def api_key(self, request: Request) -> Response:
        async def work() -> Response:
            pending, form = await self._form(request)
            if not self.api_key_signin or self.upstream is None:
                raise FlowError("Not available", "API-key sign-in is switched off on this server.", 404)
            key = form.get("api_key", "").strip()
            label = await self._label(pending)
            if not key:
                return pages.signin_page(request_id=pending.request_id, csrf=pending.csrf, client=label,
                                         cal_oauth=self._cal_oauth, api_key=True,
                                         error="Paste your Cal.com API key.", status=400)
            try:
                identity = await self.upstream.whoami(key)
            except UpstreamError as exc:
                message = ("Cal.com did not accept this API key. Check it was copied whole and has not been "
                           "deleted, then try again.") if exc.refused else exc.message
                return pages.signin_page(request_id=pending.request_id, csrf=pending.csrf, client=label,
                                         cal_oauth=self._cal_oauth, api_key=True, error=message,
                                         status=400 if exc.refused else 502)
            return await self._signed_in(pending, identity, "api_key", key, None, None)

        return await self._handle(work)

    async def cal_start(self, request: Request) -> Response:
        async def work() -> Response:
            pending, _ = await self._form(request)
            if self.upstream is None or not self._cal_oauth:
                raise FlowError("Not available", "Sign-in with Cal.com is not configured on this server.", 404)
            verifier, challenge = pkce_pair()
            state = f"{pending.request_id}.{secrets.token_urlsafe(24)}"
            await self.store.update_pending(replace(pending, upstream_state_hash=token_hash(state),
                                                    upstream_verifier_enc=self.box.encrypt(verifier,
                                                                                           pending.request_id)))
            return RedirectResponse(self.upstream.authorize_url(state, challenge), status_code=303)

        return await self._handle(work)

    async def cal_callback(self, request: Request) -> Response:
        async def work() -> Response:
            state = request.query_params.get("state", "")
            pending = await self._pending(state.split(".", 1)[0])
            self._check_browser(request, pending)
            if pending.upstream_state_hash is None or \
                    not hmac.compare_digest(token_hash(state), pending.upstream_state_hash):
                raise FlowError("Sign-in interrupted", "Cal.com sent back a sign-in this page did not start.", 403)
            if request.query_params.get("error"):
                raise FlowError("Cal.com sign-in cancelled", "Cal.com did not sign you in "
                                f"({request.query_params.get('error')}).")
            code = request.query_params.get("code")
            if not code or self.upstream is None or pending.upstream_verifier_enc is None:
                raise FlowError("Cal.com sign-in failed", "Cal.com sent no authorization code.")
            verifier = self.box.decrypt(pending.upstream_verifier_enc, pending.request_id)
            try:
                tokens = await self.upstream.exchange_code(code, verifier)
                identity = await self.upstream.whoami(tokens.access_token)
            except UpstreamError as exc:
                raise FlowError("Cal.com sign-in failed", exc.message, 502) from None
            return await self._signed_in(pending, identity, "oauth", tokens.access_token, tokens.refresh_token,
                                         tokens.expires_in)

        return await self._handle(work)

    async def consent(self, request: Request) -> Response:
        async def work() -> Response:
            if request.method == "GET":
                pending = await self._pending(request.query_params.get("request"))
                self._check_browser(request, pending)
                form: dict[str, str] = {}
            else:
                pending, form = await self._form(request)
            if pending.user_id is None:
                return RedirectResponse(f"/signin?{urlencode({'request': pending.request_id})}", status_code=303)
            params = json.loads(pending.params_json)
            requested: list[str] = params["scopes"]
            user = await self.store.get_user(pending.user_id)
            if request.method == "GET":
                return pages.consent_page(request_id=pending.request_id, csrf=pending.csrf,
                                          client=await self._label(pending), client_id=pending.client_id,
                                          redirect_uri=_shown(params["redirect_uri"]),
                                          signed_in_as=user.display_name if user else "?", scopes=requested)
            if not await self.store.delete_pending(pending.request_id):
                raise FlowError("Already answered", "This request was already allowed or denied.")
            redirect = params["redirect_uri"]
            if form.get("decision") != "approve":
                log.info("user %s denied client %s", pending.user_id, pending.client_id)
                return RedirectResponse(construct_redirect_uri(redirect, error="access_denied",
                                                               error_description="The user denied access.",
                                                               state=params["state"], iss=self.provider.issuer),
                                        status_code=303)
            granted = requested
            if form.get("access") == "read":
                granted = [scope_names.SCOPE_READ]
            code = await self.provider.issue_code(pending, pending.user_id, granted)
            return RedirectResponse(construct_redirect_uri(redirect, code=code, state=params["state"],
                                                           iss=self.provider.issuer), status_code=303)

        return await self._handle(work)


def _shown(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"
