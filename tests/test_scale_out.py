"""Scale-out: two stateless Streamable HTTP processes behind one (simulated) load balancer, one Cal.

Both ``python -m cal_mcp --transport http --stateless --json-response`` processes point at one
standalone sandbox (``python -m cal_mcp.sandbox``), as a deployment's replicas share Cal. Every
request goes to the other process than the one before it, as a round-robin balancer sends them:
nothing may depend on landing where an earlier request landed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from itertools import cycle
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client

from tests.conftest import REPO, TOOL_COUNT, free_port
from tests.workflow import DAY

pytestmark = pytest.mark.slow

NOW = "2026-11-23T08:00:00Z"  # the sandbox's frozen clock; DAY (two days later) has free slots
JSON_RPC_HEADERS = {
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
    "MCP-Protocol-Version": "2025-11-25",
}


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as sink:
        return subprocess.Popen([sys.executable, *args], env=env, stdout=sink, stderr=subprocess.STDOUT)


def _wait_until_serving(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{proc.args} exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail(f"{proc.args} did not answer {url} within 30 s:\n{log.read_text(errors='replace')}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The /mcp URLs of two stateless cal-mcp processes sharing one sandbox Cal."""
    logs = tmp_path_factory.mktemp("scale_out")
    # The children run this checkout, whichever one the venv was installed from (as test_transports does).
    base_env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", ""),
                "PYTHONPATH": str(REPO / "server")}
    procs: list[subprocess.Popen[bytes]] = []
    try:
        cal_port = free_port()
        cal_log = logs / "sandbox.log"
        cal = _start(["-m", "cal_mcp.sandbox", "--port", str(cal_port), "--now", NOW], base_env, cal_log)
        procs.append(cal)
        cal_url = f"http://127.0.0.1:{cal_port}"
        _wait_until_serving(f"{cal_url}/v2/me", cal, cal_log)
        env = {**base_env, "CAL_API_BASE_URL": cal_url, "CAL_API_KEY": "cal_test_key", "CAL_MCP_RATE_LIMIT": "0",
               "CAL_MCP_LOG_LEVEL": "WARNING"}
        urls = []
        for name in ("a", "b"):
            port = free_port()
            log = logs / f"cal-mcp-{name}.log"
            proc = _start(["-m", "cal_mcp", "--transport", "http", "--stateless", "--json-response",
                           "--port", str(port)], env, log)
            procs.append(proc)
            _wait_until_serving(f"http://127.0.0.1:{port}/healthz", proc, log)
            urls.append(f"http://127.0.0.1:{port}/mcp")
        yield urls[0], urls[1]
    finally:
        for proc in reversed(procs):
            _stop(proc)


class RoundRobin:
    """Raw JSON-RPC POSTs, each to the next process: no initialize, no session, JSON answers."""

    def __init__(self, urls: tuple[str, str], http: httpx.Client) -> None:
        self._urls = cycle(urls)
        self._http = http
        self._ids = iter(range(1, 1_000_000))
        self.served_by: list[str] = []

    def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        url = next(self._urls)
        self.served_by.append(url)
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params or {}}
        response = self._http.post(url, headers=JSON_RPC_HEADERS, json=body)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        assert "mcp-session-id" not in response.headers  # stateless: nothing ties a client to a process
        reply: dict[str, Any] = response.json()
        assert "result" in reply, reply
        return reply["result"]  # type: ignore[no-any-return]

    def data(self, tool: str, arguments: dict[str, Any]) -> Any:
        result = self.request("tools/call", {"name": tool, "arguments": arguments})
        assert not result.get("isError"), result["content"][0]["text"]
        return result["structuredContent"]["data"]


def _free_slot(slots: dict[str, list[dict[str, Any]]]) -> str:
    starts = [slot["start"] for day_slots in slots.values() for slot in day_slots]
    assert starts, f"no free slot on {DAY}"
    return str(starts[0])


