"""Each caller's own Cal credential goes out on the wire and into the rate budget, and out of answers."""

from __future__ import annotations

import httpx
import pytest

from cal_mcp.auth.context import CALLER_CREDENTIAL
from cal_mcp.cal_client import CalClient
from cal_mcp.config import Settings
from cal_mcp.errors import RateLimitedError
from cal_mcp.request_builder import CalRequest


def _client(seen: list[str]) -> CalClient:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["authorization"])
        return httpx.Response(200, json={"status": "success", "data": {"echo": request.headers["authorization"]}})

    settings = Settings(api_key="cal_server_key", rate_limit_per_minute=1, rate_limit_max_wait=0)  # type: ignore[call-arg]
    return CalClient(settings, transport=httpx.MockTransport(answer), base_url="https://api.cal.test")


async def test_the_callers_credential_is_sent_budgeted_per_caller_and_masked_in_answers() -> None:
    seen: list[str] = []
    client = _client(seen)
    request = CalRequest("GET", "/v2/me")
    try:
        token = CALLER_CREDENTIAL.set("cal_live_ana_secret_key")
        try:
            answer = await client.send(request)
            assert seen[-1] == "Bearer cal_live_ana_secret_key"
            assert "cal_live_ana_secret_key" not in str(answer.body)  # an upstream echo is masked
            with pytest.raises(RateLimitedError):  # Ana's budget (1/min here) is spent...
                await client.send(request)
        finally:
            CALLER_CREDENTIAL.reset(token)
        token = CALLER_CREDENTIAL.set("cal_live_bo_secret_key")
        try:
            await client.send(request)  # ...Bo's is not
            assert seen[-1] == "Bearer cal_live_bo_secret_key"
        finally:
            CALLER_CREDENTIAL.reset(token)
        assert "Bearer cal_server_key" not in seen  # the server's own key never stood in for a caller
    finally:
        await client.aclose()
