"""stdio mode: stdout carries only JSON-RPC messages; logs (including the sandbox notice) go to stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, TOOL_COUNT

pytestmark = pytest.mark.slow

MESSAGES = [
    {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}},
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
     "params": {"name": "CAL_RETRIEVE_MY_INFORMATION", "arguments": {}}},
    {"jsonrpc": "2.0", "id": 4, "method": "tools/call",
     "params": {"name": "CAL_FETCH_ALL_BOOKINGS", "arguments": {"take": "x"}}},
]


def test_stdout_holds_only_protocol_messages_and_stderr_the_logs(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO / "server"), "CAL_MCP_LOG_LEVEL": "DEBUG"}
    log_file = (tmp_path / "stderr.log").open("w")  # a file, so a chatty stderr cannot block the server
    proc = subprocess.Popen([sys.executable, "-m", "cal_mcp", "--sandbox"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=log_file, text=True, env=env)
    assert proc.stdin and proc.stdout
    proc.stdin.write("".join(json.dumps(m) + "\n" for m in MESSAGES))
    proc.stdin.flush()
    lines: list[str] = []
    # Keep stdin open until every request is answered: closing it ends the session.
    while len([line for line in lines if '"id"' in line]) < 4:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
    proc.stdin.close()
    lines += proc.stdout.read().splitlines()
    proc.stdout.close()
    proc.wait(timeout=30)
    log_file.close()
    stderr = (tmp_path / "stderr.log").read_text()
    assert proc.returncode == 0, stderr
    replies = [json.loads(line) for line in lines if line.strip()]
    assert all(r.get("jsonrpc") == "2.0" for r in replies)
    by_id = {r["id"]: r for r in replies if "id" in r}
    assert by_id[1]["result"]["protocolVersion"] == "2025-06-18"
    assert len(by_id[2]["result"]["tools"]) == TOOL_COUNT
    assert by_id[3]["result"]["isError"] is False
    assert by_id[4]["result"]["isError"] is True and "take" in by_id[4]["result"]["content"][0]["text"]
    assert "SANDBOX MODE" in stderr and "no real Cal.com account or calendar is touched" in stderr