def test_a_booking_made_through_one_process_is_read_and_cancelled_through_the_other(
    replicas: tuple[str, str],
) -> None:
    with httpx.Client(timeout=30) as http:
        lb = RoundRobin(replicas, http)
        assert len(lb.request("tools/list")["tools"]) == TOOL_COUNT  # a
        event_type = next(e for e in lb.data("CAL_LIST_EVENT_TYPES", {}) if not e.get("requiresConfirmation"))  # b
        start = _free_slot(lb.data("CAL_GET_AVAILABLE_SLOTS_INFO", {  # a
            "eventTypeId": event_type["id"], "start": DAY, "end": DAY, "timeZone": "Europe/London"}))
        booking = lb.data("CAL_POST_NEW_BOOKING_REQUEST", {  # b
            "start": start, "eventTypeId": event_type["id"],
            "attendee": {"name": "Robin Round", "email": "robin@example.com", "timeZone": "Europe/Paris"}})
        uid = booking["uid"]
        seen = lb.data("CAL_RETRIEVE_BOOKING_DETAILS_BY_UID", {"bookingUid": uid})  # a
        assert seen["uid"] == uid and seen["status"] == "accepted"
        assert seen["attendees"][0]["email"] == "robin@example.com"
        lb.data("CAL_CANCEL_BOOKING_VIA_UID", {"bookingUid": uid, "cancellationReason": "scale-out test"})  # b
        assert lb.data("CAL_RETRIEVE_BOOKING_DETAILS_BY_UID", {"bookingUid": uid})["status"] == "cancelled"  # a
        # The slot taken through b and freed through b is offered again through a.
        slots = lb.data("CAL_GET_AVAILABLE_SLOTS_INFO", {  # b
            "eventTypeId": event_type["id"], "start": DAY, "end": DAY, "timeZone": "Europe/London"})
        assert start in [slot["start"] for day_slots in slots.values() for slot in day_slots]
    assert lb.served_by[0::2] == [replicas[0]] * len(lb.served_by[0::2])
    assert lb.served_by[1::2] == [replicas[1]] * len(lb.served_by[1::2])


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_sdk_clients_of_either_era_may_land_on_either_process(replicas: tuple[str, str], mode: str) -> None:
    """A client per request (2026-07-28 with auto, the 2025-11-25 handshake with legacy), alternating."""
    urls = cycle(replicas)

    async def call(tool: str, arguments: dict[str, Any]) -> Any:
        async with Client(next(urls), mode=mode) as client:  # type: ignore[arg-type]
            result = await client.call_tool(tool, arguments)
        assert not result.is_error, result.content
        assert result.structured_content is not None
        return result.structured_content["data"]

    event_type = next(e for e in await call("CAL_LIST_EVENT_TYPES", {}) if not e.get("requiresConfirmation"))
    start = _free_slot(await call("CAL_GET_AVAILABLE_SLOTS_INFO", {
        "eventTypeId": event_type["id"], "start": DAY, "end": DAY, "timeZone": "Europe/London"}))
    booking = await call("CAL_POST_NEW_BOOKING_REQUEST", {
        "start": start, "eventTypeId": event_type["id"],
        "attendee": {"name": "Sam Split", "email": f"sam.{mode}@example.com", "timeZone": "UTC"}})
    seen = await call("CAL_RETRIEVE_BOOKING_DETAILS_BY_UID", {"bookingUid": booking["uid"]})
    assert seen["uid"] == booking["uid"] and seen["status"] == "accepted"
    cancelled = await call("CAL_CANCEL_BOOKING_VIA_UID", {"bookingUid": booking["uid"], "cancellationReason": "test"})
    assert cancelled["status"] == "cancelled"
    assert (await call("CAL_RETRIEVE_BOOKING_DETAILS_BY_UID", {"bookingUid": booking["uid"]}))["status"] == "cancelled"
