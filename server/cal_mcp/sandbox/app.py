"""The sandbox ASGI app: Cal API v2 routes, Cal's auth rules and error envelope.

Route modules (``cal_mcp.sandbox.routes.<area>``) each expose ``HANDLERS``: Cal's operationId → handler.
This module serves each at its operation's method and path from the shipped facts (``cal_api``), so a
route is Cal's route by construction, and applies what every Cal route shares: credentials, the request
gate (``request_gate``: Cal's validation, 501 for an operation no handler takes) and error rendering.
"""

from __future__ import annotations

import importlib
import re

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from cal_mcp.sandbox import cal_api
from cal_mcp.sandbox.errors import CalHTTPError, error_response, unauthorized
from cal_mcp.sandbox.http import Endpoint
from cal_mcp.sandbox.request_gate import CalRequestGate
from cal_mcp.sandbox.seeds import new_state
from cal_mcp.sandbox.state import OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, SandboxState

ROUTE_MODULES = (
    "me",
    "event_types",
    "schedules",
    "slots",
    "bookings",
    "calendars",
    "conferencing",
    "webhooks",
    "teams",
    "organizations",
    "platform",
    "payments",
    # Beyond the seed's endpoints (issue 11): one module per area.
    "event_type_writes",
    "booking_attendees",
    "booking_artefacts",
    "scoped_bookings",
    "routing_forms",
    "out_of_office",
    "private_links",
    "team_extras",
    "slot_reservations",
)

# Routes Cal serves without an API key: public booking/slot routes and provider callbacks.
PUBLIC_ROUTES = (
    re.compile(r"^/healthz$"),
    re.compile(r"^/v2/slots(/.*)?$"),
    re.compile(r"^/v2/timezones$"),
    re.compile(r"^/v2/provider/[^/]+$"),
    re.compile(r"^/v2/calendars/(?!ics-feed/)[^/]+/save$"),
    re.compile(r"^/v2/conferencing/[^/]+/oauth/callback$"),
    re.compile(r"^/v2/stripe/save$"),
)
# Routes guarded by the OAuth client's secret instead of a Bearer key.
OAUTH_CLIENT_ROUTE = re.compile(r"^/v2/(oauth-clients|oauth)/(?P<client>[^/]+)/")


class CalAuthMiddleware:
    """401 as Cal answers it: a missing Bearer key, or a wrong OAuth client secret."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        path = request.url.path
        problem: CalHTTPError | None = None
        oauth = OAUTH_CLIENT_ROUTE.match(path)
        if oauth:
            secret = request.headers.get("x-cal-secret-key")
            if not secret:
                problem = unauthorized("OAuth client secret missing: send the x-cal-secret-key header.")
            elif oauth["client"] == OAUTH_CLIENT_ID and secret != OAUTH_CLIENT_SECRET:
                problem = unauthorized("Invalid OAuth client secret.")
        elif not any(p.match(path) for p in PUBLIC_ROUTES):
            auth = request.headers.get("authorization", "")
            scheme, _, token = auth.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                problem = unauthorized("No Authorization header with a Bearer API key or access token.")
        if problem is not None:
            await error_response(request, problem)(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _cal_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CalHTTPError)
    return error_response(request, exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = "Cannot " + request.method + " " + request.url.path if exc.status_code in (404, 405) else exc.detail
    return error_response(request, CalHTTPError(exc.status_code, message))


async def _healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def _reset(request: Request) -> Response:
    """Not a Cal route: puts a standalone sandbox back to its seeded state between test runs."""
    request.app.state.cal.reset()
    return JSONResponse({"status": "success", "data": {"reset": True}})


def collect_handlers() -> dict[str, Endpoint]:
    handlers: dict[str, Endpoint] = {}
    for name in ROUTE_MODULES:
        module = importlib.import_module(f"cal_mcp.sandbox.routes.{name}")
        for operation_id, handler in module.HANDLERS.items():
            if operation_id in handlers:
                raise ValueError(f"{operation_id} has two handlers (routes.{name} and another module)")
            handlers[operation_id] = handler
    return handlers


def _specificity(path: str) -> tuple[tuple[int, str], ...]:
    """Literal segments sort before parameters, so ``/teams/me`` is tried before ``/teams/{teamId}``."""
    return tuple((1, "") if part.startswith("{") else (0, part) for part in path.split("/"))


def collect_routes(handlers: dict[str, Endpoint] | None = None) -> list[BaseRoute]:
    """One Starlette route per operation, at the method and path Cal's facts give it."""
    by_path: dict[str, dict[str, Endpoint]] = {}
    for operation_id, handler in (handlers or collect_handlers()).items():
        op = cal_api.operation(operation_id)
        by_path.setdefault(op.path, {})[op.method] = handler
    routes: list[BaseRoute] = []
    for path in sorted(by_path, key=_specificity):
        for method, handler in by_path[path].items():
            routes.append(Route(path, handler, methods=[method]))
    return routes


def create_app(state: SandboxState | None = None) -> Starlette:
    app = Starlette(
        routes=collect_routes(),
        exception_handlers={CalHTTPError: _cal_error, HTTPException: _http_error},
    )
    app.add_route("/healthz", _healthz, methods=["GET"])
    app.add_route("/_sandbox/reset", _reset, methods=["POST"])
    # Added first, so it runs after authentication (Cal answers 401 before validating).
    app.add_middleware(CalRequestGate, implemented=frozenset(collect_handlers()))
    app.add_middleware(CalAuthMiddleware)
    app.state.cal = state or new_state()
    return app
