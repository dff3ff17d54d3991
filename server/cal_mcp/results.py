"""Cal responses → tool results: the success envelope unwrapped, errors made actionable, output capped.

A result's ``structuredContent`` is always an object, ``{"data": …}`` plus ``pagination`` when Cal
sends one, and its text block is the same JSON, compact. Arrays are never the structured root
(handshake-era clients reject that).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import mcp_types as types

from cal_mcp.errors import BadResponseError, UpstreamError, hint_for_status
from cal_mcp.request_builder import CalRequest

TRUNCATION_NOTE = (
    "Output capped at {limit} bytes: showing {shown} of {total} items. Ask for fewer at a time "
    "(take/limit and skip/offset, or narrower filters such as dates or status) to see the rest."
)


def _is_json(headers: Mapping[str, str]) -> bool:
    content_type = headers.get("content-type", "")
    return "json" in content_type.lower()


def _reject_constant(name: str) -> Any:
    # NaN/Infinity are not JSON (RFC 8259); accepting them would put invalid JSON in the text block.
    raise ValueError(f"{name} is not JSON")


def _load_json(raw: bytes) -> Any:
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError):
        raise BadResponseError(
            "Cal.com's response was not valid JSON.",
            "Try again in a moment; if it persists, Cal.com or a proxy in front of it is misbehaving.",
        ) from None


def parse_body(status: int, raw: bytes, headers: Mapping[str, str]) -> Any:
    """The parsed JSON of a 2xx answer; ``None`` when it is empty (204, or an empty 200)."""
    if not raw.strip():
        return None
    if not _is_json(headers):
        kind = headers.get("content-type", "no content type").split(";")[0]
        raise BadResponseError(
            f"Cal.com answered HTTP {status} with {kind} instead of JSON (a proxy or maintenance page?).",
            "Try again in a moment; if it persists, check CAL_API_BASE_URL points at the Cal.com API.",
        )
    return _load_json(raw)


def upstream_error(request: CalRequest, status: int, raw: bytes, headers: Mapping[str, str]) -> UpstreamError:
    """Cal's error envelope ``{"status":"error","error":{code,message,details}}`` → ``UpstreamError``."""
    code, message, details = f"HTTP{status}", "", None
    if _is_json(headers) and raw.strip():
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            code = str(error.get("code") or code)
            message = str(error.get("message") or "")
            details = error.get("details")
        elif isinstance(body, dict) and "message" in body:
            message = str(body["message"])
    if not message:
        message = "no error message (the answer was not Cal's JSON error envelope)"
    details = _useful_details(details, message)
    hint = hint_for_status(
        status,
        message,
        auth=str(request.meta.get("auth", "api_key")),
        id_args=request.meta.get("id_args", {}),
        id_sources=request.meta.get("id_sources", {}),
    )
    return UpstreamError(status, code, message, hint, details)


def _useful_details(details: Any, message: str) -> Any:
    """Drop details that only repeat the message (Cal's default ``{message, statusCode}`` object)."""
    if isinstance(details, dict):
        rest = {k: v for k, v in details.items() if k not in ("statusCode", "error") and v != message}
        if set(rest) <= {"message"} and not isinstance(rest.get("message"), list):
            return None
        return rest
    return details


def success_payload(body: Any) -> dict[str, Any]:
    """``{"data": …}`` (+ ``pagination``) from Cal's success envelope, or the raw body when Cal sent none."""
    if isinstance(body, dict) and "data" in body:
        payload: dict[str, Any] = {"data": body["data"]}
        if body.get("pagination") is not None:
            payload["pagination"] = body["pagination"]
        return payload
    return {"data": body}


def _dump(payload: Any) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str)


def _cap(payload: dict[str, Any], limit: int) -> tuple[dict[str, Any], str]:
    """Trim the longest list in ``data`` until the JSON fits in ``limit`` bytes, saying so."""
    text = _dump(payload)
    if len(text.encode()) <= limit:
        return payload, text
    data = payload.get("data")
    holder: dict[str, Any] | None = None
    key: str | None = None
    items: list[Any] | None = None
    if isinstance(data, list):
        items = data
    elif isinstance(data, dict):
        lists = [(k, v) for k, v in data.items() if isinstance(v, list)]
        if lists:
            key, items = max(lists, key=lambda kv: len(_dump(kv[1])))
            holder = data
    total = len(items) if items is not None else 0
    shown = total
    while True:
        if items is None:
            trimmed: dict[str, Any] = {"data": None}
            shown = 0
        else:
            part = items[:shown]
            new_data: Any = part if holder is None else {**holder, str(key): part}
            trimmed = {**payload, "data": new_data}
        trimmed["truncated"] = TRUNCATION_NOTE.format(limit=limit, shown=shown, total=total or "?")
        text = _dump(trimmed)
        if len(text.encode()) <= limit or shown == 0:
            return trimmed, text
        # Shrink proportionally, at least by one, so large lists converge in a few steps.
        ratio = limit / len(text.encode())
        shown = max(0, min(shown - 1, int(shown * ratio * 0.95)))


def success_result(body: Any, *, limit: int) -> types.CallToolResult:
    payload, text = _cap(success_payload(body), limit)
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)],
        structured_content=payload,
        is_error=False,
    )


def internal_error_result() -> types.CallToolResult:
    text = (
        "Internal error in cal-mcp while handling this call (details are in the server log). "
        "Next step: try once more; if it fails again, report it to whoever runs this server."
    )
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)],
        structured_content={"error": {"kind": "internal_error", "message": text}},
        is_error=True,
    )
