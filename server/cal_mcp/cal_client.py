"""CalClient: the one place that talks HTTP to Cal.com (or the sandbox).

One shared ``httpx.AsyncClient``; credentials added per call from settings; explicit timeouts plus
a total deadline; a rate budget per credential; retries only where a repeat cannot duplicate an
effect; responses read with a size cap and turned into data or a ``CalMcpError``.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import httpx

from cal_mcp import __version__
from cal_mcp.auth.context import CALLER_CREDENTIAL
from cal_mcp.config import Settings
from cal_mcp.errors import (
    BadResponseError,
    CalMcpError,
    ConfigurationError,
    EndpointSaturatedError,
    OutcomeUnknownError,
    RateLimitedError,
    UnreachableError,
)
from cal_mcp.logs import contains_secret, mask_secrets_in_logs, redact
from cal_mcp.request_builder import CalRequest
from cal_mcp.shared_state import rate_budget_for

log = logging.getLogger("cal_mcp.http")



# Characters json.dumps escapes (with ensure_ascii=False); a secret holding one skips the shortcut.
_ESCAPED_IN_JSON = frozenset('"\\') | frozenset(chr(code) for code in range(0x20))


def _redact_body(body: Any, secrets: tuple[str, ...]) -> Any:
    """``redact(body, secrets)``, without the copy when the body holds no secret at all.

    ``redact`` rebuilds every dict and list: ~2.4 ms for a 90 KB page of bookings, where dumping it
    and searching the text takes ~0.4 ms (bench/call_overhead.py). The dump writes every string,
    keys included, verbatim except for ``"``, ``\\`` and control characters, so a secret free of
    those that is absent from the text (in every form ``logs.SecretMatcher`` knows) is in no string.
    Otherwise (or on any doubt) ``redact`` runs.
    """
    if body is None or not secrets or any(_ESCAPED_IN_JSON.intersection(s) for s in secrets):
        return redact(body, secrets)
    try:
        text = json.dumps(body, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return redact(body, secrets)
    if contains_secret(text, secrets):
        return redact(body, secrets)
    return body


# A repeat of these cannot add a second effect, so they may be retried after an ambiguous failure.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# Raised while connecting: not a byte of the request has left, so even a POST may be sent again.
NOTHING_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
BACKOFF_BASE, BACKOFF_CAP = 0.25, 4.0
# Characters of a redirect's Location quoted in an error; past this a URL says nothing more useful.
LOCATION_SHOWN = 300

# Isolation between endpoints (an endpoint = method + path template). One hanging Cal endpoint
# must not take the connections, or the time, of calls to healthy ones (issue 13, item 6).
# Connections in httpx's pool toward Cal, and how many of them stay open idle.
POOL_CONNECTIONS, POOL_KEEPALIVE = 100, 20
# Calls to one endpoint in flight at once (each holds its slot across its retries): a quarter of the
# pool, so even three hung endpoints leave connections for the rest.
ENDPOINT_CONCURRENCY = 25
# Seconds a call waits for a slot on its saturated endpoint before it is refused, unsent.
ENDPOINT_SLOT_WAIT = 2.0
# After a request to an endpoint timed out, a further timed-out request to it within this many
# seconds is not retried: retries would only pile more hung requests onto it.
TIMEOUT_QUIET_WINDOW = 30.0
assert ENDPOINT_CONCURRENCY < POOL_CONNECTIONS, "one endpoint must never be able to take the whole pool"


def writes(request: CalRequest) -> bool:
    """Whether the call may change something at Cal: its tool is not read-only (a bare request: not a GET)."""
    read_only = request.meta.get("read_only")
    if read_only is None:
        return request.method not in ("GET", "HEAD")
    return not read_only


@dataclass(frozen=True)
class CalResponse:
    status: int
    body: Any  # parsed JSON (None for an empty 2xx)


class _Retry(Exception):
    """Internal: this attempt failed in a way that may be retried after ``delay`` seconds."""

    def __init__(self, error: CalMcpError, delay: float | None = None) -> None:
        self.error, self.delay = error, delay


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds, from either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def backoff_delay(attempt: int) -> float:
    """Exponential backoff with jitter: up to 0.25 s, 0.5 s, 1 s, ... capped at 4 s, each scaled by 0.5-1."""
    return random.uniform(0.5, 1.0) * min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)


def endpoint_of(request: CalRequest) -> str:
    """The endpoint a request goes to: its method and path template (a bare request: its path)."""
    return f"{request.method} {request.meta.get('template', request.path)}"


class EndpointGuard:
    """Per endpoint: a cap on calls in flight, and a memory of its latest timeout.

    ``slot`` lets at most ``limit`` calls to one endpoint go on at once; one more waits up to
    ``slot_wait`` seconds for a free slot, then is refused with ``EndpointSaturatedError``, so calls
    piling up on a hanging endpoint never wait out their whole deadline nor take the connections
    of others. ``timed_out`` records a timeout and says whether that request may be retried: not
    when the endpoint already timed out within ``quiet`` seconds (``clock`` is injectable).
    """

    def __init__(
        self,
        limit: int = ENDPOINT_CONCURRENCY,
        slot_wait: float = ENDPOINT_SLOT_WAIT,
        quiet: float = TIMEOUT_QUIET_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit, self.slot_wait, self.quiet, self.clock = limit, slot_wait, quiet, clock
        self._slots: dict[str, anyio.Semaphore] = {}
        self._users: dict[str, int] = {}  # holders and waiters per endpoint: an idle one is forgotten
        self._last_timeout: dict[str, float] = {}

    def in_flight(self, endpoint: str) -> int:
        slots = self._slots.get(endpoint)
        return 0 if slots is None else self.limit - slots.value

    @asynccontextmanager
    async def slot(self, endpoint: str, retry_after: float) -> AsyncIterator[None]:
        slots = self._slots.get(endpoint)
        if slots is None:
            slots = self._slots[endpoint] = anyio.Semaphore(self.limit)
        self._users[endpoint] = self._users.get(endpoint, 0) + 1
        try:
            try:
                slots.acquire_nowait()
            except anyio.WouldBlock:
                acquired = False
                with anyio.move_on_after(self.slot_wait):
                    await slots.acquire()
                    acquired = True
                if not acquired:
                    log.warning("%s saturated: %d calls in flight", endpoint, self.limit)
                    raise EndpointSaturatedError(endpoint, self.limit, retry_after) from None
            try:
                yield
            finally:
                slots.release()
        finally:
            self._users[endpoint] -= 1
            if not self._users[endpoint]:
                del self._users[endpoint], self._slots[endpoint]

    def timed_out(self, endpoint: str) -> bool:
        """Record a timeout on ``endpoint``; return whether the request may be retried."""
        now = self.clock()
        last = self._last_timeout.get(endpoint)
        if len(self._last_timeout) >= 1024:  # bare paths could be many: drop the stale ones
            self._last_timeout = {k: t for k, t in self._last_timeout.items() if now - t < self.quiet}
        self._last_timeout[endpoint] = now
        return last is None or now - last >= self.quiet


class CalClient:
    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        base_url: str | None = None,
    ) -> None:
        self.settings = settings
        # In-process, or shared by every replica in Redis when CAL_MCP_REDIS_URL is set.
        self.budget = rate_budget_for(settings)
        self.endpoints = EndpointGuard()
        # --auth oauth: each call carries its caller's credential (``CALLER_CREDENTIAL``); never the server's.
        self.caller_required = False
        # The retry policy's clock and sleep; tests swap in a fake so backoff and Retry-After are checked
        # without waiting on (or racing) the wall clock.
        self.clock: Callable[[], float] = time.monotonic
        self.sleep: Callable[[float], Awaitable[None]] = anyio.sleep
        self._secrets = settings.secret_values()
        # The OAuth client ID is public: a run of characters a secret shares with it is not masked.
        mask_secrets_in_logs(self._secrets, public=(settings.oauth_client_id or "",))
        self._http = httpx.AsyncClient(
            base_url=base_url or settings.base_url,
            transport=transport,
            timeout=httpx.Timeout(
                settings.read_timeout, connect=settings.connect_timeout, pool=settings.connect_timeout
            ),
            headers={"User-Agent": f"cal-mcp/{__version__}", "Accept": "application/json"},
            follow_redirects=False,
            limits=httpx.Limits(max_connections=POOL_CONNECTIONS, max_keepalive_connections=POOL_KEEPALIVE),
        )

    async def aclose(self) -> None:
        await self._http.aclose()
        close_budget = getattr(self.budget, "aclose", None)
        if close_budget is not None:
            await close_budget()

    def _credentials(self, auth: str) -> tuple[dict[str, str], str]:
        """Auth headers for this call, and the credential the rate budget is kept for."""
        caller = CALLER_CREDENTIAL.get()
        if caller is not None and auth != "oauth_client":  # --auth oauth: the signed-in caller's own credential
            return {"Authorization": f"Bearer {caller}"}, caller
        if self.caller_required:
            raise ConfigurationError(
                "This request carries no signed-in user, and this multi-user server never calls Cal.com with "
                "a credential of its own.", "Connect again and sign in.")
        if auth == "oauth_client":
            secret = self.settings.oauth_client_secret
            if secret is None:
                raise ConfigurationError(
                    "This tool needs Cal.com Platform OAuth client credentials, and none are configured.",
                    "Set CAL_OAUTH_CLIENT_ID and CAL_OAUTH_CLIENT_SECRET in the server's environment "
                    "and restart it (or use --sandbox to try it).",
                )
            value = secret.get_secret_value()
            return {"x-cal-secret-key": value}, value
        key = self.settings.api_key
        if key is None:
            raise ConfigurationError(
                "No Cal.com API key is configured, so the server cannot call Cal.com.",
                "Set CAL_API_KEY (Cal.com > Settings > Developer > API keys) in the server's environment "
                "and restart it, or start it with --sandbox to try every tool on fake data.",
            )
        value = key.get_secret_value()
        return {"Authorization": f"Bearer {value}"}, value

    async def send(self, request: CalRequest, *, auth: str = "api_key") -> CalResponse:
        """Send with the retry policy; raise a ``CalMcpError`` subclass for every failure.

        Whatever Cal sends back passes through ``redact``: an upstream that echoes the API key or
        the OAuth client secret (in an error message, a body) must not hand it to the model. Only
        the configured values are masked; fresh credentials a tool exists to return are not them.
        """
        caller = CALLER_CREDENTIAL.get()
        secrets = self._secrets if caller is None else (*self._secrets, caller)
        try:
            response = await self._send(request, auth)
        except CalMcpError as exc:
            for name, value in vars(exc).items():
                setattr(exc, name, redact(value, secrets))
            exc.args = redact(exc.args, secrets)
            raise
        return CalResponse(response.status, _redact_body(response.body, secrets))

    async def _send(self, request: CalRequest, auth: str) -> CalResponse:
        auth_headers, credential = self._credentials(auth)
        idempotent = request.method in IDEMPOTENT_METHODS
        in_flight = False
        attempts = 1 + self.settings.max_retries
        deadline = self.clock() + self.settings.timeout
        endpoint = endpoint_of(request)
        try:
            with anyio.fail_after(self.settings.timeout):
                # The slot is held across retries: in flight to one endpoint never exceeds its limit.
                async with self.endpoints.slot(endpoint, retry_after=self.settings.read_timeout):
                    for attempt in range(attempts):
                        await self.budget.acquire(credential)
                        try:
                            in_flight = True
                            response = await self._attempt(request, auth_headers, idempotent, endpoint)
                            in_flight = False
                            return response
                        except _Retry as retry:
                            in_flight = False
                            delay = retry.delay if retry.delay is not None else backoff_delay(attempt)
                            # No retry left, or none that could finish in time: Cal's own answer says more
                            # than "timed out" would.
                            if attempt + 1 >= attempts or self.clock() + delay >= deadline:
                                raise retry.error from None
                            log.info("retrying %s %s in %.2fs (%s)", request.method, request.path, delay,
                                     retry.error.kind)
                            await self.sleep(delay)
        except TimeoutError:
            seconds = self.settings.timeout
            if in_flight:
                self.endpoints.timed_out(endpoint)
            if in_flight and not idempotent:
                raise self._outcome_unknown(request, f"No answer from Cal.com within {seconds:g} s") from None
            raise UnreachableError(
                f"Cal.com did not answer within {seconds:g} s (CAL_MCP_TIMEOUT).",
                "Try again in a moment; if it keeps timing out, Cal.com may be slow or down.",
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover  (the loop returns or raises)

    def _outcome_unknown(self, request: CalRequest, what: str) -> OutcomeUnknownError:
        check = request.meta.get("verify_tool")
        where = f"with {check} " if check else "with the matching list tool "
        return OutcomeUnknownError(
            f"{what} after sending a {request.method} {request.meta.get('template', request.path)}: "
            "the change may or may not have been made.",
            f"Do not repeat the call blindly (it could be done twice). Check {where}whether it happened, "
            "then retry only if it did not.",
        )

    async def _attempt(
        self, request: CalRequest, auth_headers: dict[str, str], idempotent: bool, endpoint: str
    ) -> CalResponse:
        headers = {**dict(request.headers), **auth_headers}
        # None, not an empty sequence, when there is no query: httpx then skips rebuilding the URL (~15 µs).
        params = request.query or None
        try:
            async with self._http.stream(
                request.method, request.path, params=params, headers=headers, json=request.json
            ) as response:
                try:
                    body = await self._read_capped(response)
                except BadResponseError as exc:
                    raise self._unusable(request, response.status_code, exc) from None
        except NOTHING_SENT as exc:
            log.warning("cannot connect to Cal.com: %s", type(exc).__name__)
            reason = "timed out" if isinstance(exc, httpx.TimeoutException) else "connection refused or DNS failure"
            raise _Retry(UnreachableError(
                f"Cannot connect to Cal.com ({reason}).",
                "Check CAL_API_BASE_URL and the network, then try again.",
            )) from None
        except httpx.TransportError as exc:
            # The request may have reached Cal: only a method that cannot duplicate an effect is retried.
            log.warning("transport failure talking to Cal.com: %s", type(exc).__name__)
            timed_out = isinstance(exc, httpx.TimeoutException)
            what = "Cal.com did not answer in time" if timed_out else "The connection to Cal.com broke"
            retry_allowed = self.endpoints.timed_out(endpoint) if timed_out else True
            if not idempotent:
                raise self._outcome_unknown(request, what) from None
            if not retry_allowed:
                # It timed out moments ago too: a retry would only add another hung request.
                raise UnreachableError(
                    f"{what} on {endpoint}, which also timed out within the last {self.endpoints.quiet:g} s, "
                    "so it was not retried.",
                    "Try again in a moment; if it keeps timing out, this Cal.com endpoint may be slow or down.",
                ) from None
            raise _Retry(UnreachableError(f"{what}.", "Try again in a moment.")) from None
        return self._interpret(request, response, body, idempotent)

    def _unusable(self, request: CalRequest, status: int, error: BadResponseError) -> CalMcpError:
        """An answer that cannot be used: for a write Cal may have acted on, the outcome is unknown.

        "Try again" would invite a duplicate (a second booking), so a write is reported as
        outcome unknown, with the tool to check first; Cal's refusals (4xx) changed nothing.
        """
        if writes(request) and not 400 <= status < 500:
            reason = error.message.rstrip(".")
            return self._outcome_unknown(request, f"Cal.com answered HTTP {status}, but the answer is unusable "
                                                  f"({reason})")
        return error

    def _redirect(self, request: CalRequest, status: int, location: str | None) -> CalResponse:
        """A 3xx is the answer only for the provider callbacks whose spec says ``redirectIsAnswer``."""
        if request.meta.get("redirect_is_answer"):
            return CalResponse(status, {"status": "success", "data": {"redirectTo": location or ""}})
        if location:
            shown = location if len(location) <= LOCATION_SHOWN else location[:LOCATION_SHOWN] + "…"
            what = f"Cal.com answered HTTP {status}, a redirect to {shown}"
        else:
            what = f"Cal.com answered HTTP {status}, a redirect without a Location"
        if writes(request):
            raise self._outcome_unknown(request, what)
        raise BadResponseError(
            f"{what}, instead of data (redirects are not followed).",
            "Check that CAL_API_BASE_URL points at the Cal.com API itself (https://api.cal.com), then call again.",
        )

    async def _read_capped(self, response: httpx.Response) -> bytes:
        limit = self.settings.max_response_bytes
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise BadResponseError(
                f"Cal.com sent a {int(declared):,}-byte response, over the {limit:,}-byte limit.",
                "Narrow the request (filters, a smaller take/limit) and call again.",
            )
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise BadResponseError(
                    f"Cal.com's response exceeded the {limit:,}-byte limit.",
                    "Narrow the request (filters, a smaller take/limit) and call again.",
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def _interpret(self, request: CalRequest, response: httpx.Response, raw: bytes, idempotent: bool) -> CalResponse:
        from cal_mcp.results import parse_body, upstream_error

        status = response.status_code
        if status in RETRY_STATUSES:
            delay = retry_after_seconds(response.headers.get("retry-after"))
            if status == 429:
                error: CalMcpError = RateLimitedError(
                    "Cal.com's rate limit was reached (120 requests per minute per API key).",
                    retry_after=delay if delay is not None else 60.0,
                )
                if idempotent and (delay is None or delay <= self.settings.timeout / 2):
                    raise _Retry(error, delay)
                raise error
            if not idempotent:
                raise self._outcome_unknown(request, f"Cal.com answered HTTP {status}")
            raise _Retry(upstream_error(request, status, raw, response.headers), delay)
        if status >= 500 and not idempotent:
            raise self._outcome_unknown(request, f"Cal.com answered HTTP {status}")
        if status >= 400:
            raise upstream_error(request, status, raw, response.headers)
        if 300 <= status < 400:
            return self._redirect(request, status, response.headers.get("location"))
        try:
            return CalResponse(status, parse_body(status, raw, response.headers))
        except BadResponseError as exc:
            raise self._unusable(request, status, exc) from None
