"""Per-call cost over Streamable HTTP: cal-mcp against the bare SDK proxy and against no MCP at all.

One loopback upstream (bench/upstream.py, its own process) answers ``GET /v2/me`` with Cal's
envelope. ``CAL_RETRIEVE_MY_INFORMATION`` (no arguments) through cal-mcp and ``get_me`` through
the bare one-tool low-level server (bench/bare_server.py, one shared httpx client) both make that
one request; ``GET /v2/me`` rows send it straight from this process (httpx, and the raw client).

Client eras and server modes, over a raw wire client (bench/mcp_wire.py) so the client adds little:

* ``legacy, stateful``: handshake (2025-11-25), one session per client, SSE replies (SDK default);
* ``legacy, stateless``: handshake, both servers started with ``--stateless --json-response``;
* ``2026-07-28``: per-request envelope, against the stateful servers (that era is always single-exchange).

1. Latency: one call in flight. Every round times one call of each series in a shuffled order
   (interleaved), 400 rounds. Goal: cal-mcp's p50 ≤ the bare proxy's p50 + 1 ms.
2. Throughput: 32 concurrent clients (each with its own connection, and session where there are
   sessions), cal-mcp and the bare proxy in alternating bursts. The ratio is the median of the
   per-round ratios (each burst is compared with its neighbour, so a busy neighbour on the machine
   hurts both). Goal: cal-mcp ≥ 0.85 × the bare proxy. Also shown: server CPU time per call
   (from /proc; steadier than wall time on a shared machine).

CAL_MCP_RATE_LIMIT=0 (the budget toward Cal would otherwise cap a run at 120 calls a minute).

    python bench/per_call.py            # 400 interleaved calls per series, 7 throughput rounds
    python bench/per_call.py --quick    # 100 calls, 2 rounds
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from dataclasses import dataclass, field

import httpx

from _common import (
    BENCH_API_KEY,
    Children,
    Served,
    cpu_seconds,
    machine_line,
    median,
    ms,
    percentile,
    section,
    table,
)
from mcp_wire import Connection, WireClient

LATENCY_GOAL_MS = 1.0
THROUGHPUT_GOAL = 0.85
CAL_TOOL, BARE_TOOL = "CAL_RETRIEVE_MY_INFORMATION", "get_me"
WARM_UP_ROUNDS = 30


@dataclass
class Target:
    name: str  # "cal-mcp" or "bare"
    served: Served
    tool: str


@dataclass
class Mode:
    name: str
    era: str
    cal: Target
    bare: Target
    latency: dict[str, list[float]] = field(default_factory=lambda: {"cal-mcp": [], "bare": []})


async def timed_call(client: WireClient, tool: str) -> float:
    start = time.perf_counter()
    result = await client.call_tool(tool)
    elapsed = time.perf_counter() - start
    if not result.get("content"):
        raise RuntimeError(f"{tool}: empty result {result}")
    return elapsed


async def latency(http: httpx.AsyncClient, upstream: str, modes: list[Mode], calls: int) -> dict[str, list[float]]:
    """Interleaved single calls. The modes keep their samples; returns the direct ones (httpx, raw)."""
    clients: dict[tuple[str, str], WireClient] = {}
    for mode in modes:
        for target in (mode.cal, mode.bare):
            clients[(mode.name, target.name)] = await WireClient(target.served.url, mode.era).open()
    auth = {"Authorization": f"Bearer {BENCH_API_KEY}"}
    raw = Connection(upstream)

    async def direct(how: str) -> float:
        start = time.perf_counter()
        if how == "httpx":
            status = (await http.get(f"{upstream}/v2/me", headers=auth)).status_code
        else:
            status = (await raw.request("GET", "/v2/me", auth))[0]
        elapsed = time.perf_counter() - start
        if status != 200:
            raise RuntimeError(f"upstream answered {status}")
        return elapsed

    series: list[tuple[str, str]] = [*clients, ("direct", "httpx"), ("direct", "raw")]
    direct_samples: dict[str, list[float]] = {"httpx": [], "raw": []}
    by_name = {m.name: m for m in modes}
    for round_no in range(calls + WARM_UP_ROUNDS):  # the warm-up rounds are dropped
        random.shuffle(series)
        for mode_name, target_name in series:
            if mode_name == "direct":
                elapsed = await direct(target_name)
                if round_no >= WARM_UP_ROUNDS:
                    direct_samples[target_name].append(elapsed)
                continue
            mode = by_name[mode_name]
            target = mode.cal if target_name == "cal-mcp" else mode.bare
            elapsed = await timed_call(clients[(mode_name, target_name)], target.tool)
            if round_no >= WARM_UP_ROUNDS:
                mode.latency[target_name].append(elapsed)
    for client in clients.values():
        await client.close()
    await raw.close()
    return direct_samples


BLOCKS = 5


def block_differences(cal: list[float], bare: list[float]) -> list[float]:
    """p50(cal-mcp) − p50(bare) in ms for each fifth of the interleaved rounds: the spread of the gap."""
    size = max(1, min(len(cal), len(bare)) // BLOCKS)
    return [(percentile(cal[i:i + size], 50) - percentile(bare[i:i + size], 50)) * 1000
            for i in range(0, size * BLOCKS, size)]


@dataclass
class Burst:
    calls_per_second: float
    cpu_ms_per_call: float
    latencies: list[float]


async def burst(mode: Mode, target: Target, concurrency: int, per_client: int) -> Burst:
    clients = [await WireClient(target.served.url, mode.era).open() for _ in range(concurrency)]
    for _ in range(3):  # concurrent warm-up: every connection (to the server and upstream) is open
        await asyncio.gather(*(c.call_tool(target.tool) for c in clients))
    latencies: list[float] = []

    async def run(client: WireClient) -> None:
        for _ in range(per_client):
            latencies.append(await timed_call(client, target.tool))

    cpu_before = cpu_seconds(target.served.pid)
    start = time.perf_counter()
    await asyncio.gather(*(run(c) for c in clients))
    wall = time.perf_counter() - start
    cpu = cpu_seconds(target.served.pid) - cpu_before
    for client in clients:
        await client.close()
    calls = concurrency * per_client
    return Burst(calls / wall, cpu / calls * 1000, latencies)


async def throughput(mode: Mode, rounds: int, concurrency: int, per_client: int) -> tuple[list[list[object]], bool]:
    bursts: dict[str, list[Burst]] = {"cal-mcp": [], "bare": []}
    ratios = []
    for _ in range(rounds):
        order = [mode.cal, mode.bare]
        random.shuffle(order)
        for target in order:
            bursts[target.name].append(await burst(mode, target, concurrency, per_client))
        ratios.append(bursts["cal-mcp"][-1].calls_per_second / bursts["bare"][-1].calls_per_second)
    ratio = median(ratios)
    met = ratio >= THROUGHPUT_GOAL
    rows: list[list[object]] = []
    for name in ("cal-mcp", "bare"):
        sample = bursts[name]
        merged = [x for b in sample for x in b.latencies]
        verdict = (f"{ratio:.2f}× ({min(ratios):.2f}–{max(ratios):.2f}; {'met' if met else 'MISSED'})"
                   if name == "cal-mcp" else "")
        rows.append([mode.name, name, f"{median([b.calls_per_second for b in sample]):.0f}",
                     f"{median([b.cpu_ms_per_call for b in sample]):.2f}", ms(percentile(merged, 50)),
                     ms(percentile(merged, 99)), verdict])
    return rows, met


async def bench(args: argparse.Namespace) -> int:
    calls = args.calls or (100 if args.quick else 400)
    rounds = args.rounds or (2 if args.quick else 7)
    per_client, concurrency = args.per_client, args.concurrency
    ok = True
    with Children() as children:
        upstream = children.upstream()
        cal = children.cal_mcp_http(upstream)
        bare = children.bare_http(upstream)
        cal_stateless = children.cal_mcp_http(upstream, "--stateless", "--json-response")
        bare_stateless = children.bare_http(upstream, "--stateless", "--json-response")
        modes = [
            Mode("legacy, stateful", "legacy", Target("cal-mcp", cal, CAL_TOOL), Target("bare", bare, BARE_TOOL)),
            Mode("legacy, stateless", "legacy", Target("cal-mcp", cal_stateless, CAL_TOOL),
                 Target("bare", bare_stateless, BARE_TOOL)),
            Mode("2026-07-28", "modern", Target("cal-mcp", cal, CAL_TOOL), Target("bare", bare, BARE_TOOL)),
        ]
        print(machine_line())
        async with httpx.AsyncClient() as http:
            with section(f"Latency: one call in flight, {calls} interleaved calls per series"):
                direct = await latency(http, upstream, modes, calls)
                rows: list[list[object]] = []
                for mode in modes:
                    for name in ("cal-mcp", "bare"):
                        sample = mode.latency[name]
                        rows.append([mode.name, name, ms(percentile(sample, 50)), ms(percentile(sample, 90)),
                                     ms(percentile(sample, 99)), len(sample)])
                for how, sample in direct.items():
                    rows.append(["(no MCP)", f"GET /v2/me, {how}", ms(percentile(sample, 50)),
                                 ms(percentile(sample, 90)), ms(percentile(sample, 99)), len(sample)])
                print(table(["client / server mode", "server", "p50 ms", "p90 ms", "p99 ms", "calls"], rows))
                print()
                for mode in modes:
                    extra = (percentile(mode.latency["cal-mcp"], 50) - percentile(mode.latency["bare"], 50)) * 1000
                    spread = block_differences(mode.latency["cal-mcp"], mode.latency["bare"])
                    met = extra <= LATENCY_GOAL_MS
                    ok &= met
                    print(f"goal {mode.name}: cal-mcp p50 − bare p50 = {extra:+.2f} ms "
                          f"(per block of {len(mode.latency['bare']) // BLOCKS} rounds: {min(spread):+.2f} to "
                          f"{max(spread):+.2f} ms; ≤ {LATENCY_GOAL_MS:g} ms: {'met' if met else 'MISSED'})")

        with section(f"Throughput: {concurrency} concurrent clients × {per_client} calls per burst, "
                     f"{rounds} alternating rounds"):
            rows = []
            for mode in modes:
                mode_rows, met = await throughput(mode, rounds, concurrency, per_client)
                rows += mode_rows
                ok &= met
            print(table(["client / server mode", "server", "calls/s (median)", "server CPU ms/call", "p50 ms",
                         "p99 ms", f"cal-mcp ÷ bare (median, min–max of rounds; goal ≥ {THROUGHPUT_GOAL})"], rows))
    print(f"\nper-call goals: {'all met' if ok else 'NOT all met'}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100 calls per series, 2 throughput rounds")
    parser.add_argument("--calls", type=int, help="interleaved latency calls per series (default 400)")
    parser.add_argument("--rounds", type=int, help="throughput rounds per server (default 7)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--per-client", type=int, default=10, help="calls per client per burst (default 10)")
    return asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
