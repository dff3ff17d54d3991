"""A minimal Streamable HTTP MCP client on a hand-written HTTP/1.1 connection, so the client adds little.

httpx costs 2-3 ms of CPU per request with 32 requests in flight on a 2-core machine, about as
much as the servers being measured, which would blur every comparison. This client keeps one
keep-alive connection per MCP client and parses only what it needs.

It sends what ``mcp.Client`` sends for each era (checked by capturing its requests):

* ``legacy``: ``initialize`` (protocol 2025-11-25) then ``notifications/initialized``; later
  requests carry ``Mcp-Session-Id`` (when the server issued one) and ``MCP-Protocol-Version``.
  Replies may be SSE (``event: message`` / ``data: {...}``) or JSON.
* ``modern`` (2026-07-28): no handshake; each request carries the ``_meta`` envelope plus the
  ``MCP-Protocol-Version``, ``Mcp-Method`` and ``Mcp-Name`` headers.

It does not open the optional GET stream for server-initiated messages (none are sent here).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from typing import Any
from urllib.parse import urlsplit

LEGACY_VERSION = "2025-11-25"
MODERN_VERSION = "2026-07-28"
CLIENT_INFO = {"name": "bench", "version": "1.0"}
ACCEPT = "application/json, text/event-stream"
ERAS = ("legacy", "modern")


class WireError(RuntimeError):
    pass


class Connection:
    """One HTTP/1.1 keep-alive connection; requests on it run one at a time."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.authority = f"{self.host}:{self.port}"
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, headers: dict[str, str],
                      body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.authority}", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = await self._reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").rstrip("\r\n").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        got = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            got[name.strip().lower()] = value.strip()
        if "content-length" in got:
            payload = await self._reader.readexactly(int(got["content-length"]))
        elif got.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await self._reader.readexactly(size + 2)
                if size == 0:
                    break
                chunks.append(chunk[:-2])
            payload = b"".join(chunks)
        else:
            payload = await self._reader.read()
            await self.close()
        if got.get("connection", "").lower() == "close":
            await self.close()
        return status, got, payload

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
            self._writer = self._reader = None


def _decode(status: int, headers: dict[str, str], body: bytes, request_id: int) -> dict[str, Any]:
    if status != 200:
        raise WireError(f"HTTP {status}: {body[:300]!r}")
    if headers.get("content-type", "").startswith("text/event-stream"):
        for line in body.decode().splitlines():
            if line.startswith("data:"):
                message = json.loads(line[5:])
                if message.get("id") == request_id:
                    return _result(message)
        raise WireError(f"no reply to request {request_id} in the event stream")
    return _result(json.loads(body))


def _result(message: dict[str, Any]) -> dict[str, Any]:
    if "error" in message:
        raise WireError(f"JSON-RPC error {message['error']}")
    result: dict[str, Any] = message["result"]
    return result


class WireClient:
    """One MCP client with its own connection (one session in the legacy stateful case)."""

    def __init__(self, url: str, era: str) -> None:
        if era not in ERAS:
            raise ValueError(era)
        self.url, self.era = url, era
        self.path = urlsplit(url).path or "/"
        self.conn = Connection(url)
        self.session_id: str | None = None
        self._ids = itertools.count(1)

    def _headers(self, method: str, params: dict[str, Any] | None) -> dict[str, str]:
        headers = {"Accept": ACCEPT, "Content-Type": "application/json"}
        if self.era == "modern":
            headers["MCP-Protocol-Version"] = MODERN_VERSION
            headers["Mcp-Method"] = method
            if params is not None and "name" in params and method in ("tools/call", "prompts/get"):
                headers["Mcp-Name"] = str(params["name"])
        elif method != "initialize":
            headers["MCP-Protocol-Version"] = LEGACY_VERSION
        if self.session_id:
            headers["Mcp-Session-Id"] = self.session_id
        return headers

    async def _post(self, method: str, params: dict[str, Any] | None,
                    message: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        body = json.dumps(message, separators=(",", ":")).encode()
        return await self.conn.request("POST", self.path, self._headers(method, params), body)

    async def open(self) -> WireClient:
        if self.era == "legacy":
            params = {"protocolVersion": LEGACY_VERSION, "capabilities": {}, "clientInfo": CLIENT_INFO}
            status, headers, body = await self._post("initialize", params, {
                "jsonrpc": "2.0", "id": 0, "method": "initialize", "params": params})
            _decode(status, headers, body, 0)
            self.session_id = headers.get("mcp-session-id")
            status, _, _ = await self._post("notifications/initialized", None,
                                            {"jsonrpc": "2.0", "method": "notifications/initialized"})
            if status != 202:
                raise WireError(f"initialized notification got HTTP {status}")
        return self

    async def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        request_id = next(self._ids)
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        sent = dict(params or {})
        if self.era == "modern":
            sent["_meta"] = {
                "io.modelcontextprotocol/protocolVersion": MODERN_VERSION,
                "io.modelcontextprotocol/clientInfo": CLIENT_INFO,
                "io.modelcontextprotocol/clientCapabilities": {},
            }
        if sent:
            message["params"] = sent
        status, headers, body = await self._post(method, params, message)
        return _decode(status, headers, body, request_id)

    async def call_tool(self, name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        result = await self.request("tools/call", {"name": name, "arguments": arguments or {}})
        if result.get("isError"):
            raise WireError(f"{name} returned an error result: {json.dumps(result)[:300]}")
        return result

    async def close(self) -> None:
        """End the session (as a closing client does) and the connection."""
        if self.session_id:
            await self.conn.request("DELETE", self.path, self._headers("DELETE", None))
            self.session_id = None
        await self.conn.close()
