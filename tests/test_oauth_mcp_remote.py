"""The npm ``mcp-remote`` client (what stdio-only apps use to reach a remote server) signs in and lists the tools.

Needs ``mcp-remote`` installed: ``.ci/run`` puts it in ``.ci-npm/``; elsewhere set ``CAL_MCP_TEST_MCP_REMOTE`` to its
``mcp-remote-client`` binary. Skipped when neither exists.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO, free_port
from tests.oauth_support import oauth_server, sign_in, sqlite_url


def _client_binary() -> str:
    configured = os.environ.get("CAL_MCP_TEST_MCP_REMOTE")
    candidate = Path(configured) if configured else REPO / ".ci-npm" / "node_modules" / ".bin" / "mcp-remote-client"
    if configured and not candidate.exists():
        pytest.fail(f"CAL_MCP_TEST_MCP_REMOTE={configured} does not exist")
    if not candidate.exists():
        pytest.skip("mcp-remote is not installed (.ci/run installs it into .ci-npm/)")
    return str(candidate)


async def test_mcp_remote_signs_in_through_the_pages_and_lists_the_tools(tmp_path: Path) -> None:
    binary = _client_binary()
    with oauth_server(sqlite_url(tmp_path)) as server:
        env = {**os.environ, "MCP_REMOTE_CONFIG_DIR": str(tmp_path / "mcp-auth"), "BROWSER": "/bin/true"}
        proc = await asyncio.create_subprocess_exec(
            binary, f"{server.url}/mcp", str(free_port()), env=env, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        assert proc.stdout is not None and proc.stdin is not None
        output: list[str] = []

        async def read_until(pattern: str) -> re.Match[str]:
            while True:
                found = re.search(pattern, "".join(output))
                if found:
                    return found
                line = await proc.stdout.readline()  # type: ignore[union-attr]
                assert line, "".join(output)[-2000:]
                output.append(line.decode(errors="replace"))

        try:
            authorize = await asyncio.wait_for(read_until(re.escape(server.url) + r"/authorize\?\S+"), 60)
            location = await sign_in(authorize.group(0), account="remote.user")
            async with httpx.AsyncClient() as http:
                assert (await http.get(location)).status_code == 200  # mcp-remote's own callback page
            # mcp-remote-client prints the whole tools/list answer and exits; Node cuts a long write to a pipe
            # at exit (here after ~200 KB of 189 tools), so look for a tool early in the name-sorted list.
            await asyncio.wait_for(read_until(r'"name": "CAL_FETCH_ALL_BOOKINGS"'), 60)
        finally:
            proc.stdin.close()
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                proc.kill()
                await proc.wait()
