"""What one HTTP client can hold: session cap and idle reaping (injected clock), body size and deadline,
header deadline, JSON-RPC edges answered as JSON-RPC says."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from cal_mcp.app import CalMcpApp
from cal_mcp.config import Settings
from cal_mcp.http_limits import RequestGuard, header_deadline_protocol
from cal_mcp.registry import Registry
from cal_mcp.transports import http_app, uvicorn_config
from tests.conftest import free_port, serve_in_thread
from tests.fake_clock import FakeClock

MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
INITIALIZE = {
    "jsonrpc": "2.0", "id": 1, "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
}


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"api_key": "cal_test_key", "base_url": "http://127.0.0.1:9", "rate_limit_per_minute": 0}
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def in_process(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan running, reached through httpx's ASGI transport (no sockets, no threads)."""
    async with app.router.lifespan_context(app), httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000"
    ) as client:
        yield client


async def initialize(client: httpx.AsyncClient) -> httpx.Response:
    return await client.post("/mcp", json=INITIALIZE, headers=MCP_HEADERS)


# -- sessions: the cap and idle reaping -------------------------------------------------------------


async def test_at_the_session_cap_a_new_session_gets_503_with_a_json_rpc_error_until_one_is_reaped(
    registry: Registry,
) -> None:
    clock = FakeClock()
    asgi = http_app(CalMcpApp(settings(max_sessions=2, session_idle_timeout=60), registry), json_response=True,
                    clock=clock)
    sessions = asgi.state.sessions
    with anyio.fail_after(30):
        async with in_process(asgi) as client:
            first, second = await initialize(client), await initialize(client)
            assert first.status_code == second.status_code == 200
            refused = await initialize(client)
            assert refused.status_code == 503
            assert refused.json()["error"]["message"] == "Too many open sessions"
            assert refused.json()["jsonrpc"] == "2.0"

            # The second session stays busy; the first goes quiet for a minute.
            clock.now += 30
            keep = {**MCP_HEADERS, "mcp-session-id": second.headers["mcp-session-id"],
                    "mcp-protocol-version": "2025-11-25"}
            ping = await client.post("/mcp", json={"jsonrpc": "2.0", "id": 2, "method": "ping"}, headers=keep)
            assert ping.status_code == 200
            clock.now += 30
            assert await sessions.reap() == [first.headers["mcp-session-id"]]

            gone = {**keep, "mcp-session-id": first.headers["mcp-session-id"]}
            answer = await client.post("/mcp", json={"jsonrpc": "2.0", "id": 3, "method": "ping"}, headers=gone)
            assert answer.status_code == 404
            assert (await initialize(client)).status_code == 200  # room again
            assert (await client.post("/mcp", json={"jsonrpc": "2.0", "id": 4, "method": "ping"},
                                      headers=keep)).status_code == 200


async def test_a_session_with_a_request_in_flight_is_not_reaped(registry: Registry) -> None:
    clock = FakeClock()
    asgi = http_app(CalMcpApp(settings(session_idle_timeout=60), registry), json_response=True, clock=clock)
    sessions = asgi.state.sessions
    with anyio.fail_after(30):
        async with in_process(asgi) as client:
            session_id = (await initialize(client)).headers["mcp-session-id"]
            sessions.sessions[session_id].in_flight += 1  # as while a GET stream or a slow call is open
            clock.now += 3600
            assert await sessions.reap() == []
            sessions.sessions[session_id].in_flight -= 1
            assert await sessions.reap() == [session_id]


async def test_at_the_session_cap_a_new_sse_stream_gets_503_with_a_json_rpc_error(registry: Registry) -> None:
    app = CalMcpApp(settings(max_sessions=1), registry)
    port = free_port()
    with serve_in_thread(http_app(app, port=port), port=port) as url:
        with anyio.fail_after(30):
            async with httpx.AsyncClient() as client, client.stream("GET", f"{url}/sse") as first:
                assert first.status_code == 200
                async for line in first.aiter_lines():
                    if line.startswith("data:"):
                        break
                refused = await client.get(f"{url}/sse")
                assert refused.status_code == 503
                assert refused.json()["error"]["code"] == -32603
                assert "CAL_MCP_MAX_SESSIONS" in refused.json()["error"]["message"]


