"""A clock tests drive by hand: ``sleep`` records the wait and moves time on instead of waiting.

Code that takes ``clock``/``sleep`` (the rate budget, the Cal client's retry policy) is checked
against the waits it asks for, so a loaded machine cannot make a timing test pass or fail.
"""

from __future__ import annotations

import anyio


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await anyio.lowlevel.checkpoint()  # still a scheduling point, as a real sleep is
