"""--auth oauth: resources and argument completion read as the signed-in caller, never as anyone else.

The server's own Cal credential is never used in this mode, and completion lists (kept 30 s so typing does
not spend the Cal budget) are kept per caller: one user's bookings never complete for another.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mcp_types as types

from tests.e2e_cases_core import DANA, EVENT_TYPE_INTRO_CALL, TUESDAY, at
from tests.oauth_support import oauth_server, sdk_client, sqlite_url


async def _me(client: Any) -> dict[str, Any]:
    result = await client.read_resource("cal://me")
    document: dict[str, Any] = json.loads(result.contents[0].text)
    return document


async def _booking_completions(client: Any) -> set[str]:
    result = await client.complete(types.PromptReference(type="ref/prompt", name="cancel_booking"),
                                   {"name": "booking", "value": ""})
    return set(result.completion.values)


async def test_each_user_reads_their_own_profile_and_completes_their_own_bookings(tmp_path: Path) -> None:
    with oauth_server(sqlite_url(tmp_path)) as server:
        async with sdk_client(server.url, account="ana") as ana, sdk_client(server.url, api_key="cal_live_bo") as bo:
            ana_me, bo_me = await _me(ana), await _me(bo)
            assert ana_me != bo_me
            assert "ana" in json.dumps(ana_me) and "ana" not in json.dumps(bo_me)

            bo_before = await _booking_completions(bo)  # fills bo's completion list first
            booked = await ana.call_tool("CAL_POST_NEW_BOOKING_REQUEST", {
                "start": at(TUESDAY, "15:00"), "eventTypeId": EVENT_TYPE_INTRO_CALL, "attendee": DANA})
            assert not booked.is_error, booked
            ana_uid = booked.structured_content["data"]["uid"]

            assert ana_uid in await _booking_completions(ana)  # not bo's list, cached a moment ago
            assert ana_uid not in await _booking_completions(bo)
            assert ana_uid not in bo_before
