"""Three replicas behind a real load balancer, sharing Redis (and PostgreSQL for OAuth), one Cal.

Started here, from the machine's packages (tests/stores.py; ``.ci/run`` installs them): a private
redis-server and PostgreSQL, a recording fake Cal (tests/recording_cal.py, its own process), three
``python -m cal_mcp --transport http --stateless --json-response`` replicas on loopback, and
haproxy in front of them (config generated per test: round robin, health checks on /healthz,
``X-Served-By`` naming the replica that answered). Clients speak raw JSON-RPC over HTTP with the
bearer token, as a deployment's clients would, concurrently.

What must hold:

* the requests reaching Cal for one credential, counted over every replica together, stay inside
  that credential's rate (not the rate times the number of replicas), judged on the upstream's
  own arrival times;
* a replica killed (SIGKILL) while requests are in flight loses no booking and duplicates none:
  each client gets a confirmation or a clear error, a client whose answer was lost checks before
  booking again, and Cal ends up with exactly one booking per client; the others keep answering.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import free_port
from tests.oauth_support import Grant, authorize_url, exchange, hidden_fields, pkce, query_of
from tests.stores import require_binary, running_postgres, running_redis, stop, wait_for_port
from tests.test_shared_state import most_in_any_window

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
AUTH_TOKEN = "replica-test-bearer-token-0123456789abcdef"
JSON_RPC_HEADERS = {
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
    "MCP-Protocol-Version": "2025-11-25",
    "Authorization": f"Bearer {AUTH_TOKEN}",
}
REPLICAS = ("r1", "r2", "r3")
FIRST_SLOT = datetime(2026, 12, 1, 8, 0)


def _env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAL_")}
    env.update(settings)
    return env


def _start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as sink:
        return subprocess.Popen(argv, env=env, stdout=sink, stderr=subprocess.STDOUT, cwd=REPO)


@dataclass
class Upstream:
    url: str

    def state(self) -> dict[str, Any]:
        return httpx.get(f"{self.url}/_control/state", timeout=30).json()  # type: ignore[no-any-return]

    def hold(self, on: bool) -> None:
        httpx.post(f"{self.url}/_control/hold", json={"hold": on}, timeout=30).raise_for_status()

    def requests_for(self, credential: str) -> list[dict[str, Any]]:
        digest = hashlib.sha256(f"Bearer {credential}".encode()).hexdigest()[:16]
        return [r for r in self.state()["requests"] if r["credential"] == digest]


@dataclass
class Cluster:
    lb: str  # the load balancer's /mcp URL
    replicas: dict[str, subprocess.Popen[bytes]]
    logs: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    direct: dict[str, str] = field(default_factory=dict)  # each replica's own base URL, bypassing haproxy


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("replicas")


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with running_redis() as url:
        yield url


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with running_postgres() as url:
        yield url


@pytest.fixture(scope="module")
def upstream(logs: Path) -> Iterator[Upstream]:
    port = free_port()
    log = logs / "recording-cal.log"
    proc = _start([sys.executable, "-m", "tests.recording_cal", "--port", str(port)], _env(), log)
    try:
        wait_for_port(port, proc, "recording Cal", log)
        yield Upstream(f"http://127.0.0.1:{port}")
    finally:
        stop(proc)


# Stateful Streamable HTTP: a session lives in the replica that created it, so every request that
# carries its Mcp-Session-Id goes there; the id is learnt from the initialize answer (README "Scaling out").
STICKY = """    stick-table type string len 128 size 100k expire 30m
    stick on req.hdr(mcp-session-id)
    stick store-response res.hdr(mcp-session-id)
"""


def haproxy_config(port: int, backends: dict[str, int], sticky: bool = False) -> str:
    servers = "\n".join(
        f"    server {name} 127.0.0.1:{backend} check inter 300ms fall 3 rise 1" for name, backend in backends.items()
    )
    # retries + redispatch: a request whose connection to a dead replica failed goes to another one.
    # haproxy never resends a request once it has been sent (its default retry-on is conn-failure),
    # so a POST is never duplicated by the balancer.
    return f"""global
    maxconn 4000

