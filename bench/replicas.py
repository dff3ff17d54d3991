"""Replicas: throughput and latency with 1 and 3 cal-mcp processes behind haproxy, and the cost of Redis.

Every setup serves ``CAL_RETRIEVE_MY_INFORMATION`` (one ``GET /v2/me`` to the loopback upstream,
bench/upstream.py) through a real haproxy (round robin) in front of stateless replicas
(``--stateless --json-response``):

* ``1 replica, in-process budget``: the default single server;
* ``1 replica, Redis budget``: the same with ``CAL_MCP_REDIS_URL`` (one Lua call to Redis per call);
* ``3 replicas, Redis budget``: the scale-out setup.

The budget is on in every setup, at a limit this load never reaches (``CAL_MCP_RATE_LIMIT``
1,000,000 a minute), so its bookkeeping is paid without ever making a call wait. Cal's real 120 a
minute per key would cap any run at 2 calls a second, whatever the number of replicas.

Load: 50 concurrent clients (2026-07-28 requests, raw wire client: bench/mcp_wire.py), each making
``--calls`` calls per burst. The rounds are interleaved (each round runs one burst of every setup,
in a shuffled order) and the table shows, per setup, the median over rounds and the spread
(min-max). Then: the budget alone, per call, in this process: ``RateBudget.acquire`` against
``RedisRateBudget.acquire`` (one round trip to a local redis-server), sequential. Last, the store of
the OAuth mode (``--auth oauth``), per call: the two reads each call makes there (its bearer token,
then its user's Cal credential) on SQLite (one machine) against PostgreSQL (what replicas share),
both local, sequential.

Needs ``redis-server`` and ``haproxy`` on PATH, and PostgreSQL's server binaries (Debian packages
redis-server, haproxy, postgresql; tests/stores.py starts PostgreSQL as the ``postgres`` user under root).

    python bench/replicas.py            # 5 rounds of 50 clients x 20 calls per setup
    python bench/replicas.py --quick    # 2 rounds of 50 x 5
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from _common import (
    BENCH,
    PYTHON,
    REPO,
    Children,
    child_env,
    free_port,
    machine_line,
    median,
    percentile,
    section,
    table,
    wait_for_port,
)
from mcp_wire import WireClient

sys.path.insert(0, str(REPO))  # tests/stores.py: PostgreSQL started as the tests start it
from tests.stores import running_postgres

CONCURRENCY = 50
TOOL = "CAL_RETRIEVE_MY_INFORMATION"
NEVER_REACHED = "1000000"  # requests a minute: the budget runs but never makes a call wait


@dataclass
class Setup:
    name: str
    replicas: int
    redis: bool
    url: str = ""
    throughput: list[float] = field(default_factory=list)
    p50: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)


def need(binary: str) -> str:
    found = shutil.which(binary) or shutil.which(binary, path="/usr/sbin:/usr/local/sbin")
    if not found:
        raise SystemExit(f"bench/replicas.py needs {binary} (Debian: apt-get install {binary})")
    return found


def start_redis(children: Children, workdir: Path) -> str:
    port = free_port()
    proc = children.start([need("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                           "--appendonly", "no", "--dir", str(workdir)])
    wait_for_port(port, proc)
    return f"redis://127.0.0.1:{port}/0"


def start_setup(children: Children, setup: Setup, upstream: str, redis_url: str, workdir: Path) -> None:
    env = child_env(CAL_API_BASE_URL=upstream, CAL_API_KEY="cal_bench_key", CAL_MCP_RATE_LIMIT=NEVER_REACHED,
                    CAL_MCP_LOG_LEVEL="WARNING")
    if setup.redis:
        env["CAL_MCP_REDIS_URL"] = redis_url
    servers = []
    for index in range(setup.replicas):
        port = free_port()
        children.http_server([PYTHON, "-m", "cal_mcp", "--transport", "http", "--stateless", "--json-response",
                              "--port", str(port)], port, env=env)
        servers.append(f"    server r{index} 127.0.0.1:{port}")
    lb_port = free_port()
    config = workdir / f"haproxy-{lb_port}.cfg"
    config.write_text("\n".join([
        "global", "    maxconn 4000", "defaults", "    mode http", "    timeout connect 5s",
        "    timeout client 60s", "    timeout server 60s", "frontend mcp", f"    bind 127.0.0.1:{lb_port}",
        "    default_backend replicas", "backend replicas", "    balance roundrobin", *servers, "",
    ]))
    children.http_server([need("haproxy"), "-f", str(config), "-db"], lb_port, env=child_env())
    setup.url = f"http://127.0.0.1:{lb_port}/mcp"


async def timed_call(client: WireClient) -> float:
    start = time.perf_counter()
    result = await client.call_tool(TOOL)
    elapsed = time.perf_counter() - start
    if not result.get("content"):
        raise RuntimeError(f"{TOOL}: empty result {result}")
    return elapsed


async def burst(setup: Setup, per_client: int) -> None:
    clients = [await WireClient(setup.url, "modern").open() for _ in range(CONCURRENCY)]
    for _ in range(2):  # warm-up: every connection (client to haproxy, replicas to upstream and Redis) open
        await asyncio.gather(*(c.call_tool(TOOL) for c in clients))
    latencies: list[float] = []

    async def run(client: WireClient) -> None:
        for _ in range(per_client):
            latencies.append(await timed_call(client))

    start = time.perf_counter()
    await asyncio.gather(*(run(c) for c in clients))
    wall = time.perf_counter() - start
    for client in clients:
        await client.close()
    setup.throughput.append(len(latencies) / wall)
    setup.p50.append(percentile(latencies, 50))
    setup.p99.append(percentile(latencies, 99))


async def budget_cost(redis_url: str, rounds: int, calls: int) -> dict[str, list[float]]:
    """Microseconds per ``acquire``, in-process and in Redis, interleaved rounds of sequential calls."""
    from cal_mcp.rate_budget import RateBudget
    from cal_mcp.shared_state.redis_budget import RedisRateBudget
    from cal_mcp.shared_state.redis_conn import RedisTarget

    local = RateBudget(int(NEVER_REACHED), 10)
    shared = RedisRateBudget(RedisTarget(redis_url, prefix="bench:"), int(NEVER_REACHED), 10)
    budgets = {"in-process": local.acquire, "Redis": shared.acquire}
    samples: dict[str, list[float]] = {name: [] for name in budgets}
    await shared.acquire("warm-up")
    for _ in range(rounds):
        order = list(budgets)
        random.shuffle(order)
        for name in order:
            acquire = budgets[name]
            start = time.perf_counter()
            for index in range(calls):
                await acquire(f"credential-{index % 4}")
            samples[name].append((time.perf_counter() - start) / calls * 1e6)
    await shared.aclose()
    return samples


async def store_cost(postgres_url: str, workdir: Path, rounds: int, calls: int) -> dict[str, list[float]]:
    """Microseconds per call for the OAuth mode's per-call reads, SQLite and PostgreSQL, interleaved rounds."""
    from cal_mcp.auth.store import TokenRecord, UserRecord, open_store

    now = time.time()
    user = UserRecord(user_id="u_bench", cal_user_id="1001", kind="api_key", access_enc="x" * 120, refresh_enc=None,
                      cal_expires_at=None, display_name="Bench", created_at=now, updated_at=now)
    token = TokenRecord(token_hash="h" * 64, kind="access", family_id="f_bench", client_id="c_bench",
                        user_id="u_bench", scopes="cal:read cal:write", resource="http://127.0.0.1",
                        expires_at=now + 3600, used_at=None, revoked=False)
    stores = {"SQLite": open_store(f"sqlite:///{workdir / 'auth.db'}"), "PostgreSQL": open_store(postgres_url)}
    for store in stores.values():
        await store.setup()
        await store.upsert_user(user)
        await store.create_family("f_bench", "u_bench", "c_bench", now)
        await store.save_token(token)
    samples: dict[str, list[float]] = {name: [] for name in stores}
    for _ in range(rounds):
        order = list(stores)
        random.shuffle(order)
        for name in order:
            store = stores[name]
            start = time.perf_counter()
            for _ in range(calls):
                found = await store.get_token(token.token_hash)
                assert found is not None and await store.get_user(found.user_id) is not None
            samples[name].append((time.perf_counter() - start) / calls * 1e6)
    for store in stores.values():
        await store.close()
    return samples


