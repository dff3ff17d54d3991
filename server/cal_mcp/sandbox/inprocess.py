"""The sandbox inside the server process (``cal-mcp --sandbox``): an httpx ASGI transport, no port."""

from __future__ import annotations

import httpx

from cal_mcp.sandbox.app import create_app
from cal_mcp.sandbox.clock import Clock
from cal_mcp.sandbox.seeds import new_state
from cal_mcp.sandbox.state import SandboxState


def sandbox_transport(state: SandboxState | None = None) -> httpx.AsyncBaseTransport:
    """Wall-clock time by default, so the seeded bookings and free slots are around today."""
    return httpx.ASGITransport(app=create_app(state or new_state(clock=Clock())))
