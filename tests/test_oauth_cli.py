"""The command a new user runs: ``cal-mcp --sandbox --transport http --auth oauth``, with a real SDK client."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port
from tests.e2e_cases_core import DANA
from tests.oauth_support import sdk_client


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAL_", "CAL_MCP_"))}
    return {**env, "CAL_MCP_DATABASE_URL": f"sqlite:///{tmp_path / 'auth.db'}", **extra}


@pytest.fixture
def cli_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "cal_mcp", "--sandbox", "--transport", "http", "--auth", "oauth",
                                 "--port", str(port)], env=_env(tmp_path), stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield url, log
    finally:
        proc.terminate()
        proc.wait(timeout=20)


async def test_the_sandbox_oauth_server_started_from_the_command_line_serves_a_signed_in_user(
        cli_server: tuple[str, Path]) -> None:
    url, log = cli_server
    async with sdk_client(url, account="cli.user") as client:
        me = await client.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})
        assert not me.is_error and me.structured_content["data"]["username"] == "cli.user"
        bookings = await client.call_tool("CAL_FETCH_ALL_BOOKINGS", {"attendeeEmail": DANA["email"]})
        assert not bookings.is_error
    text = log.read_text()
    assert "cmcp_at_" not in text and "sbx_at_" not in text  # logs name users by ID, never by token
    assert "signed in with Cal.com OAuth" in text and " u_" in text


@pytest.mark.parametrize(("args", "env", "message"), [
    (["--transport", "stdio", "--auth", "oauth"], {}, "needs --transport http or sse"),
    (["--transport", "http", "--auth", "oauth"], {}, "CAL_MCP_ENCRYPTION_KEYS"),
    (["--transport", "http", "--auth", "oauth", "--host", "0.0.0.0"], {"CAL_MCP_ENCRYPTION_KEYS": "x" * 43},
     "CAL_MCP_PUBLIC_URL"),
    (["--transport", "http", "--auth", "oauth"], {"CAL_MCP_PUBLIC_URL": "http://mcp.example.com"}, "https://"),
    (["--transport", "http", "--auth", "oauth"], {"CAL_MCP_PUBLIC_URL": "https://example.com/cal"}, "without a path"),
])
def test_the_oauth_mode_refuses_to_start_misconfigured(tmp_path: Path, args: list[str], env: dict[str, str],
                                                      message: str) -> None:
    done = subprocess.run([sys.executable, "-m", "cal_mcp", *args], env=_env(tmp_path, **env), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and message in done.stderr, done.stderr
