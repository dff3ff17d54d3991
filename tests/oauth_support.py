"""Helpers for the OAuth-mode tests: a server in-process on loopback, a scripted person at the pages, SDK clients."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

from cal_mcp.app import CalMcpApp
from cal_mcp.auth.wiring import OAuthMode, build_oauth_mode
from cal_mcp.config import Settings
from cal_mcp.registry import load_registry
from cal_mcp.sandbox.accounts import SandboxAccounts
from cal_mcp.sandbox.clock import FrozenClock
from cal_mcp.sandbox.state import DEFAULT_EPOCH, SANDBOX_API_KEY
from cal_mcp.transports import http_app
from tests.conftest import free_port, serve_in_thread
from tests.fake_clock import FakeClock

HIDDEN = re.compile(r"<input type=hidden name=(\w+) value='([^']*)'>")


def unix_fake_clock() -> FakeClock:
    """A hand-driven clock in UNIX seconds, starting at the real time so the SDK's own checks agree."""
    return FakeClock(start=time.time())


@dataclass
class OAuthServer:
    url: str
    mode: OAuthMode
    accounts: SandboxAccounts
    clock: FakeClock


@contextmanager
def oauth_server(database_url: str, *, clock: FakeClock | None = None, environ: dict[str, Any] | None = None,
                 port: int | None = None, accounts: SandboxAccounts | None = None) -> Iterator[OAuthServer]:
    clock = clock or unix_fake_clock()
    port = port or free_port()
    settings = Settings(sandbox=True, api_key=SANDBOX_API_KEY)  # type: ignore[call-arg]
    registry = load_registry()
    # The sandbox's calendar is frozen at its seeded Monday, so the e2e cases' slots are free.
    accounts = accounts or SandboxAccounts(clock=clock, make_clock=lambda: FrozenClock(DEFAULT_EPOCH))
    env = {"CAL_MCP_DATABASE_URL": database_url, "CAL_MCP_DEV_ALLOW_HTTP_CLIENT_METADATA": True, **(environ or {})}
    mode = build_oauth_mode(settings, host="127.0.0.1", port=port, sandbox=accounts, environ=env, clock=clock)
    app = CalMcpApp(settings, registry, transport=httpx.ASGITransport(app=accounts),
                    base_url="http://sandbox.cal-mcp.local")
    app.caller = mode.gate(registry)
    with serve_in_thread(http_app(app, host="127.0.0.1", port=port, oauth=mode), port) as url:
        yield OAuthServer(url, mode, accounts, clock)


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'auth.db'}"


def hidden_fields(html: str) -> dict[str, str]:
    return {name: unescape(value) for name, value in HIDDEN.findall(html)}


async def sign_in(authorize_url: str, *, account: str | None = None, api_key: str | None = None,
                  access: str = "full", decision: str = "approve") -> str:
    """A person in a cookie-keeping HTTP client: signs in (sandbox Cal.com OAuth or an API key) and consents.

    Returns the Location cal-mcp finally redirects to (the client's redirect URI with code and state).
    """
    async with httpx.AsyncClient(follow_redirects=False, timeout=20) as browser:
        response = await browser.get(authorize_url)
        assert response.status_code == 302, response.text
        signin_url = urljoin(authorize_url, response.headers["location"])
        response = await browser.get(signin_url)
        assert response.status_code == 200, response.text
        fields = hidden_fields(response.text)
        if api_key is not None:
            response = await browser.post(urljoin(signin_url, "/signin/api-key"), data={**fields, "api_key": api_key})
        else:
            response = await browser.post(urljoin(signin_url, "/signin/cal"), data=fields)
            assert response.status_code == 303, response.text
            cal_page = response.headers["location"]
            response = await browser.post(cal_page, data={"account": account or "alex.sandbox"})
            assert response.status_code == 303, response.text
            response = await browser.get(response.headers["location"])
        assert response.status_code == 303, response.text
        consent_url = urljoin(signin_url, response.headers["location"])
        response = await browser.get(consent_url)
        assert response.status_code == 200, response.text
        fields = hidden_fields(response.text)
        response = await browser.post(urljoin(signin_url, "/consent"),
                                      data={**fields, "decision": decision, "access": access})
        assert response.status_code == 303, response.text
        return str(response.headers["location"])


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


class MemoryTokenStorage:
    def __init__(self) -> None:
        self.tokens: Any = None
        self.client_info: Any = None

    async def get_tokens(self) -> Any:
        return self.tokens

    async def set_tokens(self, tokens: Any) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> Any:
        return self.client_info

    async def set_client_info(self, client_info: Any) -> None:
        self.client_info = client_info


