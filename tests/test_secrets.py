"""No configured secret ever leaves the server: not in a tool result, not in a log line.

Known values are configured for ``CAL_API_KEY``, ``CAL_OAUTH_CLIENT_SECRET`` and
``CAL_MCP_AUTH_TOKEN``; then a suite of calls runs (successes, 401s, 500s, timeouts, bad
arguments, an upstream that echoes the credentials it received in its error message and body, a
bug that puts a credential into an exception) and every result and every log line is searched
for the values. Once in process (pytest's caplog at DEBUG, the in-memory MCP client) and once
as a real ``python -m cal_mcp --transport http`` process (its stderr, its HTTP answers).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from cal_mcp.app import CalMcpApp
from cal_mcp.config import Settings
from cal_mcp.logs import MASK, redact
from cal_mcp.registry import Registry, load_registry
from tests.conftest import free_port
from tests.fake_upstream import (
    Dynamic,
    FakeUpstream,
    Hang,
    Recorded,
    Reply,
    cal_error,
    child_env,
    json_reply,
    start_child,
    wait_until_healthy,
)

API_KEY = "cal_live_k3y_SECRET_0a1b2c3d4e"
OAUTH_SECRET = "oauth_SECRET_9f8e7d6c5b4a"
AUTH_TOKEN = "mcp_TOKEN_SECRET_1234abcd5678_efgh9012"  # 32+ (secrets_policy)
SECRETS = (API_KEY, OAUTH_SECRET, AUTH_TOKEN)
REGISTRY: Registry = load_registry()


def echo_error(status: int) -> Reply:
    """Cal answering an error that repeats the credentials it was sent, in the message and the details."""

    def make(request: Recorded) -> Reply:
        sent = {k: v for k, v in request.headers.items() if k in ("authorization", "x-cal-secret-key")}
        message = f"Rejected credentials {json.dumps(sent)}"
        body = {"status": "error", "error": {"code": "UNAUTHORIZED", "message": message, "details": {"sent": sent}}}
        return json_reply(status, body)

    return Dynamic(make)


def echo_success() -> Reply:
    def make(request: Recorded) -> Reply:
        return json_reply(200, {"status": "success", "data": {"headers": request.headers, API_KEY: "as a key"}})

    return Dynamic(make)


def program_upstream(cal: FakeUpstream) -> None:
    cal.program(echo_success(), method="GET", path="/v2/me")
    cal.program(echo_error(401), method="GET", path="/v2/schedules")
    cal.program(echo_error(400), method="GET", path="/v2/timezones")
    cal.program(cal_error(500, "Internal server error"), method="GET", path="/v2/bookings")
    cal.program(Hang(), method="GET", path="/v2/event-types")
    cal.program(echo_error(401), method="GET", path="/v2/oauth-clients/client-1/users")
    cal.program(echo_error(503), method="POST", path="/v2/bookings")


CALLS: list[tuple[str, dict[str, Any]]] = [
    ("CAL_RETRIEVE_MY_INFORMATION", {}),  # success whose body echoes the headers
    ("CAL_RETRIEVE_SCHEDULES_LIST", {}),  # 401 echoing the Authorization header
    ("CAL_GET_ALL_TIMEZONES", {}),  # 400 echoing it
    ("CAL_FETCH_ALL_BOOKINGS", {}),  # 500
    ("CAL_LIST_EVENT_TYPES", {}),  # timeout
    ("CAL_GET_OAUTH_CLIENTS_USER", {}),  # 401 echoing x-cal-secret-key
    ("CAL_POST_NEW_BOOKING_REQUEST", {  # 503 on a write: outcome unknown
        "start": "2026-12-01T09:00:00Z", "attendee": {"name": "Ada", "timeZone": "Europe/London"}}),
    ("CAL_RETRIEVE_BOOKING_DETAILS_BY_UID", {}),  # missing argument
    ("CAL_FETCH_ALL_BOOKINGS", {"take": "many"}),  # wrong type
    ("CAL_NO_SUCH_TOOL", {}),  # unknown tool
]


def assert_no_secret(where: str, text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"a configured secret leaked into {where}"


def dump(result: Any) -> str:
    return json.dumps(result.model_dump(mode="json", by_alias=True))


@pytest.fixture
def cal() -> Iterator[FakeUpstream]:
    with FakeUpstream() as upstream:
        program_upstream(upstream)
        yield upstream


def settings(base_url: str) -> Settings:
    return Settings(
        api_key=API_KEY, oauth_client_id="client-1", oauth_client_secret=OAUTH_SECRET, auth_token=AUTH_TOKEN,
        base_url=base_url, rate_limit_per_minute=0, sandbox=False, read_timeout=0.3, max_retries=0,
    )


@pytest.fixture
async def app(cal: FakeUpstream) -> AsyncIterator[CalMcpApp]:
    application = CalMcpApp(settings(cal.url), REGISTRY)
    yield application
    await application.aclose()


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_no_secret_reaches_a_tool_result_or_a_log_line_in_process(
    app: CalMcpApp, cal: FakeUpstream, caplog: pytest.LogCaptureFixture, mode: str
) -> None:
    caplog.set_level(logging.DEBUG)
    outputs = []
    async with Client(app.build_server(), mode=mode) as client:  # type: ignore[arg-type]
        for name, arguments in CALLS:
            outputs.append((name, await client.call_tool(name, arguments)))

    # The upstream did receive the credentials, so the echoes really carried them.
    assert cal.requests_to("GET", "/v2/me")[0].headers["authorization"] == f"Bearer {API_KEY}"
    assert cal.requests_to("GET", "/v2/oauth-clients/client-1/users")[0].headers["x-cal-secret-key"] == OAUTH_SECRET
    for name, result in outputs:
        assert_no_secret(f"the result of {name}", dump(result))
    assert_no_secret("the log", caplog.text)
    for record in caplog.records:
        assert_no_secret("a log record", record.getMessage())

    by_name = dict(outputs[:3])
    assert MASK in dump(by_name["CAL_RETRIEVE_MY_INFORMATION"])  # masked, not dropped
    error = by_name["CAL_RETRIEVE_SCHEDULES_LIST"].structured_content["error"]
    assert error["status"] == 401 and f"Bearer {MASK}" in error["message"]


async def test_a_credential_inside_an_unexpected_exception_is_masked_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise RuntimeError(f"bug while sending with {request.headers['authorization']}")

    caplog.set_level(logging.DEBUG)
    app = CalMcpApp(settings("http://cal.test"), REGISTRY, transport=httpx.MockTransport(broken))
    try:
        result = await app.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})
    finally:
        await app.aclose()

    assert result.structured_content["error"]["kind"] == "internal_error"
    assert_no_secret("the result", dump(result))
    assert "bug while sending" in caplog.text  # the detail is logged...
    assert_no_secret("the log", caplog.text)  # ...with the credential masked
    assert f"Bearer {MASK}" in caplog.text


async def test_fresh_credentials_a_tool_exists_to_return_are_not_masked(cal: FakeUpstream) -> None:
    fresh = {"accessToken": "fresh_access_AAAA1111", "refreshToken": "fresh_refresh_BBBB2222"}
    cal.program(json_reply(200, {"status": "success", "data": fresh}), method="POST", path="/v2/oauth/client-1/refresh")
    app = CalMcpApp(settings(cal.url), REGISTRY)
    try:
        result = await app.call_tool("CAL_REFRESH_OAUTH_TOKEN_FOR_CLIENT_ID", {"refreshToken": "old_refresh"})
    finally:
        await app.aclose()
    assert result.structured_content == {"data": fresh}


def test_redact_masks_every_configured_value_wherever_it_sits() -> None:
    value = {"a": [f"x{API_KEY}y", {API_KEY: OAUTH_SECRET}], "n": 3, "ok": None, "t": ("keep", OAUTH_SECRET)}
    assert redact(value, SECRETS) == {"a": [f"x{MASK}y", {MASK: MASK}], "n": 3, "ok": None, "t": ("keep", MASK)}
    # A short secret is still masked, exactly as it is (its encodings would match ordinary text).
    assert redact("abc", ("ab",)) == f"{MASK}c"
    assert redact("AB", ("ab",)) == "AB"


@pytest.mark.slow
async def test_no_secret_reaches_an_http_answer_or_stderr_of_a_server_process(
    cal: FakeUpstream, tmp_path: Path
) -> None:
    port = free_port()
    env = child_env(
        CAL_API_KEY=API_KEY, CAL_OAUTH_CLIENT_ID="client-1", CAL_OAUTH_CLIENT_SECRET=OAUTH_SECRET,
        CAL_MCP_AUTH_TOKEN=AUTH_TOKEN, CAL_API_BASE_URL=cal.url, CAL_MCP_READ_TIMEOUT="0.3",
        CAL_MCP_MAX_RETRIES="0", CAL_MCP_RATE_LIMIT="0",
    )
    child = start_child("cal_mcp", "--transport", "http", "--port", str(port), "--log-level", "DEBUG",
                        env=env, stderr_path=tmp_path / "stderr.txt")
    url = f"http://127.0.0.1:{port}"
    answers: list[str] = []
    try:
        await wait_until_healthy(child, url)
        async with httpx.AsyncClient() as plain:
            refused = await plain.post(f"{url}/mcp", json={}, headers={"Authorization": "Bearer wrong"})
        assert refused.status_code == 401
        answers.append(refused.text + json.dumps(dict(refused.headers)))

        for mode in ("legacy", "auto"):
            http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {AUTH_TOKEN}"})
            async with http, Client(streamable_http_client(f"{url}/mcp", http_client=http), mode=mode) as client:
                for name, arguments in CALLS:
                    answers.append(dump(await client.call_tool(name, arguments)))
    finally:
        code = child.stop()
    stderr = child.stderr()

    assert code == 0, stderr
    assert len(cal.requests) >= 12  # the calls really went upstream, carrying the credentials
    assert "serving" in stderr and "DEBUG" in stderr  # there was logging to search
    assert_no_secret("the server's stderr", stderr)
    for answer in answers:
        assert_no_secret("an HTTP answer", answer)
