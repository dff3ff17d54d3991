"""Resident memory of a serving process: idle, after 100 calls and after 10,000 calls.

cal-mcp (Streamable HTTP, stateful and ``--stateless --json-response``) against the loopback
upstream (bench/upstream.py), with the bare one-tool SDK proxy (bench/bare_server.py) alongside
for reference. The load is what long-running servers see: 8 clients at a time, each opening a
client (a legacy 2025-11-25 session, or 2026-07-28 requests, alternately), making 50 calls and
closing (a legacy session is ended with DELETE, as the SDK client does). RSS is read from
/proc/<pid>/status (VmRSS, Linux).

Goal: RSS after 10,000 calls ≤ 1.2 × RSS after 100 calls.

    python bench/memory.py            # 10,000 calls per server
    python bench/memory.py --quick    # 2,000 calls per server
"""

from __future__ import annotations

import argparse
import asyncio
import itertools

from _common import Children, Served, machine_line, rss_mib, table
from mcp_wire import WireClient

GOAL = 1.2
CONCURRENCY = 8
CALLS_PER_CLIENT = 50


async def load(served: Served, tool: str, calls: int, eras: itertools.cycle[str]) -> None:
    """``calls`` tool calls, spread over short-lived clients, CONCURRENCY at a time."""
    remaining = calls

    async def one_client(count: int) -> None:
        client = await WireClient(served.url, next(eras)).open()
        for _ in range(count):
            await client.call_tool(tool)
        await client.close()

    while remaining > 0:
        batch = []
        for _ in range(CONCURRENCY):
            count = min(CALLS_PER_CLIENT, remaining)
            if count <= 0:
                break
            batch.append(one_client(count))
            remaining -= count
        await asyncio.gather(*batch)


async def profile(served: Served, tool: str, checkpoints: list[int]) -> dict[str, float]:
    await asyncio.sleep(1.0)  # let start-up settle
    figures = {"idle after start": rss_mib(served.pid)}
    eras = itertools.cycle(["legacy", "modern"])
    done = 0
    for mark in checkpoints:
        await load(served, tool, mark - done, eras)
        done = mark
        await asyncio.sleep(0.2)
        figures[f"after {mark:,} calls"] = rss_mib(served.pid)
    await asyncio.sleep(2.0)
    figures["idle again"] = rss_mib(served.pid)
    return figures


async def bench(args: argparse.Namespace) -> int:
    total = args.calls or (2_000 if args.quick else 10_000)
    checkpoints = sorted({100, 1_000, total // 2, total} - {0})
    checkpoints = [c for c in checkpoints if c <= total]
    ok = True
    rows = []
    with Children() as children:
        upstream = children.upstream()
        servers = {
            "cal-mcp (stateful)": (children.cal_mcp_http(upstream), "CAL_RETRIEVE_MY_INFORMATION"),
            "cal-mcp (stateless, JSON)": (children.cal_mcp_http(upstream, "--stateless", "--json-response"),
                                          "CAL_RETRIEVE_MY_INFORMATION"),
            "bare SDK proxy (stateful)": (children.bare_http(upstream), "get_me"),
        }
        print(machine_line())
        print(f"{total:,} calls per server: {CONCURRENCY} clients at a time, {CALLS_PER_CLIENT} calls each, "
              "legacy sessions and 2026-07-28 clients alternately")
        header = ["server"]
        for name, (served, tool) in servers.items():
            figures = await profile(served, tool, checkpoints)
            header = ["server", *(f"{k} (MiB)" for k in figures), f"{total:,} ÷ 100 calls"]
            ratio = figures[f"after {total:,} calls"] / figures["after 100 calls"]
            met = ratio <= GOAL
            if name.startswith("cal-mcp"):
                ok &= met
            verdict = f"{ratio:.3f}" + (f" ({'met' if met else 'MISSED'})" if name.startswith("cal-mcp") else "")
            rows.append([name, *(f"{v:.1f}" for v in figures.values()), verdict])
        print(table(header, rows))
    print(f"\ngoal: cal-mcp RSS after {total:,} calls ≤ {GOAL} × after 100 calls → {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2,000 calls per server")
    parser.add_argument("--calls", type=int, help="calls per server (default 10,000)")
    return asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
