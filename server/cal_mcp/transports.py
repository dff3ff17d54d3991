"""stdio, and SSE + Streamable HTTP in one Starlette app, with Host/Origin checks and bearer auth."""

from __future__ import annotations

import contextlib
import hmac
import logging
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
import anyio.from_thread
import anyio.lowlevel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from cal_mcp.http_limits import Clock, RequestGuard, SessionActivity, header_deadline_protocol, refusal_response
from cal_mcp.jsonrpc_guard import INTERNAL_ERROR, Refusal
from cal_mcp.stdio_lines import StdinLines
from cal_mcp.tool_selection import SelectionGate, selection_routes

if TYPE_CHECKING:
    from cal_mcp.app import CalMcpApp
    from cal_mcp.auth.wiring import OAuthMode
    from cal_mcp.config import Settings

log = logging.getLogger("cal_mcp.transport")

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
OPEN_PATHS = ("/healthz",)


def is_loopback(host: str) -> bool:
    return host in LOOPBACK_HOSTS or host.startswith("127.")


async def _cancel_on_signal(scope: anyio.CancelScope) -> None:
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async for received in signals:
            log.info("%s received: stopping", signal.Signals(received).name)
            scope.cancel()
            return


async def run_stdio(app: CalMcpApp) -> None:
    """Serve until stdin closes, or SIGTERM/SIGINT arrives; either way a clean exit (status 0)."""
    from mcp.server.stdio import stdio_server

    server = app.build_server()
    main_thread = threading.current_thread() is threading.main_thread()
    stdin = StdinLines(app.settings.max_request_bytes)
    stdin.start()
    try:
        async with anyio.create_task_group() as group:
            if main_thread and sys.platform != "win32":  # no asyncio signal handlers on Windows
                group.start_soon(_cancel_on_signal, group.cancel_scope)
            async with stdio_server(stdin=stdin) as (read, write):  # type: ignore[arg-type]
                stdin.attach(write)
                await server.run(read, write, server.create_initialization_options())
            group.cancel_scope.cancel()
    finally:
        await app.aclose()


class BearerAuth:
    """Requires ``Authorization: Bearer <CAL_MCP_AUTH_TOKEN>`` on every path but the health check."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._expected = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        scheme, _, credentials = Request(scope).headers.get("authorization", "").partition(" ")
        # The scheme name is case-insensitive (RFC 6750 §2.1 via RFC 9110 §11.1); the token is not.
        # Constant-time: the comparison must not reveal how much of a guess was right.
        if scheme.lower() == "bearer" and hmac.compare_digest(credentials.lstrip(" ").encode(), self._expected):
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
    clock: Clock = time.monotonic,
    oauth: OAuthMode | None = None,
) -> Starlette:
    """Streamable HTTP at ``/mcp``, legacy SSE at ``GET /sse`` + ``POST /messages/``, and ``/healthz``.

    ``clock`` times session idleness and body deadlines; ``app.state.sessions`` reaps idle sessions.
    ``oauth`` (``--auth oauth``): its routes are added and every MCP endpoint requires one of its tokens.
    """
    from mcp.server.sse import SseServerTransport
    from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
    from starlette.routing import request_response

    from cal_mcp.logs import quiet_sdk_noise

    quiet_sdk_noise()  # stateless mode: no "Terminating session: None" per request
    settings = app.settings
    server = app.build_server()
    security = security_settings(host, port, extra_hosts)
    manager = StreamableHTTPSessionManager(
        app=server,
        stateless=stateless,
        json_response=json_response,
        security_settings=security,
        max_request_body_size=settings.max_request_bytes,
        max_sessions=settings.max_sessions,  # beyond it: 503 {"error": {"message": "Too many open sessions"}}
        session_idle_timeout=None,  # SessionActivity below reaps idle sessions (the same rule, on `clock`)
    )
    sse = SseServerTransport("/messages/", security_settings=security,
                             max_request_body_size=settings.max_request_bytes)

    async def end_session(session_id: str) -> None:
        # The SDK has no public way to end a session by id; its transport's terminate() ends the session's
        # server task, which then forgets the session (later requests with its id get 404).
        transport = manager._server_instances.get(session_id)
        if transport is not None:
            await transport.terminate()

    sessions = SessionActivity(StreamableHTTPASGIApp(manager), idle_timeout=settings.session_idle_timeout,
                               end_session=end_session, clock=clock)

    def guarded(inner: ASGIApp) -> RequestGuard:
        return RequestGuard(inner, max_bytes=settings.max_request_bytes, body_timeout=settings.body_timeout,
                            clock=clock)

    sse_streams = 0

    async def handle_sse(request: Request) -> Response:
        nonlocal sse_streams
        if sse_streams >= settings.max_sessions:  # the SDK's SSE transport has no cap of its own
            log.warning("refusing a new SSE stream: %d are open", sse_streams)
            refusal = Refusal(INTERNAL_ERROR, f"Too many open sessions (CAL_MCP_MAX_SESSIONS={settings.max_sessions})")
            return refusal_response(refusal, 503)
        sse_streams += 1
        try:
            async with sse.connect_sse(request.scope, request.receive, request._send) as (read, write):
                await server.run(read, write, server.create_initialization_options())
        finally:
            sse_streams -= 1
        return Response()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "tools": len(app.registry.specs), "sandbox": app.settings.sandbox})

    def protect(endpoint: ASGIApp) -> ASGIApp:
        return oauth.protect(endpoint) if oauth is not None else endpoint

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if oauth is not None:
            await oauth.start()
        async with manager.run(), anyio.create_task_group() as reaper:
            if not stateless:
                reaper.start_soon(sessions.reap_every, max(0.5, min(30.0, settings.session_idle_timeout / 4)))
            try:
                yield
            finally:
                reaper.cancel_scope.cancel()
                with anyio.CancelScope(shield=True):  # the cancel above reaches this block too: shield the closing
                    await app.aclose()
                    if oauth is not None:
                        await oauth.stop()

    # /mcp, and /mcp/x/<toolsets>[/readonly], /mcp/readonly: per-request tool selection (tool_selection.py)
    served_toolsets = tuple(app.registry.toolsets)
    selecting = SelectionGate(guarded(sessions), lambda: served_toolsets,
                              is_live=lambda session_id: session_id in manager._server_instances)
    starlette = Starlette(
        routes=[
            *selection_routes(protect(selecting)),
            Route("/sse", endpoint=handle_sse if oauth is None else oauth.protect(request_response(handle_sse)),
                  methods=["GET"]),
            Mount("/messages/", app=protect(guarded(sse.handle_post_message))),
            Route("/healthz", endpoint=healthz, methods=["GET"]),
            *(oauth.routes() if oauth is not None else ()),
        ],
        lifespan=lifespan,
    )
    starlette.state.sessions = sessions
    token = app.settings.auth_token
    if token is not None and oauth is None:
        starlette.add_middleware(BearerAuth, token=token.get_secret_value())
    return starlette


class _CallsInFlight:
    """Counts the POSTs being answered: every call arrives as one; the long-lived GET streams do not."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.count = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        self.count += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.count -= 1


