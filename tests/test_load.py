"""Many clients at once, then Cal going away and coming back, against a standalone sandbox process.

cal-mcp serves Streamable HTTP from uvicorn on loopback (in a thread); Cal is
``python -m cal_mcp.sandbox`` in its own process, so it can be killed and restarted on the same
port while cal-mcp keeps running.
"""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client

from cal_mcp.app import CalMcpApp
from cal_mcp.config import Settings
from cal_mcp.registry import Registry
from cal_mcp.transports import http_app
from tests.conftest import free_port, serve_in_thread
from tests.fake_upstream import Child, child_env, start_child, wait_until_healthy

pytestmark = pytest.mark.slow

CLIENTS = 20
NOW = "2026-11-23T08:00:00Z"
KEY = "cal_test_key"
# The sandbox's /healthz sits behind its API-key check; /v2/timezones is public, like Cal's.
READY_PATH = "/v2/timezones"


class Sandbox:
    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.tmp_path = tmp_path
        self.starts = 0
        self.child: Child | None = None

    async def start(self) -> None:
        self.starts += 1
        self.child = start_child("cal_mcp.sandbox", "--port", str(self.port), "--now", NOW, env=child_env(),
                                 stderr_path=self.tmp_path / f"sandbox-{self.starts}.txt")
        await wait_until_healthy(self.child, self.url, READY_PATH)

    def kill(self) -> None:
        assert self.child is not None
        self.child.process.send_signal(signal.SIGKILL)
        self.child.process.wait(10)

    async def bookings(self) -> list[dict[str, Any]]:
        async with httpx.AsyncClient(base_url=self.url) as http:
            answer = await http.get("/v2/bookings", params={"take": 250},
                                    headers={"Authorization": f"Bearer {KEY}", "cal-api-version": "2024-08-13"})
        answer.raise_for_status()
        found: list[dict[str, Any]] = answer.json()["data"]
        return found


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    cal = Sandbox(tmp_path)
    await cal.start()
    try:
        yield cal
    finally:
        if cal.child is not None and cal.child.process.poll() is None:
            cal.kill()


@pytest.fixture
def mcp_url(sandbox: Sandbox, registry: Registry) -> Iterator[str]:
    settings = Settings(api_key=KEY, base_url=sandbox.url, rate_limit_per_minute=0, sandbox=False,
                        timeout=10, connect_timeout=1, read_timeout=5, max_retries=1)
    port = free_port()
    with serve_in_thread(http_app(CalMcpApp(settings, registry), port=port), port=port) as url:
        yield f"{url}/mcp"


def data(result: Any) -> Any:
    assert not result.is_error, result.content[0].text
    return result.structured_content["data"]


async def distinct_slots(url: str, count: int) -> tuple[int, list[str]]:
    """An event type and ``count`` start times that do not overlap one another."""
    async with Client(url) as client:
        event_types = data(await client.call_tool("CAL_LIST_EVENT_TYPES", {}))
        plain = next(e for e in event_types if not e.get("requiresConfirmation") and not e.get("recurrence"))
        length = int(plain.get("lengthInMinutes") or plain.get("length") or 30)
        slots = data(await client.call_tool("CAL_GET_AVAILABLE_SLOTS_INFO", {
            "eventTypeId": plain["id"], "start": "2026-11-25", "end": "2026-11-27", "timeZone": "UTC"}))
    starts = sorted(slot["start"] for day in slots.values() for slot in day)
    chosen: list[str] = []
    last: datetime | None = None
    for start in starts:
        at = datetime.fromisoformat(start.replace("Z", "+00:00"))
        if last is None or (at - last).total_seconds() >= length * 60:
            chosen.append(start)
            last = at
    assert len(chosen) >= count, f"only {len(chosen)} free, non-overlapping slots"
    return int(plain["id"]), chosen[:count]


def email(i: int) -> str:
    return f"load.{i}@example.com"


