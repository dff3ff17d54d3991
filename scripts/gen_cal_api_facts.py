"""Generate ``server/cal_mcp/sandbox/cal_api_facts.json``: Cal's API v2 operations and schemas, without prose.

The sandbox validates requests against Cal's OpenAPI at run time, where ``../shared`` is absent, so the
facts it needs ship in the package: for each operation its id, method, path, parameters, request body
and response schemas, plus the component schemas they reach. Descriptions, examples and the like are
dropped (they are most of the document's size and no check reads them).

Sources: the newest ``openapi-*.json`` in ``--shared``, plus every operation of the seed-era spec
(2024-12-17) that the newest lacks (routes Cal still serves but no longer documents; marked with
``era``). Cal's generator artefacts are fixed with ``cal_mcp.sandbox.openapi_rewrites.normalise``, the
same rewrites the contract test applies.

    python scripts/gen_cal_api_facts.py [--shared ../shared/cal-api] [--check]

``--check`` writes nothing and exits 1 when the committed file differs from what would be generated.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "server"))  # runnable from a checkout without installing the package

from cal_mcp.sandbox.openapi_rewrites import SPEC_REWRITES, normalise  # noqa: E402

OUTPUT = REPO / "server" / "cal_mcp" / "sandbox" / "cal_api_facts.json"
SEED_ERA_SPEC = "openapi-2024-12-17.json"
METHODS = ("get", "put", "post", "delete", "patch")
# Keys that carry prose for people, never a rule: dropped wherever they are keywords (not property names).
PROSE = frozenset({"description", "summary", "example", "examples", "title", "tags", "externalDocs"})
SCHEMA_PREFIX = "#/components/schemas/"
# The one rule stated only in prose: a variant's `type` discriminator ("only allowed value for type is
# `address`"; the DTO checks it, the Swagger output has no enum). Lifted into an enum before stripping.
ONLY_ALLOWED_TYPE = re.compile(r"only allowed value for type is `([^`]+)`", re.IGNORECASE)


def strip_prose(node: Any) -> Any:
    """``node`` without prose keys or ``x-`` extensions; names inside ``properties`` are kept as they are."""
    if isinstance(node, list):
        return [strip_prose(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in PROSE or key.startswith("x-"):
            continue
        if key == "deprecated" and not isinstance(value, bool):
            continue  # a deprecation note in prose; only the flag is a fact
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: strip_prose(_lift_type_value(name, sub)) for name, sub in value.items()}
        elif key == "default":
            out[key] = value  # a value, not a schema: keep it whole
        else:
            out[key] = strip_prose(value)
    return out


def _lift_type_value(name: str, schema: Any) -> Any:
    if name != "type" or not isinstance(schema, dict) or "enum" in schema or "const" in schema:
        return schema
    found = ONLY_ALLOWED_TYPE.search(str(schema.get("description", "")))
    return {**schema, "enum": [found.group(1)]} if found else schema


def refs_in(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            if not ref.startswith(SCHEMA_PREFIX):
                raise ValueError(f"unsupported $ref {ref!r}")
            yield ref[len(SCHEMA_PREFIX) :]
        for value in node.values():
            yield from refs_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs_in(value)


def rename_refs(node: Any, names: dict[str, str]) -> Any:
    if isinstance(node, list):
        return [rename_refs(v, names) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: rename_refs(v, names) for k, v in node.items()}
    ref = out.get("$ref")
    if isinstance(ref, str) and ref[len(SCHEMA_PREFIX) :] in names:
        out["$ref"] = SCHEMA_PREFIX + names[ref[len(SCHEMA_PREFIX) :]]
    return out


def reachable(roots: Any, schemas: dict[str, Any]) -> set[str]:
    seen: set[str] = set()
    todo = list(refs_in(roots))
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(refs_in(schemas[name]))
    return seen


# Parameters the spec declares that Cal's server does not read, each with the reason (the facts must say
# what Cal accepts, or the sandbox would refuse requests real Cal serves).
NOT_READ = {
    ("GET", "/v2/calendars/busy-times", "credentialId"): "Cal reads calendarsToLoad[i][credentialId] "
    "(CalendarsController.getBusyTimes, apps/api/v2/src/ee/calendars/controllers/calendars.controller.ts); "
    "the flat name is a Swagger artefact of the nested query DTO (MAP-NOTES: busy-times)",
    ("GET", "/v2/calendars/busy-times", "externalId"): "as credentialId: Cal reads calendarsToLoad[i][externalId]",
}


# Values a DTO accepts beyond the documented enum, each with the reason: (schema, property) -> extra values.
ALSO_ACCEPTED = {
    # @Transform maps collective/roundRobin/managed onto Prisma's SchedulingType, then @IsEnum(SchedulingType)
    # checks the Prisma names, so those pass too (create-event-type.input.ts, update-event-type.input.ts).
    ("CreateTeamEventTypeInput_2024_06_14", "schedulingType"): ["COLLECTIVE", "ROUND_ROBIN", "MANAGED"],
    ("UpdateTeamEventTypeInput_2024_06_14", "schedulingType"): ["COLLECTIVE", "ROUND_ROBIN", "MANAGED"],
}


def widen_enums(schemas: dict[str, Any]) -> None:
    for (schema, prop), extra in ALSO_ACCEPTED.items():
        node = schemas[schema]["properties"][prop]
        node["enum"] = [*node["enum"], *(v for v in extra if v not in node["enum"])]


def operation_facts(method: str, path: str, op: dict[str, Any], era: str | None) -> dict[str, Any]:
    facts: dict[str, Any] = {"operationId": op["operationId"], "method": method.upper(), "path": path}
    if era is not None:
        facts["era"] = era
    if op.get("deprecated") is True:
        facts["deprecated"] = True
    facts["parameters"] = [
        {k: p[k] for k in ("name", "in", "required", "schema", "deprecated") if k in p}
        for p in op.get("parameters", ())
        if (method.upper(), path, p.get("name")) not in NOT_READ
    ]
    body = op.get("requestBody")
    if body is not None:
        media = body.get("content", {}).get("application/json", {})
        facts["requestBody"] = {"required": bool(body.get("required")), "schema": media.get("schema", {})}
    facts["responses"] = {
        status: response.get("content", {}).get("application/json", {}).get("schema")
        for status, response in op.get("responses", {}).items()
    }
    return facts


def load(spec_file: Path) -> dict[str, Any]:
    fired = dict.fromkeys(SPEC_REWRITES, 0)
    document: dict[str, Any] = strip_prose(normalise(json.loads(spec_file.read_text(encoding="utf-8")), fired))
    return document


def generate(shared: Path) -> dict[str, Any]:
    newest_file = max(shared.glob("openapi-*.json"), key=lambda p: p.name)
    newest, older = load(newest_file), load(shared / SEED_ERA_SPEC)
    era = SEED_ERA_SPEC.removeprefix("openapi-").removesuffix(".json")
    schemas: dict[str, Any] = newest["components"]["schemas"]
    widen_enums(schemas)
    old_schemas: dict[str, Any] = older["components"]["schemas"]
    operations = [
        operation_facts(m, path, op, None) for path, item in newest["paths"].items() for m, op in item.items()
        if m in METHODS
    ]
    known = {(o["method"], o["path"]) for o in operations}
    old_ops = [
        operation_facts(m, path, op, era) for path, item in older["paths"].items() for m, op in item.items()
        if m in METHODS and (m.upper(), path) not in known
    ]
    # Old-era components under a name the newest spec uses for something else get their own name
    # (so does any component that refers to one of those, until nothing changes).
    old_names = reachable(old_ops, old_schemas)
    clash = {n for n in old_names if n in schemas and schemas[n] != old_schemas[n]}
    while grown := {n for n in old_names - clash if clash & set(refs_in(old_schemas[n]))}:
        clash |= grown
    renamed = {n: f"{n}__{era.replace('-', '_')}" for n in clash}
    for name in old_names:
        schemas.setdefault(renamed.get(name, name), rename_refs(old_schemas[name], renamed))
    operations += [rename_refs(o, renamed) for o in old_ops]
    ids = [o["operationId"] for o in operations]
    if len(ids) != len(set(ids)):
        raise ValueError("operationIds are not unique across the two specs")
    used = reachable(operations, schemas)
    return {
        "sources": sorted({newest_file.name, SEED_ERA_SPEC}),
        "operations": {o["operationId"]: o for o in operations},
        "schemas": {name: schemas[name] for name in sorted(used)},
    }


def render(facts: dict[str, Any]) -> str:
    return json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "cal-api")
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed file is out of date")
    args = parser.parse_args(argv)
    text = render(generate(args.shared))
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT} is out of date: run python scripts/gen_cal_api_facts.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT} ({len(text.encode())} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
