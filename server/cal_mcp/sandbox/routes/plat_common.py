"""Request helpers shared by the platform-area routes (teams, orgs, webhooks, calendars, OAuth clients).

Records and their lookups live in ``cal_mcp.sandbox.stores``; this module keeps what reads a request.

Body validation mimics Cal's NestJS ``ValidationPipe`` with ``whitelist`` + ``forbidNonWhitelisted``:
unknown top-level properties are rejected, and each declared property is type-checked with the
class-validator style messages Cal returns in ``error.details``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from cal_mcp.sandbox.errors import bad_request, forbidden
from cal_mcp.sandbox.http import path_int, query_int
from cal_mcp.sandbox.state import ORG_ID, SandboxState
from cal_mcp.sandbox.stores.oauth import consume_oauth_state

Check = Callable[[str, Any], "str | None"]

_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")


def is_str(name: str, value: Any) -> str | None:
    return None if isinstance(value, str) else f"{name} must be a string"


def non_empty_str(name: str, value: Any) -> str | None:
    if not isinstance(value, str):
        return f"{name} must be a string"
    return None if value.strip() else f"{name} should not be empty"


def is_bool(name: str, value: Any) -> str | None:
    return None if isinstance(value, bool) else f"{name} must be a boolean value"


def is_num(name: str, value: Any) -> str | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return None if ok else f"{name} must be a number conforming to the specified constraints"


def is_int(name: str, value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool)
    return None if ok else f"{name} must be an integer number"


def is_obj(name: str, value: Any) -> str | None:
    return None if isinstance(value, dict) else f"{name} must be an object"


def is_url(name: str, value: Any) -> str | None:
    ok = isinstance(value, str) and bool(_URL.match(value))
    return None if ok else f"{name} must be a URL address"


def is_email(name: str, value: Any) -> str | None:
    ok = isinstance(value, str) and bool(_EMAIL.match(value))
    return None if ok else f"{name} must be an email"


def is_hex_color(name: str, value: Any) -> str | None:
    ok = isinstance(value, str) and bool(_HEX.match(value))
    return None if ok else f"{name} must be a hexadecimal color"


def anything(name: str, value: Any) -> str | None:
    return None


def enum(*allowed: Any) -> Check:
    def check(name: str, value: Any) -> str | None:
        if value in allowed:
            return None
        return f"{name} must be one of the following values: {', '.join(map(str, allowed))}"

    return check


def list_of(item: Check, *, min_items: int = 0) -> Check:
    def check(name: str, value: Any) -> str | None:
        if not isinstance(value, list):
            return f"{name} must be an array"
        if len(value) < min_items:
            return f"{name} must contain at least {min_items} elements"
        for element in value:
            problem = item(f"each value in {name}", element)
            if problem:
                return problem
        return None

    return check


def nullable(inner: Check) -> Check:
    def check(name: str, value: Any) -> str | None:
        return None if value is None else inner(name, value)

    return check


def validate(body: dict[str, Any], fields: Mapping[str, Check], required: Iterable[str] = ()) -> None:
    """400 with class-validator style messages for unknown, missing or mistyped properties."""
    errors = [f"property {key} should not exist" for key in body if key not in fields]
    for key in required:
        if body.get(key) is None:
            errors.append(fields[key](key, None) or f"{key} should not be empty")
    for key, value in body.items():
        if key in fields and not (value is None and key in required):
            problem = fields[key](key, value)
            if problem:
                errors.append(problem)
    if errors:
        raise bad_request(", ".join(errors), errors)


def paging(request: Request, *, default: int = 250, maximum: int = 250) -> tuple[int, int]:
    """Cal's ``take``/``skip`` (SkipTakePagination: take 1..250, default 250)."""
    take = query_int(request, "take", default, minimum=1, maximum=maximum)
    skip = query_int(request, "skip", 0, minimum=0)
    assert take is not None and skip is not None
    return skip, take


def org_id_of(request: Request) -> int:
    """Only ORG_ID exists for the sandbox user: any other org is one they are not an admin of."""
    org_id = path_int(request, "orgId")
    if org_id != ORG_ID:
        raise forbidden(f"You are not an admin of organization with id={org_id}.")
    return org_id


# --- OAuth connects (calendars, conferencing apps, Stripe): they never leave the sandbox -----------


def json_oauth_state(request: Request, issued_by: str) -> dict[str, Any]:
    """The JSON ``state`` an auth-url endpoint put in the provider URL, back on the provider's callback."""
    raw = request.query_params.get("state")
    if not raw:
        raise bad_request("Missing `state` query param")
    invalid = f"state must be the JSON object issued by {issued_by}"
    try:
        decoded = json.loads(raw)
    except ValueError:
        raise bad_request(invalid) from None
    if not isinstance(decoded, dict):
        raise bad_request(invalid)
    return decoded


def oauth_granted(state: SandboxState, request: Request, decoded: dict[str, Any]) -> bool:
    """The provider sent a code (no error) for a state token the sandbox issued, which is now spent.

    Otherwise Cal sends the user to ``onErrorReturnTo`` (logging "Invalid Access token." for a bad token)."""
    params = request.query_params
    if params.get("error") or not params.get("code"):
        return False
    return consume_oauth_state(state, str(decoded.get("accessToken")))


def ok_url(url: str) -> Response:
    """Cal's OAuth and Stripe callbacks end in NestJS ``@Redirect(undefined, 301)`` with the returned url:
    an HTTP 301 whose ``Location`` is that url (empty when Cal has none), with Express's short text body
    (calendars.controller.ts, conferencing.controller.ts, stripe.controller.ts). Nothing follows it here."""
    return PlainTextResponse(f"Moved Permanently. Redirecting to {url}", status_code=301, headers={"Location": url})
