"""A 3xx from Cal is an answer only for the provider callbacks that return an OAuth or Stripe URL.

Cal answers its OAuth and Stripe callbacks with ``301`` + ``Location`` (the browser's next stop),
and those four tools say so in their spec (``"redirectIsAnswer": true``). Anywhere else a redirect
is an error naming the status and the Location; after a write it leaves the outcome unknown.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from cal_mcp.app import CalMcpApp
from cal_mcp.config import Settings
from cal_mcp.registry import Registry, load_registry
from cal_mcp.specs import SpecError, load_specs
from tests.fake_upstream import FakeUpstream, Static
from tests.test_specs import GOOD, write

REGISTRY: Registry = load_registry()
API_KEY = "cal_live_redirect_key_0123456789"
LOCATION = "https://app.cal.com/apps/installed?ok=1"
CALLBACKS: dict[str, tuple[dict[str, Any], str]] = {
    "CAL_SAVE_CALENDAR_ENTRY": ({"calendar": "office365", "state": "s", "code": "c"}, "/v2/calendars/office365/save"),
    "CAL_SAVE_OAUTH_CREDENTIALS_VIA_GCAL_API": ({"state": "s", "code": "c"}, "/v2/calendars/google/save"),
    "CAL_HANDLE_CONFERENCING_OAUTH_CALLBACK_FOR_APP": (
        {"app": "msteams", "state": "s", "code": "c"}, "/v2/conferencing/msteams/oauth/callback"),
    "CAL_SAVE_STRIPE_DETAILS": ({"state": "s", "code": "c"}, "/v2/stripe/save"),
}
BOOK_ARGS: dict[str, Any] = {
    "start": "2026-12-01T09:00:00Z",
    "attendee": {"name": "Ada Lovelace", "email": "ada@example.com", "timeZone": "Europe/London"},
    "eventTypeId": 42,
}


def redirect(status: int = 301, location: str | None = LOCATION) -> Static:
    return Static(status, b"", (("Location", location),) if location is not None else ())


@pytest.fixture
async def app(cal: FakeUpstream) -> AsyncIterator[CalMcpApp]:
    application = CalMcpApp(
        Settings(api_key=API_KEY, base_url=cal.url, rate_limit_per_minute=0, sandbox=False, max_retries=0),
        REGISTRY,
    )
    yield application
    await application.aclose()


def error_of(result: Any) -> dict[str, Any]:
    assert result.is_error, result
    error: dict[str, Any] = result.structured_content["error"]
    return error


def test_exactly_the_four_provider_callbacks_take_a_redirect_as_their_answer() -> None:
    assert {s.name for s in REGISTRY.specs if s.request.redirect_is_answer} == set(CALLBACKS)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
@pytest.mark.parametrize("tool", list(CALLBACKS))
async def test_a_provider_callback_returns_cals_redirect_as_its_answer(
    cal: FakeUpstream, app: CalMcpApp, tool: str, mode: str
) -> None:
    arguments, path = CALLBACKS[tool]
    cal.program(redirect(301), method="GET", path=path)
    async with Client(app.build_server(), mode=mode) as client:  # type: ignore[arg-type]
        result = await client.call_tool(tool, arguments)
    assert not result.is_error, result
    assert result.structured_content == {"data": {"redirectTo": LOCATION}}


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_after_a_booking_is_outcome_unknown_naming_status_and_location(
    cal: FakeUpstream, app: CalMcpApp, status: int
) -> None:
    cal.program(redirect(status), method="POST", path="/v2/bookings")
    result = await app.call_tool("CAL_POST_NEW_BOOKING_REQUEST", BOOK_ARGS)
    error = error_of(result)
    assert error["kind"] == "outcome_unknown"
    assert f"HTTP {status}" in error["message"] and LOCATION in error["message"]
    assert "CAL_FETCH_ALL_BOOKINGS" in error["hint"]
    assert len(cal.requests_to("POST", "/v2/bookings")) == 1  # not followed, not re-sent


async def test_a_redirect_after_a_delete_is_outcome_unknown(cal: FakeUpstream, app: CalMcpApp) -> None:
    cal.program(redirect(302), method="DELETE", path="/v2/webhooks/wh1")
    result = await app.call_tool("CAL_DELETE_WEBHOOK_BY_ID", {"webhookId": "wh1"})
    assert error_of(result)["kind"] == "outcome_unknown"
    assert "CAL_RETRIEVE_WEBHOOKS_LIST" in error_of(result)["hint"]


async def test_a_redirect_on_a_read_is_an_error_naming_status_and_location(
    cal: FakeUpstream, app: CalMcpApp
) -> None:
    cal.program(redirect(302), method="GET", path="/v2/me")
    result = await app.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})
    error = error_of(result)
    assert error["kind"] == "bad_response"
    assert "HTTP 302" in error["message"] and LOCATION in error["message"]
    assert "CAL_API_BASE_URL" in error["hint"]


async def test_a_redirect_without_a_location_says_so(cal: FakeUpstream, app: CalMcpApp) -> None:
    cal.program(redirect(307, None), method="GET", path="/v2/me")
    error = error_of(await app.call_tool("CAL_RETRIEVE_MY_INFORMATION", {}))
    assert "HTTP 307" in error["message"] and "without a Location" in error["message"]


async def test_a_long_location_is_shortened_and_a_credential_in_it_masked(cal: FakeUpstream, app: CalMcpApp) -> None:
    cal.program(redirect(302, f"https://proxy.example/login?key={API_KEY}&pad={'x' * 5000}"), method="GET",
                path="/v2/me")
    result = await app.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})
    text = json.dumps(result.model_dump(mode="json"))
    assert API_KEY not in text
    assert len(error_of(result)["message"]) < 600


@pytest.mark.parametrize(
    ("request_changes", "problem"),
    [
        ({"method": "POST"}, "redirectIsAnswer is only for provider callbacks"),
        ({}, "redirectIsAnswer is only for provider callbacks"),  # a GET without state and code
        ({"redirectIsAnswer": "yes"}, "redirectIsAnswer"),
    ],
    ids=["on-a-post", "no-state-and-code", "not-a-boolean"],
)
def test_the_loader_refuses_redirect_is_answer_outside_a_provider_callback(
    tmp_path: Path, request_changes: dict[str, Any], problem: str
) -> None:
    spec = json.loads(json.dumps(GOOD))
    spec["request"].update({"redirectIsAnswer": True, **request_changes})
    path = write(tmp_path, spec)
    with pytest.raises(SpecError) as error:
        load_specs(tmp_path)
    assert str(path) in str(error.value) and problem in str(error.value)
