"""The gate every sandbox request passes before a route runs: Cal's own request validation, once.

For a request to one of Cal's operations (``cal_api.match``), ``request_validation`` gives Cal's 400
messages from the shipped facts and the tool specs' ``calRules``; a valid request to an operation the
sandbox does not implement gets a 501 naming the operation, so a missing route is never mistaken for
Cal's 404. Routes then handle behaviour (state, permissions, conflicts), not request shapes.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from cal_mcp.asgi_body import replay
from cal_mcp.sandbox import cal_api
from cal_mcp.sandbox.errors import CalHTTPError, bad_request, error_response
from cal_mcp.sandbox.request_validation import refusal, validate_request, whitelisted_body


class CalRequestGate:
    def __init__(self, app: ASGIApp, implemented: frozenset[str]) -> None:
        self.app = app
        self.implemented = implemented

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        found = cal_api.match(scope["method"], scope["path"])
        if found is None:
            await self.app(scope, receive, send)
            return
        op, path_params = found
        raw = await _buffer(receive)
        problem, body = self._checked(scope, op, path_params, raw)
        if problem is not None:
            await error_response(Request(scope), problem)(scope, replay(raw, receive), send)
            return
        if body is not None:  # what the handler sees: the body with undeclared properties stripped
            raw = json.dumps(body).encode()
        await self.app(_with_length(scope, len(raw)), replay(raw, receive), send)

    def _checked(
        self, scope: Scope, op: cal_api.Operation, path_params: dict[str, str], raw: bytes
    ) -> tuple[CalHTTPError | None, Any]:
        """(Cal's refusal or None, the whitelisted body or None)."""
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                return bad_request("Request body is not valid JSON."), None
        query: dict[str, list[str]] = {}
        for name, value in parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True):
            query.setdefault(name, []).append(value)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        messages = validate_request(op, path_params=path_params, query=query, headers=headers, body=body)
        if messages:
            return refusal(op, messages), None
        if op.operation_id not in self.implemented:
            message = f"The sandbox does not implement {op.operation_id} ({op.method} {op.path})."
            return CalHTTPError(501, message), None
        return None, whitelisted_body(op, body) if isinstance(body, dict) else None


def _with_length(scope: Scope, length: int) -> Scope:
    headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"content-length"]
    return {**scope, "headers": [*headers, (b"content-length", str(length).encode())]}



async def _buffer(receive: Receive) -> bytes:
    """The whole request body."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
