"""One incoming JSON-RPC message checked before the SDK sees it: the refusal JSON-RPC 2.0 prescribes, or None.

Works around three behaviours of mcp 2.3, on every transport:

* a JSON array (a batch) is answered ``-32602`` over Streamable HTTP, where JSON-RPC says ``-32600``
  (MCP dropped batching in 2025-06-18, so it is refused, not served);
* a request whose ``id`` is not a string or an integer (an object, a float, true, null) validates as a
  *notification* (``mcp_types.JSONRPCNotification`` ignores the extra ``id``), so HTTP answers 202 and the
  request is never answered;
* stdio (``mcp.server.stdio.stdio_server``) hands a line it cannot parse to the session as an exception,
  which drops it: no ``-32700`` / ``-32600`` reaches the client.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
INTERNAL_ERROR = -32603

RequestId = str | int


@dataclass(frozen=True)
class Refusal:
    """A JSON-RPC error answer with ``id`` null unless the request's id could be read."""

    code: int
    message: str
    id: RequestId | None = None

    def to_json(self) -> str:
        return json.dumps({"jsonrpc": "2.0", "id": self.id, "error": {"code": self.code, "message": self.message}},
                          separators=(",", ":"))


def _usable_id(value: object) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def check_message(raw: bytes | str) -> Refusal | None:
    """None when ``raw`` is one well-formed JSON-RPC 2.0 message the SDK will handle; otherwise the refusal."""
    import mcp_types
    from pydantic import ValidationError

    try:
        # UTF-8 only (json.loads would also take UTF-16 and UTF-32 bytes, which the SDK then refuses).
        value = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    except (ValueError, UnicodeDecodeError):
        return Refusal(PARSE_ERROR, "Parse error: the message is not valid JSON")
    if isinstance(value, list):
        return Refusal(INVALID_REQUEST, "Invalid Request: batches are not supported; send one JSON-RPC message "
                                        "at a time")
    if not isinstance(value, dict):
        return Refusal(INVALID_REQUEST, "Invalid Request: a JSON-RPC message is a JSON object")
    given_id = value.get("id")
    answer_id = given_id if _usable_id(given_id) else None
    if "method" in value and "id" in value and not _usable_id(given_id):
        return Refusal(INVALID_REQUEST, "Invalid Request: id must be a string or an integer")
    try:
        mcp_types.jsonrpc_message_adapter.validate_python(value, by_name=False)
    except ValidationError:
        return Refusal(INVALID_REQUEST, "Invalid Request: not a JSON-RPC 2.0 request, notification or response",
                       answer_id)
    return None
