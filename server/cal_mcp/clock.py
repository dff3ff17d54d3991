"""The server's notion of "now", injectable: tests pass a frozen clock, the CLI uses the wall clock.

Any object with ``now() -> aware datetime`` will do; the sandbox's ``FrozenClock`` is one, and in
``--sandbox`` mode the server and the embedded sandbox share one clock, so "now" agrees with the slots.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class WallClock:
    """The system's time, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)
