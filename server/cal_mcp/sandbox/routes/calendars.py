"""/v2/calendars…, /v2/selected-calendars and /v2/destination-calendars.

OAuth connects never leave the sandbox: ``connect`` returns a provider URL whose ``state`` carries a
sandbox-issued token (never the caller's API key), and ``save`` is the provider's callback that the
sandbox completes locally when given that state.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cal_mcp.sandbox.errors import bad_request, not_found, unauthorized
from cal_mcp.sandbox.http import Endpoint, given_fields, json_body, ok, query_bool, state_of
from cal_mcp.sandbox.routes.busy_times import busy_times
from cal_mcp.sandbox.routes.plat_common import ok_url
from cal_mcp.sandbox.state import USER_EMAIL, USER_ID
from cal_mcp.sandbox.stores import calendars as cs
from cal_mcp.sandbox.stores.oauth import consume_oauth_state, issue_oauth_state

_OAUTH_PROVIDERS = {
    "google": "https://accounts.google.com/o/oauth2/v2/auth",
    "office365": "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
}


def _calendar_param(request: Request, allowed: tuple[str, ...]) -> str:
    calendar = request.path_params["calendar"]
    if calendar not in allowed:
        raise bad_request(f"Invalid calendar type, available calendars are: {', '.join(allowed)}")
    return calendar


async def list_calendars(request: Request) -> JSONResponse:
    return ok(cs.connected_calendars(state_of(request)))


async def get_busy_times(request: Request) -> JSONResponse:
    return ok(busy_times(state_of(request), request))


async def connect(request: Request) -> JSONResponse:
    calendar = _calendar_param(request, ("office365", "google"))
    dry_run = query_bool(request, "isDryRun")
    state = state_of(request)
    cal_state = {
        "accessToken": issue_oauth_state(state),
        "origin": request.headers.get("origin") or request.url.netloc,
        "redir": request.query_params.get("redir") or None,
        "isDryRun": bool(dry_run),
    }
    query = {
        "access_type": "offline",
        "scope": "https://www.googleapis.com/auth/calendar.readonly https://www.googleapis.com/auth/calendar.events"
        if calendar == "google" else "User.Read Calendars.Read Calendars.ReadWrite offline_access",
        "prompt": "consent",
        "state": json.dumps(cal_state, separators=(",", ":")),
        "response_type": "code",
        "client_id": f"sandbox-{calendar}-client",
        "redirect_uri": f"{request.url.scheme}://{request.url.netloc}/v2/calendars/{calendar}/save",
    }
    return ok({"authUrl": f"{_OAUTH_PROVIDERS[calendar]}?{urlencode(query)}"})


def _parse_state(raw: str) -> dict[str, Any]:
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = dict(parse_qsl(raw))
    if not isinstance(parsed, dict) or not parsed.get("accessToken") or not parsed.get("origin"):
        raise bad_request("Invalid OAuth state: accessToken and origin are required.")
    return parsed


async def save(request: Request) -> Response:
    """The provider's OAuth callback. Cal answers 301 to ``redir``/``origin``; the sandbox returns that
    URL in the body instead of redirecting, so no client is ever sent off to an external site."""
    calendar = _calendar_param(request, ("office365", "google"))
    raw_state = request.query_params.get("state")
    if not raw_state:
        raise bad_request("state should not be empty", ["state should not be empty"])
    cal_state = _parse_state(raw_state)
    target = cal_state.get("redir") or cal_state["origin"]
    code = request.query_params.get("code")
    if not code or code == "undefined" or str(cal_state.get("isDryRun")).lower() == "true":
        return ok_url(target)
    state = state_of(request)
    if not consume_oauth_state(state, cal_state["accessToken"]):
        raise unauthorized("Invalid Access token.")
    cred_type = cs.CALENDAR_TYPES[calendar]
    existing = next((c for c in cs.calendar_credentials(state) if c["type"] == cred_type), None)
    if existing is not None:
        existing["invalid"] = False  # a fresh grant revalidates the credential
    else:
        cred = cs.add_credential(state, cred_type, cs.integration(cred_type)["slug"])
        primary = cs.add_calendar(state, cred, USER_EMAIL, USER_EMAIL, primary=True)
        cs.select(state, cred_type, primary["externalId"], cred["id"])
    return ok_url(target)


async def save_apple_credentials(request: Request) -> JSONResponse:
    _calendar_param(request, ("apple",))
    body = await json_body(request)  # username and password strings: the request gate checked them
    if len(body["username"]) <= 1 or len(body["password"]) <= 1:
        raise bad_request("Username or password cannot be empty")
    state = state_of(request)
    # The password is checked for shape only and never stored: nothing ever talks to iCloud.
    for cred in cs.calendar_credentials(state):
        if cred["type"] == "apple_calendar" and cred.get("_username") == body["username"]:
            cred["invalid"] = False
            return JSONResponse({"status": "success"}, status_code=201)
    cred = cs.add_credential(state, "apple_calendar", "apple-calendar", _username=body["username"])
    home = f"https://caldav.icloud.com/{cred['id']}/calendars/home/"
    cs.add_calendar(state, cred, home, "Home", primary=True, email=body["username"])
    return JSONResponse({"status": "success"}, status_code=201)


async def check(request: Request) -> JSONResponse:
    calendar = _calendar_param(request, ("apple", "google", "office365"))
    cred_type = cs.CALENDAR_TYPES[calendar]
    cred = next((c for c in cs.calendar_credentials(state_of(request)) if c["type"] == cred_type), None)
    if cred is None:
        raise bad_request(f"Credentials for {cred_type} not found.")
    if cred["invalid"]:
        raise bad_request(f"Invalid {calendar} calendar credentials.")
    if not cs.calendars_of(state_of(request), cred["id"]):
        raise unauthorized(f"{cs.integration(cred_type)['name']} not connected.")
    return JSONResponse({"status": "success"})


async def disconnect(request: Request) -> JSONResponse:
    _calendar_param(request, ("apple", "google", "office365"))
    body = await json_body(request)  # an integer id: the request gate checked it
    state = state_of(request)
    cred = cs.find_user_credential(state, body["id"])
    cs.remove_credential(state, cred)
    return ok(cs.credential_out(cred))


async def save_ics_feed(request: Request) -> JSONResponse:
    # Non-empty, each an http(s) URL ending in .ics: the request gate checked it (create-ics.input.ts).
    body = given_fields(await json_body(request))
    state = state_of(request)
    cred = next((c for c in cs.calendar_credentials(state) if c["type"] == "ics-feed_calendar"), None)
    if cred is None:  # Cal upserts the user's single ICS credential
        cred = cs.add_credential(state, "ics-feed_calendar", "ics-feed")
    else:
        for calendar in cs.calendars_of(state, cred["id"]):
            del state.table("calendars")[cs.key(cred["id"], calendar["externalId"])]
    for url in body["urls"]:
        name = url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".ics") or "ICS feed"
        cs.add_calendar(state, cred, url, name, read_only=body.get("readOnly", True), email=USER_EMAIL)
    return ok(cs.credential_out(cred), status=201)


async def check_ics_feed(request: Request) -> JSONResponse:
    state = state_of(request)
    cred = next((c for c in cs.calendar_credentials(state) if c["type"] == "ics-feed_calendar"), None)
    if cred is None:
        raise bad_request("Credentials for Ics Feed calendar not found.")
    if cred["invalid"]:
        raise bad_request("Invalid Ics Feed credentials.")
    if not cs.calendars_of(state, cred["id"]):
        raise unauthorized("Ics Feed not connected.")
    return JSONResponse({"status": "success"})


async def add_selected(request: Request) -> JSONResponse:
    body = await json_body(request)  # checked by the request gate (SelectedCalendarsInputDto)
    state = state_of(request)
    cred = cs.find_user_credential(state, int(body["credentialId"]))
    row = cs.select(state, body["integration"], body["externalId"], cred["id"])
    return ok(row, status=201)


async def remove_selected(request: Request) -> JSONResponse:
    params = request.query_params  # integration, externalId and credentialId strings: the gate checked them
    state = state_of(request)
    # Cal reads credentialId as a number: text that is not one names no selected calendar.
    raw_id = params["credentialId"]
    row_key = cs.key(int(raw_id), params["externalId"]) if raw_id.isdigit() else ""
    row = state.table("selected_calendars").get(row_key)
    if row is None or row["integration"] != params["integration"]:
        raise not_found("Selected calendar not found.")
    del state.table("selected_calendars")[row_key]
    return ok(row)


async def set_destination(request: Request) -> JSONResponse:
    body = await json_body(request)  # checked by the request gate (the destination-calendars input DTO)
    state = state_of(request)
    calendar = next(
        (c for c in state.table("calendars").values()
         if c["integration"] == body["integration"] and c["externalId"] == body["externalId"]
         and state.table("credentials").get(c["credentialId"], {}).get("userId") == USER_ID),
        None,
    )
    if calendar is None:
        raise not_found(f"Calendar {body['externalId']} of {body['integration']} is not connected.")
    row = cs.set_destination(state, calendar)
    return ok({k: row[k] for k in ("userId", "integration", "externalId", "credentialId")})


# Cal's operationId → handler; app.py serves each at its operation's method and path (cal_api_facts.json).
HANDLERS: dict[str, Endpoint] = {
    "CalendarsController_getCalendars": list_calendars,
    "CalendarsController_getBusyTimes": get_busy_times,
    "CalendarsController_createIcsFeed": save_ics_feed,
    "CalendarsController_checkIcsFeed": check_ics_feed,
    "CalendarsController_redirect": connect,
    "CalendarsController_save": save,
    "CalendarsController_syncCredentials": save_apple_credentials,
    "CalendarsController_check": check,
    "CalendarsController_deleteCalendarCredentials": disconnect,
    "SelectedCalendarsController_addSelectedCalendar": add_selected,
    "SelectedCalendarsController_deleteSelectedCalendar": remove_selected,
    "DestinationCalendarsController_updateDestinationCalendars": set_destination,
}
