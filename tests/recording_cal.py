"""A fake Cal.com for the multi-replica test: it books, and records every request it gets.

    python -m tests.recording_cal --port N

Each replica points at its own prefix (``CAL_API_BASE_URL=http://127.0.0.1:N/r/<replica>``), so the
record says which replica sent each request; times are this process's own monotonic clock, so
rate checks use the upstream's view, as Cal's limiter would. Cal's endpoints served:

* ``POST /v2/bookings``: books (no slot conflicts: a duplicate booking must show as a second one);
* ``GET /v2/bookings?attendeeEmail=...``: the bookings of that attendee;
* ``GET /v2/me``.

Control (not recorded): ``GET /_control/state`` (requests, bookings, bookings waiting on hold),
``POST /_control/hold`` with ``{"hold": true|false}``. While on hold, booking requests are recorded
on arrival and then wait; releasing them makes every booking, even when the replica that sent it
is gone by then (Cal, too, finishes a booking whose client hung up).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ME = {"id": 1001, "email": "host@example.com", "username": "host", "timeZone": "Europe/London",
      "name": "Hosting User", "timeFormat": 24, "defaultScheduleId": 1, "weekStart": "Monday",
      "organizationId": None, "organization": None, "avatarUrl": None, "bio": None, "metadata": {},
      "locale": "en", "createdDate": "2026-01-05T10:00:00.000Z"}


class Recorder:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.bookings: list[dict[str, Any]] = []
        self.waiting = 0
        self.released = asyncio.Event()
        self.released.set()
        self.ids = itertools.count(1)

    def record(self, request: Request, replica: str) -> None:
        auth = request.headers.get("authorization", "")
        self.requests.append({
            "at": time.monotonic(), "replica": replica, "method": request.method, "path": request.url.path,
            # Which credential, without keeping it: the digest of the Authorization header.
            "credential": hashlib.sha256(auth.encode()).hexdigest()[:16],
        })

    def book(self, body: dict[str, Any]) -> dict[str, Any]:
        start = datetime.fromisoformat(str(body["start"]).replace("Z", "+00:00"))
        booking_id = next(self.ids)
        attendee = body.get("attendee") or {}
        booking = {
            "id": booking_id, "uid": uuid.uuid4().hex, "title": "Meeting", "status": "accepted",
            "start": start.isoformat().replace("+00:00", "Z"),
            "end": (start + timedelta(minutes=30)).isoformat().replace("+00:00", "Z"),
            "duration": 30, "eventTypeId": body.get("eventTypeId"),
            "attendees": [{"name": attendee.get("name"), "email": attendee.get("email"),
                           "timeZone": attendee.get("timeZone"), "absent": False}],
            "hosts": [{"id": 1001, "name": "Hosting User", "email": "host@example.com"}],
            "createdAt": datetime.now().astimezone().isoformat(),
        }
        self.bookings.append(booking)
        return booking


def create_app() -> Starlette:
    rec = Recorder()

    async def cal(request: Request) -> JSONResponse:
        replica, path = request.path_params["replica"], "/" + request.path_params["rest"]
        rec.record(request, replica)
        if request.method == "POST" and path == "/v2/bookings":
            body = await request.json()
            rec.waiting += 1
            try:
                await rec.released.wait()
            finally:
                rec.waiting -= 1
            return JSONResponse({"status": "success", "data": rec.book(body)}, status_code=201)
        if request.method == "GET" and path == "/v2/bookings":
            email = request.query_params.get("attendeeEmail")
            found = [b for b in rec.bookings if email is None or b["attendees"][0]["email"] == email]
            return JSONResponse({"status": "success", "data": found,
                                 "pagination": {"totalItems": len(found), "remainingItems": 0,
                                                "returnedItems": len(found), "itemsPerPage": 100,
                                                "currentPage": 1, "totalPages": 1,
                                                "hasNextPage": False, "hasPreviousPage": False}})
        if request.method == "GET" and path == "/v2/me":
            return JSONResponse({"status": "success", "data": ME})
        return JSONResponse({"status": "error", "error": {"code": "NotFoundException", "message": "Not found"}},
                            status_code=404)

    async def state(request: Request) -> JSONResponse:
        return JSONResponse({"requests": rec.requests, "bookings": rec.bookings, "waiting": rec.waiting,
                             "now": time.monotonic()})

    async def hold(request: Request) -> JSONResponse:
        if (await request.json())["hold"]:
            rec.released.clear()
        else:
            rec.released.set()
        return JSONResponse({"ok": True})

    return Starlette(routes=[
        Route("/_control/state", state, methods=["GET"]),
        Route("/_control/hold", hold, methods=["POST"]),
        Route("/r/{replica}/{rest:path}", cal, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
    ])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(create_app(), host="127.0.0.1", port=args.port, log_level="warning", backlog=1024)


if __name__ == "__main__":
    main()
