"""A small programmable fake Cal.com upstream, served over real loopback HTTP/1.1.

It runs its own asyncio loop in a background thread, so the same fake serves in-process tests
(``CalMcpApp`` in the test's event loop) and subprocesses (a ``python -m cal_mcp`` pointed at it
with ``CAL_API_BASE_URL``). It is a raw ``asyncio`` server rather than an ASGI app because some
behaviours need the socket itself: closing the connection before a single response byte, or in
the middle of a body, is exactly the ambiguity the client's retry rules are about.

Programming it::

    with FakeUpstream() as cal:
        cal.program(json_reply(200, {"status": "success", "data": {"uid": "b1"}}), error_status(503),
                    method="POST", path="/v2/bookings")
        ...                                  # the first POST gets the 200, every later one a 503
        assert len(cal.requests_to("POST", "/v2/bookings")) == 1

A program's replies are used in order and its last one repeats. The newest matching program
wins; with none, the default answers ``200 {"status": "success", "data": {}}``. Every request
is recorded (method, raw target, headers, body, arrival time) before it is answered.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REASONS = {
    200: "OK", 201: "Created", 204: "No Content", 301: "Moved Permanently", 400: "Bad Request",
    401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests",
    500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
}
SUCCESS: dict[str, Any] = {"status": "success", "data": {}}


@dataclass(frozen=True)
class Recorded:
    """One request as it arrived."""

    method: str
    target: str  # the raw request target: percent-encoded path plus ?query
    headers: dict[str, str]  # lower-cased names
    body: bytes
    at: float  # time.monotonic() on arrival

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> str:
        return self.target.split("?", 1)[1] if "?" in self.target else ""

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class Reply:
    """How to answer one request. Returns whether the connection may be kept alive."""

    async def answer(self, request: Recorded, writer: asyncio.StreamWriter, reader: asyncio.StreamReader,
                     fake: FakeUpstream) -> bool:
        raise NotImplementedError


def _head(status: int, headers: Sequence[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}"]
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@dataclass
class Static(Reply):
    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()

    async def answer(self, request: Recorded, writer: asyncio.StreamWriter, reader: asyncio.StreamReader,
                     fake: FakeUpstream) -> bool:
        headers = [*self.headers, ("Content-Length", str(len(self.body)))]
        writer.write(_head(self.status, headers) + self.body)
        await writer.drain()
        return True


def json_reply(status: int = 200, payload: Any = None, headers: Sequence[tuple[str, str]] = ()) -> Static:
    body = json.dumps(SUCCESS if payload is None else payload).encode()
    return Static(status, body, (("Content-Type", "application/json; charset=utf-8"), *headers))


def cal_error(
    status: int, message: str, code: str = "ERROR", headers: Sequence[tuple[str, str]] = ()
) -> Static:
    """Cal's error envelope."""
    return json_reply(status, {"status": "error", "error": {"code": code, "message": message}}, headers)


def error_status(code: int, headers: Sequence[tuple[str, str]] = ()) -> Static:
    """A bare status with Cal's error envelope (503, 429, ...)."""
    return cal_error(code, f"HTTP {code}", headers=headers)


def raw_reply(status: int, body: bytes | str, content_type: str | None) -> Static:
    data = body.encode() if isinstance(body, str) else body
    headers = (("Content-Type", content_type),) if content_type else ()
    return Static(status, data, headers)


def html_page(status: int = 502) -> Static:
    page = (
        "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><center><h1>"
        f"{status} Bad Gateway</h1></center><hr><center>cloudflare</center></body></html>"
    )
    return raw_reply(status, page, "text/html")


@dataclass
class Delay(Reply):
    """Answer ``then`` after ``seconds`` (a slow Cal)."""

    seconds: float
    then: Reply = field(default_factory=json_reply)

    async def answer(self, request: Recorded, writer: asyncio.StreamWriter, reader: asyncio.StreamReader,
                     fake: FakeUpstream) -> bool:
        await asyncio.sleep(self.seconds)
        return await self.then.answer(request, writer, reader, fake)


class Hang(Reply):
    """Accept the request and never answer; ends when the client gives up or the fake closes."""

    async def answer(self, request: Recorded, writer: asyncio.StreamWriter, reader: asyncio.StreamReader,
                     fake: FakeUpstream) -> bool:
        await reader.read()  # returns at EOF, i.e. when the client closes the connection
        return False


class Drop(Reply):
    """Close the connection after reading the request, before a single response byte."""

    async def answer(self, request: Recorded, writer: asyncio.StreamWriter, reader: asyncio.StreamReader,
                     fake: FakeUpstream) -> bool:
        return False


@dataclass
class DropMidBody(Reply):
    """Promise a body, send part of it, then close the connection."""

    status: int = 200
    promised: int = 10_000
    sent: bytes = b'{"status":"success","data":['

    async def answer(self, request: Recorded, writer: asyncio.StreamWriter, reader: asyncio.StreamReader,
                     fake: FakeUpstream) -> bool:
        headers = [("Content-Type", "application/json"), ("Content-Length", str(self.promised))]
        writer.write(_head(self.status, headers) + self.sent)
        await writer.drain()
        return False