def test_settings_defaults_for_the_limits() -> None:
    s = Settings()
    assert (s.max_request_bytes, s.max_sessions, s.session_idle_timeout) == (1_000_000, 100, 600)
    assert (s.header_timeout, s.body_timeout, s.max_connections) == (10, 30, 500)


def test_uvicorn_serves_with_the_connection_cap_and_the_header_deadline() -> None:
    config = uvicorn_config(object(), settings(max_connections=7, header_timeout=3),  # type: ignore[arg-type]
                            host="127.0.0.1", port=8000, shutdown_grace=1)
    assert config.limit_concurrency == 7
    assert config.http.__name__ == "HeaderDeadlineH11Protocol"


# -- JSON-RPC edges over HTTP -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def open_url(registry: Registry) -> Iterator[str]:
    port = free_port()
    with serve_in_thread(http_app(CalMcpApp(settings(), registry), port=port), port=port) as url:
        yield url


@pytest.mark.parametrize(
    ("body", "code", "answer_id"),
    [
        (b"{not json", -32700, None),
        (b"\xff\xfe", -32700, None),
        (b'[{"jsonrpc":"2.0","id":1,"method":"ping"}]', -32600, None),
        (b"[]", -32600, None),
        (b'{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}', -32600, None),
        (b'{"jsonrpc":"2.0","id":1.5,"method":"ping"}', -32600, None),
        (b'{"jsonrpc":"1.0","id":1,"method":"ping"}', -32600, 1),
    ],
)
async def test_garbage_batches_and_bad_ids_get_the_json_rpc_error_on_both_transports(
    open_url: str, body: bytes, code: int, answer_id: int | None
) -> None:
    async with httpx.AsyncClient() as client, client.stream("GET", f"{open_url}/sse") as stream:
        async for line in stream.aiter_lines():
            if line.startswith("data:"):
                messages_path = line.removeprefix("data:").strip()
                break
        for path in ("/mcp", messages_path):
            answer = await client.post(open_url + path, content=body, headers=MCP_HEADERS)
            assert answer.status_code == 400, (path, answer.text)
            assert answer.json()["error"]["code"] == code, path
            assert answer.json()["id"] == answer_id


async def test_an_invalid_request_with_a_readable_id_is_answered_with_that_id(open_url: str) -> None:
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{open_url}/mcp", headers=MCP_HEADERS,
                                   content=json.dumps({"jsonrpc": "2.0", "id": 41, "method": "ping", "params": 5}))
    assert answer.status_code == 400
    assert answer.json() == {"jsonrpc": "2.0", "id": 41, "error": {"code": -32600, "message": answer.json()[
        "error"]["message"]}}


# -- body size and deadline (RequestGuard, driven directly) ----------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def __call__(self, message: Message) -> None:
        self.messages.append(message)

    @property
    def status(self) -> int:
        return int(self.messages[0]["status"])

    @property
    def body(self) -> Any:
        return json.loads(b"".join(m.get("body", b"") for m in self.messages[1:]))


async def inner_app(scope: Scope, receive: Receive, send: Send) -> None:
    message = await receive()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": message["body"]})


SCOPE: Scope = {"type": "http", "method": "POST", "path": "/mcp", "headers": []}
PING = b'{"jsonrpc":"2.0","id":1,"method":"ping"}'


async def test_a_body_trickling_in_past_the_deadline_gets_408_and_the_connection_closes() -> None:
    clock = FakeClock()
    chunks = iter([PING[:10], PING[10:20], PING[20:30], PING[30:]])

    async def receive() -> Message:
        clock.now += 12  # each piece arrives 12 s after the one before
        return {"type": "http.request", "body": next(chunks), "more_body": True}

    guard = RequestGuard(inner_app, max_bytes=1000, body_timeout=30, clock=clock)
    sent = Recorder()
    await guard(SCOPE, receive, sent)
    assert sent.status == 408
    assert (b"connection", b"close") in sent.messages[0]["headers"]
    assert sent.body["error"]["code"] == -32600