defaults
    mode http
    timeout connect 2s
    timeout client 120s
    timeout server 120s
    # A busy replica (its first calls load the validators) may take a while to answer /healthz; a
    # killed one refuses the connection at once, so three failed checks still find it in a second.
    timeout check 5s
    retries 3
    option redispatch

frontend mcp
    bind 127.0.0.1:{port}
    default_backend replicas

backend replicas
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    http-response set-header X-Served-By %[srv_name]
{STICKY if sticky else ""}{servers}
"""


@contextlib.contextmanager
def cluster(logs: Path, name: str, upstream: Upstream, *, stateless: bool = True, sticky: bool = False,
            lb_port: int | None = None, args: tuple[str, ...] = (), **settings: str) -> Iterator[Cluster]:
    """Three replicas (their Cal: the upstream under /r/<replica>) behind a fresh haproxy."""
    haproxy = require_binary("haproxy", "/usr/sbin")
    here = logs / name
    here.mkdir()
    procs: dict[str, subprocess.Popen[bytes]] = {}
    ports = {replica: free_port() for replica in REPLICAS}
    lb_port = lb_port or free_port()
    started: list[subprocess.Popen[bytes]] = []
    try:
        for replica, port in ports.items():
            env = _env(CAL_API_BASE_URL=f"{upstream.url}/r/{replica}", CAL_MCP_LOG_LEVEL="WARNING", **settings)
            mode = ["--stateless", "--json-response"] if stateless else []
            procs[replica] = _start([sys.executable, "-m", "cal_mcp", "--transport", "http", *mode, *args,
                                     "--port", str(port)], env, here / f"{replica}.log")
            started.append(procs[replica])
        for replica, port in ports.items():
            wait_for_port(port, procs[replica], f"replica {replica}", here / f"{replica}.log")
        config = here / "haproxy.cfg"
        config.write_text(haproxy_config(lb_port, ports, sticky))
        lb = _start([haproxy, "-f", str(config), "-db"], _env(), here / "haproxy.log")
        started.append(lb)
        wait_for_port(lb_port, lb, "haproxy", here / "haproxy.log")
        _wait_all_up(f"http://127.0.0.1:{lb_port}/healthz")
        yield Cluster(f"http://127.0.0.1:{lb_port}/mcp", procs, here, started,
                      {replica: f"http://127.0.0.1:{port}" for replica, port in ports.items()})
    finally:
        for proc in reversed(started):
            stop(proc)


def _wait_all_up(healthz: str) -> None:
    """Until haproxy has sent a health check answer from every replica (each /healthz hits the next)."""
    seen: set[str] = set()
    for _ in range(600):
        with contextlib.suppress(httpx.TransportError):
            response = httpx.get(healthz, timeout=5)
            if response.status_code == 200:
                seen.add(response.headers.get("x-served-by", ""))
        if seen >= set(REPLICAS):
            return
        time.sleep(0.05)
    raise RuntimeError(f"haproxy never routed to every replica (saw {sorted(seen)})")


@dataclass
class Outcome:
    """One client's tool call: a result (booking or error) or no usable answer from the balancer."""

    client: int
    status: int | None  # HTTP status from haproxy; None: the connection broke
    served_by: str | None
    result: dict[str, Any] | None = None

    @property
    def booked(self) -> dict[str, Any] | None:
        if self.result is None or self.result.get("isError"):
            return None
        return self.result["structuredContent"]["data"]  # type: ignore[no-any-return]

    @property
    def error(self) -> dict[str, Any] | None:
        if self.result is None or not self.result.get("isError"):
            return None
        return self.result["structuredContent"]["error"]  # type: ignore[no-any-return]


async def call_tool(http: httpx.AsyncClient, lb: str, client: int, tool: str, arguments: dict[str, Any]) -> Outcome:
    body = {"jsonrpc": "2.0", "id": client, "method": "tools/call", "params": {"name": tool, "arguments": arguments}}
    try:
        response = await http.post(lb, headers=JSON_RPC_HEADERS, json=body)
    except httpx.TransportError:
        return Outcome(client, None, None)
    outcome = Outcome(client, response.status_code, response.headers.get("x-served-by"))
    if response.status_code == 200:
        reply = response.json()
        assert "result" in reply, reply
        outcome.result = reply["result"]
    return outcome


