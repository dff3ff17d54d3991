"""Cal responses → tool results: the success envelope unwrapped, errors made actionable, output capped.

A result's ``structuredContent`` is always an object, ``{"data": …}`` plus ``pagination`` when Cal
sends one, and its text block is the same JSON, compact. Arrays are never the structured root
(handshake-era clients reject that).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import mcp_types as types

from cal_mcp.errors import BadResponseError, UpstreamError, hint_for_status
from cal_mcp.output_cap import cap
from cal_mcp.request_builder import CalRequest

# Deepest nesting accepted from Cal. Its answers nest a dozen levels at most; the MCP SDK cannot
# serialise a result nested ~250 deep (a protocol error instead of a result), and json.loads
# itself gives up near 1,000.
MAX_JSON_DEPTH = 64
TOO_DEEP = f"nested more than {MAX_JSON_DEPTH} levels deep"


def nesting_exceeds(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether JSON-like ``value`` has containers more than ``limit`` levels deep (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


# An escaped UTF-16 surrogate (\uD800-\uDFFF); a lone one decodes to a str no encoder accepts.
_ESCAPED_SURROGATE = re.compile(rb"\\[uU][dD][89abcdefABCDEF]")


def _without_lone_surrogates(value: Any) -> Any:
    """``value`` with each unpaired surrogate replaced by U+FFFD (JSON allows them; UTF-8 and the SDK do not)."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, dict):
        return {_without_lone_surrogates(k): _without_lone_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_lone_surrogates(v) for v in value]
    return value


def _is_json(headers: Mapping[str, str]) -> bool:
    content_type = headers.get("content-type", "")
    return "json" in content_type.lower()


def _reject_constant(name: str) -> Any:
    # NaN/Infinity are not JSON (RFC 8259); accepting them would put invalid JSON in the text block.
    raise ValueError(f"{name} is not JSON")


def _load_json(raw: bytes) -> Any:
    hint = "Try again in a moment; if it persists, Cal.com or a proxy in front of it is misbehaving."
    try:
        value = json.loads(raw, parse_constant=_reject_constant)
    except RecursionError:
        raise BadResponseError(f"Cal.com's response was JSON {TOO_DEEP}.", hint) from None
    except (ValueError, UnicodeDecodeError):
        raise BadResponseError("Cal.com's response was not valid JSON.", hint) from None
    if isinstance(value, dict | list) and nesting_exceeds(value):
        raise BadResponseError(f"Cal.com's response was JSON {TOO_DEEP}.", hint)
    if _ESCAPED_SURROGATE.search(raw):  # rare: only then is the whole value walked
        value = _without_lone_surrogates(value)
    return value


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
        except (ValueError, RecursionError):
            body = None
        if isinstance(body, dict | list) and nesting_exceeds(body):
            body = None
        elif _ESCAPED_SURROGATE.search(raw):
            body = _without_lone_surrogates(body)
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


def success_result(body: Any, *, limit: int) -> types.CallToolResult:
    return payload_result(success_payload(body), limit=limit)


def payload_result(payload: dict[str, Any], *, limit: int) -> types.CallToolResult:
    """A result from a payload already unwrapped (``{"data": …}`` plus notes such as ``now``), capped."""
    payload, text = cap(payload, limit)
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)],
        structured_content=payload,
        is_error=False,
    )


def internal_error_result(*, write: bool = False, verify_tool: str | None = None) -> types.CallToolResult:
    """A bug of ours. For a write it may have come after Cal acted, so "try once more" could do it twice."""
    if write:
        where = f"with {verify_tool} " if verify_tool else "with the matching list tool "
        text = (
            "Internal error in cal-mcp while handling this call (details are in the server log); the change "
            f"may or may not have been made. Next step: do not repeat the call blindly; check {where}whether it "
            "happened, and retry only if it did not."
        )
    else:
        text = (
            "Internal error in cal-mcp while handling this call (details are in the server log). "
            "Next step: try once more; if it fails again, report it to whoever runs this server."
        )
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)],
        structured_content={"error": {"kind": "internal_error", "message": text}},
        is_error=True,
    )
