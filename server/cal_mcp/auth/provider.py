"""cal-mcp as OAuth 2.1 authorization server: the SDK's ``OAuthAuthorizationServerProvider``, backed by the store.

The SDK's handlers parse and check requests (PKCE S256, redirect URI equality, client authentication); this
provider decides: who the client is (``ClientDirectory``), the audience (RFC 8707: only this server), codes
(single use, short-lived), refresh-token rotation with reuse detection (a second use of a refresh token revokes
every token of its grant), revocation (the whole grant). Expiry is judged on the injected ``clock``.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable

from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    AuthorizeError,
    IdentityAssertionParams,
    RefreshToken,
    TokenError,
)
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from pydantic import AnyHttpUrl, AnyUrl

from cal_mcp.auth import scopes as scope_names
from cal_mcp.auth.clients import CalMcpClient, ClientDirectory
from cal_mcp.auth.crypto import new_token, token_hash
from cal_mcp.auth.settings import OAuthSettings
from cal_mcp.auth.store import AuthCodeRecord, AuthStore, PendingAuthorization, TokenRecord

log = logging.getLogger("cal_mcp.auth")
Clock = Callable[[], float]


def canonical_resource(url: str) -> str:
    return url.rstrip("/")


class FamilyRefreshToken(RefreshToken):
    family_id: str


class FamilyAccessToken(AccessToken):
    family_id: str


class CalMcpAuthProvider:
    def __init__(self, store: AuthStore, directory: ClientDirectory, settings: OAuthSettings, *, base_url: str,
                 clock: Clock = time.time) -> None:
        self.store = store
        self.directory = directory
        self.settings = settings
        self.base_url = base_url.rstrip("/")
        self.issuer = str(AnyHttpUrl(self.base_url))  # as the RFC 8414 metadata spells it (RFC 9207 compares exactly)
        self.resource = self.base_url  # the whole server (/mcp, /sse, /messages/) is one protected resource
        self.clock = clock

    # -- clients ---------------------------------------------------------------------------------------------
    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        return await self.directory.get(client_id)

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        await self.directory.register(client_info, self.clock())
        log.info("registered client %s (%s)", client_info.client_id, client_info.client_name or "unnamed")

    # -- /authorize: hand over to the sign-in pages --------------------------------------------------------------
    async def authorize(self, client: OAuthClientInformationFull, params: AuthorizationParams) -> str:
        if params.resource is not None and canonical_resource(params.resource) != canonical_resource(self.resource):
            raise AuthorizeError("invalid_target", f"This server only issues tokens for {self.resource}")
        granted = scope_names.normalise(params.scopes)
        if not granted:
            raise AuthorizeError("invalid_scope", f"Ask for {' or '.join(scope_names.SUPPORTED)}")
        request_id = secrets.token_urlsafe(24)
        stored = {
            "redirect_uri": str(params.redirect_uri),
            "redirect_uri_provided_explicitly": params.redirect_uri_provided_explicitly,
            "state": params.state,
            "scopes": granted,
            "code_challenge": params.code_challenge,
            "resource": self.resource,
        }
        await self.store.save_pending(PendingAuthorization(
            request_id=request_id, client_id=client.client_id, params_json=json.dumps(stored), browser_hash=None,
            csrf=secrets.token_urlsafe(24), user_id=None, upstream_state_hash=None, upstream_verifier_enc=None,
            expires_at=self.clock() + self.settings.signin_ttl,
        ))
        return f"{self.base_url}/signin?request={request_id}"

    async def issue_code(self, pending: PendingAuthorization, user_id: str, scopes: list[str]) -> str:
        """After consent: a single-use code for the client (only the digest is stored)."""
        params = json.loads(pending.params_json)
        code = new_token("cmcp_code")
        await self.store.save_code(AuthCodeRecord(
            code_hash=token_hash(code), client_id=pending.client_id, user_id=user_id, scopes=" ".join(scopes),
            code_challenge=params["code_challenge"], redirect_uri=params["redirect_uri"],
            redirect_uri_explicit=params["redirect_uri_provided_explicitly"], resource=params["resource"],
            expires_at=self.clock() + self.settings.code_ttl,
        ))
        return code

    # -- codes -------------------------------------------------------------------------------------------------
    async def load_authorization_code(self, client: OAuthClientInformationFull,
                                      authorization_code: str) -> AuthorizationCode | None:
        record = await self.store.peek_code(token_hash(authorization_code))
        if record is None or record.client_id != client.client_id or record.expires_at <= self.clock():
            return None
        if record.family_id is not None:
            # A code is spent once; a replay means it leaked: revoke what it was exchanged for (RFC 6749 §4.1.2).
            await self.store.revoke_family(record.family_id, self.clock())
            log.warning("authorization code replayed for user %s, client %s: grant revoked", record.user_id,
                        record.client_id)
            return None
        return AuthorizationCode(
            code=authorization_code, scopes=record.scopes.split(), expires_at=record.expires_at,
            client_id=record.client_id, code_challenge=record.code_challenge, redirect_uri=AnyUrl(record.redirect_uri),
            redirect_uri_provided_explicitly=record.redirect_uri_explicit, resource=record.resource,
            subject=record.user_id,
        )

    async def exchange_authorization_code(self, client: OAuthClientInformationFull,
                                          authorization_code: AuthorizationCode) -> OAuthToken:
        family_id = secrets.token_hex(16)
        record = await self.store.take_code(token_hash(authorization_code.code), family_id)
        if record is None:  # another exchange of the same code won the race
            raise TokenError("invalid_grant", "authorization code was already used")
        await self.store.create_family(family_id, record.user_id, record.client_id, self.clock())
        log.info("user %s granted %s to client %s", record.user_id, record.scopes, record.client_id)
        return await self._issue(family_id, record.client_id, record.user_id, record.scopes.split(), record.resource)

    # -- refresh tokens ----------------------------------------------------------------------------------------
    async def load_refresh_token(self, client: OAuthClientInformationFull,
                                 refresh_token: str) -> FamilyRefreshToken | None:
        record = await self.store.get_token(token_hash(refresh_token))
        if record is None or record.kind != "refresh" or record.client_id != client.client_id or record.revoked:
            return None
        if record.used_at is not None:
            # Rotation means a refresh token is spent once; a second use means it leaked (OAuth 2.1 §4.3.1):
            # end the whole grant, the legitimate client's newest tokens included.
            await self.store.revoke_family(record.family_id, self.clock())
            log.warning("refresh token reused for user %s, client %s: grant revoked", record.user_id,
                        record.client_id)
            return None
        if record.expires_at <= self.clock():
            return None
        return FamilyRefreshToken(token=refresh_token, client_id=record.client_id, scopes=record.scopes.split(),
                                  resource=record.resource, subject=record.user_id, family_id=record.family_id)

    async def exchange_refresh_token(self, client: OAuthClientInformationFull, refresh_token: FamilyRefreshToken,
                                     scopes: list[str]) -> OAuthToken:
        record = await self.store.use_refresh_token(token_hash(refresh_token.token), self.clock())
        if record is None:  # used concurrently: the same leak signal as a replay
            await self.store.revoke_family(refresh_token.family_id, self.clock())
            raise TokenError("invalid_grant", "refresh token was already used; the grant is revoked")
        return await self._issue(record.family_id, record.client_id, record.user_id, scopes, record.resource)

    # -- access tokens -----------------------------------------------------------------------------------------
    async def load_access_token(self, token: str) -> FamilyAccessToken | None:
        record = await self.store.get_token(token_hash(token))
        if record is None or record.kind != "access" or record.revoked or record.expires_at <= self.clock():
            return None
        # expires_at stays None: expiry was judged here, on this provider's clock.
        return FamilyAccessToken(token=token, client_id=record.client_id, scopes=record.scopes.split(),
                                 resource=record.resource, subject=record.user_id, family_id=record.family_id,
                                 claims={"iss": self.base_url})

    async def verify_token(self, token: str) -> AccessToken | None:
        """``TokenVerifier`` for the SDK's bearer middleware."""
        return await self.load_access_token(token)

    async def revoke_token(self, token: FamilyAccessToken | FamilyRefreshToken) -> None:
        await self.store.revoke_family(token.family_id, self.clock())
        log.info("grant revoked for user %s, client %s", token.subject, token.client_id)

    async def exchange_identity_assertion(self, client: OAuthClientInformationFull,
                                          params: IdentityAssertionParams) -> OAuthToken:
        raise TokenError("unsupported_grant_type", "Only the authorization code grant (with PKCE) is supported")

    async def _issue(self, family_id: str, client_id: str, user_id: str, scopes: list[str],
                     resource: str) -> OAuthToken:
        now = self.clock()
        access, refresh = new_token("cmcp_at"), new_token("cmcp_rt")
        common = {"family_id": family_id, "client_id": client_id, "user_id": user_id, "scopes": " ".join(scopes),
                  "resource": resource, "used_at": None, "revoked": False}
        await self.store.save_token(TokenRecord(token_hash=token_hash(access), kind="access",
                                                expires_at=now + self.settings.access_token_ttl, **common))  # type: ignore[arg-type]
        await self.store.save_token(TokenRecord(token_hash=token_hash(refresh), kind="refresh",
                                                expires_at=now + self.settings.refresh_token_ttl, **common))  # type: ignore[arg-type]
        return OAuthToken(access_token=access, token_type="Bearer", expires_in=self.settings.access_token_ttl,
                          scope=" ".join(scopes), refresh_token=refresh)


def client_label(client: OAuthClientInformationFull | None, client_id: str) -> str:
    if client is not None and client.client_name:
        return client.client_name
    return client_id


__all__ = ["CalMcpAuthProvider", "CalMcpClient", "FamilyAccessToken", "FamilyRefreshToken", "canonical_resource"]