async def test_a_body_that_stops_arriving_gets_408() -> None:
    async def receive() -> Message:
        await anyio.sleep_forever()
        raise AssertionError

    guard = RequestGuard(inner_app, max_bytes=1000, body_timeout=0.01)
    sent = Recorder()
    with anyio.fail_after(10):
        await guard(SCOPE, receive, sent)
    assert sent.status == 408


async def test_a_body_in_time_and_under_the_cap_reaches_the_app_whole() -> None:
    clock = FakeClock()
    chunks = iter([PING[:10], PING[10:]])

    async def receive() -> Message:
        clock.now += 5
        chunk = next(chunks)
        return {"type": "http.request", "body": chunk, "more_body": chunk != PING[10:]}

    sent = Recorder()
    await RequestGuard(inner_app, max_bytes=1000, body_timeout=30, clock=clock)(SCOPE, receive, sent)
    assert sent.status == 200 and sent.body == json.loads(PING)


async def test_a_body_over_the_cap_without_a_length_gets_413_once_the_cap_is_passed() -> None:
    received = 0

    async def receive() -> Message:
        nonlocal received
        received += 1
        return {"type": "http.request", "body": b"x" * 400, "more_body": True}

    sent = Recorder()
    await RequestGuard(inner_app, max_bytes=1000, body_timeout=30)(SCOPE, receive, sent)
    assert sent.status == 413 and received == 3


# -- header deadline (uvicorn's h11 protocol, driven with a fake loop and transport) ---------------------------


class FakeTimer:
    def __init__(self, delay: float, callback: Any) -> None:
        self.delay, self.callback, self._cancelled = delay, callback, False

    def cancel(self) -> None:
        self._cancelled = True

    def cancelled(self) -> bool:
        return self._cancelled

    def fire(self) -> None:
        self.callback()


class FakeLoop:
    """Records timers instead of running them: a test fires one to say its time has come."""

    def __init__(self) -> None:
        self.timers: list[FakeTimer] = []

    def call_later(self, delay: float, callback: Any, *args: Any) -> FakeTimer:
        timer = FakeTimer(delay, lambda: callback(*args))
        self.timers.append(timer)
        return timer

    def pending(self) -> list[FakeTimer]:
        return [t for t in self.timers if not t.cancelled()]

    def get_debug(self) -> bool:
        return False

    def create_task(self, coro: Any, **_: Any) -> Any:
        coro.close()  # the request would now be served; that is not what these tests are about
        return _NoTask()


class _NoTask:
    def add_done_callback(self, callback: Any) -> None:
        pass


class FakeTransport:
    def __init__(self) -> None:
        self.closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def write(self, data: bytes) -> None:
        pass

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def protocol(loop: FakeLoop) -> Any:
    import uvicorn
    from uvicorn.server import ServerState

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("not reached")

    config = uvicorn.Config(app, log_level="warning")
    config.load()
    cls = header_deadline_protocol(10)
    return cls(config=config, server_state=ServerState(), app_state={}, _loop=loop)


def test_a_connection_that_sends_no_headers_is_closed_when_the_header_deadline_fires() -> None:
    loop = FakeLoop()
    proto = protocol(loop)
    transport = FakeTransport()
    proto.connection_made(transport)
    proto.data_received(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # headers, unfinished
    (timer,) = loop.pending()
    assert timer.delay == 10
    timer.fire()  # the deadline passes
    assert transport.closed


def test_once_headers_are_complete_the_header_deadline_is_off() -> None:
    loop = FakeLoop()
    proto = protocol(loop)
    proto.connection_made(FakeTransport())
    proto.data_received(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert loop.timers and not loop.pending()
