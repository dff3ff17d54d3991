"""Cold start over stdio: spawn → initialize → tools/list, cal-mcp (all 141 tools) against the SDK floor.

Each run spawns a fresh process and times, with a raw newline-delimited JSON-RPC client (nothing
but pipes on our side), until the ``tools/list`` answer has been read in full. In every round the
servers run in a shuffled order, so a noisy neighbour hurts them alike:

* ``cal-mcp``: ``python -m cal_mcp`` with every tool (default settings, ``CAL_API_KEY`` set);
* ``bare (1 tool)``: ``bench/bare_server.py``, a minimal one-tool low-level server: the floor;
* ``bare (141 tools)``: the same bare server listing cal-mcp's 141 tools from a JSON file,
  i.e. the SDK's own cost of sending this tool list.

Goal: cal-mcp's median ≤ 1.10 × the one-tool floor's. Then, once each with ``-X importtime``,
the modules cal-mcp imports before answering that the bare server does not (what our code costs).

    python bench/cold_start.py            # 15 rounds
    python bench/cold_start.py --quick    # 5 rounds
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from _common import BENCH, PYTHON, Children, cal_env, child_env, machine_line, median, ms, percentile, table

GOAL = 1.10
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1.0"}}}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}
LIST = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}


def _line(message: Mapping[str, object]) -> bytes:
    return (json.dumps(message) + "\n").encode()


def spawn_and_list(children: Children, args: list[str], env: dict[str, str],
                   stderr: int = subprocess.DEVNULL) -> tuple[float, int, bytes]:
    """Seconds from spawn to the full tools/list reply, the number of tools, and stderr (if captured)."""
    start = time.perf_counter()
    proc = children.start(args, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(_line(INITIALIZE))
    proc.stdin.flush()
    init = json.loads(proc.stdout.readline())
    if "result" not in init:
        raise RuntimeError(f"{args}: initialize failed: {init}")
    proc.stdin.write(_line(INITIALIZED) + _line(LIST))
    proc.stdin.flush()
    listed = json.loads(proc.stdout.readline())
    elapsed = time.perf_counter() - start
    tools = len(listed["result"]["tools"])
    try:  # communicate() closes stdin: on EOF a stdio server exits by itself
        _, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        err = b""
    children.stop(proc)
    return elapsed, tools, err or b""


def import_profile(children: Children, args: list[str], env: dict[str, str]) -> dict[str, tuple[int, int]]:
    """module → (self µs, cumulative µs) for everything imported before tools/list was answered."""
    _, _, err = spawn_and_list(children, [args[0], "-X", "importtime", *args[1:]], env, stderr=subprocess.PIPE)
    modules: dict[str, tuple[int, int]] = {}
    for line in err.decode(errors="replace").splitlines():
        if line.startswith("import time:") and "|" in line and "self [us]" not in line:
            self_us, cumulative, name = line[len("import time:"):].split("|")
            modules[name.strip()] = (int(self_us), int(cumulative))
    return modules


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="5 rounds instead of 15")
    parser.add_argument("--rounds", type=int)
    args = parser.parse_args()
    rounds = args.rounds or (5 if args.quick else 15)

    with Children() as children, tempfile.TemporaryDirectory() as tmp:
        from cal_mcp.registry import load_registry

        tools_json = Path(tmp) / "tools.json"
        dumped = load_registry().list_result.model_dump(by_alias=True, exclude_none=True, mode="json")
        tools_json.write_text(json.dumps(dumped["tools"]))
        cal_args = [PYTHON, "-m", "cal_mcp"]
        bare_args = [PYTHON, str(BENCH / "bare_server.py")]
        servers = {
            "cal-mcp (141 tools)": (cal_args, cal_env("http://127.0.0.1:9")),
            "bare (1 tool)": (bare_args, child_env()),
            "bare (141 tools)": ([*bare_args, "--tools-json", str(tools_json)], child_env()),
        }
        print(machine_line())
        print(f"cold start = spawn → initialize → tools/list over stdio; {rounds} rounds, order shuffled per round")
        for argv, env in servers.values():  # warm-up: bytecode caches and the page cache
            spawn_and_list(children, argv, env)
        times: dict[str, list[float]] = {name: [] for name in servers}
        counts: dict[str, int] = {}
        for _ in range(rounds):
            order = list(servers)
            random.shuffle(order)
            for name in order:
                argv, env = servers[name]
                elapsed, counts[name], _ = spawn_and_list(children, argv, env)
                times[name].append(elapsed)
        floor = median(times["bare (1 tool)"])
        rows = []
        for name, sample in times.items():
            rows.append([name, counts[name], ms(median(sample)), ms(min(sample)), ms(percentile(sample, 90)),
                         f"{median(sample) / floor:.2f}×"])
        print(table(["server", "tools", "median ms", "min ms", "p90 ms", "× floor"], rows))
        ratio = median(times["cal-mcp (141 tools)"]) / floor
        verdict = "met" if ratio <= GOAL else "MISSED"
        print(f"\ngoal: cal-mcp ≤ {GOAL:.2f}× the one-tool floor → {ratio:.2f}× ({verdict})")

        ours = import_profile(children, cal_args, servers["cal-mcp (141 tools)"][1])
        bare = import_profile(children, bare_args, child_env())
        extra = {m: t for m, t in ours.items() if m not in bare}
        total_self = sum(s for s, _ in extra.values())
        print(f"\nimported by cal-mcp before answering tools/list but not by the bare server: {len(extra)} modules, "
              f"{total_self / 1000:.0f} ms of import time (-X importtime self times; inflated by the profiler)")
        groups: dict[str, int] = {}
        for module, (self_us, _) in extra.items():
            key = ".".join(module.split(".")[:2]) if module.startswith("cal_mcp") else module.split(".")[0]
            groups[key] = groups.get(key, 0) + self_us
        heaviest = sorted(groups, key=lambda g: -groups[g])[:10]
        print(table(["package (cal-mcp only)", "import ms (self)"], [[g, f"{groups[g] / 1000:.1f}"] for g in heaviest]))
        lazy = [m for m in ("httpx", "jsonschema", "cal_mcp.sandbox", "cal_mcp.cal_client", "cal_mcp.validation")
                if m in ours]
        print(f"loaded on first use, not at start-up (should be none here): {', '.join(lazy) or 'none'}")
        return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
