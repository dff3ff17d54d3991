"""What one HTTP client can hold: request bodies (size, time, JSON-RPC shape), header time, idle sessions.

* ``RequestGuard`` reads a POST body whole before the SDK sees it: at most ``max_bytes`` (413), within
  ``body_timeout`` seconds of the request's start (408, connection closed), and one JSON-RPC message
  (else 400 with -32700/-32600; see ``jsonrpc_guard`` for the SDK behaviours this works around).
* ``SessionActivity`` watches Streamable HTTP sessions (the ``Mcp-Session-Id`` of each request and of each
  answer that opens one) and ``reap`` ends those with no request in flight for ``idle_timeout`` seconds,
  as read from an injectable clock. An open GET stream is a request in flight, as in the SDK.
* ``header_deadline_protocol`` is uvicorn's h11 protocol with a deadline on request headers: uvicorn times
  out idle keep-alive connections only after a first answer, so a connection that sends nothing, or its
  headers a byte at a time, would otherwise stay open for good.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cal_mcp.asgi_body import replay
from cal_mcp.jsonrpc_guard import INVALID_REQUEST, Refusal, check_message

log = logging.getLogger("cal_mcp.transport")

Clock = Callable[[], float]
SESSION_HEADER = "mcp-session-id"


def refusal_response(refusal: Refusal, status_code: int, headers: dict[str, str] | None = None) -> Response:
    return Response(refusal.to_json(), status_code=status_code, media_type="application/json", headers=headers)


class _TooSlow(Exception):
    pass


class RequestGuard:
    """A POST body read whole, bounded in size and time, and checked as one JSON-RPC message before ``app``."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, body_timeout: float, clock: Clock = time.monotonic) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.body_timeout = body_timeout
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        deadline = self.clock() + self.body_timeout
        parts: list[bytes] = []
        size = 0
        more = True
        try:
            while more:
                message = await self._receive_by(deadline, receive)
                if message["type"] != "http.request":
                    return  # the client went away
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.max_bytes:
                    await self._too_large(scope, receive, send)
                    return
                parts.append(chunk)
                more = message.get("more_body", False)
        except _TooSlow:
            log.info("request body not complete within %ss: answered 408", self.body_timeout)
            too_slow = Refusal(INVALID_REQUEST, f"Request body not received within {self.body_timeout:g} s")
            await refusal_response(too_slow, 408, {"Connection": "close"})(scope, receive, send)
            return
        body = b"".join(parts)
        refusal = check_message(body)
        if refusal is not None:
            await refusal_response(refusal, 400)(scope, receive, send)
            return
        await self.app(scope, replay(body, receive), send)

    async def _receive_by(self, deadline: float, receive: Receive) -> Message:
        remaining = deadline - self.clock()
        if remaining <= 0:
            raise _TooSlow
        with anyio.move_on_after(remaining):
            return await receive()
        raise _TooSlow

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = Refusal(INVALID_REQUEST, f"Request body too large: at most {self.max_bytes} bytes "
                                           "(CAL_MCP_MAX_REQUEST_BYTES)")
        # The connection stays open: closing it while the client still writes would reset it before the
        # client reads this answer; uvicorn discards the rest of the body.
        await refusal_response(refusal, 413)(scope, receive, send)


@dataclass
class _Session:
    end: Callable[[], Awaitable[None]]
    last_active: float
    in_flight: int = 0


class SessionActivity:
    """Streamable HTTP sessions' activity, seen from the requests that carry their id; ``reap`` ends idle ones."""

    def __init__(self, app: ASGIApp, *, idle_timeout: float, end_session: Callable[[str], Awaitable[None]],
                 clock: Clock = time.monotonic) -> None:
        self.app = app
        self.idle_timeout = idle_timeout
        self.clock = clock
        self._end_session = end_session
        self.sessions: dict[str, _Session] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        session_id = Headers(scope=scope).get(SESSION_HEADER)
        held = self.sessions.get(session_id) if session_id else None
        if held is not None:
            held.in_flight += 1

        async def watch(message: Message) -> None:
            nonlocal held, session_id
            if message["type"] == "http.response.start":
                status = message["status"]
                if held is None and status < 400:
                    opened = Headers(raw=message.get("headers", [])).get(SESSION_HEADER)
                    if opened and opened not in self.sessions:
                        session_id = opened
                        held = self.sessions[opened] = _Session(self._ender(opened), self.clock(), 1)
                elif held is not None and status == 404 and session_id:
                    self.sessions.pop(session_id, None)  # the SDK no longer knows it
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            if held is not None:
                held.in_flight -= 1
                held.last_active = self.clock()
                if scope["method"] == "DELETE" and session_id:
                    self.sessions.pop(session_id, None)

    def _ender(self, session_id: str) -> Callable[[], Awaitable[None]]:
        async def end() -> None:
            await self._end_session(session_id)

        return end

    async def reap(self) -> list[str]:
        """End every session idle for ``idle_timeout`` or more; returns their ids."""
        now = self.clock()
        idle = [sid for sid, s in self.sessions.items() if not s.in_flight and now - s.last_active >= self.idle_timeout]
        for session_id in idle:
            session = self.sessions.pop(session_id)
            log.info("session %s… idle for %.0f s: closed", session_id[:8], now - session.last_active)
            await session.end()
        return idle

    async def reap_every(self, interval: float) -> None:
        while True:
            await anyio.sleep(interval)
            await self.reap()


def header_deadline_protocol(header_timeout: float) -> type[Any]:
    """uvicorn's h11 protocol, closing a connection whose next request's headers are not in within the timeout.

    The clock runs from the connection's start and from the end of each answer, and stops once a request's
    headers are complete (the body has its own deadline in ``RequestGuard``).
    """
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeaderDeadlineH11Protocol(H11Protocol):
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm_header_timer()

        def handle_events(self) -> None:
            super().handle_events()
            if self.conn.their_state is not h11.IDLE:  # a request line and headers have arrived
                self._disarm_header_timer()

        def on_response_complete(self) -> None:
            self._arm_header_timer()
            super().on_response_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm_header_timer()
            super().connection_lost(exc)

        def _arm_header_timer(self) -> None:
            self._disarm_header_timer()
            self._header_timer = self.loop.call_later(header_timeout, self._headers_too_slow)

        def _disarm_header_timer(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_too_slow(self) -> None:
            self._header_timer = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                log.info("no request headers within %ss: connection closed", header_timeout)
                self.transport.close()

    return HeaderDeadlineH11Protocol