def run_http(app: CalMcpApp, *, host: str, port: int, stateless: bool = False, json_response: bool = False,
             extra_hosts: Sequence[str] = (), shutdown_grace: int = 10, oauth: OAuthMode | None = None) -> None:
    import uvicorn

    asgi = http_app(app, host=host, port=port, stateless=stateless, json_response=json_response,
                    extra_hosts=extra_hosts, oauth=oauth)
    calls = _CallsInFlight(asgi)

    class GracefulServer(uvicorn.Server):
        """On SIGTERM/SIGINT: stop accepting, let the calls in flight finish, then end the streams.

        sse-starlette would end every SSE response the moment the signal arrives, including a
        Streamable HTTP call still waiting for Cal; its automatic drain is off here and the
        remaining (idle) streams are ended only once the calls have been answered.
        """

        async def shutdown(self, sockets: list[Any] | None = None) -> None:
            for listener in self.servers:
                listener.close()
            deadline = time.monotonic() + shutdown_grace
            if calls.count:
                log.info("shutting down: waiting for %d call(s) in flight", calls.count)
            # Polled, as uvicorn polls: a second Ctrl-C (force_exit) must end the wait as well.
            while calls.count and time.monotonic() < deadline and not self.force_exit:  # noqa: ASYNC110
                await anyio.sleep(0.05)
            _end_sse_streams()
            await super().shutdown(sockets)

    server = GracefulServer(uvicorn_config(calls, app.settings, host=host, port=port, shutdown_grace=shutdown_grace))
    if threading.current_thread() is not threading.main_thread():
        server.run()
        return
    _hold_sse_streams()
    # uvicorn handles SIGTERM/SIGINT itself (graceful shutdown), then raises the signal again for
    # the handler that was there before it; with Python's defaults that kills the process (-15) or
    # raises KeyboardInterrupt. This handler turns that second delivery, or a signal arriving
    # before uvicorn listens, into a clean exit with status 0.
    previous = {sig: signal.signal(sig, _exit_cleanly) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        server.run()
    except SystemExit as stop:
        if stop.code not in (0, None):
            raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def uvicorn_config(asgi: ASGIApp, settings: Settings, *, host: str, port: int, shutdown_grace: int) -> Any:
    """uvicorn's settings: connection cap (503 beyond it), header deadline, graceful shutdown."""
    import uvicorn

    return uvicorn.Config(
        asgi,
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=shutdown_grace,
        lifespan="on",
        limit_concurrency=settings.max_connections,
        http=header_deadline_protocol(settings.header_timeout),
    )


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _hold_sse_streams() -> None:
    with contextlib.suppress(ImportError):
        from sse_starlette.sse import AppStatus

        AppStatus.disable_automatic_graceful_drain()


def _end_sse_streams() -> None:
    with contextlib.suppress(ImportError):
        from sse_starlette.sse import AppStatus

        AppStatus.should_exit = True
