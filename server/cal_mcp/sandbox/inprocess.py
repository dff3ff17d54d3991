"""The sandbox inside the server process (``cal-mcp --sandbox``): an httpx ASGI transport, no port."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import httpx

from cal_mcp.sandbox.app import create_app
from cal_mcp.sandbox.clock import Clock
from cal_mcp.sandbox.seeds import new_state
from cal_mcp.sandbox.state import SandboxState


class _HasNow(Protocol):
    def now(self) -> datetime: ...


class _SharedClock(Clock):
    """The server's clock as the sandbox's (any object with ``now()``), so both agree on "now"."""

    def __init__(self, source: _HasNow) -> None:
        self._source = source

    def now(self) -> datetime:
        return self._source.now()


def sandbox_transport(
    state: SandboxState | None = None, *, clock: _HasNow | None = None
) -> httpx.AsyncBaseTransport:
    """Wall-clock time by default, so the seeded bookings and free slots are around today."""
    if state is None:
        state = new_state(clock=_SharedClock(clock) if clock is not None else Clock())
    return httpx.ASGITransport(app=create_app(state))
