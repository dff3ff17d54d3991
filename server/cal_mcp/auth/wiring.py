"""Puts the OAuth mode together for the HTTP app: its routes, the bearer check in front of MCP, the caller gate.

Routes: RFC 8414 metadata, /authorize, /token, /register (RFC 7591), /revoke (the SDK's handlers over
``CalMcpAuthProvider``), RFC 9728 protected resource metadata, the sign-in and consent pages, and in the sandbox
the emulated Cal.com authorize page. ``protect`` wraps an MCP endpoint in the SDK's bearer middleware: a missing,
unknown, expired, revoked or other-audience token gets 401 with ``WWW-Authenticate: Bearer ...
resource_metadata="<url>"``; the SDK's session managers then bind each session to the user that opened it.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
from mcp.server.auth.handlers.authorize import AuthorizationHandler
from mcp.server.auth.handlers.metadata import MetadataHandler, ProtectedResourceMetadataHandler
from mcp.server.auth.middleware.auth_context import AuthContextMiddleware
from mcp.server.auth.middleware.bearer_auth import BearerAuthBackend, RequireAuthMiddleware
from mcp.server.auth.middleware.client_auth import AuthenticationError, ClientAuthenticator
from mcp.server.auth.routes import (
    build_metadata,
    build_resource_metadata_url,
    cors_middleware,
    create_auth_routes,
)
from mcp.server.auth.settings import ClientRegistrationOptions, RevocationOptions
from mcp.shared.auth import ProtectedResourceMetadata
from pydantic import AnyHttpUrl, SecretStr
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from cal_mcp.auth import pages
from cal_mcp.auth import scopes as scope_names
from cal_mcp.auth.caller import CallerGate, CredentialResolver
from cal_mcp.auth.clients import ClientDirectory
from cal_mcp.auth.crypto import SecretBox, new_key
from cal_mcp.auth.locks import InProcessKeyedLocks, KeyedLocks
from cal_mcp.auth.provider import CalMcpAuthProvider
from cal_mcp.auth.settings import OAuthSettings
from cal_mcp.auth.signin import SignInPages
from cal_mcp.auth.store import AuthStore, open_store
from cal_mcp.auth.upstream import CalUpstream

if TYPE_CHECKING:
    from cal_mcp.config import Settings
    from cal_mcp.registry import Registry
    from cal_mcp.sandbox.accounts import SandboxAccounts

log = logging.getLogger("cal_mcp.auth")


class OAuthConfigError(ValueError):
    """The OAuth mode cannot start; the message says which variable to set."""


def default_database_url(sandbox: bool) -> str:
    if sandbox:  # sandbox data is fake and forgotten on exit; so are its sign-ins
        return "sqlite:///" + str(Path(tempfile.mkdtemp(prefix="cal-mcp-sandbox-")) / "auth.db")
    state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "cal-mcp"
    state.mkdir(parents=True, exist_ok=True)
    return "sqlite:///" + str(state / "auth.db")


class OAuthMode:
    def __init__(self, *, oauth: OAuthSettings, base_url: str, store: AuthStore, box: SecretBox,
                 cal_http: httpx.AsyncClient, sandbox: SandboxAccounts | None = None,
                 locks: KeyedLocks | None = None, clock: Callable[[], float] = time.time,
                 client_http: Callable[[], httpx.AsyncClient] | None = None) -> None:
        self.oauth, self.base_url, self.store, self.box, self.sandbox = oauth, base_url.rstrip("/"), store, box, sandbox
        self.cal_http = cal_http
        self.clock = clock
        self.directory = ClientDirectory(store, allow_http_loopback=oauth.dev_allow_http_client_metadata,
                                         http_factory=client_http)
        self.provider = CalMcpAuthProvider(store, self.directory, oauth, base_url=self.base_url, clock=clock)
        self.upstream = CalUpstream(cal_http, oauth, callback_url=f"{self.base_url}/signin/cal/callback")
        self.resolver = CredentialResolver(store, box, self.upstream, locks or InProcessKeyedLocks(), clock)
        self.pages = SignInPages(store=store, box=box, provider=self.provider, upstream=self.upstream,
                                 api_key_signin=oauth.api_key_signin,
                                 secure_cookies=self.base_url.startswith("https://"), clock=clock)
        self.resource_metadata_url = build_resource_metadata_url(AnyHttpUrl(self.base_url))

    async def start(self) -> None:
        await self.store.setup()
        purged = await self.store.purge_expired(self.clock())  # expired codes, sign-ins and tokens
        if purged:
            log.info("forgot %d expired codes, sign-ins and tokens", purged)

    async def stop(self) -> None:
        await self.store.close()
        await self.cal_http.aclose()

    def gate(self, registry: Registry) -> CallerGate:
        return CallerGate(registry, self.resolver)

    def protect(self, app: ASGIApp) -> ASGIApp:
        required = RequireAuthMiddleware(app, required_scopes=[], resource_metadata_url=self.resource_metadata_url)
        backend = BearerAuthBackend(self.provider, resource_server_url=AnyHttpUrl(self.base_url))
        return AuthenticationMiddleware(AuthContextMiddleware(required), backend=backend)

    def routes(self) -> list[BaseRoute]:
        issuer = AnyHttpUrl(self.base_url)
        registration = ClientRegistrationOptions(enabled=True, valid_scopes=scope_names.SUPPORTED,
                                                 default_scopes=scope_names.SUPPORTED)
        revocation = RevocationOptions(enabled=True)
        metadata = build_metadata(issuer, None, registration, revocation)
        metadata.client_id_metadata_document_supported = True
        metadata.token_endpoint_auth_methods_supported = ["none", "client_secret_post", "client_secret_basic"]
        metadata.authorization_response_iss_parameter_supported = True
        routes: list[BaseRoute] = []
        for route in create_auth_routes(self.provider, issuer, client_registration_options=registration,
                                        revocation_options=revocation):
            assert isinstance(route, Route)
            if route.path == "/.well-known/oauth-authorization-server":
                route = Route(route.path, cors_middleware(MetadataHandler(metadata).handle, ["GET", "OPTIONS"]),
                              methods=["GET", "OPTIONS"])
            elif route.path == "/authorize":
                route = Route(route.path, self._authorize, methods=["GET", "POST"])
            elif route.path == "/revoke":
                route = Route(route.path, cors_middleware(self._revoke, ["POST", "OPTIONS"]),
                              methods=["POST", "OPTIONS"])
            routes.append(route)
        resource = ProtectedResourceMetadata(resource=AnyHttpUrl(self.base_url), authorization_servers=[issuer],
                                             scopes_supported=scope_names.SUPPORTED, resource_name="cal-mcp")
        prm = cors_middleware(ProtectedResourceMetadataHandler(resource).handle, ["GET", "OPTIONS"])
        # The root path is the one WWW-Authenticate names; the path-suffixed ones serve clients that build the
        # URL from the endpoint they were given (RFC 9728 §3.1).
        for path in ("", "/mcp", "/sse"):
            routes.append(Route(f"/.well-known/oauth-protected-resource{path}", prm, methods=["GET", "OPTIONS"]))
        routes.extend(self.pages.routes())
        if self.sandbox is not None:
            routes.extend(self.sandbox.authorize_routes())
        return routes

    async def _revoke(self, request: Request) -> Response:
        """RFC 7009 revocation. The SDK's handler requires a ``client_secret`` field even from public clients,
        which send none; this one authenticates the client the same way, then revokes the token's whole grant."""
        try:
            client = await ClientAuthenticator(self.provider).authenticate_request(request)
        except AuthenticationError as exc:
            return JSONResponse({"error": "invalid_client", "error_description": exc.message}, status_code=401)
        token = (await request.form()).get("token")
        if not isinstance(token, str) or not token:
            return JSONResponse({"error": "invalid_request", "error_description": "token is required"},
                                status_code=400)
        found = await self.provider.load_access_token(token) or \
            await self.provider.load_refresh_token(client, token)
        if found is not None and found.client_id == client.client_id:
            await self.provider.revoke_token(found)
        # Unknown or someone else's token: 200 all the same (RFC 7009 §2.2), revealing nothing.
        return Response(status_code=200, headers={"Cache-Control": "no-store"})

    async def _authorize(self, request: Request) -> Response:
        """The SDK's /authorize; when it must answer the person directly (unknown client or redirect URI), a page."""
        response = await AuthorizationHandler(self.provider).handle(request)
        if response.status_code == 400 and "text/html" in request.headers.get("accept", ""):
            try:
                detail = json.loads(bytes(response.body)).get("error_description") or "Invalid request."
            except ValueError:
                detail = "Invalid request."
            return pages.error_page("This app's sign-in request is not valid", str(detail))
        return response


