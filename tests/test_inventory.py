"""Inventory-wide rules every tool must keep (what the model sees): the 141 seed tools and those added beyond them."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from mcp_types.methods import serialize_server_result
from mcp_types.version import KNOWN_PROTOCOL_VERSIONS

from cal_mcp.registry import Registry
from cal_mcp.specs import load_specs
from tests.conftest import TOOL_COUNT, TOOL_SPEC_FILES, require_shared

SNAPSHOTS = Path(__file__).parent / "__toolsnaps__"
SPECS = load_specs()
# GETs that save credentials (OAuth/Stripe callbacks): MAP-NOTES lists them as not read-only.
STATE_CHANGING_GETS = {
    "CAL_HANDLE_CONFERENCING_OAUTH_CALLBACK_FOR_APP",
    "CAL_SAVE_CALENDAR_ENTRY",
    "CAL_SAVE_OAUTH_CREDENTIALS_VIA_GCAL_API",
    "CAL_SAVE_STRIPE_DETAILS",
}
CONFIG_NAMES = {"CAL_OAUTH_CLIENT_ID"}
DESTRUCTIVE_WORDS = re.compile(r"CANCEL|DECLINE|DISCONNECT|FORCE_REFRESH")


def _seed_names() -> set[str]:
    records = json.loads(require_shared("cal-api", "tool-endpoint-map.json").read_text())
    seed = require_shared("seed", "cal-toolkit.txt").read_text()
    expected = {r["name"] for r in records}
    assert len(expected) == 141
    assert all(name in seed for name in expected)
    return expected


def test_every_seed_tool_is_served_under_its_exact_seed_name() -> None:
    missing = _seed_names() - {s.name for s in SPECS}
    assert not missing, f"seed tools missing or renamed: {sorted(missing)}"


def test_every_spec_file_is_one_served_tool(registry: Registry) -> None:
    # One tool per file in tool_specs/, named after its file: nothing skipped, nothing served twice.
    assert sorted(s.name for s in SPECS) == sorted(p.stem for p in TOOL_SPEC_FILES)
    assert sorted(s.name for s in registry.select().specs) == sorted(p.stem for p in TOOL_SPEC_FILES)
    assert len(registry.list_result.tools) == TOOL_COUNT


def test_tools_beyond_the_seed_cannot_be_mistaken_for_a_seed_tool() -> None:
    """A new name is not a seed name with words added, dropped or reordered (CAL_LIST_EVENT_TYPES vs
    CAL_LIST_EVENT_TYPE_S, CAL_GET_TEAMS_LIST vs CAL_LIST_TEAMS would read as the same tool)."""
    seed = _seed_names()
    for name in {s.name for s in SPECS} - seed:
        assert re.fullmatch(r"CAL_[A-Z][A-Z0-9]*(_[A-Z0-9]+)+", name), name
        words = set(name.split("_")) - {"CAL"}
        for other in seed:
            other_words = set(other.split("_")) - {"CAL"}
            assert words != other_words, f"{name} has the same words as seed tool {other}"
            assert not (name in other or other in name), f"{name} contains or is contained in {other}"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_annotations_follow_the_http_method(spec: Any) -> None:
    hints, method = spec.annotations, spec.request.method
    assert spec.title and hints.open_world_hint
    if method == "GET" and spec.name not in STATE_CHANGING_GETS:
        assert hints.read_only_hint and not hints.destructive_hint and hints.idempotent_hint
    else:
        assert not hints.read_only_hint
    if method == "DELETE" or DESTRUCTIVE_WORDS.search(spec.name):
        assert hints.destructive_hint
    if method in ("PATCH", "PUT"):
        assert hints.idempotent_hint and not hints.destructive_hint
    if method == "POST" and re.search(r"CREATE|POST_NEW|ADD_|RESERVE|RESCHEDULE", spec.name):
        assert not hints.idempotent_hint


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_descriptions_are_complete_and_within_budget(spec: Any) -> None:
    words = len(spec.description.split())
    assert 13 <= words <= 60, f"{words} words"
    assert not spec.description.rstrip().endswith(("(e.", "Cal.", "..."))


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_every_required_id_argument_names_the_tool_that_yields_it(spec: Any) -> None:
    known = {s.name for s in SPECS}
    for name in spec.required:
        if not re.search(r"(Id|Uid|uid|ID)$", name):
            continue
        description = spec.properties[name]["description"]
        sources = re.findall(r"CAL_[A-Z0-9_]+", description)
        assert sources, f"{name}: {description!r} names no source tool"
        # An ID no tool lists (the Platform OAuth client ID) names the setting that holds it instead.
        assert set(sources) <= known | CONFIG_NAMES, f"{name} names unknown tools {set(sources) - known}"


@pytest.mark.parametrize("version", sorted(KNOWN_PROTOCOL_VERSIONS))
def test_tools_list_serialises_for_every_protocol_version(registry: Registry, version: str) -> None:
    dumped = registry.list_result.model_dump(by_alias=True, exclude_none=True, mode="json")
    wire = serialize_server_result("tools/list", version, dumped)
    assert len(wire["tools"]) == TOOL_COUNT


def _as_listed(tool: Any) -> dict[str, Any]:
    data: dict[str, Any] = tool.model_dump(by_alias=True, exclude_none=True, mode="json")
    return data


@pytest.mark.parametrize("name", [s.name for s in SPECS])
def test_each_tool_matches_its_committed_snapshot(registry: Registry, name: str) -> None:
    tool = next(t for t in registry.list_result.tools if t.name == name)
    current = json.dumps(_as_listed(tool), indent=2, sort_keys=True) + "\n"
    path = SNAPSHOTS / f"{name}.json"
    if os.environ.get("UPDATE_TOOLSNAPS") == "1":
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(current)
    assert path.exists(), f"no snapshot for {name}: run UPDATE_TOOLSNAPS=1 pytest tests/test_inventory.py"
    assert path.read_text() == current, f"{name} changed: review, then UPDATE_TOOLSNAPS=1 to accept"


def test_no_snapshot_is_left_for_a_tool_that_is_gone() -> None:
    names = {s.name for s in SPECS}
    stale = {p.stem for p in SNAPSHOTS.glob("*.json")} - names
    assert not stale


def _properties(props: dict[str, Any], prefix: str = "") -> Any:
    for name, prop in props.items():
        yield prefix + name, prop
        if isinstance(prop, dict):
            yield from _properties(prop.get("properties", {}), f"{prefix}{name}.")
            items = prop.get("items")
            if isinstance(items, dict):
                yield from _properties(items.get("properties", {}), f"{prefix}{name}[].")


TIME_LIKE = re.compile(r"(^|[a-z])(start|end|Start|End|Date|From|To|After|Before)$|^date")


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_date_and_time_arguments_show_their_format_by_example(spec: Any) -> None:
    for name, prop in _properties(spec.properties):
        leaf = name.split(".")[-1].rstrip("[]")
        if prop.get("type") != "string" or "enum" in prop or leaf.startswith(("sort", "returnTo", "onError", "week")):
            continue
        if prop.get("format") in ("date-time", "date") or TIME_LIKE.search(leaf):
            description = prop["description"]
            assert re.search(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}|YYYY|HH:mm", description), (name, description)
