"""--auth oauth end to end: the mcp SDK's OAuth client signs in through the pages and works as its user."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from tests.e2e_cases_core import DANA, EVENT_TYPE_INTRO_CALL, TUESDAY, at
from tests.oauth_support import oauth_server, sdk_client, sqlite_url


def _structured(result: Any) -> Any:
    assert not result.is_error, result.content[0].text
    return result.structured_content


async def _dana_bookings(client: Any) -> list[Any]:
    listed = _structured(await client.call_tool("CAL_FETCH_ALL_BOOKINGS", {"attendeeEmail": DANA["email"]}))
    return list(listed["data"])


@pytest.mark.parametrize(("transport", "era"), [("http", "legacy"), ("http", "auto"), ("sse", "legacy")])
async def test_the_sdk_client_signs_in_with_sandbox_cal_oauth_and_books_as_that_user(
        tmp_path: Path, transport: str, era: str) -> None:
    with oauth_server(sqlite_url(tmp_path)) as server:
        async with sdk_client(server.url, account="ana", transport=transport, mode=era) as client:
            me = _structured(await client.call_tool("CAL_RETRIEVE_MY_INFORMATION", {}))
            assert me["data"]["username"] == "ana"
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert {"CAL_POST_NEW_BOOKING_REQUEST", "CAL_FETCH_ALL_BOOKINGS"} <= names
            # Tools that act with the deployment's Platform OAuth secret are nobody's own: not offered.
            assert "CAL_FORCE_REFRESH_USER_OAUTH_CLIENT" not in names
            booked = _structured(await client.call_tool("CAL_POST_NEW_BOOKING_REQUEST", {
                "start": at(TUESDAY, "15:00"), "eventTypeId": EVENT_TYPE_INTRO_CALL, "attendee": DANA}))
            assert booked["data"]["status"] == "accepted"
            assert len(await _dana_bookings(client)) == 1


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
async def test_two_users_at_once_each_see_only_their_own_bookings(tmp_path: Path, database: str) -> None:
    if database == "postgresql":
        from tests.pg_support import running_postgres

        with running_postgres() as url:
            await _two_users(url)
    else:
        await _two_users(sqlite_url(tmp_path))


async def _two_users(database_url: str) -> None:
    with oauth_server(database_url) as server:
        async with sdk_client(server.url, account="ana") as ana, sdk_client(server.url, api_key="cal_live_bo") as bo:
            ana_me = _structured(await ana.call_tool("CAL_RETRIEVE_MY_INFORMATION", {}))["data"]
            bo_me = _structured(await bo.call_tool("CAL_RETRIEVE_MY_INFORMATION", {}))["data"]
            assert ana_me["id"] != bo_me["id"]

            async def book(client: Any, hhmm: str) -> None:
                _structured(await client.call_tool("CAL_POST_NEW_BOOKING_REQUEST", {
                    "start": at(TUESDAY, hhmm), "eventTypeId": EVENT_TYPE_INTRO_CALL, "attendee": DANA}))

            async with anyio.create_task_group() as group:  # in parallel, on one server
                group.start_soon(book, ana, "15:00")
                group.start_soon(book, bo, "16:00")
            ana_starts = [b["start"] for b in await _dana_bookings(ana)]
            bo_starts = [b["start"] for b in await _dana_bookings(bo)]
            assert ana_starts == [at(TUESDAY, "15:00").replace("Z", ".000Z")] or ana_starts == [at(TUESDAY, "15:00")]
            assert len(bo_starts) == 1 and "16:00" in bo_starts[0]


async def test_a_request_without_a_token_gets_401_naming_the_resource_metadata(tmp_path: Path) -> None:
    with oauth_server(sqlite_url(tmp_path)) as server:
        async with httpx.AsyncClient() as http:
            response = await http.post(f"{server.url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                                       headers={"Accept": "application/json, text/event-stream"})
            assert response.status_code == 401
            challenge = response.headers["www-authenticate"]
            assert challenge.startswith("Bearer ")
            metadata_url = f"{server.url}/.well-known/oauth-protected-resource"
            assert f'resource_metadata="{metadata_url}"' in challenge
            assert (await http.get(f"{server.url}/sse")).status_code == 401
            prm = (await http.get(metadata_url)).json()
            assert prm["resource"].rstrip("/") == server.url
            assert prm["authorization_servers"][0].rstrip("/") == server.url
            assert prm["scopes_supported"] == ["cal:read", "cal:write"]
            asm = (await http.get(f"{server.url}/.well-known/oauth-authorization-server")).json()
            assert asm["code_challenge_methods_supported"] == ["S256"]
            assert asm["client_id_metadata_document_supported"] is True
            assert asm["registration_endpoint"].endswith("/register")
            assert asm["revocation_endpoint"].endswith("/revoke")
