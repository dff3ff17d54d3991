"""SIGTERM/SIGINT end the server gracefully: in-flight calls finish, the process exits 0.

Real processes: ``python -m cal_mcp --transport http`` pointed at a fake Cal that answers after
a second, and ``python -m cal_mcp`` on stdio.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from tests.conftest import free_port
from tests.fake_upstream import Child, Delay, FakeUpstream, child_env, json_reply, start_child, wait_until_healthy

pytestmark = pytest.mark.slow

SLOW_ME = {"id": 1001, "username": "slow.answer"}
EXIT_BOUND = 10.0  # seconds from the signal to the exit


@pytest.fixture
def slow_cal() -> Iterator[FakeUpstream]:
    with FakeUpstream() as cal:
        cal.program(Delay(1.0, json_reply(200, {"status": "success", "data": SLOW_ME})), method="GET", path="/v2/me")
        yield cal


def env_for(cal: FakeUpstream) -> dict[str, str]:
    return child_env(CAL_API_KEY="cal_test_key", CAL_API_BASE_URL=cal.url, CAL_MCP_RATE_LIMIT="0",
                     CAL_MCP_LOG_LEVEL="INFO")


async def wait_for_exit(child: Child, within: float) -> int:
    deadline = time.monotonic() + within
    while child.process.poll() is None:
        if time.monotonic() > deadline:
            child.process.kill()
            child.process.wait(5)
            raise AssertionError(f"still running {within} s after the signal:\n{child.stderr()}")
        await anyio.sleep(0.05)
    return child.process.returncode


async def wait_for_upstream_request(cal: FakeUpstream, path: str, within: float = 20) -> None:
    with anyio.fail_after(within):
        # The fake records on its own thread's loop: nothing here to await but the next look.
        while not cal.requests_to("GET", path):  # noqa: ASYNC110
            await anyio.sleep(0.02)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_signal_lets_the_call_in_flight_finish_and_the_http_server_exit_0(
    slow_cal: FakeUpstream, tmp_path: Path, sig: signal.Signals, mode: str
) -> None:
    port = free_port()
    child = start_child("cal_mcp", "--transport", "http", "--port", str(port), env=env_for(slow_cal),
                        stderr_path=tmp_path / "stderr.txt")
    try:
        await wait_until_healthy(child, f"http://127.0.0.1:{port}")
        outcome: dict[str, Any] = {}
        signalled_at = 0.0

        async def call() -> None:
            async with Client(f"http://127.0.0.1:{port}/mcp", mode=mode) as client:  # type: ignore[arg-type]
                # Listed first: a client that has not seen the tool lists tools again *after* the
                # call, and a new request to a server shutting down is rightly refused.
                await client.list_tools()
                outcome["result"] = await client.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})

        with anyio.fail_after(30):
            async with anyio.create_task_group() as group:
                group.start_soon(call)
                await wait_for_upstream_request(slow_cal, "/v2/me")  # the call is now in flight
                child.process.send_signal(sig)
                signalled_at = time.monotonic()
        code = await wait_for_exit(child, EXIT_BOUND)
    finally:
        if child.process.poll() is None:
            child.process.kill()
            child.process.wait(5)

    result = outcome["result"]
    assert not result.is_error, result
    assert result.structured_content["data"] == SLOW_ME
    assert code == 0, child.stderr()
    assert time.monotonic() - signalled_at < EXIT_BOUND
    assert "Traceback" not in child.stderr()


INITIALIZE = {
    "jsonrpc": "2.0", "id": 1, "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
}


async def started_stdio_server(tmp_path: Path, cal: FakeUpstream) -> Child:
    """A stdio server that has answered ``initialize`` (so it is past start-up and serving)."""
    child = start_child("cal_mcp", env=env_for(cal), stderr_path=tmp_path / "stderr.txt", pipes=True)
    assert child.process.stdin is not None and child.process.stdout is not None
    child.process.stdin.write((json.dumps(INITIALIZE) + "\n").encode())
    child.process.stdin.flush()
    stdout = child.process.stdout
    with anyio.fail_after(30):
        line = await anyio.to_thread.run_sync(stdout.readline, abandon_on_cancel=True)
    assert json.loads(line)["result"]["serverInfo"]["name"] == "cal-mcp", child.stderr()
    return child


@pytest.mark.parametrize("how", ["close-stdin", "SIGTERM", "SIGINT"])
async def test_the_stdio_server_exits_0_when_stdin_closes_or_on_a_signal(
    slow_cal: FakeUpstream, tmp_path: Path, how: str
) -> None:
    child = await started_stdio_server(tmp_path, slow_cal)
    try:
        assert child.process.stdin is not None
        if how == "close-stdin":
            child.process.stdin.close()
        else:
            child.process.send_signal(signal.SIGTERM if how == "SIGTERM" else signal.SIGINT)
        code = await wait_for_exit(child, EXIT_BOUND)
    finally:
        if child.process.poll() is None:
            child.process.kill()
            child.process.wait(5)
        for pipe in (child.process.stdin, child.process.stdout):
            if pipe is not None and not pipe.closed:
                pipe.close()
    assert code == 0, child.stderr()
    assert "Traceback" not in child.stderr()