@asynccontextmanager
async def sdk_client(server_url: str, *, account: str | None = None, api_key: str | None = None,
                     access: str = "full", storage: MemoryTokenStorage | None = None,
                     transport: str = "http", mode: str = "legacy") -> Any:
    """The mcp SDK's own ``OAuthClientProvider`` through the whole flow, as a connected ``mcp.Client``."""
    import httpx2
    from mcp import Client
    from mcp.client.auth import OAuthClientProvider
    from mcp.client.sse import sse_client
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

    redirect = f"http://127.0.0.1:{free_port()}/callback"
    seen: dict[str, str] = {}

    async def redirect_handler(url: str) -> None:
        seen["authorize"] = url

    async def callback_handler() -> AuthorizationCodeResult:
        location = await sign_in(seen["authorize"], account=account, api_key=api_key, access=access)
        query = query_of(location)
        return AuthorizationCodeResult(code=query["code"], state=query.get("state"), iss=query.get("iss"))

    provider = OAuthClientProvider(
        server_url=f"{server_url}/mcp" if transport == "http" else f"{server_url}/sse",
        client_metadata=OAuthClientMetadata(redirect_uris=[redirect], client_name="SDK test client",  # type: ignore[list-item]
                                            token_endpoint_auth_method="none"),
        storage=storage or MemoryTokenStorage(), redirect_handler=redirect_handler, callback_handler=callback_handler,
    )
    async with httpx2.AsyncClient(auth=provider, timeout=30) as http:
        if transport == "http":
            target: Any = streamable_http_client(f"{server_url}/mcp", http_client=http)
        else:
            target = sse_client(f"{server_url}/sse", auth=provider, timeout=30)
        async with Client(target, mode=mode) as client:  # type: ignore[arg-type]
            yield client


def pkce() -> tuple[str, str]:
    from cal_mcp.auth.upstream import pkce_pair

    return pkce_pair()


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    verifier: str
    code: str
    access_token: str = ""
    refresh_token: str = ""


async def register(http: httpx.AsyncClient, base: str, redirect_uris: list[str], **extra: Any) -> httpx.Response:
    return await http.post(f"{base}/register", json={"redirect_uris": redirect_uris, "client_name": "Raw client",
                                                     "token_endpoint_auth_method": "none", **extra})


def authorize_url(base: str, client_id: str, redirect_uri: str, challenge: str, **extra: str) -> str:
    from urllib.parse import urlencode

    query = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "state": "st-1",
             "code_challenge": challenge, "code_challenge_method": "S256", "resource": base, **extra}
    return f"{base}/authorize?{urlencode(query)}"


async def code_for(base: str, *, account: str = "ana", access: str = "full", client_id: str | None = None,
                   redirect_uri: str = "http://127.0.0.1:9/cb") -> Grant:
    """Register (unless a client ID is given), sign in as ``account``, consent: a fresh code."""
    async with httpx.AsyncClient() as http:
        if client_id is None:
            registered = await register(http, base, [redirect_uri])
            assert registered.status_code == 201, registered.text
            client_id = registered.json()["client_id"]
    verifier, challenge = pkce()
    location = await sign_in(authorize_url(base, client_id, redirect_uri, challenge), account=account, access=access)
    query = query_of(location)
    assert query["state"] == "st-1"
    return Grant(client_id, redirect_uri, verifier, query["code"])


async def exchange(http: httpx.AsyncClient, base: str, grant: Grant, **override: str) -> httpx.Response:
    form = {"grant_type": "authorization_code", "code": grant.code, "redirect_uri": grant.redirect_uri,
            "client_id": grant.client_id, "code_verifier": grant.verifier, **override}
    return await http.post(f"{base}/token", data=form)


async def tokens_for(base: str, **kwargs: Any) -> Grant:
    grant = await code_for(base, **kwargs)
    async with httpx.AsyncClient() as http:
        response = await exchange(http, base, grant)
    assert response.status_code == 200, response.text
    grant.access_token = response.json()["access_token"]
    grant.refresh_token = response.json()["refresh_token"]
    return grant


MCP_HEADERS = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"}
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
              "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                         "clientInfo": {"name": "raw", "version": "1"}}}


async def open_session(http: httpx.AsyncClient, base: str, token: str) -> httpx.Response:
    return await http.post(f"{base}/mcp", json=INITIALIZE,
                           headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"})