def email(client: int, run: str) -> str:
    return f"client{client}.{run}@example.com"


def booking_arguments(client: int, run: str) -> dict[str, Any]:
    start = FIRST_SLOT + timedelta(minutes=30 * client)
    return {"start": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "eventTypeId": 7001,
            "attendee": {"name": f"Client {client}", "email": email(client, run), "timeZone": "Europe/Paris"}}


async def book(http: httpx.AsyncClient, lb: str, client: int, run: str) -> Outcome:
    return await call_tool(http, lb, client, "CAL_POST_NEW_BOOKING_REQUEST", booking_arguments(client, run))


@contextlib.asynccontextmanager
async def clients(limit: int) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=limit)) as http:
        yield http


# --- the shared budget ------------------------------------------------------------------------------


async def test_one_credentials_requests_over_all_replicas_stay_inside_its_rate(
    logs: Path, upstream: Upstream, redis_url: str
) -> None:
    key, rate, run = "cal_live_replicas_rate_key_0001", 30, "rate"
    with cluster(logs, "rate", upstream, CAL_API_KEY=key, CAL_MCP_AUTH_TOKEN=AUTH_TOKEN, CAL_MCP_RATE_LIMIT=str(rate),
                 CAL_MCP_RATE_LIMIT_MAX_WAIT="2", CAL_MCP_REDIS_URL=redis_url) as lb:
        async with clients(60) as http:
            outcomes = await asyncio.gather(*(book(http, lb.lb, client, run) for client in range(60)))
        sent = upstream.requests_for(key)

    assert all(o.status == 200 for o in outcomes), [(o.status, o.served_by) for o in outcomes if o.status != 200]
    # The balancer spread the calls over all three replicas ...
    assert Counter(o.served_by for o in outcomes).keys() == set(REPLICAS)
    # ... and together they sent Cal exactly one credential's budget, not three.
    booked = [o for o in outcomes if o.booked]
    refused = [o for o in outcomes if o.error]
    assert len(booked) == rate and len(sent) == rate
    assert most_in_any_window([r["at"] for r in sent], 60.0) <= rate
    assert len(refused) == 60 - rate
    for outcome in refused:
        assert outcome.error is not None
        assert outcome.error["kind"] == "rate_limited", outcome.error
        assert outcome.error["retryAfterSeconds"] >= 55  # the minute's places are gone; next in about a minute
        assert "every replica" in outcome.error["message"]
    # Every confirmation is a booking Cal has, and Cal has no other for this run.
    at_cal = {b["uid"] for b in upstream.state()["bookings"]
              if b["attendees"][0]["email"].endswith(f".{run}@example.com")}
    assert {o.booked["uid"] for o in booked if o.booked} == at_cal


async def test_over_more_than_a_minute_no_minute_at_cal_holds_more_than_the_rate(
    logs: Path, upstream: Upstream, redis_url: str
) -> None:
    """Clients keep booking for over a minute, retrying when told to: Cal's every 60 s stays within the rate."""
    key, rate, run = "cal_live_replicas_minute_key_04", 20, "minute"
    loop = asyncio.get_running_loop()
    with cluster(logs, "minute", upstream, CAL_API_KEY=key, CAL_MCP_AUTH_TOKEN=AUTH_TOKEN, CAL_MCP_RATE_LIMIT=str(rate),
                 CAL_MCP_RATE_LIMIT_MAX_WAIT="3", CAL_MCP_REDIS_URL=redis_url) as lb:
        async with clients(30) as http:
            start = loop.time()
            numbers = iter(range(10_000))

            async def keep_booking() -> list[Outcome]:
                seen = []
                # Until the budget has granted places in a second minute (arrival times show it below).
                while loop.time() - start < 75:
                    outcome = await book(http, lb.lb, next(numbers), run)
                    seen.append(outcome)
                    if outcome.error:
                        assert outcome.error["kind"] == "rate_limited", outcome.error
                        # Back again within 2 s, not at once: connections then never sit idle for cal-mcp's 5 s
                        # keep-alive, at the end of which a request haproxy sends on one could be lost.
                        await asyncio.sleep(min(outcome.error["retryAfterSeconds"], 2))
                return seen

            outcomes = [o for group in await asyncio.gather(*(keep_booking() for _ in range(30))) for o in group]
        sent = upstream.requests_for(key)

    times = sorted(r["at"] for r in sent)
    assert all(o.status == 200 for o in outcomes), [(o.status, o.served_by) for o in outcomes if o.status != 200]
    assert len({r["replica"] for r in sent}) == 3  # all three replicas sent Cal some of them
    assert times[-1] - times[0] >= 60  # the run went past one minute at Cal
    assert len(sent) > rate  # and the budget opened again after it
    assert most_in_any_window(times, 60.0) <= rate  # yet no 60 s at Cal ever held more than the rate
    assert len(sent) == sum(1 for o in outcomes if o.booked)


