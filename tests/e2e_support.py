"""End-to-end harness: MCP client → cal-mcp (Streamable HTTP) → loopback HTTP → sandbox.

Each tool has cases in ``e2e_cases_*.py``: arguments built from the seeded sandbox data and a check
on the result (and on the sandbox state, for writes). The sandbox state is reset before every case,
and every raw Cal response is recorded so its shape can be checked against Cal's OpenAPI spec.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cal_mcp.sandbox.state import SandboxState

Check = Callable[[Any, SandboxState], None]


@dataclass(frozen=True)
class Case:
    """One call of one tool against freshly seeded sandbox state.

    ``check(data, state)`` asserts on the result's ``data`` (and on ``state`` for writes).
    ``error_status`` makes it a case that must fail with that Cal status (a checked error path); its
    ``check`` runs only when marked with ``on_error``, and then gets the result's ``error`` object
    (message, hint, …) instead of ``data``. ``refused_here`` makes it a case the server refuses before
    sending anything, because Cal's rules (the spec's ``calRules``) would refuse it; ``check`` as for
    ``error_status``.
    """

    tool: str
    args: dict[str, Any]
    check: Check
    id: str = ""
    error_status: int | None = None
    setup: Callable[[SandboxState], None] | None = None
    refused_here: bool = False

    @property
    def succeeds(self) -> bool:
        """Whether the call must reach the sandbox and succeed (neither kind of error case)."""
        return self.error_status is None and not self.refused_here

    @property
    def name(self) -> str:
        return f"{self.tool}{'-' + self.id if self.id else ''}"


def on_error(check: Check) -> Check:
    """Mark a check as one for an error case: it asserts on the ``error`` object (e.g. the hint) and state."""
    check.on_error = True  # type: ignore[attr-defined]
    return check


@dataclass
class Exchange:
    method: str
    path: str
    status: int
    body: Any


@dataclass
class Recorder:
    """ASGI middleware keeping every sandbox response (method, path, status, parsed JSON body)."""

    app: ASGIApp
    exchanges: list[Exchange] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 0
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    # Recorded before the last byte leaves: once the client has the answer, so does the test.
                    self.exchanges.append(Exchange(scope["method"], scope["path"], status, _parse(b"".join(chunks))))
            await send(message)

        await self.app(scope, receive, capture)


def _parse(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode(errors="replace")
