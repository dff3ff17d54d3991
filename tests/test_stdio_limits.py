"""stdio's incoming side: lines split in linear work and capped; garbage and invalid requests answered, not dropped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

from cal_mcp.stdio_lines import LineFramer, StdinLines
from tests.conftest import REPO, TOOL_COUNT

INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}}


def test_a_long_line_in_many_chunks_costs_work_linear_in_its_length() -> None:
    framer = LineFramer(max_bytes=10_000_000)
    line = b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"' + b"x" * 4_000_000 + b'"}}'
    chunks = [line[i:i + 4096] for i in range(0, len(line), 4096)] + [b"\n"]
    lines: list[bytes | None] = []
    for chunk in chunks:
        lines += framer.feed(chunk)
    assert lines == [line]
    # ~1,000 chunks: copying the pending buffer per chunk (the old reader) moved ~2 GB; each byte moves at most twice.
    assert framer.bytes_copied <= 2 * len(line)


def test_a_line_over_the_cap_is_reported_without_being_held_and_the_next_line_is_whole() -> None:
    framer = LineFramer(max_bytes=1000)
    seen: list[bytes | None] = []
    for _ in range(50):
        seen += framer.feed(b"y" * 700)
        assert framer.held <= 1000
    seen += framer.feed(b"tail\n{}\n")
    seen += framer.feed(b'{"a":1}')
    seen += framer.finish()
    assert seen == [None, b"{}", b'{"a":1}']


def test_several_lines_in_one_chunk_and_a_line_exactly_at_the_cap() -> None:
    framer = LineFramer(max_bytes=5)
    assert framer.feed(b"abcde\nabcdef\n\nab") == [b"abcde", None, b""]
    assert framer.feed(b"c\n") == [b"abc"]


class _Recorder:
    """Stands in for the session's write stream: keeps what is sent."""

    def __init__(self) -> None:
        self.sent: list[Any] = []

    async def send(self, message: Any) -> None:
        self.sent.append(json.loads(message.message.model_dump_json(by_alias=True, exclude_unset=True)))


async def test_refused_lines_are_answered_and_valid_lines_pass_through() -> None:
    payload = iter([
        b"{not json\n",
        '{"jsonrpc":"2.0","id":6,"method":"ping"}'.encode("utf-16") + b"\n",
        b'[{"jsonrpc":"2.0","id":1,"method":"ping"}]\n',
        b'{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}\n',
        b'{"jsonrpc":"2.0","id":7,"method":"ping","params":5}\n',
        b'{"jsonrpc":"2.0","id":8,"method":"ping","params":{"pad":"' + b"z" * 3000 + b'"}}\n',
        b"\n",
        b'{"jsonrpc":"2.0","id":9,"method":"ping"}\n',
    ])
    stdin = StdinLines(max_bytes=2048, read=lambda size: next(payload, b""))
    recorder = _Recorder()
    stdin.attach(recorder)
    with anyio.fail_after(10):
        stdin.start()
        passed = [line async for line in stdin]
    assert [json.loads(line)["id"] for line in passed] == [9]
    assert [(m["id"], m["error"]["code"]) for m in recorder.sent] == [
        (None, -32700), (None, -32700), (None, -32600), (None, -32600), (7, -32600), (None, -32600)]
    assert "2048 bytes" in recorder.sent[-1]["error"]["message"]


@pytest.mark.slow
def test_the_stdio_server_answers_bad_lines_and_keeps_serving(tmp_path: Path) -> None:
    # PYTHONPATH: this checkout's server, whichever checkout the venv was installed from.
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO / "server"), "CAL_MCP_MAX_REQUEST_BYTES": "4096"}
    lines = [
        b"this is not json",
        b'[{"jsonrpc":"2.0","id":1,"method":"ping"}]',
        b'{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}',
        json.dumps({**INITIALIZE, "id": 2, "params": {**INITIALIZE["params"], "pad": "p" * 100_000}}).encode(),
        json.dumps(INITIALIZE).encode(),
        b'{"jsonrpc":"2.0","method":"notifications/initialized"}',
        b'{"jsonrpc":"2.0","id":3,"method":"tools/list"}',
    ]
    with (tmp_path / "stderr.log").open("w") as log_file:
        proc = subprocess.Popen([sys.executable, "-m", "cal_mcp", "--sandbox"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=log_file, env=env)
        assert proc.stdin and proc.stdout
        proc.stdin.write(b"".join(line + b"\n" for line in lines))
        proc.stdin.flush()
        replies = []
        while not any(r.get("id") == 3 for r in replies):
            raw = proc.stdout.readline()
            if not raw:
                break
            replies.append(json.loads(raw))
        proc.stdin.close()
        proc.stdout.close()
        proc.wait(timeout=30)
    assert proc.returncode == 0, (tmp_path / "stderr.log").read_text()
    errors = [(r["id"], r["error"]["code"]) for r in replies if "error" in r]
    assert errors == [(None, -32700), (None, -32600), (None, -32600), (None, -32600)]
    answers = {r["id"]: r for r in replies if "result" in r}
    assert answers[1]["result"]["protocolVersion"] == "2025-11-25"
    assert len(answers[3]["result"]["tools"]) == TOOL_COUNT
