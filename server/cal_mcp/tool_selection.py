"""Per-request tool selection over Streamable HTTP, as github-mcp-server's remote server offers it.

One server can serve clients with different needs: a client narrows the tools it sees with the
URL (``/mcp/x/bookings,slots``, ``/mcp/readonly``, ``/mcp/x/bookings/readonly``) or with headers
(``X-MCP-Toolsets: bookings,slots``, ``X-MCP-Readonly: true``); both may be given and both narrow.
A client can only narrow what the server was started with, never widen it: a toolset the server
does not serve is refused with 400 and the valid names. A stateful session keeps the selection it
was opened with; later requests of the session cannot change it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SELECTION_STATE_KEY = "cal_mcp.selection"
TOOLSETS_HEADER = "x-mcp-toolsets"
READONLY_HEADER = "x-mcp-readonly"
SESSION_HEADER = "mcp-session-id"
TRUE_WORDS = ("1", "true", "yes", "on")
ALL = "all"


@dataclass(frozen=True)
class Selection:
    toolsets: frozenset[str] | None = None  # None: every toolset the server serves
    read_only: bool = False

    @property
    def is_everything(self) -> bool:
        return self.toolsets is None and not self.read_only

    def narrowed(self, other: Selection) -> Selection:
        if self.toolsets is None or other.toolsets is None:
            toolsets = self.toolsets if other.toolsets is None else other.toolsets
        else:
            toolsets = self.toolsets & other.toolsets
        return Selection(toolsets, self.read_only or other.read_only)


class SelectionRefused(ValueError):
    """The URL or headers ask for something this server cannot give; the message says what is valid."""


def _names(value: str) -> frozenset[str] | None:
    names = frozenset(part.strip() for part in value.split(",") if part.strip())
    return None if not names or ALL in names else names


def parse_path(tail: str) -> Selection:
    """``""``, ``readonly``, ``x/<toolsets>`` or ``x/<toolsets>/readonly`` (the part after ``/mcp/``)."""
    parts = [p for p in tail.strip("/").split("/") if p]
    read_only = bool(parts) and parts[-1] == "readonly"
    if read_only:
        parts = parts[:-1]
    if not parts:
        return Selection(read_only=read_only)
    if len(parts) == 2 and parts[0] == "x":
        return Selection(_names(parts[1]), read_only)
    raise SelectionRefused(
        f"unknown path /mcp/{tail.strip('/')}; use /mcp, /mcp/readonly, /mcp/x/<toolsets> or /mcp/x/<toolsets>/readonly"
    )


def parse_headers(headers: Headers) -> Selection:
    toolsets = _names(headers.get(TOOLSETS_HEADER, ""))
    read_only = headers.get(READONLY_HEADER, "").strip().lower() in TRUE_WORDS
    return Selection(toolsets, read_only)


def check(selection: Selection, served: Iterable[str]) -> None:
    served_names = sorted(served)
    unknown = sorted((selection.toolsets or frozenset()) - set(served_names))
    if unknown:
        raise SelectionRefused(
            f"toolset(s) {', '.join(unknown)} not served here; valid: {', '.join(served_names)} (or all)"
        )


class SelectionGate:
    """In front of the Streamable HTTP endpoint: reads the selection, refuses a bad one, and puts it in
    the request's ASGI state (``scope["state"][SELECTION_STATE_KEY]``) where the tool handlers read it.

    ``is_live(session_id)`` tells which recorded sessions still exist, so ended ones are forgotten.
    """

    def __init__(self, app: ASGIApp, served_toolsets: Callable[[], Iterable[str]], *,
                 is_live: Callable[[str], bool], prefix: str = "/mcp") -> None:
        self.app = app
        self.served_toolsets = served_toolsets
        self.is_live = is_live
        self.prefix = prefix
        self._by_session: dict[str, Selection | None] = {}
        self._recorded_since_prune = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        try:
            tail = scope["path"][len(self.prefix):] if scope["path"].startswith(self.prefix) else ""
            selection: Selection | None = parse_path(tail).narrowed(parse_headers(headers))
            check(selection, self.served_toolsets())  # type: ignore[arg-type]
        except SelectionRefused as refused:
            await _refuse(str(refused), scope, receive, send)
            return
        if selection is not None and selection.is_everything:
            selection = None
        session_id = headers.get(SESSION_HEADER)
        if session_id is not None and session_id in self._by_session:
            selection = self._by_session[session_id]  # fixed when the session was opened
        scope.setdefault("state", {})[SELECTION_STATE_KEY] = selection
        if session_id is None and scope["method"] == "POST":
            send = self._recording(send, selection)
        await self.app(scope, receive, send)
        if session_id is not None and scope["method"] == "DELETE":
            self._by_session.pop(session_id, None)

    def _recording(self, send: Send, selection: Selection | None) -> Send:
        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                opened = Headers(raw=message.get("headers", [])).get(SESSION_HEADER)
                if opened is not None:
                    self._record(opened, selection)
            await send(message)

        return record

    def _record(self, session_id: str, selection: Selection | None) -> None:
        self._by_session[session_id] = selection
        self._recorded_since_prune += 1
        if self._recorded_since_prune >= 64:  # sessions also end by idling out: forget those now and then
            self._recorded_since_prune = 0
            for gone in [sid for sid in self._by_session if not self.is_live(sid)]:
                del self._by_session[gone]


async def _refuse(message: str, scope: Scope, receive: Receive, send: Send) -> None:
    from cal_mcp.http_limits import refusal_response
    from cal_mcp.jsonrpc_guard import INVALID_REQUEST, Refusal

    response = refusal_response(Refusal(INVALID_REQUEST, message), 400)
    await response(scope, receive, send)


def selection_routes(endpoint: Any, prefix: str = "/mcp") -> list[Any]:
    """The routes that serve Streamable HTTP: ``/mcp`` itself and every selection path under it."""
    from starlette.routing import Route

    return [Route(prefix, endpoint=endpoint), Route(prefix + "/{selection:path}", endpoint=endpoint)]