def spread(values: list[float], scale: float = 1.0, digits: int = 1) -> str:
    return (f"{median(values) * scale:.{digits}f} ({min(values) * scale:.{digits}f}–"
            f"{max(values) * scale:.{digits}f})")


async def bench(args: argparse.Namespace) -> int:
    rounds, per_client = (2, 5) if args.quick else (args.rounds, args.calls)
    setups = [Setup("1 replica, in-process budget", 1, False), Setup("1 replica, Redis budget", 1, True),
              Setup("3 replicas, Redis budget", 3, True)]
    print(machine_line())
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    workdir = Path(tempfile.mkdtemp(prefix="cal-mcp-bench-replicas-"))
    try:
        with Children() as children:
            upstream_port = free_port()
            children.http_server([PYTHON, str(BENCH / "upstream.py"), "--port", str(upstream_port)], upstream_port,
                                 env=child_env())
            upstream = f"http://127.0.0.1:{upstream_port}"
            redis_url = start_redis(children, workdir)
            for setup in setups:
                start_setup(children, setup, upstream, redis_url, workdir)
            for _ in range(rounds):
                order = list(setups)
                random.shuffle(order)
                for setup in order:
                    await burst(setup, per_client)
            with section(f"{CONCURRENCY} concurrent clients, {CONCURRENCY * per_client} calls per burst, "
                         f"{rounds} interleaved rounds: median (min–max)"):
                print(table(["setup", "calls/s", "p50 ms", "p99 ms"], [
                    [s.name, spread(s.throughput, digits=0), spread(s.p50, 1000, 2), spread(s.p99, 1000, 2)]
                    for s in setups]))
            cost = await budget_cost(redis_url, max(rounds, 5), 200 if args.quick else 1000)
            with section("the rate budget alone, one acquire at a time: µs per call, median (min–max) over rounds"):
                print(table(["budget", "µs per acquire"], [[name, spread(v)] for name, v in cost.items()]))
                added = median(cost["Redis"]) - median(cost["in-process"])
                print(f"\nRedis adds {added:.0f} µs per Cal request (one EVALSHA round trip on loopback).")
            with running_postgres() as postgres_url:
                reads = await store_cost(postgres_url, workdir, max(rounds, 5), 100 if args.quick else 500)
            with section("--auth oauth: the store's two reads per call (token, then user), sequential: "
                         "µs per call, median (min–max) over rounds"):
                print(table(["store", "µs per call"], [[name, spread(v)] for name, v in reads.items()]))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=20, help="calls per client per burst")
    return asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
