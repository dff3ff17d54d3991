"""Talking to Cal.com for sign-in: the OAuth code exchange and refresh, and ``GET /v2/me`` to know who signed in.

Token endpoint: ``POST /v2/auth/oauth2/token`` with ``grant_type`` ``authorization_code`` (``code``,
``redirect_uri``, ``code_verifier``) or ``refresh_token``, plus ``client_id``/``client_secret``
(calcom/cal.com apps/api/v2/src/modules/auth/oauth2/controllers/oauth2-token.controller.ts and
inputs/token.input.ts). The answer is ``{"status": "success", "data": {access_token, token_type, refresh_token,
expires_in}}`` (outputs/oauth2-tokens.output.ts; the DTO also names the fields in camelCase, so both are read).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from cal_mcp.auth.settings import OAuthSettings

TOKEN_PATH = "/v2/auth/oauth2/token"
ME_PATH = "/v2/me"


class UpstreamError(Exception):
    """Cal.com refused or failed; ``message`` is safe to show a person (never holds a credential)."""

    def __init__(self, message: str, *, refused: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.refused = refused  # Cal said no (a bad key, a spent code), as opposed to being unreachable


@dataclass(frozen=True)
class CalTokens:
    access_token: str
    refresh_token: str | None
    expires_in: float


@dataclass(frozen=True)
class CalIdentity:
    cal_user_id: str
    display_name: str


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def _field(data: dict[str, Any], snake: str, camel: str) -> Any:
    return data.get(snake, data.get(camel))


class CalUpstream:
    def __init__(self, http: httpx.AsyncClient, settings: OAuthSettings, *, callback_url: str,
                 authorize_url: str | None = None) -> None:
        self.http = http
        self.settings = settings
        self.callback_url = callback_url
        self.authorize_endpoint = authorize_url or settings.cal_oauth_authorize_url

    def authorize_url(self, state: str, code_challenge: str) -> str:
        query = {"client_id": self.settings.cal_oauth_client_id or "", "redirect_uri": self.callback_url,
                 "response_type": "code", "state": state, "code_challenge": code_challenge,
                 "code_challenge_method": "S256"}
        if self.settings.cal_oauth_scope:
            query["scope"] = self.settings.cal_oauth_scope
        return f"{self.authorize_endpoint}?{urlencode(query)}"

    async def exchange_code(self, code: str, verifier: str) -> CalTokens:
        return await self._token({"grant_type": "authorization_code", "code": code, "redirect_uri": self.callback_url,
                                  "code_verifier": verifier})

    async def refresh(self, refresh_token: str) -> CalTokens:
        return await self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})

    async def _token(self, form: dict[str, str]) -> CalTokens:
        secret = self.settings.cal_oauth_client_secret
        form = {**form, "client_id": self.settings.cal_oauth_client_id or "",
                "client_secret": secret.get_secret_value() if secret else ""}
        try:
            response = await self.http.post(TOKEN_PATH, data=form, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise UpstreamError(f"Cal.com could not be reached ({type(exc).__name__}).") from None
        if response.status_code in (400, 401, 403):
            raise UpstreamError(f"Cal.com refused the sign-in (HTTP {response.status_code}).", refused=True)
        if response.status_code != 200:
            raise UpstreamError(f"Cal.com's token endpoint answered HTTP {response.status_code}.")
        try:
            body = response.json()
            data = body.get("data", body) if isinstance(body, dict) else {}
            access = _field(data, "access_token", "accessToken")
            refresh = _field(data, "refresh_token", "refreshToken")
            expires_in = float(_field(data, "expires_in", "expiresIn") or 1800)
        except (ValueError, TypeError, AttributeError):
            raise UpstreamError("Cal.com's token endpoint sent an answer that is not a token.") from None
        if not isinstance(access, str) or not access:
            raise UpstreamError("Cal.com's token endpoint sent no access token.")
        return CalTokens(access, refresh if isinstance(refresh, str) and refresh else None, expires_in)

    async def whoami(self, credential: str) -> CalIdentity:
        """Who a Cal access token or API key belongs to; ``UpstreamError(refused=True)`` when Cal rejects it."""
        try:
            response = await self.http.get(ME_PATH, headers={"Authorization": f"Bearer {credential}",
                                                             "Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise UpstreamError(f"Cal.com could not be reached ({type(exc).__name__}).") from None
        if response.status_code in (401, 403):
            raise UpstreamError("Cal.com did not accept this credential.", refused=True)
        if response.status_code != 200:
            raise UpstreamError(f"Cal.com answered HTTP {response.status_code} to GET /v2/me.")
        try:
            data = response.json()["data"]
            user_id = data["id"]
        except (ValueError, KeyError, TypeError):
            raise UpstreamError("Cal.com's GET /v2/me answer has no user id.") from None
        name = data.get("name") or data.get("username") or data.get("email") or f"Cal.com user {user_id}"
        return CalIdentity(str(user_id), str(name))