# --- a replica killed mid-run ---------------------------------------------------------------------------


async def _wait_until(predicate: Any, what: str) -> None:
    for _ in range(1800):  # polls for up to ~90 s: generous, only a hung replica takes this long
        if await asyncio.to_thread(predicate):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def test_a_replica_killed_mid_run_loses_no_booking_and_duplicates_none(
    logs: Path, upstream: Upstream, redis_url: str
) -> None:
    key, run = "cal_live_replicas_kill_key_0002", "kill"
    first_wave, second_wave = range(45), range(45, 60)
    with cluster(logs, "kill", upstream, CAL_API_KEY=key, CAL_MCP_AUTH_TOKEN=AUTH_TOKEN, CAL_MCP_RATE_LIMIT="600",
                 CAL_MCP_RATE_LIMIT_MAX_WAIT="5", CAL_MCP_REDIS_URL=redis_url,
                 # Held bookings wait for the whole first wave to arrive, however slow a busy machine is.
                 CAL_MCP_READ_TIMEOUT="100", CAL_MCP_TIMEOUT="110") as lb:
        async with clients(60) as http:
            upstream.hold(True)
            try:
                wave = [asyncio.create_task(book(http, lb.lb, c, run)) for c in first_wave]

                def all_held() -> bool:
                    return sum(r["method"] == "POST" for r in upstream.requests_for(key)) == len(first_wave)

                await _wait_until(all_held, "every first-wave booking to reach Cal")
                held = Counter(r["replica"] for r in upstream.requests_for(key))
                victim = max(held, key=lambda replica: held[replica])
                lb.replicas[victim].send_signal(signal.SIGKILL)
                lb.replicas[victim].wait()
            finally:
                upstream.hold(False)  # Cal finishes every booking it has, the victim's too
            first = await asyncio.gather(*wave)
            # After the kill: new clients, served by the two that are left.
            second = await asyncio.gather(*(book(http, lb.lb, c, run) for c in second_wave))

            # A client without an answer cannot know whether it booked: it checks, then books only if not.
            lost = [o for o in first + second if o.result is None]
            checks = await asyncio.gather(*(
                call_tool(http, lb.lb, o.client, "CAL_FETCH_ALL_BOOKINGS", {"attendeeEmail": email(o.client, run)})
                for o in lost))
            rebooked = [await book(http, lb.lb, check.client, run)
                        for check in checks if check.result is not None and not check.booked]

    assert held[victim] > 0 and victim not in {o.served_by for o in second + checks + rebooked}
    # The victim's clients saw a clear failure from the balancer (never a wrong answer) ...
    assert len(lost) == held[victim], Counter(o.status for o in lost)
    assert all(o.status in (502, 503, 504, None) for o in lost)
    # ... the survivors answered every check, and every lost booking was found there: none was lost.
    assert all(check.status == 200 and check.booked is not None for check in checks)
    assert all(len(check.booked or []) == 1 for check in checks)
    assert rebooked == []
    # Everyone else got a confirmation.
    confirmed = [o for o in first + second if o.booked]
    assert len(confirmed) == len(first_wave) + len(second_wave) - len(lost)
    # Cal has exactly one booking per client: none lost, none twice, none unaccounted for.
    at_cal = [b for b in upstream.state()["bookings"] if b["attendees"][0]["email"].endswith(f".{run}@example.com")]
    per_client = Counter(b["attendees"][0]["email"] for b in at_cal)
    assert per_client == Counter(email(c, run) for c in [*first_wave, *second_wave])
    confirmed_uids = {o.booked["uid"] for o in confirmed if o.booked}
    found_uids = {check.booked[0]["uid"] for check in checks if check.booked}
    assert confirmed_uids | found_uids == {b["uid"] for b in at_cal}


