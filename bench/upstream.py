"""A tiny loopback stand-in for Cal.com: raw asyncio HTTP/1.1 with keep-alive, one canned answer.

``GET /v2/me`` answers Cal's success envelope for a user (what ``CAL_RETRIEVE_MY_INFORMATION``
and the bare proxy both fetch); anything else gets Cal's 404 envelope. It does as little work as
possible so the figures measure the MCP servers, not the upstream. Started by the bench scripts:
``python bench/upstream.py --port N``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json

ME = {
    "status": "success",
    "data": {
        "id": 1001,
        "email": "host@example.com",
        "timeFormat": 24,
        "defaultScheduleId": 1,
        "weekStart": "Monday",
        "timeZone": "Europe/London",
        "username": "host",
        "organizationId": None,
        "organization": None,
        "name": "Hosting User",
        "avatarUrl": None,
        "bio": None,
        "metadata": {},
        "locale": "en",
        "createdDate": "2026-01-05T10:00:00.000Z",
    },
}
NOT_FOUND = {"status": "error", "error": {"code": "NotFoundException", "message": "Not found"}}


def _response(status: str, payload: object) -> bytes:
    body = json.dumps(payload, separators=(",", ":")).encode()
    head = (f"HTTP/1.1 {status}\r\nContent-Type: application/json; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n")
    return head.encode() + body


ME_RESPONSE = _response("200 OK", ME)
NOT_FOUND_RESPONSE = _response("404 Not Found", NOT_FOUND)


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            length = 0
            for line in lines[1:]:
                if line[:15].lower() == "content-length:":
                    length = int(line[15:].strip())
            if length:
                await reader.readexactly(length)
            path = target.split("?", 1)[0]
            writer.write(ME_RESPONSE if method == "GET" and path == "/v2/me" else NOT_FOUND_RESPONSE)
            await writer.drain()
    finally:
        writer.close()


async def serve(host: str, port: int) -> None:
    server = await asyncio.start_server(handle, host, port, backlog=1024)
    async with server:
        await server.serve_forever()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