@dataclass
class Huge(Reply):
    """``size`` bytes of body, streamed in chunks; without ``declare_length`` it is chunked encoding."""

    size: int
    content_type: str = "application/json"
    declare_length: bool = True
    chunk: int = 64 * 1024

    async def answer(self, request: Recorded, writer: asyncio.StreamWriter, reader: asyncio.StreamReader,
                     fake: FakeUpstream) -> bool:
        headers = [("Content-Type", self.content_type)]
        headers.append(("Content-Length", str(self.size)) if self.declare_length
                       else ("Transfer-Encoding", "chunked"))
        writer.write(_head(200, headers))
        left = self.size
        try:
            while left > 0:
                piece = b"x" * min(self.chunk, left)
                left -= len(piece)
                writer.write(piece if self.declare_length else b"%x\r\n%s\r\n" % (len(piece), piece))
                await writer.drain()
            if not self.declare_length:
                writer.write(b"0\r\n\r\n")
                await writer.drain()
        except ConnectionError:
            return False  # the client stopped reading (it hit its size cap): expected
        return True


@dataclass
class Dynamic(Reply):
    """Build the reply from the request (e.g. echo a header back)."""

    make: Callable[[Recorded], Reply]

    async def answer(self, request: Recorded, writer: asyncio.StreamWriter, reader: asyncio.StreamReader,
                     fake: FakeUpstream) -> bool:
        return await self.make(request).answer(request, writer, reader, fake)


@dataclass
class _Program:
    method: str | None
    path: str | None
    replies: list[Reply]
    used: int = 0

    def matches(self, request: Recorded) -> bool:
        return (self.method is None or self.method == request.method) and (
            self.path is None or self.path == request.path
        )

    def next(self) -> Reply:
        reply = self.replies[min(self.used, len(self.replies) - 1)]
        self.used += 1
        return reply


class FakeUpstream:
    """Serve on ``127.0.0.1`` (port 0 = any free port) in a background thread until ``close()``."""

    def __init__(self, port: int = 0) -> None:
        self._wanted_port = port
        self.port = 0
        self.requests: list[Recorded] = []
        self._programs: list[_Program] = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._error: BaseException | None = None

    # -- programming -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def program(self, *replies: Reply, method: str | None = None, path: str | None = None) -> None:
        if not replies:
            raise ValueError("program() needs at least one reply")
        with self._lock:
            self._programs.append(_Program(method, path, list(replies)))

    def reset(self) -> None:
        with self._lock:
            self._programs.clear()
            self.requests.clear()

    def requests_to(self, method: str, path: str) -> list[Recorded]:
        return [r for r in list(self.requests) if r.method == method and r.path == path]

    def _reply_for(self, request: Recorded) -> Reply:
        with self._lock:
            for program in reversed(self._programs):
                if program.matches(request):
                    return program.next()
        return json_reply(200, SUCCESS)

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> FakeUpstream:
        self._thread = threading.Thread(target=self._run, name="fake-cal-upstream", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fake upstream did not start")
        if self._error is not None:
            raise RuntimeError(f"fake upstream failed to start: {self._error!r}")
        return self

    def close(self) -> None:
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> FakeUpstream:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # surfaced by start()
            self._error = exc
            self._ready.set()
        finally:
            loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._connection, "127.0.0.1", self._wanted_port)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await server.wait_closed()

    # -- HTTP/1.1 ------------------------------------------------------------------------------
    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)  # type: ignore[arg-type]
        try:
            while True:
                request = await self._read_request(reader)
                if request is None:
                    return
                self.requests.append(request)
                keep = await self._reply_for(request).answer(request, writer, reader, self)
                if not keep:
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            return
        finally:
            self._tasks.discard(task)  # type: ignore[arg-type]
            writer.close()

    @staticmethod
    async def _read_request(reader: asyncio.StreamReader) -> Recorded | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            return None
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        body = b""
        if headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    break
                parts.append(await reader.readexactly(size))
                await reader.readexactly(2)
            body = b"".join(parts)
        elif headers.get("content-length"):
            body = await reader.readexactly(int(headers["content-length"]))
        return Recorded(method, target, headers, body, time.monotonic())


# -- cal-mcp (or the sandbox) as a child process, for tests about the process itself ---------------

# PYTHONPATH too: a child must run the code under test (a checkout on PYTHONPATH), not whatever copy of the
# package the interpreter has installed.
CHILD_ENV_KEEP = ("PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR", "PYTHONPATH")


def child_env(**values: str) -> dict[str, str]:
    """A clean environment: nothing of the developer's CAL_* settings leaks into the child."""
    env = {k: os.environ[k] for k in CHILD_ENV_KEEP if k in os.environ}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(values)
    return env


@dataclass
class Child:
    """A running ``python -m <module> ...`` with stderr going to a file (read it with ``stderr()``)."""

    process: subprocess.Popen[bytes]
    stderr_path: Path
    url: str = ""

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
            raise


def start_child(module: str, *args: str, env: dict[str, str], stderr_path: Path, pipes: bool = False) -> Child:
    """Start ``python -m module args``; ``pipes`` gives it stdin/stdout pipes (stdio), else /dev/null."""
    stream = subprocess.PIPE if pipes else subprocess.DEVNULL
    with stderr_path.open("wb") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", module, *args], env=env, stdin=stream, stdout=stream, stderr=errors
        )
    return Child(process, stderr_path)


async def wait_until_healthy(child: Child, url: str, path: str = "/healthz", within: float = 30) -> None:
    """Poll ``url + path`` until it answers 200 (or the child dies, or ``within`` seconds pass)."""
    import anyio
    import httpx

    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=1.0) as client:
        while True:
            if child.process.poll() is not None:
                raise RuntimeError(f"child exited with {child.process.returncode}:\n{child.stderr()}")
            try:
                if (await client.get(url + path)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"child not healthy at {url}{path} within {within} s:\n{child.stderr()}")
            await anyio.sleep(0.05)
