"""The command line refuses bad selections and bad configuration with a clear message, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO / "server"), **env}
    return subprocess.run([sys.executable, "-m", "cal_mcp", *args], capture_output=True, text=True,
                          timeout=60, env=environment, stdin=subprocess.DEVNULL)


def test_an_unknown_toolset_stops_start_up_listing_the_valid_ones() -> None:
    done = run_cli("--toolsets", "bookings,bokings")
    assert done.returncode == 2
    assert "bokings" in done.stderr and "event_types" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_an_unknown_tool_name_stops_start_up() -> None:
    done = run_cli("--tools", "CAL_NOT_A_TOOL")
    assert done.returncode == 2 and "CAL_NOT_A_TOOL" in done.stderr


def test_invalid_configuration_names_the_setting_without_a_traceback() -> None:
    done = run_cli(CAL_MCP_TIMEOUT="soon", CAL_API_KEY="cal_secret_value_1")
    assert done.returncode == 2
    assert "CAL_MCP_TIMEOUT" in done.stderr or "timeout" in done.stderr
    assert "Traceback" not in done.stderr
    assert "cal_secret_value_1" not in done.stderr


def test_help_lists_every_documented_option() -> None:
    done = run_cli("--help")
    assert done.returncode == 0
    for option in ("--transport", "--host", "--port", "--toolsets", "--tools", "--read-only", "--sandbox",
                   "--dynamic-toolsets", "--allow-unauthenticated", "--log-level", "--max-request-bytes",
                   "--max-sessions",
                   "--session-idle-timeout", "--header-timeout", "--body-timeout", "--max-connections"):
        assert option in done.stdout


def test_a_limit_flag_overrides_its_environment_variable() -> None:
    environment = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO / "server"),
                   "CAL_MCP_MAX_REQUEST_BYTES": "1000000"}
    line = json.dumps({"jsonrpc": "2.0", "id": 5, "method": "ping", "params": {"pad": "x" * 3000}})
    done = subprocess.run([sys.executable, "-m", "cal_mcp", "--sandbox", "--max-request-bytes", "2048"],
                          input=line + "\n", capture_output=True, text=True, timeout=60, env=environment)
    assert done.returncode == 0, done.stderr
    (answer,) = [json.loads(reply) for reply in done.stdout.splitlines()]
    assert answer["error"]["code"] == -32600 and "2048 bytes" in answer["error"]["message"]


def test_an_invalid_limit_flag_stops_start_up_naming_it() -> None:
    done = run_cli("--max-sessions", "0")
    assert done.returncode == 2 and "max_sessions" in done.stderr and "Traceback" not in done.stderr
