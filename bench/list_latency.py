"""Warm ``tools/list`` latency: cal-mcp's 141 tools against the bare SDK server listing the same 141.

cal-mcp builds its ``ListToolsResult`` once, at start-up (``Registry.list_result``), and answers
every ``tools/list`` with that same object; what a request still costs is the SDK's: validating
the result for the client's protocol version and serialising ~150 KB of JSON. The yardstick is
therefore bench/bare_server.py given the same tools as a prebuilt list (``--tools-json``), and the
one-tool bare server shows what the size of the list costs.

Series, each timed one request at a time, interleaved in shuffled order:
stdio (raw JSON-RPC over pipes, handshake era), Streamable HTTP with a legacy (2025-11-25) session,
and Streamable HTTP with 2026-07-28 requests.

    python bench/list_latency.py            # 200 requests per series
    python bench/list_latency.py --quick    # 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import BENCH, PYTHON, Children, cal_env, child_env, machine_line, ms, percentile, table
from mcp_wire import WireClient

INITIALIZE = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
    "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1.0"}}}


class StdioSession:
    """A spawned stdio server after the handshake; ``list()`` times one tools/list."""

    def __init__(self, children: Children, args: list[str], env: dict[str, str]) -> None:
        self.proc = children.start(args, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self._next_id = 1
        self._send(INITIALIZE)
        self._receive()
        self._send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def _send(self, message: dict[str, object]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(message) + "\n").encode())
        self.proc.stdin.flush()

    def _receive(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        reply: dict[str, Any] = json.loads(self.proc.stdout.readline())
        return reply

    async def list(self) -> tuple[float, int]:
        self._next_id += 1
        start = time.perf_counter()
        self._send({"jsonrpc": "2.0", "id": self._next_id, "method": "tools/list"})
        reply = self._receive()
        elapsed = time.perf_counter() - start
        return elapsed, len(reply["result"]["tools"])


class HttpSession:
    def __init__(self, client: WireClient) -> None:
        self.client = client

    async def list(self) -> tuple[float, int]:
        start = time.perf_counter()
        result = await self.client.request("tools/list")
        return time.perf_counter() - start, len(result["tools"])


async def bench(args: argparse.Namespace) -> int:
    requests = args.requests or (50 if args.quick else 200)
    with Children() as children, tempfile.TemporaryDirectory() as tmp:
        from cal_mcp.registry import load_registry

        tools_json = Path(tmp) / "tools.json"
        dumped = load_registry().list_result.model_dump(by_alias=True, exclude_none=True, mode="json")
        tools_json.write_text(json.dumps(dumped["tools"]))
        upstream = "http://127.0.0.1:9"  # never called: only tools/list is sent
        bare_args = [PYTHON, str(BENCH / "bare_server.py")]
        sessions: dict[tuple[str, str], StdioSession | HttpSession] = {
            ("stdio", "cal-mcp"): StdioSession(children, [PYTHON, "-m", "cal_mcp"], cal_env(upstream)),
            ("stdio", "bare, same 141 tools"): StdioSession(
                children, [*bare_args, "--tools-json", str(tools_json)], child_env()),
            ("stdio", "bare, 1 tool"): StdioSession(children, bare_args, child_env()),
        }
        http = {
            "cal-mcp": children.cal_mcp_http(upstream),
            "bare, same 141 tools": children.bare_http(upstream, "--tools-json", str(tools_json)),
            "bare, 1 tool": children.bare_http(upstream),
        }
        for era, label in (("legacy", "HTTP, legacy session"), ("modern", "HTTP, 2026-07-28")):
            for name, served in http.items():
                sessions[(label, name)] = HttpSession(await WireClient(served.url, era).open())
        print(machine_line())
        print(f"warm tools/list: {requests} requests per series after 20 warm-up rounds, interleaved")
        samples: dict[tuple[str, str], list[float]] = {key: [] for key in sessions}
        counts: dict[tuple[str, str], int] = {}
        order = list(sessions)
        for round_no in range(requests + 20):
            random.shuffle(order)
            for key in order:
                elapsed, counts[key] = await sessions[key].list()
                if round_no >= 20:
                    samples[key].append(elapsed)
        rows = [[transport, name, counts[(transport, name)], ms(percentile(sample, 50)), ms(percentile(sample, 90)),
                 ms(percentile(sample, 99))] for (transport, name), sample in samples.items()]
        print(table(["transport", "server", "tools", "p50 ms", "p90 ms", "p99 ms"], rows))
        for session in sessions.values():
            if isinstance(session, HttpSession):
                await session.client.close()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="50 requests per series")
    parser.add_argument("--requests", type=int, help="requests per series (default 200)")
    return asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
