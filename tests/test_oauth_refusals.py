"""Every failure case of the OAuth mode, each refused with the error the specs name (RFC 6749/6750/7591/8707)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.oauth_support import (
    MCP_HEADERS,
    authorize_url,
    code_for,
    exchange,
    oauth_server,
    open_session,
    pkce,
    register,
    sqlite_url,
    tokens_for,
    unix_fake_clock,
)


@pytest.fixture
def server(tmp_path: Path):  # type: ignore[no-untyped-def]
    with oauth_server(sqlite_url(tmp_path)) as running:
        yield running


async def test_a_wrong_pkce_verifier_is_invalid_grant(server) -> None:  # type: ignore[no-untyped-def]
    grant = await code_for(server.url)
    async with httpx.AsyncClient() as http:
        wrong = await exchange(http, server.url, grant, code_verifier=pkce()[0])
        assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
        assert "access_token" not in wrong.json()


async def test_a_code_works_once_and_a_replay_revokes_what_it_gave(server) -> None:  # type: ignore[no-untyped-def]
    grant = await code_for(server.url)
    async with httpx.AsyncClient() as http:
        first = await exchange(http, server.url, grant)
        assert first.status_code == 200
        again = await exchange(http, server.url, grant)
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
        assert (await open_session(http, server.url, first.json()["access_token"])).status_code == 401


async def test_a_code_expires_on_the_server_clock(server) -> None:  # type: ignore[no-untyped-def]
    grant = await code_for(server.url)
    server.clock.advance(server.mode.oauth.code_ttl + 1)
    async with httpx.AsyncClient() as http:
        late = await exchange(http, server.url, grant)
        assert late.status_code == 400 and late.json()["error"] == "invalid_grant"


async def test_an_expired_access_token_gets_401_and_refreshing_gives_a_working_one(server) -> None:  # type: ignore[no-untyped-def]
    grant = await tokens_for(server.url)
    async with httpx.AsyncClient() as http:
        assert (await open_session(http, server.url, grant.access_token)).status_code == 200
        server.clock.advance(server.mode.oauth.access_token_ttl + 1)
        expired = await open_session(http, server.url, grant.access_token)
        assert expired.status_code == 401
        assert 'error="invalid_token"' in expired.headers["www-authenticate"]
        refreshed = await http.post(f"{server.url}/token", data={
            "grant_type": "refresh_token", "refresh_token": grant.refresh_token, "client_id": grant.client_id})
        assert refreshed.status_code == 200, refreshed.text
        fresh = refreshed.json()
        assert fresh["refresh_token"] != grant.refresh_token  # rotated
        assert (await open_session(http, server.url, fresh["access_token"])).status_code == 200


async def test_reusing_a_refresh_token_revokes_the_whole_grant(server) -> None:  # type: ignore[no-untyped-def]
    grant = await tokens_for(server.url)
    form = {"grant_type": "refresh_token", "refresh_token": grant.refresh_token, "client_id": grant.client_id}
    async with httpx.AsyncClient() as http:
        first = await http.post(f"{server.url}/token", data=form)
        assert first.status_code == 200
        newest = first.json()
        replay = await http.post(f"{server.url}/token", data=form)  # the stolen copy
        assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
        # The legitimate client's newest tokens went with the grant.
        assert (await open_session(http, server.url, newest["access_token"])).status_code == 401
        again = await http.post(f"{server.url}/token", data={**form, "refresh_token": newest["refresh_token"]})
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


async def test_a_revoked_token_is_refused_and_so_is_its_refresh_token(server) -> None:  # type: ignore[no-untyped-def]
    grant = await tokens_for(server.url)
    async with httpx.AsyncClient() as http:
        revoked = await http.post(f"{server.url}/revoke", data={"token": grant.access_token,
                                                                 "client_id": grant.client_id})
        assert revoked.status_code == 200
        refused = await open_session(http, server.url, grant.access_token)
        assert refused.status_code == 401 and 'error="invalid_token"' in refused.headers["www-authenticate"]
        refresh = await http.post(f"{server.url}/token", data={
            "grant_type": "refresh_token", "refresh_token": grant.refresh_token, "client_id": grant.client_id})
        assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant"


async def test_an_unregistered_redirect_uri_gets_an_error_page_never_a_redirect(server) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient() as http:
        client_id = (await register(http, server.url, ["https://app.example/cb"])).json()["client_id"]
        url = authorize_url(server.url, client_id, "https://evil.example/cb", pkce()[1])
        answer = await http.get(url, headers={"Accept": "text/html"})
        assert answer.status_code == 400 and "location" not in answer.headers
        assert "text/html" in answer.headers["content-type"] and "not registered" in answer.text
        as_json = await http.get(url)
        assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"
        unknown = await http.get(authorize_url(server.url, "no-such-client", "https://app.example/cb", pkce()[1]))
        assert unknown.status_code == 400 and "location" not in unknown.headers


async def test_registration_takes_custom_schemes_and_refuses_dangerous_redirects(server) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient() as http:
        for ok in (["cursor://anysphere.cursor-mcp/oauth/callback"], ["vscode://vscode.mcp/callback"],
                   ["http://127.0.0.1:33418/callback"], ["https://claude.ai/api/mcp/auth_callback"]):
            assert (await register(http, server.url, ok)).status_code == 201, ok
        for bad in (["javascript:alert(1)"], ["http://attacker.example/cb"], ["data:text/html,hi"],
                    ["https://app.example/cb#frag"]):
            refused = await register(http, server.url, bad)
            assert refused.status_code == 400, bad
            assert refused.json()["error"] in ("invalid_redirect_uri", "invalid_client_metadata")


async def test_a_loopback_redirect_may_use_any_port(server) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient() as http:
        client_id = (await register(http, server.url, ["http://127.0.0.1:1111/callback"])).json()["client_id"]
        answer = await http.get(authorize_url(server.url, client_id, "http://127.0.0.1:54321/callback", pkce()[1]))
        assert answer.status_code == 302 and "/signin?request=" in answer.headers["location"]
        other_path = await http.get(authorize_url(server.url, client_id, "http://127.0.0.1:54321/other", pkce()[1]))
        assert other_path.status_code == 400


async def test_a_resource_other_than_this_server_is_invalid_target(server) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient() as http:
        client_id = (await register(http, server.url, ["http://127.0.0.1:9/cb"])).json()["client_id"]
        url = authorize_url(server.url, client_id, "http://127.0.0.1:9/cb", pkce()[1],
                            resource="https://other-mcp.example/")
        answer = await http.get(url)
        assert answer.status_code == 302
        assert "error=invalid_target" in answer.headers["location"]
        assert answer.headers["location"].startswith("http://127.0.0.1:9/cb?")


async def test_a_token_for_another_audience_is_refused(tmp_path: Path) -> None:
    """Two deployments sharing one database: a token issued for one is not accepted by the other."""
    database = sqlite_url(tmp_path)
    clock = unix_fake_clock()
    with oauth_server(database, clock=clock) as first, oauth_server(database, clock=clock) as second:
        grant = await tokens_for(first.url)
        async with httpx.AsyncClient() as http:
            assert (await open_session(http, first.url, grant.access_token)).status_code == 200
            elsewhere = await open_session(http, second.url, grant.access_token)
            assert elsewhere.status_code == 401
            assert 'error="invalid_token"' in elsewhere.headers["www-authenticate"]


async def test_a_session_driven_with_another_users_token_is_refused(server) -> None:  # type: ignore[no-untyped-def]
    ana = await tokens_for(server.url, account="ana")
    bo = await tokens_for(server.url, account="bo")
    async with httpx.AsyncClient() as http:
        opened = await open_session(http, server.url, ana.access_token)
        session = opened.headers["mcp-session-id"]
        call = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
        hijack = await http.post(f"{server.url}/mcp", json=call, headers={
            **MCP_HEADERS, "Mcp-Session-Id": session, "Authorization": f"Bearer {bo.access_token}"})
        assert hijack.status_code == 404
        owner = await http.post(f"{server.url}/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"},
                                headers={**MCP_HEADERS, "Mcp-Session-Id": session,
                                         "Authorization": f"Bearer {ana.access_token}"})
        assert owner.status_code == 202


async def test_consent_forms_need_the_flows_browser_and_csrf_token(server) -> None:  # type: ignore[no-untyped-def]
    from tests.oauth_support import hidden_fields

    async with httpx.AsyncClient() as http:
        client_id = (await register(http, server.url, ["http://127.0.0.1:9/cb"])).json()["client_id"]
        start = await http.get(authorize_url(server.url, client_id, "http://127.0.0.1:9/cb", pkce()[1]))
        page = await http.get(server.url + start.headers["location"].removeprefix(server.url))
        fields = hidden_fields(page.text)
        forged = await http.post(f"{server.url}/signin/api-key", data={**fields, "csrf": "guess", "api_key": "k"})
        assert forged.status_code == 403
        async with httpx.AsyncClient() as other_browser:
            stolen = await other_browser.post(f"{server.url}/signin/api-key", data={**fields, "api_key": "k"})
            assert stolen.status_code == 403
        assert page.headers["x-frame-options"] == "DENY"


async def test_an_sse_session_driven_with_another_users_token_is_refused(server) -> None:  # type: ignore[no-untyped-def]
    ana = await tokens_for(server.url, account="ana")
    bo = await tokens_for(server.url, account="bo")
    async with httpx.AsyncClient(timeout=10) as http, \
            http.stream("GET", f"{server.url}/sse", headers={"Authorization": f"Bearer {ana.access_token}"}) as stream:
        assert stream.status_code == 200
        endpoint = ""
        async for line in stream.aiter_lines():
            if line.startswith("data: /messages/"):
                endpoint = line.removeprefix("data: ")
                break
        ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
        hijack = await http.post(f"{server.url}{endpoint}", json=ping,
                                 headers={"Authorization": f"Bearer {bo.access_token}"})
        assert hijack.status_code == 404
        anonymous = await http.post(f"{server.url}{endpoint}", json=ping)
        assert anonymous.status_code == 401