# --- stateful sessions need sticky routing -------------------------------------------------------------


async def _session(lb: str, client: int, run: str) -> list[Any]:
    """One handshake-era client: a session, then several calls in it."""
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {AUTH_TOKEN}"}, timeout=60)
    async with http, Client(streamable_http_client(lb, http_client=http), mode="legacy") as mcp:
        results = []
        for _ in range(3):
            me = await mcp.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})
            assert not me.is_error, me.content
            results.append(me.structured_content)
        booked = await mcp.call_tool("CAL_POST_NEW_BOOKING_REQUEST", booking_arguments(client, run))
        assert not booked.is_error, booked.content
        results.append(booked.structured_content)
        return results


async def test_stateful_sessions_work_behind_the_balancer_with_sticky_routing_on_the_session_id(
    logs: Path, upstream: Upstream, redis_url: str
) -> None:
    settings = {"CAL_API_KEY": "cal_live_replicas_sticky_key_03", "CAL_MCP_AUTH_TOKEN": AUTH_TOKEN,
                "CAL_MCP_REDIS_URL": redis_url, "CAL_MCP_RATE_LIMIT": "600"}
    with cluster(logs, "sticky", upstream, stateless=False, sticky=True, **settings) as lb:
        sessions = await asyncio.gather(*(_session(lb.lb, client, "sticky") for client in range(6)))
    assert all(len(results) == 4 for results in sessions)
    senders = Counter(r["replica"] for r in upstream.requests_for(settings["CAL_API_KEY"]))
    assert len(senders) >= 2  # the six sessions were spread, each kept on its replica

    # The same replicas with plain round robin: a session's next request lands where it is unknown.
    with (cluster(logs, "not-sticky", upstream, stateless=False, sticky=False, **settings) as lb,
          pytest.raises(Exception) as caught):  # an ExceptionGroup from the SDK client
        await _session(lb.lb, 99, "not-sticky")
    assert "Session not found" in repr(caught.value)


# --- OAuth: a token minted on one replica works on every other ------------------------------------------


async def _cal_sign_in(public: str, account: str) -> tuple[Grant, list[str]]:
    """A person signs in with Cal.com through the balancer; returns the code grant and who served each step."""
    served: list[str] = []
    redirect = "http://127.0.0.1:9/callback"
    async with httpx.AsyncClient(follow_redirects=False, timeout=60) as browser:

        async def step(method: str, url: str, **kwargs: Any) -> httpx.Response:
            response = await browser.request(method, url, **kwargs)
            if url.startswith(public):
                served.append(response.headers.get("x-served-by", "?"))
            return response

        registered = await step("POST", f"{public}/register", json={
            "redirect_uris": [redirect], "client_name": "Replica test", "token_endpoint_auth_method": "none"})
        assert registered.status_code == 201, registered.text
        client_id = registered.json()["client_id"]
        verifier, challenge = pkce()
        start = authorize_url(public, client_id, redirect, challenge)
        response = await step("GET", start)
        assert response.status_code == 302, response.text
        signin = urljoin(start, response.headers["location"])
        response = await step("GET", signin)
        assert response.status_code == 200, response.text
        response = await step("POST", urljoin(signin, "/signin/cal"), data=hidden_fields(response.text))
        assert response.status_code == 303, response.text
        # At Cal's authorize page (the recording Cal approves at once, as the account named here).
        response = await step("GET", f"{response.headers['location']}&login_hint={account}")
        assert response.status_code == 302, response.text
        response = await step("GET", response.headers["location"])  # cal-mcp's callback: the code exchange
        assert response.status_code == 303, response.text
        consent = urljoin(signin, response.headers["location"])
        response = await step("GET", consent)
        assert response.status_code == 200, response.text
        response = await step("POST", urljoin(signin, "/consent"),
                              data={**hidden_fields(response.text), "decision": "approve", "access": "full"})
        assert response.status_code == 303, response.text
        query = query_of(response.headers["location"])
    return Grant(client_id, redirect, verifier, query["code"]), served


