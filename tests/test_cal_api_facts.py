"""The shipped Cal API facts: generated from ../shared, free of prose, covering every tool's operation."""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from cal_mcp.sandbox import cal_api
from cal_mcp.specs import load_specs
from tests.conftest import REPO, require_shared

SPECS = load_specs()
PROSE = ("description", "summary", "example", "examples", "title", "tags", "externalDocs")


def _generator() -> ModuleType:
    path = REPO / "scripts" / "gen_cal_api_facts.py"
    spec = importlib.util.spec_from_file_location("gen_cal_api_facts", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gen_cal_api_facts", module)
    spec.loader.exec_module(module)
    return module


def _keywords(node: Any) -> Iterator[str]:
    """Every key used as a keyword (names inside ``properties`` are field names, not keywords)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            if key == "properties" and isinstance(value, dict):
                for sub in value.values():
                    yield from _keywords(sub)
            elif key != "default":  # a default is a value, not a schema
                yield from _keywords(value)
    elif isinstance(node, list):
        for value in node:
            yield from _keywords(value)


def _concrete(path: str) -> str:
    """A URL for a path template: numbers for ids, so numeric path parameters pass ParseIntPipe."""
    return re.sub(r"\{[^{}]+\}", "7", path)


def test_the_committed_facts_file_is_what_the_generator_makes_from_shared() -> None:
    shared = require_shared("cal-api", "openapi-2024-12-17.json").parent
    generator = _generator()
    committed = Path(cal_api.__file__).with_name(cal_api.FACTS_FILE).read_text(encoding="utf-8")
    assert committed == generator.render(generator.generate(shared)), "run python scripts/gen_cal_api_facts.py"
    assert generator.main(["--shared", str(shared), "--check"]) == 0


def test_the_facts_carry_no_prose_keys() -> None:
    facts = cal_api._facts()
    used = set(_keywords(facts["operations"])) | set(_keywords(facts["schemas"]))
    assert not used & set(PROSE), sorted(used & set(PROSE))


def test_every_tool_specs_operation_is_in_the_facts_including_old_era_routes() -> None:
    known = {(op.method, op.path) for op in cal_api.operations()}
    missing = sorted({(s.request.method, s.request.path) for s in SPECS} - known)
    assert missing == []
    old_era = {op.path for op in cal_api.operations() if op.era is not None}
    assert "/v2/timezones" in old_era and any(s.request.path == "/v2/timezones" for s in SPECS)


@pytest.mark.parametrize(
    ("method", "url", "template"),
    [
        ("POST", "/v2/calendars/ics-feed/save", "/v2/calendars/ics-feed/save"),
        ("GET", "/v2/calendars/google/save", "/v2/calendars/{calendar}/save"),
        ("GET", "/v2/organizations/3/teams/me", "/v2/organizations/{orgId}/teams/me"),
        ("GET", "/v2/organizations/3/teams/9", "/v2/organizations/{orgId}/teams/{teamId}"),
        ("GET", "/v2/schedules/default", "/v2/schedules/default"),
    ],
)
def test_match_prefers_literal_segments_over_parameters(method: str, url: str, template: str) -> None:
    found = cal_api.match(method, url)
    assert found is not None and found[0].path == template


def test_match_returns_decoded_path_parameters_and_none_for_unknown_routes() -> None:
    found = cal_api.match("GET", "/v2/bookings/a%20b")
    assert found is not None and found[1] == {"bookingUid": "a b"}
    assert cal_api.match("GET", "/v2/no-such-route") is None
    assert cal_api.match("PUT", "/v2/bookings") is None


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_every_tool_specs_path_matches_its_own_operation(spec: Any) -> None:
    found = cal_api.match(spec.request.method, _concrete(spec.request.path))
    assert found is not None and (found[0].method, found[0].path) == (spec.request.method, spec.request.path)


def test_rules_for_gives_each_operation_the_rules_of_the_tools_that_call_it() -> None:
    with_rules = [s for s in SPECS if not s.request.cal_rules.is_empty()]
    for spec in with_rules:
        found = cal_api.match(spec.request.method, _concrete(spec.request.path))
        assert found is not None and spec.request.cal_rules in cal_api.rules_for(found[0])
    plain = cal_api.match("GET", "/v2/me")
    assert plain is not None and all(not r.is_empty() for r in cal_api.rules_for(plain[0]))


def test_an_unknown_operation_id_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="no Cal operation"):
        cal_api.operation("NoSuchController_nothing")