async def test_concurrent_clients_book_distinct_slots_and_survive_an_outage(sandbox: Sandbox, mcp_url: str) -> None:
    event_type, starts = await distinct_slots(mcp_url, CLIENTS + 1)
    results: dict[int, Any] = {}

    async def book(i: int) -> None:
        mode = "auto" if i % 2 else "legacy"
        async with Client(mcp_url, mode=mode) as client:  # type: ignore[arg-type]
            results[i] = await client.call_tool("CAL_POST_NEW_BOOKING_REQUEST", {
                "start": starts[i], "eventTypeId": event_type,
                "attendee": {"name": f"Load {i}", "email": email(i), "timeZone": "UTC"}})

    with anyio.fail_after(60):
        async with anyio.create_task_group() as group:
            for i in range(CLIENTS):
                group.start_soon(book, i)

    # Every call answered, every booking made once: none lost, none doubled.
    assert sorted(results) == list(range(CLIENTS))
    for i, result in results.items():
        booking = data(result)
        assert booking["status"] == "accepted"
        assert booking["start"].startswith(starts[i][:16])
    stored = [b for b in await sandbox.bookings() if any(a.get("email", "").startswith("load.")
                                                          for a in b.get("attendees", []))]
    by_email: dict[str, list[dict[str, Any]]] = {}
    for booking in stored:
        for attendee in booking["attendees"]:
            by_email.setdefault(attendee["email"], []).append(booking)
    assert sorted(by_email) == sorted(email(i) for i in range(CLIENTS))
    assert all(len(found) == 1 for found in by_email.values()), by_email
    assert len({b["uid"] for b in stored}) == CLIENTS

    # Cal dies while reads are running: each call is answered, as data or as a clean "unreachable".
    outcomes: list[Any] = []
    killed = anyio.Event()

    async def keep_reading() -> None:
        async with Client(mcp_url) as client:
            while not killed.is_set() or len(outcomes) < 40:
                outcomes.append(await client.call_tool("CAL_RETRIEVE_MY_INFORMATION", {}))

    with anyio.fail_after(60):
        async with anyio.create_task_group() as group:
            for _ in range(4):
                group.start_soon(keep_reading)
            while len(outcomes) < 8:  # noqa: ASYNC110 (the readers append; nothing to wait on)
                await anyio.sleep(0.01)
            sandbox.kill()
            killed.set()
    kinds = [r.structured_content["error"]["kind"] if r.is_error else "ok" for r in outcomes]
    assert set(kinds) <= {"ok", "unreachable"}, kinds
    assert "unreachable" in kinds

    # During the outage: reads and a booking are refused cleanly (nothing was sent: not "outcome unknown").
    async with Client(mcp_url) as client:
        down = [await client.call_tool("CAL_FETCH_ALL_BOOKINGS", {}), await client.call_tool(
            "CAL_POST_NEW_BOOKING_REQUEST", {"start": starts[CLIENTS], "eventTypeId": event_type,
                                             "attendee": {"name": "Late", "email": "late@example.com",
                                                          "timeZone": "UTC"}})]
    for result in down:
        error = result.structured_content["error"]
        assert result.is_error and error["kind"] == "unreachable", error
        assert "Traceback" not in result.content[0].text

    # Cal comes back on the same port: the same cal-mcp server serves again, writes included.
    await sandbox.start()
    async with Client(mcp_url) as client:
        me = data(await client.call_tool("CAL_RETRIEVE_MY_INFORMATION", {}))
        assert me["username"]
        booking = data(await client.call_tool("CAL_POST_NEW_BOOKING_REQUEST", {
            "start": starts[CLIENTS], "eventTypeId": event_type,
            "attendee": {"name": "After", "email": "after@example.com", "timeZone": "UTC"}}))
    assert booking["status"] == "accepted"
    assert [b["uid"] for b in await sandbox.bookings() if b["uid"] == booking["uid"]] == [booking["uid"]]
