"""The sandbox's whole world: named tables of JSON-like records, ID counters and a clock.

Records are stored in Cal's wire shape (what GET returns), so routes stay thin. Seeding is
deterministic: the same ``seed`` and clock give the same data, and ``reset()`` goes back to it.
The state runs the seeders it is given and knows none itself: ``cal_mcp.sandbox.seeds.new_state()``
builds the seeded sandbox (``seeds.core``: user, event types, schedules, bookings, …;
``seeds.platform``: organization, teams, webhooks, calendars, OAuth client, …).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from cal_mcp.sandbox.clock import Clock, FrozenClock

Record = dict[str, Any]
Seeder = Callable[["SandboxState"], None]

# The seeded identity, shared by every area so that cross references line up.
USER_ID = 1001
USERNAME = "alex.sandbox"
USER_EMAIL = "alex@sandbox.cal.test"
USER_NAME = "Alex Sandbox"
USER_TIME_ZONE = "Europe/London"
ORG_ID = 501
ORG_SLUG = "sandbox-org"
OAUTH_CLIENT_ID = "sandbox-oauth-client"
OAUTH_CLIENT_SECRET = "sandbox-oauth-secret"  # a documented fake, like the API key
SANDBOX_API_KEY = "cal_sandbox_key"  # --sandbox supplies it; any non-empty key is accepted

# Where the seeded calendar starts when no clock is given: a fixed Monday, so tests are stable.
DEFAULT_EPOCH = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


class SandboxState:
    """``seeders`` run in order on every reset; without any the world starts empty."""

    def __init__(self, *, clock: Clock | None = None, seed: int = 0, seeders: Iterable[Seeder] = ()) -> None:
        self.clock: Clock = clock or FrozenClock(DEFAULT_EPOCH)
        self.seed = seed
        self.seeders: tuple[Seeder, ...] = tuple(seeders)
        self.tables: dict[str, dict[Any, Record]] = {}
        self._next_ids: dict[str, int] = {}
        self.random = random.Random(seed)
        self.reset()

    def reset(self) -> None:
        """Forget every change and seed again (same seeders, same seed, same clock)."""
        self.tables = {}
        self._next_ids = {}
        self.random = random.Random(self.seed)
        for seeder in self.seeders:
            seeder(self)

    def now(self) -> datetime:
        return self.clock.now()

    def table(self, name: str) -> dict[Any, Record]:
        return self.tables.setdefault(name, {})

    def new_id(self, name: str, start: int = 1) -> int:
        value = self._next_ids.get(name, start)
        self._next_ids[name] = value + 1
        return value

    def new_uid(self) -> str:
        """Deterministic UID-looking strings (Cal uses cuid/uuid; only uniqueness matters)."""
        return "".join(self.random.choice("abcdefghijkmnpqrstuvwxyz23456789") for _ in range(22))
