"""The loaded tools: filtering (toolsets, --tools, --read-only) and lookup, nothing else.

The MCP ``Tool`` models and the ``ListToolsResult`` are built once here, so every ``tools/list``
answers with the same object.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mcp_types as types

from cal_mcp.schema_render import listed_schema
from cal_mcp.specs import ToolSpec, load_specs


class SelectionError(ValueError):
    """``--toolsets`` or ``--tools`` named something that does not exist."""


def to_mcp_tool(spec: ToolSpec) -> types.Tool:
    hints = spec.annotations
    return types.Tool(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        input_schema=listed_schema(spec.input_schema),  # calls are still checked against the full one
        # The title is repeated in the annotations for clients of the 2025-03-26 era, which read it there.
        annotations=types.ToolAnnotations(
            title=spec.title,
            read_only_hint=hints.read_only_hint,
            destructive_hint=hints.destructive_hint,
            idempotent_hint=hints.idempotent_hint,
            open_world_hint=hints.open_world_hint,
        ),
    )


@dataclass(frozen=True)
class Registry:
    specs: tuple[ToolSpec, ...]
    by_name: dict[str, ToolSpec] = field(init=False)
    list_result: types.ListToolsResult = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {s.name: s for s in self.specs})
        tools = [to_mcp_tool(s) for s in self.specs]
        object.__setattr__(self, "list_result", types.ListToolsResult(tools=tools))

    @property
    def toolsets(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for spec in self.specs:
            counts[spec.toolset] = counts.get(spec.toolset, 0) + 1
        return dict(sorted(counts.items()))

    def get(self, name: str) -> ToolSpec | None:
        return self.by_name.get(name)

    def input_schema(self, name: str) -> dict[str, Any] | None:
        spec = self.by_name.get(name)
        return spec.input_schema if spec else None

    def select(
        self,
        *,
        toolsets: Iterable[str] = (),
        tools: Iterable[str] = (),
        read_only: bool = False,
    ) -> Registry:
        """The union of the named toolsets and tools (everything when both are empty); read-only wins."""
        wanted_sets, wanted_tools = set(toolsets), set(tools)
        unknown_sets = wanted_sets - set(self.toolsets)
        if unknown_sets:
            raise SelectionError(
                f"unknown toolset(s) {', '.join(sorted(unknown_sets))}; valid: {', '.join(self.toolsets)}"
            )
        unknown_tools = wanted_tools - set(self.by_name)
        if unknown_tools:
            raise SelectionError(
                f"unknown tool(s) {', '.join(sorted(unknown_tools))}; see the README's tool table for names"
            )
        chosen: Sequence[ToolSpec] = self.specs
        if wanted_sets or wanted_tools:
            chosen = [s for s in chosen if s.toolset in wanted_sets or s.name in wanted_tools]
        if read_only:
            chosen = [s for s in chosen if s.annotations.read_only_hint]
        return Registry(tuple(chosen))


def load_registry(directory: Path | None = None) -> Registry:
    return Registry(load_specs(directory))
