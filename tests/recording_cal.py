"""A fake Cal.com for the multi-replica test: it books, and records every request it gets.

    python -m tests.recording_cal --port N

Each replica points at its own prefix (``CAL_API_BASE_URL=http://127.0.0.1:N/r/<replica>``), so the
record says which replica sent each request; times are this process's own monotonic clock, so
rate checks use the upstream's view, as Cal's limiter would. Cal's endpoints served:

* ``POST /v2/bookings``: books (no slot conflicts: a duplicate booking must show as a second one);
* ``GET /v2/bookings?attendeeEmail=...``: the bookings of that attendee;
* ``GET /v2/me``: a user per credential (an API key's own, or the account a token was issued for);
* Cal's OAuth for the sign-in tests: ``GET /oauth/authorize`` (approves at once: redirects back with a
  code), ``POST /v2/auth/oauth2/token`` (a code's access token is issued already near its expiry, so
  the first call refreshes it; refresh tokens are single-use, as at Cal, and each refresh is counted).

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
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
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
        self.codes: dict[str, str] = {}  # code -> account
        self.token_owner: dict[str, str] = {}  # access token -> account
        self.refresh_owner: dict[str, str] = {}  # live refresh tokens -> account
        self.refreshes: list[dict[str, Any]] = []  # every refresh: account, whether it was accepted

    def record(self, request: Request, replica: str) -> None:
        auth = request.headers.get("authorization", "")
        self.requests.append({
            "at": time.monotonic(), "replica": replica, "method": request.method, "path": request.url.path,
            # Which credential, without keeping it: the digest of the Authorization header.
            "credential": hashlib.sha256(auth.encode()).hexdigest()[:16],
        })

    def book(self, body: dict[str, Any], credential: str) -> dict[str, Any]:
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
        self.bookings.append({**booking, "credential": credential})
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
            credential = hashlib.sha256(request.headers.get("authorization", "").encode()).hexdigest()[:16]
            return JSONResponse({"status": "success", "data": rec.book(body, credential)}, status_code=201)
        if request.method == "GET" and path == "/v2/bookings":
            email = request.query_params.get("attendeeEmail")
            found = [b for b in rec.bookings if email is None or b["attendees"][0]["email"] == email]
            return JSONResponse({"status": "success", "data": found,
                                 "pagination": {"totalItems": len(found), "remainingItems": 0,
                                                "returnedItems": len(found), "itemsPerPage": 100,
                                                "currentPage": 1, "totalPages": 1,
                                                "hasNextPage": False, "hasPreviousPage": False}})
        if request.method == "GET" and path == "/v2/me":
            return me(request)
        if request.method == "POST" and path == "/v2/auth/oauth2/token":
            return await token(request)
        return JSONResponse({"status": "error", "error": {"code": "NotFoundException", "message": "Not found"}},
                            status_code=404)

    async def state(request: Request) -> JSONResponse:
        return JSONResponse({"requests": rec.requests, "bookings": rec.bookings, "waiting": rec.waiting,
                             "refreshes": rec.refreshes, "now": time.monotonic()})

    async def hold(request: Request) -> JSONResponse:
        if (await request.json())["hold"]:
            rec.released.clear()
        else:
            rec.released.set()
        return JSONResponse({"ok": True})

    def me(request: Request) -> JSONResponse:
        credential = request.headers.get("authorization", "").removeprefix("Bearer ")
        account = rec.token_owner.get(credential) or "key-" + hashlib.sha256(credential.encode()).hexdigest()[:8]
        user_id = int(hashlib.sha256(account.encode()).hexdigest()[:7], 16)
        return JSONResponse({"status": "success", "data": {**ME, "id": user_id, "username": account,
                                                            "email": f"{account}@example.com", "name": account}})

    def issue(account: str, expires_in: int) -> JSONResponse:
        access, refresh = "cal_at_" + uuid.uuid4().hex, "cal_rt_" + uuid.uuid4().hex
        rec.token_owner[access], rec.refresh_owner[refresh] = account, account
        return JSONResponse({"access_token": access, "refresh_token": refresh, "token_type": "Bearer",
                             "expires_in": expires_in})

    async def token(request: Request) -> JSONResponse:
        form = await request.form()
        if form.get("grant_type") == "authorization_code":
            account = rec.codes.pop(str(form.get("code")), None)
            if account is None:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            return issue(account, 60)  # inside cal-mcp's refresh margin: the first use refreshes it
        if form.get("grant_type") == "refresh_token":
            account = rec.refresh_owner.pop(str(form.get("refresh_token")), None)
            rec.refreshes.append({"account": account, "accepted": account is not None})
            if account is None:  # spent (or never issued): a second refresh with it fails, as at Cal
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            await asyncio.sleep(0.2)  # a refresh takes a moment: concurrent callers overlap with it
            return issue(account, 3600)
        return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)

    async def authorize(request: Request) -> RedirectResponse:
        code = "cal_code_" + uuid.uuid4().hex
        rec.codes[code] = request.query_params.get("login_hint") or "oauth-" + uuid.uuid4().hex[:8]
        query = urlencode({"code": code, "state": request.query_params.get("state", "")})
        return RedirectResponse(f"{request.query_params['redirect_uri']}?{query}", status_code=302)

    return Starlette(routes=[
        Route("/oauth/authorize", authorize, methods=["GET"]),
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
