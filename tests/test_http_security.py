"""The HTTP transports' guards: Host/Origin checks, bearer auth, the bind rule, size limits, survival.

In-process uvicorn on loopback serves ``http_app`` for the header checks; real
``python -m cal_mcp`` processes show the refusal to bind a public address without auth and that
nothing a client does (disconnecting mid-call, sending garbage) ends the process.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from cal_mcp.app import CalMcpApp
from cal_mcp.config import Settings
from cal_mcp.registry import Registry
from cal_mcp.transports import http_app
from tests.conftest import free_port, serve_in_thread
from tests.fake_upstream import (
    Child,
    Delay,
    FakeUpstream,
    child_env,
    json_reply,
    start_child,
    wait_until_healthy,
)

TOKEN = "mcp_http_token_5f4e3d2c1b_a9b8c7d6e5f4"  # 32+ (secrets_policy)
MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
INITIALIZE = {
    "jsonrpc": "2.0", "id": 1, "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
}


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"api_key": "cal_test_key", "base_url": "http://127.0.0.1:9", "rate_limit_per_minute": 0,
                              "sandbox": False}
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="module")
def open_url(registry: Registry) -> Iterator[str]:
    """No auth token configured; extra allowed Host name ``mcp.example.com``."""
    app = CalMcpApp(settings(), registry)
    port = free_port()
    with serve_in_thread(http_app(app, port=port, extra_hosts=["mcp.example.com"]), port=port) as url:
        yield url


@pytest.fixture(scope="module")
def guarded_url(registry: Registry) -> Iterator[str]:
    app = CalMcpApp(settings(auth_token=TOKEN), registry)
    port = free_port()
    with serve_in_thread(http_app(app, port=port), port=port) as url:
        yield url


# -- Host and Origin (DNS rebinding) ------------------------------------------------------------


async def test_streamable_http_accepts_loopback_host_and_origin(open_url: str) -> None:
    port = open_url.rsplit(":", 1)[1]
    async with httpx.AsyncClient() as client:
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", "mcp.example.com:8443"):
            answer = await client.post(f"{open_url}/mcp", json=INITIALIZE,
                                       headers={**MCP_HEADERS, "Host": host, "Origin": f"http://{host}"})
            assert answer.status_code == 200, (host, answer.text)


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/mcp"), ("GET", "/sse"), ("POST", "/messages/?session_id=00000000000000000000000000000000")],
)
async def test_a_foreign_host_header_gets_421_on_both_transports(open_url: str, method: str, path: str) -> None:
    async with httpx.AsyncClient() as client:
        answer = await client.request(method, open_url + path, json=INITIALIZE if method == "POST" else None,
                                      headers={**MCP_HEADERS, "Host": "evil.example"})
    assert answer.status_code == 421


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/mcp"), ("GET", "/sse"), ("POST", "/messages/?session_id=00000000000000000000000000000000")],
)
async def test_a_foreign_origin_gets_403_on_both_transports(open_url: str, method: str, path: str) -> None:
    async with httpx.AsyncClient() as client:
        answer = await client.request(method, open_url + path, json=INITIALIZE if method == "POST" else None,
                                      headers={**MCP_HEADERS, "Origin": "http://evil.example"})
    assert answer.status_code == 403


# -- bearer auth ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/mcp", "/sse", "/messages/?session_id=00000000000000000000000000000000"])
@pytest.mark.parametrize("given", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", TOKEN])
async def test_without_the_right_bearer_token_every_mcp_path_answers_401(
    guarded_url: str, path: str, given: str | None
) -> None:
    headers = dict(MCP_HEADERS)
    if given is not None:
        headers["Authorization"] = given
    async with httpx.AsyncClient() as client:
        method = "GET" if path == "/sse" else "POST"
        answer = await client.request(method, guarded_url + path, json=INITIALIZE if method == "POST" else None,
                                      headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert answer.json()["error"] == "invalid_token"


async def test_with_the_right_token_both_transports_serve_and_healthz_needs_none(guarded_url: str) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{guarded_url}/healthz")).status_code == 200
        answer = await client.post(f"{guarded_url}/mcp", json=INITIALIZE, headers={**MCP_HEADERS, **auth})
        assert answer.status_code == 200
        async with client.stream("GET", f"{guarded_url}/sse", headers=auth) as stream:
            assert stream.status_code == 200
            async for line in stream.aiter_lines():
                if line.startswith("data:"):
                    assert "/messages/?session_id=" in line
                    break

    http = httpx2.AsyncClient(headers=auth)
    async with http, Client(streamable_http_client(f"{guarded_url}/mcp", http_client=http)) as mcp:
        assert len((await mcp.list_tools()).tools) > 100


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "BeArEr"])
async def test_the_bearer_scheme_name_is_accepted_in_any_letter_case(guarded_url: str, scheme: str) -> None:
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{guarded_url}/mcp", json=INITIALIZE,
                                   headers={**MCP_HEADERS, "Authorization": f"{scheme} {TOKEN}"})
    assert answer.status_code == 200, answer.text


async def test_the_token_itself_stays_case_sensitive(guarded_url: str) -> None:
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{guarded_url}/mcp", json=INITIALIZE,
                                   headers={**MCP_HEADERS, "Authorization": f"bearer {TOKEN.upper()}"})
    assert answer.status_code == 401


# -- request size -----------------------------------------------------------------------------------


async def test_a_two_megabyte_request_is_refused_with_413(open_url: str) -> None:
    huge = {**INITIALIZE, "params": {**INITIALIZE["params"], "padding": "x" * 2_000_000}}
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{open_url}/mcp", content=json.dumps(huge), headers=MCP_HEADERS)
    assert answer.status_code == 413


async def test_a_tool_call_with_two_megabytes_of_arguments_is_refused_with_413(open_url: str) -> None:
    async with httpx.AsyncClient() as client:
        init = await client.post(f"{open_url}/mcp", json=INITIALIZE, headers=MCP_HEADERS)
        session = {"mcp-session-id": init.headers["mcp-session-id"], "mcp-protocol-version": "2025-11-25"}
        call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                "params": {"name": "CAL_FETCH_ALL_BOOKINGS", "arguments": {"attendeeName": "x" * 2_000_000}}}
        answer = await client.post(f"{open_url}/mcp", json=call, headers={**MCP_HEADERS, **session})
    assert answer.status_code == 413


# -- the process: bind rule and survival -------------------------------------------------------------


@pytest.mark.slow
async def test_binding_a_public_address_without_auth_is_refused_with_exit_2(tmp_path: Path) -> None:
    children = [
        start_child("cal_mcp", "--transport", transport, "--host", host, "--port", str(free_port()),
                    env=child_env(CAL_API_KEY="cal_test_key"), stderr_path=tmp_path / f"{transport}-{host}.txt")
        for transport in ("http", "sse") for host in ("0.0.0.0", "192.0.2.10")
    ]
    for child in children:
        code = await anyio.to_thread.run_sync(child.process.wait, 60)
        stderr = child.stderr()
        assert code == 2, stderr
        assert "refusing to serve" in stderr
        assert "CAL_MCP_AUTH_TOKEN" in stderr and "--allow-unauthenticated" in stderr
        assert "Traceback" not in stderr


@pytest.mark.slow
@pytest.mark.parametrize("how", ["token", "flag"])
async def test_a_public_address_is_served_with_a_token_or_the_explicit_flag(tmp_path: Path, how: str) -> None:
    port = free_port()
    env = child_env(CAL_API_KEY="cal_test_key", **({"CAL_MCP_AUTH_TOKEN": TOKEN} if how == "token" else {}))
    flag = ["--allow-unauthenticated"] if how == "flag" else []
    child = start_child("cal_mcp", "--transport", "http", "--host", "0.0.0.0", "--port", str(port), *flag,
                        env=env, stderr_path=tmp_path / "stderr.txt")
    try:
        await wait_until_healthy(child, f"http://127.0.0.1:{port}")
    finally:
        assert child.stop() == 0


@pytest.fixture
def slow_cal() -> Iterator[FakeUpstream]:
    with FakeUpstream() as cal:
        cal.program(Delay(1.5, json_reply(200, {"status": "success", "data": {"slow": True}})),
                    method="GET", path="/v2/me")
        cal.program(json_reply(200, {"status": "success", "data": [{"id": 1}]}), method="GET", path="/v2/schedules")
        yield cal


async def calls_still_work(child: Child, url: str) -> None:
    assert child.process.poll() is None, child.stderr()
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{url}/healthz")).status_code == 200
    async with Client(f"{url}/mcp") as mcp:
        result = await mcp.call_tool("CAL_RETRIEVE_SCHEDULES_LIST", {})
    assert not result.is_error and result.structured_content == {"data": [{"id": 1}]}


@pytest.mark.slow
async def test_clients_that_vanish_mid_call_or_send_garbage_do_not_end_the_process(
    slow_cal: FakeUpstream, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = child_env(CAL_API_KEY="cal_test_key", CAL_API_BASE_URL=slow_cal.url, CAL_MCP_RATE_LIMIT="0")
    child = start_child("cal_mcp", "--transport", "http", "--port", str(port), env=env,
                        stderr_path=tmp_path / "stderr.txt")
    try:
        await wait_until_healthy(child, url)

        for mode in ("legacy", "auto"):  # a client that goes away while its call waits for Cal
            seen = len(slow_cal.requests_to("GET", "/v2/me"))
            with anyio.fail_after(20):
                async with anyio.create_task_group() as group:

                    async def doomed_call(mode: str = mode) -> None:
                        async with Client(f"{url}/mcp", mode=mode) as mcp:  # type: ignore[arg-type]
                            await mcp.list_tools()
                            await mcp.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})

                    group.start_soon(doomed_call)
                    while len(slow_cal.requests_to("GET", "/v2/me")) == seen:  # noqa: ASYNC110 (other thread)
                        await anyio.sleep(0.02)
                    group.cancel_scope.cancel()
            await calls_still_work(child, url)

        async with httpx.AsyncClient() as client:  # protocol garbage
            for body in (b"{not json", b"[]", b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":5}',
                         b'{"jsonrpc":"2.0","id":1,"method":"no/such/method"}', b"\xff\xfe"):
                answer = await client.post(f"{url}/mcp", content=body, headers=MCP_HEADERS)
                assert 400 <= answer.status_code < 500 or answer.status_code == 200
            init = await client.post(f"{url}/mcp", json=INITIALIZE, headers=MCP_HEADERS)
            session = {"mcp-session-id": init.headers["mcp-session-id"], "mcp-protocol-version": "2025-11-25"}
            bad_call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                        "params": {"name": "CAL_RETRIEVE_MY_INFORMATION", "arguments": "not an object"}}
            await client.post(f"{url}/mcp", json=bad_call, headers={**MCP_HEADERS, **session})
        await calls_still_work(child, url)
    finally:
        code = child.stop()
    assert code == 0, child.stderr()


async def test_an_exception_inside_a_handler_is_an_error_result_and_the_server_keeps_serving(
    registry: Registry,
) -> None:
    calls = 0

    def flaky(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("a bug in the request path")
        return httpx.Response(200, json={"status": "success", "data": {"id": 7}})

    app = CalMcpApp(settings(), registry, transport=httpx.MockTransport(flaky))
    port = free_port()
    with serve_in_thread(http_app(app, port=port), port=port) as url:
        for mode in ("legacy", "auto"):
            async with Client(f"{url}/mcp", mode=mode) as mcp:  # type: ignore[arg-type]
                if mode == "legacy":
                    failed = await mcp.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})
                    assert failed.is_error
                    assert failed.structured_content["error"]["kind"] == "internal_error"
                    assert "a bug in the request path" not in failed.content[0].text
                after = await mcp.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})
                assert after.structured_content["data"] == {"id": 7}
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"{url}/healthz")).status_code == 200
