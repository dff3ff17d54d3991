"""The README's generated tables match tool_specs/ (UPDATE_README=1 rewrites them)."""

from __future__ import annotations

import os

from cal_mcp.specs import load_specs
from tests.conftest import REPO
from tests.readme_tables import replace_block, tools_table, toolsets_table


def test_readme_tool_and_toolset_tables_are_current() -> None:
    specs = load_specs()
    path = REPO / "README.md"
    text = path.read_text()
    fresh = replace_block(replace_block(text, "toolsets", toolsets_table(specs)), "tools", tools_table(specs))
    if os.environ.get("UPDATE_README") == "1":
        path.write_text(fresh)
        text = fresh
    assert text == fresh, "README tables are stale: run UPDATE_README=1 pytest tests/test_readme.py"


def test_readme_gives_the_two_commands() -> None:
    text = (REPO / "README.md").read_text()
    assert "cal-mcp --sandbox --transport http" in text
    assert "python -m pytest" in text
