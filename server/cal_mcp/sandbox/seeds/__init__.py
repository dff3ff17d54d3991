"""Deterministic seed data, one module per area; seeds build records through the stores only.

``new_state()`` is how the sandbox gets its seeded world: ``SandboxState`` itself knows no seeders.
"""

from __future__ import annotations

from cal_mcp.sandbox.clock import Clock
from cal_mcp.sandbox.seeds.core import seed_core
from cal_mcp.sandbox.seeds.platform import seed_platform
from cal_mcp.sandbox.seeds.routing_forms import seed_routing_forms
from cal_mcp.sandbox.state import SandboxState, Seeder

# In order: the platform seed reads the core's ``me`` and ``event_types`` tables; routing forms point at
# the platform's teams and team event types.
DEFAULT_SEEDERS: tuple[Seeder, ...] = (seed_core, seed_platform, seed_routing_forms)


def new_state(*, clock: Clock | None = None, seed: int = 0) -> SandboxState:
    """A sandbox seeded with the default data (the same ``seed`` and clock give the same data)."""
    return SandboxState(clock=clock, seed=seed, seeders=DEFAULT_SEEDERS)
