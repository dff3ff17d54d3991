"""/v2/conferencing…: installed conferencing apps, the default one, OAuth connect for Zoom/Teams.

Credentials share the ``credentials`` table with calendars (Cal's Credential model); the default app is
kept per user in ``conferencing_defaults`` (Cal keeps it in the user's metadata).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cal_mcp.sandbox.errors import bad_request
from cal_mcp.sandbox.http import Endpoint, ok, state_of
from cal_mcp.sandbox.routes.plat_common import json_oauth_state, oauth_granted, ok_url
from cal_mcp.sandbox.state import USER_ID, SandboxState
from cal_mcp.sandbox.stores import calendars as cs
from cal_mcp.sandbox.stores.oauth import issue_oauth_state

# app slug (as in the URL) → credential type
APP_TYPES = {"google-meet": "google_video", "zoom": "zoom_video", "msteams": "office365_video"}
CAL_VIDEO = "daily-video"
_AUTH_URLS = {
    "zoom": "https://zoom.us/oauth/authorize",
    "msteams": "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
}


def _app(request: Request, allowed: tuple[str, ...]) -> str:
    app = request.path_params["app"]
    if app not in allowed:
        raise bad_request(f"Invalid conferencing app, available apps are: {', '.join(allowed)}")
    return app


def _installed(state: SandboxState, app: str) -> dict[str, Any] | None:
    cred_type = APP_TYPES.get(app)
    rows = state.table("credentials").values()
    return next((c for c in rows if c["userId"] == USER_ID and c["type"] == cred_type), None)


def _out(cred: dict[str, Any]) -> dict[str, Any]:
    return {"id": cred["id"], "type": cred["type"], "userId": cred["userId"], "invalid": cred["invalid"]}


async def list_apps(request: Request) -> JSONResponse:
    state = state_of(request)
    types = set(APP_TYPES.values())
    creds = sorted((c for c in state.table("credentials").values() if c["userId"] == USER_ID and c["type"] in types),
                   key=lambda c: c["id"])
    return ok([_out(c) for c in creds])


async def connect(request: Request) -> JSONResponse:
    app = _app(request, ("google-meet",))
    state = state_of(request)
    if not any(c["type"] == "google_calendar" for c in cs.calendar_credentials(state)):
        raise bad_request("Google Meet requires a connected Google Calendar: connect google calendar first.")
    if _installed(state, app) is not None:
        raise bad_request("Google Meet is already connected.")
    return ok(_out(cs.add_credential(state, "google_video", "google-meet")))


async def auth_url(request: Request) -> JSONResponse:
    app = _app(request, ("zoom", "msteams"))
    params = request.query_params
    missing = [f"{k} should not be empty" for k in ("returnTo", "onErrorReturnTo") if not params.get(k)]
    if missing:
        raise bad_request(", ".join(missing), missing)
    state = state_of(request)
    oauth_state = {"accessToken": issue_oauth_state(state), "returnTo": params["returnTo"],
                   "onErrorReturnTo": params["onErrorReturnTo"], "fromApp": False}
    query = {"response_type": "code", "client_id": f"sandbox-{app}-client",
             "redirect_uri": f"{request.url.scheme}://{request.url.netloc}/v2/conferencing/{app}/oauth/callback",
             "state": json.dumps(oauth_state, separators=(",", ":"))}
    return ok({"url": f"{_AUTH_URLS[app]}?{urlencode(query)}"})


async def oauth_callback(request: Request) -> Response:
    """Cal answers 301 to returnTo (onErrorReturnTo on failure); the sandbox returns the URL instead."""
    app = _app(request, ("zoom", "msteams"))
    decoded = json_oauth_state(request, "the auth-url endpoint")
    state = state_of(request)
    if not oauth_granted(state, request, decoded):
        return ok_url(decoded.get("onErrorReturnTo") or "")
    cred = _installed(state, app)
    if cred is None:
        cs.add_credential(state, APP_TYPES[app], app)
    else:
        cred["invalid"] = False
    return ok_url(decoded.get("returnTo") or "")


async def get_default(request: Request) -> JSONResponse:
    default = state_of(request).table("conferencing_defaults").get(USER_ID)
    return JSONResponse({"status": "success", **({"data": dict(default)} if default else {})})


async def set_default(request: Request) -> JSONResponse:
    app = _app(request, ("google-meet", "zoom", "msteams", CAL_VIDEO))
    state = state_of(request)
    if app != CAL_VIDEO and _installed(state, app) is None:
        raise bad_request(f"{app} not connected.")
    state.table("conferencing_defaults")[USER_ID] = {"appSlug": app}
    return JSONResponse({"status": "success"})


async def disconnect(request: Request) -> JSONResponse:
    app = _app(request, ("google-meet", "zoom", "msteams"))
    state = state_of(request)
    cred = _installed(state, app)
    if cred is None:
        raise bad_request(f"{app} not connected.")
    del state.table("credentials")[cred["id"]]
    defaults = state.table("conferencing_defaults")
    if defaults.get(USER_ID, {}).get("appSlug") == app:
        del defaults[USER_ID]  # Cal drops it from the user's metadata: Cal Video becomes the fallback
    return JSONResponse({"status": "success"})


# Cal's operationId → handler; app.py serves each at its operation's method and path (cal_api_facts.json).
HANDLERS: dict[str, Endpoint] = {
    "ConferencingController_listInstalledConferencingApps": list_apps,
    "ConferencingController_getDefault": get_default,
    "ConferencingController_connect": connect,
    "ConferencingController_redirect": auth_url,
    "ConferencingController_save": oauth_callback,
    "ConferencingController_default": set_default,
    "ConferencingController_disconnect": disconnect,
}
