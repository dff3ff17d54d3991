"""Resources (cal://me, cal://event-types, cal://schedules, cal://bookings/{uid}) and argument completion.

Over real loopback Streamable HTTP with the SDK client, against a loopback sandbox with a frozen clock;
what a resource or a completion says is checked against what the matching tool returns.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import mcp_types as types
import pytest
from mcp import Client, MCPError

from cal_mcp.app import CalMcpApp
from cal_mcp.completions import CACHE_SECONDS, Completer, rank
from cal_mcp.config import Settings
from cal_mcp.registry import Registry
from cal_mcp.sandbox.app import create_app
from cal_mcp.sandbox.clock import FrozenClock
from cal_mcp.sandbox.seeds import new_state
from cal_mcp.sandbox.state import DEFAULT_EPOCH
from cal_mcp.transports import http_app
from tests.conftest import serve_in_thread
from tests.fake_clock import FakeClock
from tests.workflow import data

API_KEY = "cal_resources_key_0123456789"


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    with serve_in_thread(create_app(new_state(clock=FrozenClock(DEFAULT_EPOCH)))) as url:
        yield url


@pytest.fixture(scope="module")
def mcp_url(sandbox_url: str, registry: Registry) -> Iterator[str]:
    # Served with only the bookings toolset: resources and completions do not depend on the selection.
    settings = Settings(api_key=API_KEY, base_url=sandbox_url, rate_limit_per_minute=0)
    with serve_in_thread(http_app(CalMcpApp(settings, registry.select(toolsets=["bookings"])))) as url:
        yield f"{url}/mcp"


@pytest.fixture(scope="module")
def full_url(sandbox_url: str, registry: Registry) -> Iterator[str]:
    settings = Settings(api_key=API_KEY, base_url=sandbox_url, rate_limit_per_minute=0)
    with serve_in_thread(http_app(CalMcpApp(settings, registry))) as url:
        yield f"{url}/mcp"


def json_of(result: types.ReadResourceResult, uri: str) -> Any:
    (content,) = result.contents
    assert content.uri == uri and content.mime_type == "application/json"
    assert isinstance(content, types.TextResourceContents)
    return json.loads(content.text)


async def values(client: Client, prompt: str, argument: str, typed: str) -> list[str]:
    result = await client.complete(types.PromptReference(name=prompt), {"name": argument, "value": typed})
    return result.completion.values


# -- capabilities and listing --------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_resources_and_completions_are_advertised_and_listed(mcp_url: str, mode: str) -> None:
    async with Client(mcp_url, mode=mode) as client:  # type: ignore[arg-type]
        capabilities = client.server_capabilities
        assert capabilities.resources is not None
        assert capabilities.completions is not None
        listed = {r.uri: r for r in (await client.list_resources()).resources}
        templates = (await client.list_resource_templates()).resource_templates
    assert set(listed) == {"cal://me", "cal://event-types", "cal://schedules"}
    assert all(r.description and r.mime_type == "application/json" for r in listed.values())
    assert [t.uri_template for t in templates] == ["cal://bookings/{uid}"]


# -- reading ------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_each_resource_reads_what_its_tool_returns(mcp_url: str, full_url: str, mode: str) -> None:
    async with Client(full_url) as tools:
        me = data(await tools.call_tool("CAL_RETRIEVE_MY_INFORMATION", {}))
        event_types = data(await tools.call_tool("CAL_LIST_EVENT_TYPES", {}))
        schedules = data(await tools.call_tool("CAL_RETRIEVE_SCHEDULES_LIST", {}))
    async with Client(mcp_url, mode=mode) as client:  # type: ignore[arg-type]
        assert json_of(await client.read_resource("cal://me"), "cal://me") == me
        assert json_of(await client.read_resource("cal://event-types"), "cal://event-types") == event_types
        assert json_of(await client.read_resource("cal://schedules"), "cal://schedules") == schedules
    assert me["timeZone"] == "Europe/London"  # the profile carries the host's time zone
    assert {e["slug"] for e in event_types} >= {"quick-chat", "intro-call"}


async def test_the_booking_template_reads_one_booking_and_refuses_unknown_ones(mcp_url: str, full_url: str) -> None:
    async with Client(full_url) as tools:
        upcoming = data(await tools.call_tool("CAL_FETCH_ALL_BOOKINGS", {"status": ["upcoming"]}))
    uid = upcoming[0]["uid"]
    async with Client(mcp_url) as client:
        booking = json_of(await client.read_resource(f"cal://bookings/{uid}"), f"cal://bookings/{uid}")
        assert booking["uid"] == uid and booking["start"] == upcoming[0]["start"]

        with pytest.raises(MCPError) as missing:
            await client.read_resource("cal://bookings/noSuchBooking404")
        assert missing.value.error.code == types.INVALID_PARAMS
        assert "cal://bookings/noSuchBooking404" in missing.value.error.message

        with pytest.raises(MCPError) as unknown:
            await client.read_resource("cal://calendars")
        assert unknown.value.error.code == types.INVALID_PARAMS
        assert "cal://me" in unknown.value.error.message  # names what there is


async def test_a_resource_without_an_api_key_says_how_to_configure_one(registry: Registry) -> None:
    app = CalMcpApp(Settings(api_key=None, base_url="http://127.0.0.1:9", sandbox=False), registry)
    async with Client(app.build_server()) as client:
        with pytest.raises(MCPError) as refused:
            await client.read_resource("cal://me")
    assert "CAL_API_KEY" in refused.value.error.message


# -- completion ---------------------------------------------------------------------------------


async def test_event_types_complete_to_the_users_slugs_and_ids(mcp_url: str, full_url: str) -> None:
    async with Client(full_url) as tools:
        event_types = data(await tools.call_tool("CAL_LIST_EVENT_TYPES", {}))
    async with Client(mcp_url) as client:
        assert await values(client, "book_meeting", "event_type", "") == [e["slug"] for e in event_types]
        assert await values(client, "book_meeting", "event_type", "Intro") == ["intro-call"]
        # A word from the title, not the start of the slug, still finds it (after any prefix matches).
        assert "quick-chat" in await values(client, "book_meeting", "event_type", "chat")
        first_id = str(event_types[0]["id"])
        assert first_id in await values(client, "book_meeting", "event_type", first_id[:2])
        assert await values(client, "book_meeting", "event_type", "zzz-nothing") == []


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_time_zones_complete_to_iana_names_by_prefix_then_substring(mcp_url: str, mode: str) -> None:
    async with Client(mcp_url, mode=mode) as client:  # type: ignore[arg-type]
        paris = await values(client, "book_meeting", "attendee_time_zone", "paris")
        new_york = await values(client, "find_free_time", "time_zone", "new y")
        europe = await client.complete(types.PromptReference(name="find_free_time"),
                                       {"name": "time_zone", "value": "Europe/"})
        everything = await client.complete(types.PromptReference(name="find_free_time"),
                                           {"name": "time_zone", "value": ""})
    assert paris == ["Europe/Paris"]
    assert new_york[0] == "America/New_York"
    assert "Europe/London" in europe.completion.values
    assert all(v.startswith("Europe/") for v in europe.completion.values)
    # More zones than one answer may carry (100): the rest is announced, not dropped silently.
    assert len(everything.completion.values) == 100
    assert everything.completion.has_more is True and (everything.completion.total or 0) > 300
    assert not any(v.startswith(("Etc/", "US/", "posix/")) for v in everything.completion.values)


async def test_bookings_complete_to_upcoming_uids_by_uid_title_or_attendee(mcp_url: str, full_url: str) -> None:
    async with Client(full_url) as tools:
        upcoming = data(await tools.call_tool("CAL_FETCH_ALL_BOOKINGS",
                                              {"status": ["upcoming"], "sortStart": "asc"}))
        past = data(await tools.call_tool("CAL_FETCH_ALL_BOOKINGS", {"status": ["past"]}))
    sam = next(b for b in upcoming if any(a["name"] == "Sam Lee" for a in b["attendees"]))
    async with Client(mcp_url) as client:
        every = await values(client, "cancel_booking", "booking", "")
        assert every == [b["uid"] for b in upcoming]
        assert not {b["uid"] for b in past} & set(every)  # only what can still be changed
        assert await values(client, "reschedule_booking", "booking", sam["uid"][:-1]) == [sam["uid"]]
        assert sam["uid"] in await values(client, "reschedule_booking", "booking", "sam lee")
        template = await client.complete(types.ResourceTemplateReference(uri="cal://bookings/{uid}"),
                                         {"name": "uid", "value": ""})
        assert template.completion.values == every


async def test_durations_complete_from_the_users_event_type_lengths(mcp_url: str) -> None:
    async with Client(mcp_url) as client:
        durations = await values(client, "find_free_time", "duration_minutes", "")
        thirties = await values(client, "find_free_time", "duration_minutes", "3")
    assert {"15", "30", "60"} <= set(durations)
    assert [int(d) for d in durations] == sorted(int(d) for d in durations)
    assert thirties == ["30"]


async def test_arguments_without_known_values_and_unknown_prompts_complete_to_nothing(mcp_url: str) -> None:
    async with Client(mcp_url) as client:
        assert await values(client, "book_meeting", "attendee_name", "Ad") == []
        assert await values(client, "no_such_prompt", "arg1", "test") == []


async def test_completion_reads_cal_once_per_cache_period_and_a_failure_completes_to_nothing(
    registry: Registry,
) -> None:
    calls: list[str] = []
    failing = False

    def cal(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if failing:
            return httpx.Response(500, json={"status": "error", "error": {"message": "down"}})
        return httpx.Response(200, json={"status": "success", "data": [
            {"id": 7, "slug": "standup", "title": "Standup", "lengthInMinutes": 20}]})

    settings = Settings(api_key=API_KEY, base_url="http://cal.test", rate_limit_per_minute=0, max_retries=0)
    app = CalMcpApp(settings, registry, transport=httpx.MockTransport(cal))
    clock = FakeClock()
    completer = Completer(app, clock=clock)
    ref = types.PromptReference(name="book_meeting")

    def ask(typed: str) -> types.CompleteRequestParams:
        return types.CompleteRequestParams(ref=ref, argument=types.CompletionArgument(name="event_type", value=typed))

    try:
        for typed in ("s", "st", "sta", "stan"):  # keystrokes
            assert (await completer.complete(ask(typed))).completion.values == ["standup"]
        assert calls == ["/v2/event-types"]
        clock.advance(CACHE_SECONDS + 1)
        failing = True
        answer = await completer.complete(ask("st"))
        assert answer.completion.values == [] and answer.completion.has_more is False
        assert calls == ["/v2/event-types"] * 2
    finally:
        await app.aclose()


def test_rank_puts_prefix_matches_before_substring_matches() -> None:
    candidates = [(v, [v]) for v in ["America/Santiago", "Asia/Aden", "Europe/Andorra"]]
    assert rank(candidates, "an") == ["Europe/Andorra", "America/Santiago"]  # the city's start, then inside
    assert rank(candidates, "") == ["America/Santiago", "Asia/Aden", "Europe/Andorra"]
    assert rank([("x", ["Buenos Aires"])], "buenos a") == ["x"]
