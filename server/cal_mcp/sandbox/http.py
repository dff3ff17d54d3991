"""Small helpers every sandbox route uses: envelopes, body and parameter parsing, versions, paging."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cal_mcp.sandbox.errors import bad_request

if TYPE_CHECKING:
    from cal_mcp.sandbox.state import SandboxState

T = TypeVar("T")
# A route handler; each is registered under Cal's operationId (see ``app.py``).
Endpoint = Callable[[Request], Awaitable[Response]]


def ok(data: Any, *, pagination: dict[str, Any] | None = None, status: int = 200) -> JSONResponse:
    body: dict[str, Any] = {"status": "success", "data": data}
    if pagination is not None:
        body["pagination"] = pagination
    return JSONResponse(body, status_code=status)


def state_of(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.cal
    return state



async def json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise bad_request("Request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise bad_request("Request body must be a JSON object.")
    return data


def given_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The members of a (gate-checked) JSON body that carry a value: Cal's validation lets an optional
    field be null (``IsOptional``) and its handlers then leave it alone, as handlers here do."""
    return {key: value for key, value in body.items() if value is not None}


def path_int(request: Request, name: str) -> int:
    raw = request.path_params[name]
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise bad_request(f"Validation failed (numeric string is expected) for {name}.") from None


def query_int(request: Request, name: str, default: int | None = None, *, minimum: int = 0,
              maximum: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"{name} must be an integer.", [f"{name} must be an integer number"]) from None
    if value < minimum or (maximum is not None and value > maximum):
        limits = f">= {minimum}" + (f" and <= {maximum}" if maximum is not None else "")
        raise bad_request(f"{name} must be {limits}.", [f"{name} must be {limits}"])
    return value


def query_list(request: Request, name: str) -> list[str]:
    """Cal reads arrays either comma-joined (``a,b``) or repeated (``x=a&x=b``)."""
    values: list[str] = []
    for raw in request.query_params.getlist(name):
        values.extend(v for v in raw.split(",") if v)
    return values


def query_bool(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise bad_request(f"{name} must be a boolean value.", [f"{name} must be a boolean value"])


def page(items: Sequence[T], skip: int, take: int) -> tuple[list[T], dict[str, Any]]:
    """Slice and describe a page the way Cal's paginated list endpoints do."""
    total = len(items)
    chunk = list(items[skip : skip + take])
    current = skip // take + 1 if take else 1
    total_pages = (total + take - 1) // take if take else 1
    pagination = {
        "totalItems": total,
        "remainingItems": max(total - skip - len(chunk), 0),
        "returnedItems": len(chunk),
        "itemsPerPage": take,
        "currentPage": current,
        "totalPages": total_pages,
        "hasNextPage": skip + len(chunk) < total,
        "hasPreviousPage": skip > 0,
    }
    return chunk, pagination
