"""stdio's incoming side: lines split in linear time and capped, each checked as JSON-RPC before the SDK sees it.

A line over the cap is dropped as it arrives (never held whole) and answered with a ``-32600`` error; a line
that is not JSON, or not a JSON-RPC message, is answered ``-32700`` / ``-32600`` (the SDK's own stdio reader
would drop it silently: see ``jsonrpc_guard``). The server then reads the next line as usual.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.from_thread
import anyio.lowlevel

from cal_mcp.jsonrpc_guard import INVALID_REQUEST, Refusal, check_message

READ_CHUNK = 65536


class LineFramer:
    """Splits a byte stream at ``\\n`` holding at most ``max_bytes`` of the current line.

    Each byte is copied at most twice (sliced out of its chunk, joined into its line), so a line costs time
    linear in its length however it is chunked. ``bytes_copied`` counts those copies.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes_copied = 0
        self._parts: list[bytes] = []
        self._held = 0
        self._oversized = False

    @property
    def held(self) -> int:
        """Bytes of the unfinished line kept in memory (never more than ``max_bytes``)."""
        return self._held

    def feed(self, chunk: bytes) -> list[bytes | None]:
        """The lines ``chunk`` completes, without their newline; ``None`` for a line over the cap."""
        lines: list[bytes | None] = []
        start = 0
        while start < len(chunk):
            newline = chunk.find(b"\n", start)
            end = len(chunk) if newline < 0 else newline
            if not self._oversized:
                if self._held + (end - start) > self.max_bytes:
                    self._oversized = True
                    self._parts.clear()
                    self._held = 0
                elif end > start:
                    self._parts.append(chunk[start:end])
                    self._held += end - start
                    self.bytes_copied += end - start
            if newline < 0:
                break
            lines.append(self._take())
            start = newline + 1
        return lines

    def finish(self) -> list[bytes | None]:
        """At end of input: the last line when it had no newline."""
        if self._oversized or self._parts:
            return [self._take()]
        return []

    def _take(self) -> bytes | None:
        line = None if self._oversized else b"".join(self._parts)
        if line is not None and len(self._parts) > 1:
            self.bytes_copied += len(line)
        self._parts.clear()
        self._held = 0
        self._oversized = False
        return line


def too_large(max_bytes: int) -> Refusal:
    return Refusal(INVALID_REQUEST, f"Invalid Request: a message may hold at most {max_bytes} bytes "
                                    "(CAL_MCP_MAX_REQUEST_BYTES)")


def classify(line: bytes | None, max_bytes: int) -> str | Refusal | None:
    """The line for the SDK, the refusal to answer instead, or None for a blank line (skipped)."""
    if line is None:
        return too_large(max_bytes)
    if not line.strip():
        return None
    refusal = check_message(line)  # also refuses a line that is not UTF-8
    return refusal if refusal is not None else line.decode("utf-8")


Reply = Callable[[Refusal], Awaitable[None]]


class StdinLines:
    """stdin's checked lines, read by a daemon thread; refusals are answered through ``attach``'s stream.

    The SDK reads stdin in an anyio worker thread, which a cancellation must wait for and which
    keeps the interpreter from exiting while it blocks in ``readline``: a SIGTERM would then hang
    until the client happens to write. A daemon thread blocked in a read ends with the process.
    """

    def __init__(self, max_bytes: int, read: Callable[[int], bytes] | None = None) -> None:
        self.max_bytes = max_bytes
        self._read = read
        self._send, self._receive = anyio.create_memory_object_stream[str | Refusal](16)
        self._reply: Reply | None = None
        self._attached = anyio.Event()

    def attach(self, write_stream: Any) -> None:
        """Answer refusals on the session's write stream (the one ``stdio_server`` yields)."""
        import mcp_types
        from mcp.shared.message import SessionMessage

        async def reply(refusal: Refusal) -> None:
            error = mcp_types.ErrorData(code=refusal.code, message=refusal.message)
            await write_stream.send(SessionMessage(mcp_types.JSONRPCError(jsonrpc="2.0", id=refusal.id, error=error)))

        self._reply = reply
        self._attached.set()

    def start(self) -> None:
        token = anyio.lowlevel.current_token()
        read = self._read
        if read is None:
            fd = sys.stdin.fileno()

            def read(size: int) -> bytes:
                # Plain os.read: no buffered file object whose lock a blocked daemon thread would hold
                # while the interpreter finalizes.
                return os.read(fd, size)

        framer = LineFramer(self.max_bytes)

        def deliver(lines: list[bytes | None]) -> None:
            for line in lines:
                item = classify(line, self.max_bytes)
                if item is not None:
                    anyio.from_thread.run(self._send.send, item, token=token)

        def pump() -> None:
            try:
                while chunk := read(READ_CHUNK):
                    deliver(framer.feed(chunk))
                deliver(framer.finish())
            except Exception:  # the loop is gone (shutting down) or stdin broke: stop reading
                pass
            finally:
                with contextlib.suppress(Exception):
                    anyio.from_thread.run_sync(self._send.close, token=token)

        threading.Thread(target=pump, name="cal-mcp-stdin", daemon=True).start()

    def __aiter__(self) -> StdinLines:
        return self

    async def __anext__(self) -> str:
        while True:
            try:
                item = await self._receive.receive()
            except anyio.EndOfStream:
                self._receive.close()
                raise StopAsyncIteration from None
            if isinstance(item, str):
                return item
            await self._attached.wait()
            assert self._reply is not None
            await self._reply(item)
