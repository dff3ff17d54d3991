"""stdio, and SSE + Streamable HTTP in one Starlette app, with Host/Origin checks and bearer auth."""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from cal_mcp.app import CalMcpApp

log = logging.getLogger("cal_mcp.transport")

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
MAX_REQUEST_BYTES = 1_000_000  # a tool call's arguments are small; refuse megabyte bodies early
OPEN_PATHS = ("/healthz",)


def is_loopback(host: str) -> bool:
    return host in LOOPBACK_HOSTS or host.startswith("127.")


async def run_stdio(app: CalMcpApp) -> None:
    from mcp.server.stdio import stdio_server

    server = app.build_server()
    try:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())
    finally:
        await app.aclose()


class BearerAuth:
    """Requires ``Authorization: Bearer <CAL_MCP_AUTH_TOKEN>`` on every path but the health check."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        given = Request(scope).headers.get("authorization", "").encode()
        # Constant-time: the comparison must not reveal how much of a guess was right.
        if hmac.compare_digest(given, self._expected):
            await self.app(scope, receive, send)
            return
        response = JSONResponse(
            {"error": "invalid_token", "error_description": "Send Authorization: Bearer <CAL_MCP_AUTH_TOKEN>."},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="cal-mcp", error="invalid_token"'},
        )
        await response(scope, receive, send)


def security_settings(host: str, port: int, extra_hosts: Sequence[str] = ()) -> Any:
    """DNS-rebinding protection: loopback names always; other names only when listed."""
    from mcp.server.transport_security import TransportSecuritySettings

    names = [*LOOPBACK_HOSTS[:2], "[::1]", *extra_hosts]
    if not is_loopback(host) and host not in ("0.0.0.0", "::"):
        names.append(host)
    if host in ("0.0.0.0", "::") and not extra_hosts:
        # Bound to every interface with no list of public names: the Host header cannot be checked,
        # so bearer auth (required there) carries the protection.
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    allowed_hosts = [h for n in names for h in (n, f"{n}:*")]
    allowed_origins = [f"{scheme}://{h}" for scheme in ("http", "https") for h in allowed_hosts]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=allowed_hosts, allowed_origins=allowed_origins
    )


def http_app(
    app: CalMcpApp,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    stateless: bool = False,
    json_response: bool = False,
    extra_hosts: Sequence[str] = (),
) -> Starlette:
    """Streamable HTTP at ``/mcp``, legacy SSE at ``GET /sse`` + ``POST /messages/``, and ``/healthz``."""
    from mcp.server.sse import SseServerTransport
    from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager

    server = app.build_server()
    security = security_settings(host, port, extra_hosts)
    manager = StreamableHTTPSessionManager(
        app=server,
        stateless=stateless,
        json_response=json_response,
        security_settings=security,
        max_request_body_size=MAX_REQUEST_BYTES,
    )
    sse = SseServerTransport("/messages/", security_settings=security, max_request_body_size=MAX_REQUEST_BYTES)

    async def handle_sse(request: Request) -> Response:
        async with sse.connect_sse(request.scope, request.receive, request._send) as (read, write):
            await server.run(read, write, server.create_initialization_options())
        return Response()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "tools": len(app.registry.specs), "sandbox": app.settings.sandbox})

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with manager.run():
            try:
                yield
            finally:
                await app.aclose()

    starlette = Starlette(
        routes=[
            Route("/mcp", endpoint=StreamableHTTPASGIApp(manager)),
            Route("/sse", endpoint=handle_sse, methods=["GET"]),
            Mount("/messages/", app=sse.handle_post_message),
            Route("/healthz", endpoint=healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    token = app.settings.auth_token
    if token is not None:
        starlette.add_middleware(BearerAuth, token=token.get_secret_value())
    return starlette


def run_http(app: CalMcpApp, *, host: str, port: int, stateless: bool = False, json_response: bool = False,
             extra_hosts: Sequence[str] = (), shutdown_grace: int = 10) -> None:
    import uvicorn

    asgi = http_app(app, host=host, port=port, stateless=stateless, json_response=json_response,
                    extra_hosts=extra_hosts)
    config = uvicorn.Config(
        asgi,
        host=host,
        port=port,
        log_level="warning",
        # SIGTERM/SIGINT: stop accepting, let in-flight calls finish within the grace period, exit 0.
        timeout_graceful_shutdown=shutdown_grace,
        lifespan="on",
    )
    uvicorn.Server(config).run()