async def _tool_via(http: httpx.AsyncClient, base: str, token: str, tool: str, arguments: dict[str, Any]
                   ) -> dict[str, Any]:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": arguments}}
    response = await http.post(f"{base}/mcp", json=body,
                               headers={**JSON_RPC_HEADERS, "Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["result"]
    assert not result.get("isError"), result
    return result["structuredContent"]["data"]  # type: ignore[no-any-return]


async def test_a_token_minted_on_one_replica_works_on_every_other(
    logs: Path, upstream: Upstream, redis_url: str, postgres_url: str
) -> None:
    """The OAuth store in PostgreSQL, the Cal-token refresh lock in Redis, shared by three replicas.

    Four people sign in at once through the balancer, so the steps of each sign-in land on different
    replicas; the token each gets then works on every replica called directly. The Cal token from
    sign-in is already within cal-mcp's refresh margin, so each person's first calls, made at once
    on all three replicas, must refresh it: exactly once per person over all replicas (Cal's refresh
    tokens are single-use; a second refresh would fail and the person would be told to sign in again).
    Then each books through the balancer, with their own Cal credential.
    """
    from cal_mcp.auth.crypto import new_key

    lb_port = free_port()
    public = f"http://127.0.0.1:{lb_port}"
    settings = {
        "CAL_MCP_PUBLIC_URL": public, "CAL_MCP_DATABASE_URL": postgres_url, "CAL_MCP_ENCRYPTION_KEYS": new_key(),
        "CAL_MCP_CAL_OAUTH_CLIENT_ID": "cal-mcp-replicas", "CAL_MCP_CAL_OAUTH_CLIENT_SECRET": "replicas-secret-0123",
        "CAL_MCP_CAL_OAUTH_AUTHORIZE_URL": f"{upstream.url}/oauth/authorize",
        "CAL_MCP_REDIS_URL": redis_url, "CAL_MCP_RATE_LIMIT": "600",
    }
    people = [f"person{n}.replica" for n in range(4)]
    with cluster(logs, "oauth", upstream, lb_port=lb_port, args=("--auth", "oauth"), **settings) as lb:
        signed_in = await asyncio.gather(*(_cal_sign_in(public, person) for person in people))
        async with httpx.AsyncClient(timeout=60) as http:
            tokens = []
            for grant, _ in signed_in:
                minted = await exchange(http, public, grant)
                assert minted.status_code == 200, minted.text
                tokens.append(minted.json()["access_token"])
            firsts = await asyncio.gather(*(
                _tool_via(http, lb.direct[replica], token, "CAL_RETRIEVE_MY_INFORMATION", {})
                for token in tokens for replica in REPLICAS for _ in range(3)))
            booked = await asyncio.gather(*(
                _tool_via(http, public, token, "CAL_POST_NEW_BOOKING_REQUEST", booking_arguments(n, "oauth"))
                for n, token in enumerate(tokens)))
            stranger = await http.post(f"{lb.direct['r2']}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                                       headers={**JSON_RPC_HEADERS, "Authorization": "Bearer cmcp_at_not-a-token"})

    for _, served in signed_in:
        assert len(set(served)) >= 2, served  # one person's sign-in went through several replicas
    # Every token worked on every replica, as its own person.
    assert [me["username"] for me in firsts] == [person for person in people for _ in range(3 * len(REPLICAS))]
    # One refresh per person, over all replicas together; none refused.
    refreshes = upstream.state()["refreshes"]
    assert sorted(r["account"] for r in refreshes) == sorted(people)
    assert all(r["accepted"] for r in refreshes)
    # Each booked once, with their own Cal credential.
    assert [b["attendees"][0]["email"] for b in booked] == [email(n, "oauth") for n in range(len(people))]
    at_cal = [b for b in upstream.state()["bookings"] if b["attendees"][0]["email"].endswith(".oauth@example.com")]
    assert len(at_cal) == len(people)
    assert len({b["credential"] for b in at_cal}) == len(people)  # four people, four Cal credentials
    assert stranger.status_code == 401
