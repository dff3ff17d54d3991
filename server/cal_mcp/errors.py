"""Errors a tool call can end in, each rendered as an ``isError`` result with a next step.

The hierarchy (what the model can act on; bugs in our own code are not here, they become a short
"internal error" result in ``app.py`` with the detail logged to stderr)::

    CalMcpError                   base: a message safe to show the model, and a hint
    ├── ArgumentError             arguments broke the tool's schema or a rule; nothing was sent
    ├── ConfigurationError        a credential or setting the call needs is missing; nothing was sent
    ├── RateLimitedError          our budget toward Cal, or Cal's 429: retry after N seconds
    │   └── EndpointSaturatedError  too many calls already waiting on one Cal endpoint; not sent
    ├── UpstreamError             Cal answered with an error status (code, message, details)
    ├── BadResponseError          Cal answered something that is not its JSON envelope
    └── UnreachableError          no answer: connection refused, timeout before a response
        └── OutcomeUnknownError   a write may have reached Cal: check before retrying
"""

from __future__ import annotations

import json
from typing import Any

import mcp_types as types

from cal_mcp.error_hints import hint_for_message

# Where a model can check whether a write it is unsure about happened.
VERIFY_TOOL_BY_TOOLSET = {
    "bookings": "CAL_FETCH_ALL_BOOKINGS",
    "slots": "CAL_GET_AVAILABLE_SLOTS_INFO",
    "event_types": "CAL_LIST_EVENT_TYPES",
    "schedules": "CAL_RETRIEVE_SCHEDULES_LIST",
    "webhooks": "CAL_RETRIEVE_WEBHOOKS_LIST",
    "teams": "CAL_GET_TEAMS_LIST",
    "calendars": "CAL_RETRIEVE_CALENDAR_LIST",
    "conferencing": "CAL_RETRIEVE_V2_CONFERENCING_INFO",
    "me": "CAL_RETRIEVE_MY_INFORMATION",
}
UNNAMED_BAD_REQUEST = "Bad Request Exception"


class CalMcpError(Exception):
    """Base: ``message`` says what happened, ``hint`` what to do next; both are safe to show."""

    kind = "error"

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def details(self) -> dict[str, Any]:
        return {}

    def to_result(self) -> types.CallToolResult:
        error: dict[str, Any] = {"kind": self.kind, "message": self.message, **self.details()}
        if self.hint:
            error["hint"] = self.hint
        text = self.message
        if self.hint:
            # Cal's messages often end without a full stop; keep the two sentences apart.
            ending = "" if text.rstrip().endswith((".", "!", "?", ":")) else "."
            text = f"{text.rstrip()}{ending} Next step: {self.hint}"
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=text)],
            structured_content={"error": error},
            is_error=True,
        )


class ArgumentError(CalMcpError):
    """The arguments do not fit the tool's input schema (or a rule the schema cannot express)."""

    kind = "invalid_arguments"

    def __init__(self, message: str, hint: str = "", *, field: str | None = None) -> None:
        super().__init__(message, hint)
        self.field = field

    def details(self) -> dict[str, Any]:
        return {"field": self.field} if self.field else {}


class ConfigurationError(CalMcpError):
    """A credential or setting this call needs is not configured."""

    kind = "not_configured"


class RateLimitedError(CalMcpError):
    """Too many calls: ours (the local budget) or Cal's 429."""

    kind = "rate_limited"

    def __init__(self, message: str, retry_after: float) -> None:
        seconds = max(1, round(retry_after))
        super().__init__(message, f"Wait {seconds} s, then call the tool again.")
        self.retry_after = seconds

    def details(self) -> dict[str, Any]:
        return {"retryAfterSeconds": self.retry_after}


class EndpointSaturatedError(RateLimitedError):
    """Every slot of one Cal endpoint (method + path template) is taken by calls still waiting on Cal.

    Nothing was sent: queuing behind requests that may be hanging would only spend this call's
    whole budget, and the connections other endpoints need.
    """

    kind = "endpoint_saturated"

    def __init__(self, endpoint: str, limit: int, retry_after: float) -> None:
        super().__init__(
            f"Cal.com endpoint {endpoint} is saturated: {limit} calls to it are already waiting for an answer "
            "(it may be slow or hanging), so this call was not sent. Other tools are not affected.",
            retry_after=retry_after,
        )
        self.endpoint = endpoint

    def details(self) -> dict[str, Any]:
        return {**super().details(), "endpoint": self.endpoint}


