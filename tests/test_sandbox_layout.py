"""The sandbox's package layout: no import cycles, and each layer imports only the layers below it.

Every module of ``cal_mcp.sandbox`` is parsed with ``ast``; every import counts, including those inside
functions and ``if TYPE_CHECKING:`` blocks. See ``server/cal_mcp/sandbox/README.md`` for the layers.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path

import cal_mcp.sandbox

PACKAGE = "cal_mcp.sandbox"
ROOT = Path(cal_mcp.sandbox.__file__).parent
# Top-level modules that are neither layers below the routes nor domain logic.
ENTRY_POINTS = {"app", "inprocess", "__main__", "accounts"}
HTTP_MODULES = {"http"}
# What every layer may import.
BASE_MODULES = {"clock", "errors"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGE, *parts])


def sandbox_sources() -> dict[str, str]:
    return {module_name(path): path.read_text(encoding="utf-8") for path in sorted(ROOT.rglob("*.py"))}


def sandbox_packages() -> set[str]:
    return {module_name(path) for path in ROOT.rglob("__init__.py")}


def imported_names(module: str, source: str, is_package: bool) -> set[str]:
    """Every dotted name ``module`` imports, at any depth of its body (``from a import b`` gives a and a.b)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)
    return names


def import_graph(sources: Mapping[str, str], packages: set[str]) -> dict[str, set[str]]:
    """Edges between the given modules: a module imports each module it names, and the packages above
    that module which it is not itself inside (Python runs a package's ``__init__`` before its modules)."""
    graph: dict[str, set[str]] = {}
    for module, source in sources.items():
        own_packages = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 2)}
        edges: set[str] = set()
        for name in imported_names(module, source, module in packages):
            if name not in sources:
                continue
            parts = name.split(".")
            for depth in range(1, len(parts) + 1):
                target = ".".join(parts[:depth])
                if target in sources and target not in own_packages:
                    edges.add(target)
        edges.discard(module)
        graph[module] = edges
    return graph


def find_cycle(graph: Mapping[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, …, a], or None when the graph is acyclic."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(node: str) -> list[str] | None:
        path.append(node)
        on_path.add(node)
        for target in sorted(graph.get(node, ())):
            if target in on_path:
                return [*path[path.index(target):], target]
            if target not in done:
                cycle = visit(target)
                if cycle:
                    return cycle
        on_path.discard(path.pop())
        done.add(node)
        return None

    for start in sorted(graph):
        if start not in done:
            cycle = visit(start)
            if cycle:
                return cycle
    return None


SOURCES = sandbox_sources()
GRAPH = import_graph(SOURCES, sandbox_packages())


def layer(module: str) -> str:
    """stores, seeds or routes (sub-packages), state, base (clock, errors), entry (app, inprocess,
    __main__), http, or domain (everything else at the top level: availability, slots, booking rules, …)."""
    rest = module.removeprefix(PACKAGE).lstrip(".")
    head = rest.split(".")[0]
    if head in ("stores", "seeds", "routes", "state"):
        return head
    if head in ENTRY_POINTS:
        return "entry"
    if head in BASE_MODULES:
        return "base"
    if head in HTTP_MODULES:
        return "http"
    return "package" if not head else "domain"


def imports_of_layer(module: str, *layers: str) -> set[str]:
    return {target for target in GRAPH[module] if layer(target) in layers}


def modules_of(*layers: str) -> list[str]:
    return sorted(m for m in GRAPH if layer(m) in layers)


def test_the_sandbox_modules_import_each_other_without_a_cycle() -> None:
    assert find_cycle(GRAPH) is None, " -> ".join(find_cycle(GRAPH) or [])


def test_a_function_level_import_that_closes_a_loop_is_reported_as_a_cycle() -> None:
    sources = {
        "pkg": "",
        "pkg.a": "from pkg.b import thing\n",
        "pkg.b": "def thing():\n    from pkg import a\n    return a\n",
    }
    graph = import_graph(sources, packages={"pkg"})
    assert find_cycle(graph) == ["pkg.a", "pkg.b", "pkg.a"]


def test_the_graph_sees_every_layer_of_the_sandbox() -> None:
    found = {layer(m) for m in GRAPH}
    assert {"stores", "seeds", "routes", "state", "base", "domain", "entry", "http"} <= found
    assert f"{PACKAGE}.stores.teams" in GRAPH[f"{PACKAGE}.routes.teams"]


def test_state_imports_nothing_from_the_sandbox_but_the_clock() -> None:
    assert GRAPH[f"{PACKAGE}.state"] == {f"{PACKAGE}.clock"}


def test_stores_import_only_state_clock_errors_and_other_stores() -> None:
    allowed = {"stores", "state", "base"}
    offenders = {m: {t for t in GRAPH[m] if layer(t) not in allowed} for m in modules_of("stores")}
    assert {m: t for m, t in offenders.items() if t} == {}


def test_stores_never_import_starlette() -> None:
    for module in modules_of("stores"):
        names = imported_names(module, SOURCES[module], False)
        assert not {n for n in names if n.split(".")[0] == "starlette"}, module


def test_seeds_import_only_stores_state_clock_errors_and_other_seeds() -> None:
    allowed = {"seeds", "stores", "state", "base"}
    offenders = {m: {t for t in GRAPH[m] if layer(t) not in allowed} for m in modules_of("seeds")}
    assert {m: t for m, t in offenders.items() if t} == {}


def test_routes_never_import_seeds() -> None:
    offenders = {m: imports_of_layer(m, "seeds") for m in modules_of("routes")}
    assert {m: t for m, t in offenders.items() if t} == {}


def test_domain_modules_import_neither_routes_nor_seeds() -> None:
    offenders = {m: imports_of_layer(m, "routes", "seeds", "entry") for m in modules_of("domain")}
    assert {m: t for m, t in offenders.items() if t} == {}


def test_a_bare_state_is_empty_and_new_state_seeds_the_sandbox() -> None:
    from cal_mcp.sandbox.seeds import new_state
    from cal_mcp.sandbox.state import USER_ID, SandboxState

    assert SandboxState().tables == {}
    seeded = new_state()
    assert USER_ID in seeded.table("me")
    seeded.tables.clear()
    seeded.reset()
    assert USER_ID in seeded.table("me")
