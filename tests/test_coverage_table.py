"""The README's coverage table accounts for every operation of Cal's newest OpenAPI and is current.

Every operation is either called by a tool spec or given a reviewed reason in
``scripts/coverage_reasons.json``; the table between the README's coverage markers is exactly what
``scripts/gen_coverage.py`` renders. Needs ``../shared/cal-api`` (skipped without it, failed under CI=true).
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest

from cal_mcp.specs import load_specs
from tests.conftest import REPO, require_shared


def _generator() -> ModuleType:
    path = REPO / "scripts" / "gen_coverage.py"
    spec = importlib.util.spec_from_file_location("gen_coverage", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gen_coverage", module)
    spec.loader.exec_module(module)
    return module


GEN = _generator()


@pytest.fixture(scope="module")
def operations() -> list[object]:
    shared = require_shared("cal-api", GEN.NEWEST_SPEC).parent
    ops: list[object] = GEN.read_operations(shared)
    return ops


def test_every_operation_is_a_tool_or_has_a_reason(operations: list[object]) -> None:
    coverage = GEN.compute(operations, load_specs(), GEN.read_reasons())
    assert len(operations) == 272
    missing = [f"{op.operation_id} ({op.method} {op.path})" for op in coverage.unaccounted]
    assert not missing, "neither a tool nor a reason in scripts/coverage_reasons.json:\n" + "\n".join(missing)
    assert len(coverage.tools) + len(coverage.reasons) == len(operations)


def test_the_readme_table_is_current(operations: list[object]) -> None:
    coverage = GEN.compute(operations, load_specs(), GEN.read_reasons())
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert GEN.replace_block(text, GEN.render(coverage)) == text, (
        "README coverage table is stale: run python scripts/gen_coverage.py"
    )


def test_every_reason_is_worded_and_reviewed() -> None:
    reasons = GEN.read_reasons()
    for key, text in [*reasons["byArea"].items(), *reasons["byOperation"].items()]:
        category, colon, detail = text.partition(":")
        assert colon and category and len(detail.strip()) >= 8, f"{key}: {text!r} (write '<category>: <why>')"


def test_a_tool_covers_its_operation_whatever_the_reasons_say(operations: list[object]) -> None:
    # A reason left for an operation that a tool now calls is ignored for the table and reported as stale.
    first = next(op for op in operations if op.method == "GET" and op.path == "/v2/bookings")
    reasons = {"byArea": {}, "byOperation": {first.operation_id: "not yet: a reason written before the tool"}}
    coverage = GEN.compute(operations, load_specs(), reasons)
    assert coverage.tools[first.operation_id] == ["CAL_FETCH_ALL_BOOKINGS"]
    assert first.operation_id not in coverage.reasons
    assert any(first.operation_id in entry and "covered by" in entry for entry in coverage.stale)


def test_an_operation_without_tool_or_reason_is_caught(operations: list[object]) -> None:
    reasons = GEN.read_reasons()
    trimmed = {"byArea": {k: v for k, v in reasons["byArea"].items() if k != "Managed Orgs"},
               "byOperation": reasons["byOperation"]}
    coverage = GEN.compute(operations, load_specs(), trimmed)
    assert {op.area for op in coverage.unaccounted} == {"Managed Orgs"}
    assert "**unaccounted**" in GEN.render(coverage)


def test_reasons_for_unknown_operations_or_areas_are_stale(operations: list[object]) -> None:
    reasons = {"byArea": {"No Such Area": "deprecated: gone"},
               "byOperation": {"NoSuchController_nothing": "deprecated: gone"}}
    coverage = GEN.compute(operations, load_specs(), reasons)
    assert any("NoSuchController_nothing" in entry for entry in coverage.stale)
    assert any("No Such Area" in entry for entry in coverage.stale)


def test_the_script_check_passes_on_the_committed_files() -> None:
    shared = require_shared("cal-api", GEN.NEWEST_SPEC).parent
    assert GEN.main(["--check", "--shared", str(shared)]) == 0
