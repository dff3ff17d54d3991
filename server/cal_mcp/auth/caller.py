"""Every call runs as its caller: scope checks, and the caller's own Cal credential for the call.

``CredentialResolver`` turns a user ID into a usable Cal credential: an API key as stored, or a Cal OAuth
access token, refreshed shortly before it expires, one refresh at a time per user (``KeyedLocks``; the store is
re-read under the lock, so a refresh another holder just made is used rather than repeated). ``CallerGate`` sits
in front of the MCP handlers: it filters ``tools/list`` by the token's scopes, refuses write tools to a read-only
token, and sets ``CALLER_CREDENTIAL`` around the call.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import mcp_types as types
from cryptography.exceptions import InvalidTag
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken

from cal_mcp.auth import scopes as scope_names
from cal_mcp.auth.context import CALLER_CREDENTIAL
from cal_mcp.auth.crypto import EncryptionKeyError, SecretBox, credential_binding
from cal_mcp.auth.locks import KeyedLocks
from cal_mcp.auth.store import AuthStore
from cal_mcp.auth.upstream import CalUpstream, UpstreamError
from cal_mcp.errors import CalMcpError, ConfigurationError
from cal_mcp.registry import Registry

log = logging.getLogger("cal_mcp.auth")
T = TypeVar("T")
REFRESH_MARGIN = 120.0  # seconds before a Cal access token expires that it is refreshed


class SignInAgainError(CalMcpError):
    kind = "sign_in_required"


class CredentialResolver:
    def __init__(self, store: AuthStore, box: SecretBox, upstream: CalUpstream | None, locks: KeyedLocks,
                 clock: Callable[[], float] = time.time) -> None:
        self.store, self.box, self.upstream, self.locks, self.clock = store, box, upstream, locks, clock

    async def credential_for(self, user_id: str) -> str:
        user = await self.store.get_user(user_id)
        if user is None:
            raise SignInAgainError("Your cal-mcp account no longer exists.", "Disconnect and connect again.")
        if user.kind == "api_key" or self._fresh(user.cal_expires_at):
            bound = credential_binding(user.cal_user_id)
            credential = self.box.decrypt(user.access_enc, bound)
            if self.box.needs_rotation(user.access_enc) and user.kind == "api_key":
                # Encrypted with an older key of CAL_MCP_ENCRYPTION_KEYS: re-encrypt with the first one, so the
                # old key can be retired once every user has called. (OAuth users are re-encrypted on refresh.)
                await self.store.update_cal_credential(user_id, self.box.encrypt(credential, bound), None, None,
                                                       self.clock())
            return credential
        async with self.locks.hold(f"cal-refresh:{user_id}"):
            user = await self.store.get_user(user_id)
            assert user is not None
            bound = credential_binding(user.cal_user_id)
            if self._fresh(user.cal_expires_at):
                return self.box.decrypt(user.access_enc, bound)
            if self.upstream is None or user.refresh_enc is None:
                raise SignInAgainError("Your Cal.com sign-in has expired.", "Disconnect and connect again.")
            try:
                tokens = await self.upstream.refresh(self.box.decrypt(user.refresh_enc, bound))
            except UpstreamError as exc:
                log.warning("Cal.com token refresh failed for user %s: %s", user_id, exc.message)
                if exc.refused:
                    raise SignInAgainError("Cal.com no longer accepts your sign-in (it was revoked or expired).",
                                           "Disconnect this server in your client and connect again.") from None
                raise ConfigurationError(exc.message, "Try again in a moment.") from None
            now = self.clock()
            refresh = tokens.refresh_token or self.box.decrypt(user.refresh_enc, bound)
            await self.store.update_cal_credential(
                user_id, self.box.encrypt(tokens.access_token, bound), self.box.encrypt(refresh, bound),
                now + tokens.expires_in, now)
            log.info("refreshed the Cal.com token of user %s", user_id)
            return tokens.access_token

    def _fresh(self, expires_at: float | None) -> bool:
        return expires_at is None or expires_at - REFRESH_MARGIN > self.clock()


def caller_token(ctx: Any) -> AccessToken | None:
    """The access token of the request behind this MCP call (Streamable HTTP and SSE both carry it)."""
    request = getattr(ctx, "request", None)
    user = request.scope.get("user") if request is not None else None
    if isinstance(user, AuthenticatedUser):
        return user.access_token
    return get_access_token()


CallTool = Callable[[str, dict[str, Any] | None], Awaitable[types.CallToolResult]]


class CallerGate:
    def __init__(self, registry: Registry, resolver: CredentialResolver) -> None:
        self.registry = registry
        self.resolver = resolver
        # Per listing object and scope: the filtered listing (the source is kept, so its id cannot be reused).
        self._filtered: dict[tuple[int, bool], tuple[types.ListToolsResult, types.ListToolsResult]] = {}

    def _allowed(self, name: str, scopes: list[str]) -> bool:
        spec = self.registry.get(name)
        if spec is None:
            return True  # unknown: call_tool answers it
        # Tools acting with the deployment's Platform OAuth client secret are not anyone's own: never offered.
        return spec.request.auth == "api_key" and scope_names.may_call(scopes, spec.annotations.read_only_hint)

    def list_tools(self, ctx: Any, listed: types.ListToolsResult) -> types.ListToolsResult:
        token = caller_token(ctx)
        scopes = token.scopes if token else []
        write = scope_names.SCOPE_WRITE in scopes
        key = (id(listed), write)
        cached = self._filtered.get(key)
        if cached is not None and cached[0] is listed:
            return cached[1]
        tools = [tool for tool in listed.tools if self._allowed(tool.name, scopes)]
        filtered = types.ListToolsResult(tools=tools, next_cursor=listed.next_cursor)
        if len(self._filtered) >= 64:  # listings built per request (toolset URLs) must not pile up
            self._filtered.clear()
        self._filtered[key] = (listed, filtered)
        return filtered

    async def call_tool(self, ctx: Any, name: str, arguments: dict[str, Any] | None,
                        call: CallTool) -> types.CallToolResult:
        token = caller_token(ctx)
        if token is None or token.subject is None:
            return ConfigurationError("This call carries no signed-in user.", "Connect again and sign in.").to_result()
        if not self._allowed(name, token.scopes):
            spec = self.registry.get(name)
            if spec is not None and spec.request.auth != "api_key":
                return ConfigurationError(f"{name} is not available on this multi-user server.",
                                          "It manages the deployment's Platform OAuth client.").to_result()
            return ConfigurationError(
                f"{name} changes data, and this connection was granted read-only access ({scope_names.SCOPE_READ}).",
                f"Reconnect and grant full access ({scope_names.SCOPE_WRITE}) to use it.",
            ).to_result()
        try:
            credential = await self._credential(token)
        except CalMcpError as exc:
            return exc.to_result()
        log.info("%s called by user %s", name, token.subject)
        reset = CALLER_CREDENTIAL.set(credential)
        try:
            return await call(name, arguments)
        finally:
            CALLER_CREDENTIAL.reset(reset)

    async def run_as(self, ctx: Any, work: Callable[[], Awaitable[T]]) -> T:
        """``work`` with the caller's own Cal credential (resource reads, completions); ``CalMcpError`` when
        the request carries no signed-in user or their credential is unusable."""
        token = caller_token(ctx)
        if token is None or token.subject is None:
            raise ConfigurationError("This request carries no signed-in user.", "Connect again and sign in.")
        reset = CALLER_CREDENTIAL.set(await self._credential(token))
        try:
            return await work()
        finally:
            CALLER_CREDENTIAL.reset(reset)

    async def _credential(self, token: AccessToken) -> str:
        assert token.subject is not None
        try:
            return await self.resolver.credential_for(token.subject)
        except (EncryptionKeyError, InvalidTag):
            log.error("the stored Cal credential of user %s cannot be decrypted with CAL_MCP_ENCRYPTION_KEYS",
                      token.subject)
            raise SignInAgainError(
                "Your stored Cal.com sign-in cannot be read (the server's encryption keys changed).",
                "Disconnect this server in your client and connect again.") from None