def build_oauth_mode(settings: Settings, *, host: str, port: int, sandbox: SandboxAccounts | None,
                     environ: dict[str, Any] | None = None, clock: Callable[[], float] = time.time,
                     locks: KeyedLocks | None = None) -> OAuthMode:
    """From the environment; raises ``OAuthConfigError`` naming what is missing.

    ``locks``: where the one-refresh-at-a-time-per-user rule is kept (default: in this process; several replicas
    pass a shared ``KeyedLocks``).
    """
    oauth = OAuthSettings(**(environ or {}))
    url_host = f"[{host}]" if ":" in host else host
    base_url = oauth.public_url or f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else url_host}:{port}"
    parts = urlsplit(base_url)
    loopback = (parts.hostname or "") in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not loopback:
        raise OAuthConfigError("CAL_MCP_PUBLIC_URL must be an https:// URL (TLS at your reverse proxy); "
                               "plain http is only for loopback")
    if host in ("0.0.0.0", "::") and oauth.public_url is None:
        raise OAuthConfigError("set CAL_MCP_PUBLIC_URL to the https:// URL clients reach this server at")
    if oauth.encryption_keys is None:
        if not settings.sandbox:
            raise OAuthConfigError("set CAL_MCP_ENCRYPTION_KEYS (make a key with: python -m cal_mcp.auth.crypto)")
        box = SecretBox([new_key()])
    else:
        box = SecretBox.from_env_value(oauth.encryption_keys.get_secret_value())
    store = open_store(oauth.database_url or default_database_url(settings.sandbox))
    if sandbox is not None:
        from cal_mcp.sandbox.accounts import AUTHORIZE_PATH, CAL_OAUTH_CLIENT_ID, CAL_OAUTH_CLIENT_SECRET

        oauth = oauth.model_copy(update={"cal_oauth_client_id": CAL_OAUTH_CLIENT_ID,
                                         "cal_oauth_client_secret": SecretStr(CAL_OAUTH_CLIENT_SECRET),
                                         "cal_oauth_authorize_url": f"{base_url}{AUTHORIZE_PATH}"})
        cal_http = httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox), base_url="http://sandbox.cal-mcp.local",
                                     timeout=10)
    else:
        cal_http = httpx.AsyncClient(base_url=settings.base_url, timeout=10, follow_redirects=False)
    if not oauth.cal_oauth_enabled and not oauth.api_key_signin:
        raise OAuthConfigError("no way to sign in: set CAL_MCP_CAL_OAUTH_CLIENT_ID and "
                               "CAL_MCP_CAL_OAUTH_CLIENT_SECRET, or leave CAL_MCP_API_KEY_SIGNIN on")
    return OAuthMode(oauth=oauth, base_url=base_url, store=store, box=box, cal_http=cal_http, sandbox=sandbox,
                     clock=clock, locks=locks)


def start_oauth_mode(settings: Settings, registry: Registry, *, host: str, port: int,
                     locks: KeyedLocks | None = None, **app_options: Any) -> tuple[Any, OAuthMode, list[str]]:
    """For the command line: the app (its calls gated per caller), the OAuth mode, and the public host name.

    ``app_options`` go to ``CalMcpApp`` as they are (``dynamic``, ``loaded``: dynamic toolsets)."""
    from cal_mcp.app import CalMcpApp

    sandbox = None
    transport = base = None
    if settings.sandbox:
        from cal_mcp.sandbox.accounts import SandboxAccounts

        sandbox = SandboxAccounts()
        transport, base = httpx.ASGITransport(app=sandbox), "http://sandbox.cal-mcp.local"
    mode = build_oauth_mode(settings, host=host, port=port, sandbox=sandbox, locks=locks)
    app = CalMcpApp(settings, registry, transport=transport, base_url=base, **app_options)
    app.caller = mode.gate(registry)
    public = urlsplit(mode.base_url)
    return app, mode, [public.hostname or ""] if public.hostname not in ("127.0.0.1", "localhost") else []
