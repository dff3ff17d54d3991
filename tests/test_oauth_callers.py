"""OAuth mode: scopes decide the tools; client ID metadata documents; each user's Cal credential, refreshed once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cal_mcp.auth.upstream import UpstreamError
from tests.conftest import serve_in_thread
from tests.oauth_support import (
    MCP_HEADERS,
    authorize_url,
    code_for,
    exchange,
    oauth_server,
    open_session,
    pkce,
    query_of,
    sdk_client,
    sign_in,
    sqlite_url,
)


def _texts(result: Any) -> str:
    return " ".join(getattr(c, "text", "") for c in result.content)


async def test_a_read_only_grant_sees_only_read_tools_and_cannot_call_a_write_tool(tmp_path: Path) -> None:
    with oauth_server(sqlite_url(tmp_path)) as server:
        async with sdk_client(server.url, account="ana", access="read") as client:
            tools = (await client.list_tools()).tools
            assert tools and all(tool.annotations and tool.annotations.read_only_hint for tool in tools)
            assert "CAL_FETCH_ALL_BOOKINGS" in {tool.name for tool in tools}
            refused = await client.call_tool("CAL_CANCEL_BOOKING_VIA_UID", {"bookingUid": "x"})
            assert refused.is_error and "read-only" in _texts(refused) and "cal:write" in _texts(refused)
            assert not (await client.call_tool("CAL_FETCH_ALL_BOOKINGS", {})).is_error


def _metadata_app(documents: dict[str, dict[str, Any]]) -> Starlette:
    async def serve(request: Request) -> Response:
        doc = documents.get(request.url.path)
        return JSONResponse(doc) if doc is not None else Response(status_code=404)

    return Starlette(routes=[Route("/{path:path}", serve)])


async def test_a_client_id_metadata_document_identifies_a_client_without_registration(tmp_path: Path) -> None:
    documents: dict[str, dict[str, Any]] = {}
    with serve_in_thread(_metadata_app(documents)) as host, oauth_server(sqlite_url(tmp_path)) as server:
        client_id = f"{host}/client.json"
        documents["/client.json"] = {"client_id": client_id, "client_name": "Metadata Client",
                                     "redirect_uris": ["http://127.0.0.1:7777/cb"],
                                     "token_endpoint_auth_method": "none"}
        documents["/liar.json"] = {**documents["/client.json"], "client_id": f"{host}/other.json"}
        grant = await code_for(server.url, client_id=client_id, redirect_uri="http://127.0.0.1:7777/cb")
        async with httpx.AsyncClient() as http:
            tokens = await exchange(http, server.url, grant)
            assert tokens.status_code == 200, tokens.text
            assert (await open_session(http, server.url, tokens.json()["access_token"])).status_code == 200
            liar = await http.get(authorize_url(server.url, f"{host}/liar.json", "http://127.0.0.1:7777/cb",
                                                pkce()[1]))
            assert liar.status_code == 400 and "location" not in liar.headers
            unlisted = await http.get(authorize_url(server.url, client_id, "http://evil.example/cb", pkce()[1]))
            assert unlisted.status_code == 400 and "location" not in unlisted.headers


async def test_an_http_client_id_url_is_refused_unless_the_dev_setting_allows_it(tmp_path: Path) -> None:
    documents: dict[str, dict[str, Any]] = {}
    with serve_in_thread(_metadata_app(documents)) as host, \
            oauth_server(sqlite_url(tmp_path), environ={"CAL_MCP_DEV_ALLOW_HTTP_CLIENT_METADATA": False}) as server:
        client_id = f"{host}/client.json"
        documents["/client.json"] = {"client_id": client_id, "redirect_uris": ["http://127.0.0.1:7777/cb"]}
        async with httpx.AsyncClient() as http:
            answer = await http.get(authorize_url(server.url, client_id, "http://127.0.0.1:7777/cb", pkce()[1]))
            assert answer.status_code == 400 and "location" not in answer.headers


async def test_the_cal_token_is_refreshed_before_it_expires_once_for_concurrent_calls(tmp_path: Path) -> None:
    with oauth_server(sqlite_url(tmp_path)) as server:
        refreshes = 0
        original = server.mode.upstream.refresh

        async def counting_refresh(token: str) -> Any:
            nonlocal refreshes
            refreshes += 1
            await anyio.sleep(0.05)  # let the other calls pile up behind the lock
            return await original(token)

        server.mode.upstream.refresh = counting_refresh  # type: ignore[method-assign]
        async with sdk_client(server.url, account="ana") as client:
            assert not (await client.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})).is_error
            assert refreshes == 0
            server.clock.advance(1800 - 60)  # inside the refresh margin of Cal's 1800 s access token
            results: list[Any] = []

            async def call() -> None:
                results.append(await client.call_tool("CAL_RETRIEVE_MY_INFORMATION", {}))

            async with anyio.create_task_group() as group:
                for _ in range(4):
                    group.start_soon(call)
            assert refreshes == 1
            assert all(not r.is_error and r.structured_content["data"]["username"] == "ana" for r in results)


async def test_a_cal_sign_in_cal_no_longer_accepts_asks_the_user_to_sign_in_again(tmp_path: Path) -> None:
    with oauth_server(sqlite_url(tmp_path)) as server:
        async def refused(token: str) -> Any:
            raise UpstreamError("Cal.com refused the sign-in (HTTP 400).", refused=True)

        server.mode.upstream.refresh = refused  # type: ignore[method-assign]
        async with sdk_client(server.url, account="ana") as client:
            server.clock.advance(1800)
            result = await client.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})
            assert result.is_error and result.structured_content["error"]["kind"] == "sign_in_required"
            assert "connect again" in _texts(result)


async def test_api_key_sign_in_checks_the_key_with_cal(tmp_path: Path) -> None:
    """A key Cal refuses leaves the person on the form with the reason; the flow goes on with a good one."""
    from tests.oauth_support import hidden_fields, register

    with oauth_server(sqlite_url(tmp_path)) as server:
        async def whoami(key: str) -> Any:
            if key == "cal_live_bad":
                raise UpstreamError("Cal.com did not accept this credential.", refused=True)
            return await original(key)

        original = server.mode.upstream.whoami
        server.mode.upstream.whoami = whoami  # type: ignore[method-assign]
        async with httpx.AsyncClient() as browser:
            client_id = (await register(browser, server.url, ["http://127.0.0.1:9/cb"])).json()["client_id"]
            start = await browser.get(authorize_url(server.url, client_id, "http://127.0.0.1:9/cb", pkce()[1]))
            page = await browser.get(start.headers["location"])
            bad = await browser.post(f"{server.url}/signin/api-key",
                                     data={**hidden_fields(page.text), "api_key": "cal_live_bad"})
            assert bad.status_code == 400 and "did not accept this API key" in bad.text
            good = await browser.post(f"{server.url}/signin/api-key",
                                      data={**hidden_fields(bad.text), "api_key": "cal_live_good"})
            assert good.status_code == 303 and good.headers["location"].startswith("/consent?")


async def test_denying_consent_sends_access_denied_to_the_client(tmp_path: Path) -> None:
    with oauth_server(sqlite_url(tmp_path)) as server:
        async with httpx.AsyncClient() as http:
            from tests.oauth_support import register

            client_id = (await register(http, server.url, ["http://127.0.0.1:9/cb"])).json()["client_id"]
        location = await sign_in(authorize_url(server.url, client_id, "http://127.0.0.1:9/cb", pkce()[1]),
                                 account="ana", decision="deny")
        assert location.startswith("http://127.0.0.1:9/cb?")
        assert query_of(location)["error"] == "access_denied" and query_of(location)["state"] == "st-1"


async def test_cal_credentials_are_encrypted_at_rest_and_tokens_stored_only_as_hashes(tmp_path: Path) -> None:
    import sqlite3

    with oauth_server(sqlite_url(tmp_path)) as server:
        grant = await code_for(server.url, account="ana")
        async with httpx.AsyncClient() as http:
            tokens = (await exchange(http, server.url, grant)).json()
        raw = b""
        for name in ("auth.db", "auth.db-wal"):
            path = tmp_path / name
            if path.exists():
                raw += path.read_bytes()
        conn = sqlite3.connect(tmp_path / "auth.db")
        access_enc, refresh_enc = conn.execute("SELECT access_enc, refresh_enc FROM calmcp_users").fetchone()
        conn.close()
        assert access_enc.startswith("v1:") and refresh_enc.startswith("v1:")
        cal_tokens = list(server.accounts._access)  # what the sandbox Cal issued
        assert cal_tokens
        for secret in (*cal_tokens, tokens["access_token"], tokens["refresh_token"], grant.code):
            assert secret.encode() not in raw
        assert json.dumps(tokens)  # sanity: the tokens exist
        assert MCP_HEADERS


@pytest.mark.parametrize("hint", ["access_token", "refresh_token"])
async def test_revoking_the_refresh_token_ends_the_access_token_too(tmp_path: Path, hint: str) -> None:
    from tests.oauth_support import tokens_for

    with oauth_server(sqlite_url(tmp_path)) as server:
        grant = await tokens_for(server.url)
        async with httpx.AsyncClient() as http:
            await http.post(f"{server.url}/revoke", data={"token": grant.refresh_token, "token_type_hint": hint,
                                                           "client_id": grant.client_id})
            assert (await open_session(http, server.url, grant.access_token)).status_code == 401


async def test_client_id_urls_that_point_inside_the_network_are_refused(tmp_path: Path) -> None:
    from cal_mcp.auth.clients import ClientDirectory
    from cal_mcp.auth.store import open_store

    directory = ClientDirectory(open_store(sqlite_url(tmp_path)))
    for url in ("https://127.0.0.1/client.json", "https://10.0.0.8/c.json", "https://localhost/c.json",
                "https://[::1]/c.json", "http://example.com/c.json", "https://example.com/", "https://example.com"):
        assert await directory.get(url) is None, url
    assert await directory._resolves_inside("https://localhost.localdomain/c.json") is not None


async def test_rotating_the_encryption_key_keeps_signed_in_users_working(tmp_path: Path) -> None:
    """Sign in under key A; restart with "B,A" (the user's key is re-encrypted under B); then with B alone."""
    import sqlite3

    from cal_mcp.auth.crypto import new_key
    from tests.conftest import free_port
    from tests.oauth_support import unix_fake_clock

    key_a, key_b = new_key(), new_key()
    database, port, clock = sqlite_url(tmp_path), free_port(), unix_fake_clock()

    async def me(url: str, token: str) -> Any:
        async with httpx.AsyncClient() as http:
            opened = await open_session(http, url, token)
            assert opened.status_code == 200, opened.text
            session = opened.headers["mcp-session-id"]
            headers = {**MCP_HEADERS, "Authorization": f"Bearer {token}", "Mcp-Session-Id": session}
            initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
            await http.post(f"{url}/mcp", headers=headers, json=initialized)
            answer = await http.post(f"{url}/mcp", headers=headers, json={
                "jsonrpc": "2.0", "id": 2, "method": "tools/call",
                "params": {"name": "CAL_RETRIEVE_MY_INFORMATION", "arguments": {}}})
            data = next(line for line in answer.text.splitlines() if line.startswith("data:"))
            return json.loads(data.removeprefix("data:"))["result"]

    def stored_key() -> str:
        conn = sqlite3.connect(tmp_path / "auth.db")
        try:
            return str(conn.execute("SELECT access_enc FROM calmcp_users").fetchone()[0])
        finally:
            conn.close()

    with oauth_server(database, port=port, clock=clock, environ={"CAL_MCP_ENCRYPTION_KEYS": key_a}) as server:
        grant = await _api_key_tokens(server.url)
    first = stored_key()
    with oauth_server(database, port=port, clock=clock, environ={"CAL_MCP_ENCRYPTION_KEYS": f"{key_b},{key_a}"}):
        assert not (await me(f"http://127.0.0.1:{port}", grant))["isError"]
    assert stored_key() != first  # re-encrypted under B
    with oauth_server(database, port=port, clock=clock, environ={"CAL_MCP_ENCRYPTION_KEYS": key_b}):
        result = await me(f"http://127.0.0.1:{port}", grant)
        assert not result["isError"] and result["structuredContent"]["data"]["username"].startswith("key-")
    with oauth_server(database, port=port, clock=clock, environ={"CAL_MCP_ENCRYPTION_KEYS": new_key()}):
        lost = await me(f"http://127.0.0.1:{port}", grant)  # a key nobody kept: a clear way out, no traceback
        assert lost["isError"] and lost["structuredContent"]["error"]["kind"] == "sign_in_required"


async def _api_key_tokens(base: str) -> str:
    from tests.oauth_support import register

    async with httpx.AsyncClient() as http:
        client_id = (await register(http, base, ["http://127.0.0.1:9/cb"])).json()["client_id"]
    verifier, challenge = pkce()
    location = await sign_in(authorize_url(base, client_id, "http://127.0.0.1:9/cb", challenge),
                             api_key="cal_live_rotating_key")
    from tests.oauth_support import Grant

    async with httpx.AsyncClient() as http:
        answer = await exchange(http, base, Grant(client_id, "http://127.0.0.1:9/cb", verifier,
                                                  query_of(location)["code"]))
    return str(answer.json()["access_token"])


def test_the_cal_authorize_url_carries_pkce_state_and_the_configured_scope() -> None:
    from cal_mcp.auth.settings import OAuthSettings
    from cal_mcp.auth.upstream import CalUpstream

    settings = OAuthSettings(CAL_MCP_CAL_OAUTH_CLIENT_ID="cid", CAL_MCP_CAL_OAUTH_CLIENT_SECRET="sec",  # type: ignore[call-arg]
                             CAL_MCP_CAL_OAUTH_SCOPE="BOOKING_READ BOOKING_WRITE")
    upstream = CalUpstream(httpx.AsyncClient(), settings, callback_url="https://mcp.example.com/signin/cal/callback")
    query = query_of(upstream.authorize_url("req.abc", "challenge123"))
    assert upstream.authorize_url("s", "c").startswith("https://app.cal.com/auth/oauth2/authorize?")
    assert query == {"client_id": "cid", "redirect_uri": "https://mcp.example.com/signin/cal/callback",
                     "response_type": "code", "state": "req.abc", "code_challenge": "challenge123",
                     "code_challenge_method": "S256", "scope": "BOOKING_READ BOOKING_WRITE"}
    assert "sec" not in upstream.authorize_url("s", "c")
