"""The MCP conformance suite's server scenarios against ``cal-mcp --sandbox --transport http``.

The suite (npm ``@modelcontextprotocol/conformance``) needs Node >= 22; Node 22 itself comes from
the npm registry as the ``node`` package, so only ``npm`` is needed here. Both are installed once
into a cache folder. Without npm or the registry the test is skipped with the reason; under
``CI=true`` it fails instead.

Most of the suite's scenarios exercise fixtures of the suite's reference server (a tool named
``test_image_content``, a resource ``test://static-text``...). Those are listed below as not
applicable, each with the reason; the rest must pass. The two lists together must cover every
scenario the suite runs, so a new suite version cannot add a scenario unseen.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import anyio
import pytest

from tests.conftest import free_port
from tests.fake_upstream import child_env, start_child, wait_until_healthy

pytestmark = pytest.mark.slow

SUITE_VERSION = "0.1.16"
NODE_MAJOR = 22

APPLICABLE = {
    "server-initialize": "initialize handshake, capabilities and server info",
    "ping": "ping",
    "tools-list": "every tool has a name, a description and an object inputSchema",
    "prompts-list": "the workflow prompts",
    "resources-list": "cal://me, cal://event-types, cal://schedules",
    "completion-complete": "completion/complete answers with a values array (nothing for an unknown prompt)",
    "server-sse-multiple-streams": "several concurrent SSE streams on one Streamable HTTP session",
    "dns-rebinding-protection": "a foreign Host/Origin is refused on a loopback bind",
}
NOT_APPLICABLE = {
    "logging-set-level": "the server offers no MCP logging (logs go to stderr; the SDK deprecates it for 2026-07-28)",
    "tools-call-simple-text": "calls the suite's fixture tool test_simple_text, which a Cal server does not have",
    "tools-call-image": "fixture tool test_image_content: Cal tools return JSON, never images",
    "tools-call-audio": "fixture tool test_audio_content: Cal tools return JSON, never audio",
    "tools-call-embedded-resource": "fixture tool test_embedded_resource: Cal tools embed no resources",
    "tools-call-mixed-content": "fixture tool test_multiple_content_types (text+image+resource)",
    "tools-call-with-logging": "fixture tool test_tool_with_logging; the server offers no MCP logging",
    "tools-call-error": "fixture tool test_error_handling (Cal failures are isError results: test_error_guidance)",
    "tools-call-with-progress": "fixture tool test_tool_with_progress: Cal calls are single requests, no progress",
    "tools-call-sampling": "fixture tool test_sampling: the server never asks the client's model",
    "tools-call-elicitation": "fixture tool test_elicitation: the server never elicits input",
    "elicitation-sep1034-defaults": "fixture tool test_elicitation_sep1034_defaults: no elicitation",
    "elicitation-sep1330-enums": "fixture tool test_elicitation_sep1330_enums: no elicitation",
    "resources-read-text": "fixture resource test://static-text (ours are read in test_resources_completions)",
    "resources-read-binary": "fixture resource test://static-binary: every Cal resource is JSON text",
    "resources-templates-read": "fixture template test://template/{id}/data (ours: cal://bookings/{uid})",
    "resources-subscribe": "resource subscriptions are not offered (Cal sends the server no change events)",
    "resources-unsubscribe": "resource subscriptions are not offered",
    "prompts-get-simple": "fixture prompt test_simple_prompt",
    "prompts-get-with-args": "fixture prompt test_prompt_with_arguments (ours are rendered in test_guidance)",
    "prompts-get-embedded-resource": "fixture prompt test_prompt_with_embedded_resource",
    "prompts-get-with-image": "fixture prompt test_prompt_with_image",
}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true requires the MCP conformance suite to run")
    pytest.skip(reason)


def suite_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "cal-mcp" / f"conformance-{SUITE_VERSION}-node{NODE_MAJOR}"


def install_suite() -> tuple[Path, Path]:
    """The Node 22 binary and the suite's entry point, installed from the npm registry if not yet there."""
    folder = suite_dir()
    node = folder / "node_modules" / "node" / "bin" / "node"
    entry = folder / "node_modules" / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"
    if not (node.exists() and entry.exists()):
        npm = shutil.which("npm")
        if npm is None:
            _unavailable("npm is not installed (it fetches the conformance suite and Node 22)")
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [str(npm), "install", "--no-audit", "--no-fund", "--prefix", str(folder),
             f"@modelcontextprotocol/conformance@{SUITE_VERSION}", f"node@{NODE_MAJOR}"],
            capture_output=True, text=True, timeout=600, check=False,
        )
        if done.returncode != 0 or not (node.exists() and entry.exists()):
            _unavailable(f"could not install the conformance suite from the npm registry: {done.stderr[-800:]}")
    version = subprocess.run([str(node), "--version"], capture_output=True, text=True, check=False).stdout
    if not version.startswith(f"v{NODE_MAJOR}."):
        _unavailable(f"the npm node package gave {version.strip() or 'no working node'}, not Node {NODE_MAJOR}")
    return node, entry


def run_suite(node: Path, entry: Path, url: str, output: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(node), str(entry), "server", "--url", url, "-o", str(output)],
                          capture_output=True, text=True, timeout=600, check=False)


def read_checks(output: Path) -> dict[str, list[dict[str, object]]]:
    """Scenario name -> its checks, from the suite's ``server-<scenario>-<timestamp>/checks.json`` folders."""
    found: dict[str, list[dict[str, object]]] = {}
    for checks in sorted(output.glob("server-*/checks.json")):
        scenario = checks.parent.name.removeprefix("server-").rsplit("-", 6)[0]  # drop -YYYY-MM-DDTHH-MM-SS-mmmZ
        found[scenario] = json.loads(checks.read_text())
    return found


def test_categories_are_disjoint() -> None:
    assert not set(APPLICABLE) & set(NOT_APPLICABLE)


# Without sessions there is nothing to open several streams on: the suite runs that scenario with no checks.
NEEDS_A_SESSION = {"server-sse-multiple-streams"}


@pytest.mark.parametrize("mode", ["stateful", "stateless"])
async def test_the_conformance_suites_applicable_server_scenarios_pass(tmp_path: Path, mode: str) -> None:
    node, entry = install_suite()
    port = free_port()
    extra = ["--stateless"] if mode == "stateless" else []
    child = start_child("cal_mcp", "--sandbox", "--transport", "http", "--port", str(port), *extra,
                        env=child_env(CAL_MCP_LOG_LEVEL="WARNING"), stderr_path=tmp_path / "server.txt")
    try:
        await wait_until_healthy(child, f"http://127.0.0.1:{port}")
        output = tmp_path / "results"
        run = await anyio.to_thread.run_sync(run_suite, node, entry, f"http://127.0.0.1:{port}/mcp", output)
    finally:
        child.stop()
    checks = read_checks(output)
    assert checks, f"the suite wrote no results:\n{run.stdout[-3000:]}\n{run.stderr[-2000:]}"

    assert set(checks) == set(APPLICABLE) | set(NOT_APPLICABLE), (
        "the suite's scenarios changed: classify each new one as applicable or not, with the reason"
    )
    applicable = set(APPLICABLE) - (NEEDS_A_SESSION if mode == "stateless" else set())
    failed = {
        scenario: [f"{c.get('id')}: {c.get('errorMessage')}" for c in checks[scenario] if c.get("status") != "SUCCESS"]
        for scenario in applicable
    }
    assert all(checks[s] for s in applicable), "an applicable scenario made no checks"
    assert not any(failed.values()), {s: f for s, f in failed.items() if f}
    assert "Traceback" not in child.stderr()
