"""A real browser (Debian's chromium, driven by Playwright) signs in end to end through cal-mcp's pages."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from tests.conftest import serve_in_thread
from tests.oauth_support import (
    Grant,
    authorize_url,
    exchange,
    oauth_server,
    open_session,
    pkce,
    query_of,
    register,
    sqlite_url,
)

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
async def page() -> AsyncIterator[Any]:
    if not shutil.which(CHROMIUM):
        pytest.skip("chromium is not installed (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = await browser.new_context()
            yield await context.new_page()
        finally:
            await browser.close()


def _callback_app() -> Starlette:
    async def callback(request: Request) -> Response:
        return HTMLResponse(f"<h1>Connected</h1><p id=code>{request.query_params.get('code', '')}</p>")

    return Starlette(routes=[Route("/callback", callback)])


async def _call_as(server_url: str, grant: Grant) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        tokens = await exchange(http, server_url, grant)
        assert tokens.status_code == 200, tokens.text
        token = tokens.json()["access_token"]
        opened = await open_session(http, server_url, token)
        session = opened.headers["mcp-session-id"]
        headers = {"Accept": "application/json", "Content-Type": "application/json",
                   "MCP-Protocol-Version": "2025-11-25", "Mcp-Session-Id": session, "Authorization": f"Bearer {token}"}
        await http.post(f"{server_url}/mcp", headers=headers,
                        json={"jsonrpc": "2.0", "method": "notifications/initialized"})
        streaming = {**headers, "Accept": "application/json, text/event-stream"}
        answer = await http.post(f"{server_url}/mcp", headers=streaming,
                                 json={"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                                       "params": {"name": "CAL_RETRIEVE_MY_INFORMATION", "arguments": {}}})
        line = next(row for row in answer.text.splitlines() if row.startswith("data:"))
        import json

        return dict(json.loads(line.removeprefix("data:"))["result"]["structuredContent"]["data"])


@pytest.mark.parametrize("how", ["cal-oauth", "api-key"])
async def test_a_person_signs_in_in_a_real_browser_and_the_client_gets_a_working_token(
        page: Any, tmp_path: Path, how: str) -> None:
    with serve_in_thread(_callback_app()) as callback_host, oauth_server(sqlite_url(tmp_path)) as server:
        redirect = f"{callback_host}/callback"
        async with httpx.AsyncClient() as http:
            client_id = (await register(http, server.url, [redirect], client_name="Browser Test App")).json()[
                "client_id"]
        verifier, challenge = pkce()
        await page.goto(authorize_url(server.url, client_id, redirect, challenge))
        assert "Browser Test App" in await page.locator("h1").inner_text()
        if how == "cal-oauth":
            await page.get_by_role("button", name="Sign in with Cal.com").click()
            await page.get_by_label("Sign in as").fill("browser.ana")
            await page.get_by_role("button", name="Allow access").click()
        else:
            await page.get_by_label("Cal.com API key").fill("cal_live_browser_key")
            await page.get_by_role("button", name="Continue with this key").click()
        await page.wait_for_url(f"{server.url}/consent?*")
        assert "Allow Browser Test App?" in await page.locator("h1").inner_text()
        await page.get_by_role("button", name="Allow", exact=True).click()
        await page.wait_for_url(f"{redirect}?*")
        query = query_of(page.url)
        assert query["state"] == "st-1"
        me = await _call_as(server.url, Grant(client_id, redirect, verifier, query["code"]))
        if how == "cal-oauth":
            assert me["username"] == "browser.ana"
        else:
            assert me["username"].startswith("key-")


async def test_the_error_page_a_person_sees_for_a_bad_redirect_is_readable(page: Any, tmp_path: Path) -> None:
    with oauth_server(sqlite_url(tmp_path)) as server:
        async with httpx.AsyncClient() as http:
            client_id = (await register(http, server.url, ["https://app.example/cb"])).json()["client_id"]
        response = await page.goto(authorize_url(server.url, client_id, "https://evil.example/cb", pkce()[1]))
        assert response.status == 400
        assert page.url.startswith(server.url)  # stayed here: no redirect to the unregistered URI
        alert = await page.get_by_role("alert").inner_text()
        assert "not registered" in alert
