"""Does uvloop make cal-mcp's HTTP hot path cheaper? The same cal-mcp, asyncio's loop against uvloop's.

uvicorn picks uvloop by itself (``loop="auto"``) when it can import it, so the only difference
between the two servers is whether ``--uvloop-path`` (a directory holding ``uvloop``, e.g. from
``pip install --target DIR uvloop``) is on the child's ``PYTHONPATH``. httptools is not compared:
cal-mcp serves HTTP through its own h11 protocol subclass (the header deadline in http_limits.py).

Interleaved bursts of 32 concurrent clients (legacy, stateful Streamable HTTP), the two servers
alternating in shuffled order; reports medians with the min–max over rounds, and server CPU time
per call (from /proc), which is steadier than wall time on a shared machine.

    python bench/event_loop.py --uvloop-path /tmp/uvl [--rounds 9]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
from pathlib import Path

from _common import Children, Served, cal_env, free_port, machine_line, median, table
from per_call import CAL_TOOL, Mode, Target, burst

PYTHON = sys.executable


def serve(children: Children, upstream: str, extra_path: str | None) -> Served:
    port = free_port()
    env = cal_env(upstream)
    if extra_path:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (extra_path, env.get("PYTHONPATH", "")) if p)
    args = [PYTHON, "-m", "cal_mcp", "--transport", "http", "--port", str(port)]
    proc = children.http_server(args, port, env=env)
    return Served(f"http://127.0.0.1:{port}/mcp", proc)


async def bench(args: argparse.Namespace) -> int:
    if not (Path(args.uvloop_path) / "uvloop").is_dir():
        print(f"no uvloop package under {args.uvloop_path}", file=sys.stderr)
        return 2
    with Children() as children:
        upstream = children.upstream()
        targets = {"asyncio": Target("asyncio", serve(children, upstream, None), CAL_TOOL),
                   "uvloop": Target("uvloop", serve(children, upstream, args.uvloop_path), CAL_TOOL)}
        mode = Mode("legacy, stateful", "legacy", targets["asyncio"], targets["uvloop"])
        print(machine_line())
        rates: dict[str, list[float]] = {name: [] for name in targets}
        cpu: dict[str, list[float]] = {name: [] for name in targets}
        ratios: list[float] = []
        for _ in range(args.rounds):
            order = list(targets)
            random.shuffle(order)
            for name in order:
                done = await burst(mode, targets[name], args.concurrency, args.per_client)
                rates[name].append(done.calls_per_second)
                cpu[name].append(done.cpu_ms_per_call)
            ratios.append(rates["uvloop"][-1] / rates["asyncio"][-1])
        rows = [[name, f"{median(rates[name]):.0f} ({min(rates[name]):.0f}–{max(rates[name]):.0f})",
                 f"{median(cpu[name]):.2f} ({min(cpu[name]):.2f}–{max(cpu[name]):.2f})"] for name in targets]
        print(table(["event loop", "calls/s, median (min–max)", "server CPU ms/call, median (min–max)"], rows))
        print(f"\nuvloop ÷ asyncio throughput: {median(ratios):.2f}× (rounds {min(ratios):.2f}–{max(ratios):.2f}); "
              f"CPU per call {median(cpu['uvloop']) / median(cpu['asyncio']):.2f}×")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uvloop-path", required=True)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--per-client", type=int, default=10)
    return asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