class UpstreamError(CalMcpError):
    """Cal.com answered with an error status."""

    kind = "cal_api_error"

    def __init__(self, status: int, code: str, message: str, hint: str, details: Any = None) -> None:
        super().__init__(f"Cal.com API error {status} {code}: {message}", hint)
        self.status, self.code, self.cal_message, self.cal_details = status, code, message, details

    def details(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "code": self.code}
        if self.cal_details not in (None, {}, []):
            out["details"] = self.cal_details
        return out


class BadResponseError(CalMcpError):
    """Cal (or something in front of it) answered with something that is not Cal's JSON."""

    kind = "bad_response"


class UnreachableError(CalMcpError):
    """No usable answer from Cal: the connection failed or timed out."""

    kind = "unreachable"


class OutcomeUnknownError(UnreachableError):
    """A write may have reached Cal but no answer came back; repeating it blindly could duplicate it."""

    kind = "outcome_unknown"


def _value_of(arguments: dict[str, Any], name: str) -> str:
    value = arguments.get(name)
    return json.dumps(value) if value is not None else "(not given)"


def hint_for_status(
    status: int,
    message: str,
    *,
    auth: str,
    id_args: dict[str, str],
    id_sources: dict[str, list[str]],
) -> str:
    """The next step for a Cal error status. ``id_sources`` maps an argument to the tools that list valid values."""
    known = hint_for_message(status, message)
    if known is not None:
        return known
    if status == 400 and message.strip() == UNNAMED_BAD_REQUEST:
        # Cal's global ValidationPipe refusal; its production API hides which field failed
        # (apps/api/v2/src/filters/http-exception.filter.ts).
        return (
            "Cal.com refused an argument without naming it. Check each argument against the tool's schema and "
            "description (formats, allowed values, values that must match existing IDs), fix it and call again."
        )
    if status in (400, 422):
        return "Fix the arguments named in the message (see the tool's input schema) and call again."
    if status == 401:
        if "belong" in message.lower():
            return (
                "The IDs point at another account's credentials: use ones listed for this account "
                "(see the source tool named in each ID's description)."
            )
        if auth == "oauth_client":
            return (
                "Cal.com rejected the OAuth client credentials: set CAL_OAUTH_CLIENT_ID and "
                "CAL_OAUTH_CLIENT_SECRET to a Platform OAuth client's values and restart the server."
            )
        return (
            "Cal.com rejected the API key: set CAL_API_KEY to a valid key (Cal.com > Settings > "
            "Developer > API keys) and restart the server, or start it with --sandbox to try it without one."
        )
    if status == 403:
        return (
            "The account behind the API key lacks the right for this (Cal.com says why above). Organization "
            "tools need an organization admin's key on the Organizations plan; team tools need a team admin or "
            "owner. Ask the user to use an account with that role; do not retry as is."
        )
    if status == 404:
        checks = []
        for name, value in id_args.items():
            sources = id_sources.get(name)
            where = f" (valid values come from {', '.join(sources)})" if sources else ""
            checks.append(f"{name}={value}{where}")
        if checks:
            return "Check that the IDs exist and belong to this account: " + "; ".join(checks) + "."
        return "The resource does not exist for this account; list what exists and use one of those IDs."
    if status == 409:
        return "It conflicts with the current state (it may already exist); fetch the current state first."
    if status >= 500:
        return "Cal.com failed on its side. Try again in a minute; if it persists, the service may be down."
    return "Read Cal.com's message above and adjust the call."


def id_arguments(
    path_params: tuple[str, ...], arguments: dict[str, Any], id_sources: dict[str, list[str]]
) -> dict[str, str]:
    """The identifiers a 404 may be about: path parameters, plus given arguments whose source tool is known."""
    names = [*path_params, *(n for n in arguments if n in id_sources and n not in path_params)]
    return {name: _value_of(arguments, name) for name in names}
