"""Without --sandbox: cal-mcp reaches "Cal.com" over the network (a loopback server speaking Cal's OAuth and API),
configured only through the environment, as a deployment would be."""

from __future__ import annotations

from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.routing import Mount

from cal_mcp.app import CalMcpApp
from cal_mcp.auth.crypto import new_key
from cal_mcp.auth.wiring import build_oauth_mode
from cal_mcp.config import Settings
from cal_mcp.registry import load_registry
from cal_mcp.sandbox.accounts import AUTHORIZE_PATH, CAL_OAUTH_CLIENT_ID, CAL_OAUTH_CLIENT_SECRET, SandboxAccounts
from cal_mcp.sandbox.clock import FrozenClock
from cal_mcp.sandbox.state import DEFAULT_EPOCH
from cal_mcp.transports import http_app
from tests.conftest import free_port, serve_in_thread
from tests.oauth_support import sdk_client, sqlite_url, unix_fake_clock


def _fake_cal(accounts: SandboxAccounts) -> Starlette:
    return Starlette(routes=[*accounts.authorize_routes(), Mount("/", app=accounts)])


async def test_cal_oauth_sign_in_against_a_cal_reached_over_the_network(tmp_path: Path) -> None:
    clock = unix_fake_clock()
    accounts = SandboxAccounts(clock=clock, make_clock=lambda: FrozenClock(DEFAULT_EPOCH))
    with serve_in_thread(_fake_cal(accounts)) as cal_url:
        port = free_port()
        settings = Settings(base_url=cal_url, rate_limit_per_minute=120)  # type: ignore[call-arg]
        environ = {
            "CAL_MCP_DATABASE_URL": sqlite_url(tmp_path),
            "CAL_MCP_ENCRYPTION_KEYS": new_key(),
            "CAL_MCP_CAL_OAUTH_CLIENT_ID": CAL_OAUTH_CLIENT_ID,
            "CAL_MCP_CAL_OAUTH_CLIENT_SECRET": CAL_OAUTH_CLIENT_SECRET,
            "CAL_MCP_CAL_OAUTH_AUTHORIZE_URL": f"{cal_url}{AUTHORIZE_PATH}",
            "CAL_MCP_API_KEY_SIGNIN": False,
        }
        mode = build_oauth_mode(settings, host="127.0.0.1", port=port, sandbox=None, environ=environ, clock=clock)
        registry = load_registry()
        app = CalMcpApp(settings, registry)
        app.caller = mode.gate(registry)
        with serve_in_thread(http_app(app, host="127.0.0.1", port=port, oauth=mode), port) as url:
            async with httpx.AsyncClient() as http:
                assert mode.upstream.authorize_endpoint.startswith(cal_url)
                assert (await http.get(f"{url}/.well-known/oauth-authorization-server")).status_code == 200
            async with sdk_client(url, account="net.user") as client:
                me = await client.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})
                assert not me.is_error and me.structured_content["data"]["username"] == "net.user"
                clock.advance(1800)  # Cal's token has expired: cal-mcp refreshes it over the network
                again = await client.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})
                assert not again.is_error and again.structured_content["data"]["username"] == "net.user"
