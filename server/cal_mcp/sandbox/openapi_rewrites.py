"""Fixes for artefacts of Cal's NestJS/Swagger generator, applied to its OpenAPI documents before use.

One definition shared by the contract test (``tests/contract_support.py``) and the facts generator
(``scripts/gen_cal_api_facts.py``), so the sandbox validates against the same reading of Cal's
specs that the contract test checks our tools against.
"""

from __future__ import annotations

from typing import Any

HH_MM = r"^([01]\d|2[0-3]):[0-5]\d$"

# Rewrites applied to Cal's generated specs before validating against them, each an artefact of the
# NestJS/Swagger generator rather than a rule Cal's server enforces. Each must still fire (tested).
SPEC_REWRITES = {
    "oneOf-as-anyOf": "MAP-NOTES: oneOf alternatives overlap (a plain booking also matches the recurring "
    "alternative), so a strict oneOf check rejects valid requests",
    "regex-literal-pattern": "pattern written as a JavaScript regex literal ('/^\\+[1-9]\\d{1,14}$/', phone "
    "numbers), which no string matches once the slashes are read as characters",
    "constant-name-pattern": "pattern 'TIME_FORMAT_HH_MM' is the name of Cal's regex constant, not its value "
    "(HH:mm, schedule availability and overrides)",
    "enum-on-array": "an enum of item values (schedule 'days') written on the array as well as its items",
    "object-with-boolean-default": "a boolean field typed 'object' with a boolean default (e.g. phone-call "
    "'enabled', booking-field 'isDefault'): the DTO property is a boolean",
    "partial-type-without-properties": "a DTO made with PartialType from @nestjs/mapped-types (which carries no "
    "Swagger metadata) is documented with no properties, though Cal validates every field of the type it is a "
    "partial of: UpdateOrganizationUserInput extends UpdateUserInput = PartialType(CreateUserInput) "
    "(apps/api/v2/src/modules/users/inputs/update-user.input.ts)",
}
PATTERN_CONSTANTS = {"TIME_FORMAT_HH_MM": HH_MM}
# Schema documented without properties -> (the schema whose properties it takes, all optional; those it lacks).
PARTIAL_OF = {
    # CreateOrganizationUserInput = CreateUserInput + locale, organizationRole, autoAccept; CreateUserInput
    # declares locale itself, so only the two organization fields are not in the partial.
    "UpdateOrganizationUserInput": ("CreateOrganizationUserInput", ("organizationRole", "autoAccept")),
}


def normalise(node: Any, fired: dict[str, int]) -> Any:
    """A copy of a spec (sub)document with the SPEC_REWRITES applied; ``fired`` counts each rewrite."""
    if isinstance(node, list):
        return [normalise(v, fired) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: normalise(v, fired) for k, v in node.items()}
    if "oneOf" in out:
        if "anyOf" in out:
            raise ValueError("schema has both oneOf and anyOf; the rewrite would lose one")
        out["anyOf"] = out.pop("oneOf")
        fired["oneOf-as-anyOf"] += 1
    pattern = out.get("pattern")
    if isinstance(pattern, str) and out.get("type") == "string":
        if len(pattern) > 2 and pattern.startswith("/") and pattern.endswith("/"):
            out["pattern"] = pattern[1:-1]
            fired["regex-literal-pattern"] += 1
        elif pattern in PATTERN_CONSTANTS:
            out["pattern"] = PATTERN_CONSTANTS[pattern]
            fired["constant-name-pattern"] += 1
    if out.get("type") == "array" and "enum" in out and isinstance(out.get("items"), dict):
        items_enum = out["items"].get("enum")
        if items_enum is not None and set(items_enum) == set(out["enum"]):
            del out["enum"]
            fired["enum-on-array"] += 1
    if out.get("type") == "object" and isinstance(out.get("default"), bool) and "properties" not in out:
        out["type"] = "boolean"
        fired["object-with-boolean-default"] += 1
    for name, (whole, left_out) in PARTIAL_OF.items():
        # At the components' schema map: the partial takes the whole type's properties, none required.
        partial, source = out.get(name), out.get(whole)
        if isinstance(partial, dict) and partial.get("properties") == {} and isinstance(source, dict):
            properties = {
                key: {k: v for k, v in sub.items() if k != "default"}
                for key, sub in source.get("properties", {}).items() if key not in left_out
            }
            out[name] = {**{k: v for k, v in partial.items() if k != "required"}, "properties": properties}
            fired["partial-type-without-properties"] += 1
    return out
