"""`--stateless` logs what matters, not the SDK's "Terminating session: None" on every request."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from mcp import Client

from cal_mcp.logs import quiet_sdk_noise
from tests.conftest import free_port
from tests.fake_upstream import child_env, start_child, wait_until_healthy


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_stateless_requests_do_not_each_log_a_session_termination(tmp_path: Path, mode: str) -> None:
    port = free_port()
    child = start_child("cal_mcp", "--sandbox", "--transport", "http", "--stateless", "--port", str(port),
                        "--log-level", "DEBUG", env=child_env(), stderr_path=tmp_path / "stderr.txt")
    try:
        await wait_until_healthy(child, f"http://127.0.0.1:{port}")
        async with Client(f"http://127.0.0.1:{port}/mcp", mode=mode) as client:  # type: ignore[arg-type]
            for _ in range(3):
                result = await client.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})
                assert not result.is_error
    finally:
        child.stop()
    log = child.stderr()
    assert re.search(r"serving \d+ tools over http", log)  # the log is there, at INFO and below
    assert "Terminating session: None" not in log


def test_terminating_a_real_session_still_logs(caplog: pytest.LogCaptureFixture) -> None:
    quiet_sdk_noise()
    quiet_sdk_noise()  # idempotent: one filter, however often start-up runs
    sdk = logging.getLogger("mcp.server.streamable_http")
    assert len(sdk.filters) == len({type(f) for f in sdk.filters})
    with caplog.at_level(logging.INFO, logger="mcp.server.streamable_http"):
        sdk.info(f"Terminating session: {None}")
        sdk.info(f"Terminating session: {'3f2a' * 8}")
    assert [r.getMessage() for r in caplog.records] == [f"Terminating session: {'3f2a' * 8}"]
