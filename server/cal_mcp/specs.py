"""Tool spec files: the pydantic models they load into, and the loader that checks them.

A tool is data: ``tool_specs/<toolset>/<TOOL_NAME>.json`` says what the model sees (name, title,
description, input schema, annotations) and how a call maps onto Cal.com API v2 (method, path,
where each argument goes). ``load_specs`` parses every file once and refuses to start on a broken
one, naming the file and the problem, because one bad spec would otherwise surface as a wrong
request at call time (or, for a bad schema, as a failed ``tools/list`` hiding every tool).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from cal_mcp.argument_aliases import alias_table, fold, resolve
from cal_mcp.cal_rules import CalRules
from cal_mcp.compact import FULL_ARGUMENT, FULL_PROPERTY, TOOL_SHAPES

# Names a model must never be asked for: they are credentials, supplied from configuration only.
CREDENTIAL_NAMES = frozenset({"authorization", "x-cal-secret-key", "x-cal-client-id", "calapikey"})
# Settings that ``fromConfig`` may read; the secret ones may never double as a model argument.
CONFIG_SOURCES = {"oauth_client_id": False, "api_key": True}
PROPERTY_NAME = re.compile(r"^[a-zA-Z0-9_.-]{1,64}$")
PATH_PARAM = re.compile(r"\{([^{}]+)\}")
TOOL_NAME = re.compile(r"\bCAL_[A-Z0-9_]+\b")
ALLOWED_TOP_LEVEL_SCHEMA_KEYS = frozenset({"type", "properties", "required", "additionalProperties"})
# Arguments the server itself handles, never sent to Cal: ``full`` (whole objects instead of compact ones)
# is added to every tool that returns event types, bookings or time zones (``cal_mcp.compact.TOOL_SHAPES``).
LOCAL_ARGUMENTS = frozenset({FULL_ARGUMENT})


class SpecError(ValueError):
    """A spec file is malformed or inconsistent; the message names the file."""


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Annotations(_Frozen):
    """All four MCP behaviour hints, required on every tool (a missing hint is a review question)."""

    read_only_hint: bool = Field(alias="readOnlyHint")
    destructive_hint: bool = Field(alias="destructiveHint")
    idempotent_hint: bool = Field(alias="idempotentHint")
    open_world_hint: bool = Field(alias="openWorldHint")


class RequestBinding(_Frozen):
    """How a tool call becomes one Cal.com API v2 request."""

    method: Literal["GET", "POST", "PATCH", "PUT", "DELETE"]
    path: str = Field(pattern=r"^/v2/")
    api_version: str | None = Field(default=None, alias="apiVersion", pattern=r"^\d{4}-\d{2}-\d{2}$")
    auth: Literal["api_key", "oauth_client"] = "api_key"
    query: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    # argument -> name on the wire, where Cal's name is not a legal property name.
    wire: dict[str, str] = Field(default_factory=dict)
    # wire-independent values sent with no argument (path, query or body).
    fixed: dict[str, Any] = Field(default_factory=dict)
    # parameter -> settings field; for a model argument it fills only what the model left out.
    from_config: dict[str, str] = Field(default_factory=dict, alias="fromConfig")
    # operation parameters or body fields deliberately not exposed, with the reason.
    omitted: dict[str, str] = Field(default_factory=dict)
    # what Cal's DTOs and pipes require beyond its OpenAPI (variants, required fields), with sources.
    cal_rules: CalRules = Field(default_factory=CalRules, alias="calRules")
    # An object argument (listed in ``body``) whose members are sent as the body's own top-level fields:
    # routing-form answers, which Cal reads from the raw body keyed by field (routing-forms services).
    body_spread: str | None = Field(default=None, alias="bodySpread")
    # Cal answers this provider callback (OAuth / Stripe) with 301 + Location, and that URL is the
    # tool's result. Every other tool treats a 3xx as an error (cal_client.CalClient._redirect).
    redirect_is_answer: StrictBool = Field(default=False, alias="redirectIsAnswer")

    @cached_property
    def path_params(self) -> tuple[str, ...]:
        return tuple(PATH_PARAM.findall(self.path))

    @property
    def sends_body(self) -> bool:
        """Writes always carry a JSON body (``{}`` when empty): Cal's validators expect one."""
        return bool(self.body) or self.method in ("POST", "PUT", "PATCH")


class ToolSpec(_Frozen):
    name: str = Field(pattern=r"^CAL_[A-Z0-9_]+$")
    title: str = Field(min_length=1)
    description: str = Field(min_length=20)
    annotations: Annotations
    request: RequestBinding
    input_schema: dict[str, Any] = Field(alias="inputSchema")
    # other names callers use for an argument (older Cal versions, Composio): alias → property.
    aliases: dict[str, str] = Field(default_factory=dict)
    toolset: str = ""  # filled from the folder name, never written in the file
    source: str = ""  # file path, for messages

    @property
    def properties(self) -> dict[str, Any]:
        props: dict[str, Any] = self.input_schema.get("properties", {})
        return props

    @cached_property
    def required(self) -> frozenset[str]:
        return frozenset(self.input_schema.get("required", ()))

    @cached_property
    def alias_table(self) -> dict[str, str]:
        """Folded argument name → property (``cal_mcp.argument_aliases``), built once per tool."""
        return alias_table(self.properties, self.aliases)

    def canonical_arguments(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """``arguments`` under this tool's own names; ``ArgumentError`` if two name one argument."""
        return resolve(self.name, self.properties, self.alias_table, arguments)

    @cached_property
    def id_sources(self) -> dict[str, list[str]]:
        """Argument → the tools its description names as the source of valid values (for 404 hints).

        Our descriptions always name the listing tool; derived once per tool, not on every call.
        """
        sources: dict[str, list[str]] = {}
        for name, prop in self.properties.items():
            names = TOOL_NAME.findall(str(prop.get("description", ""))) if isinstance(prop, dict) else []
            if names:
                sources[name] = list(dict.fromkeys(names))
        return sources


def _check_schema_shape(spec: ToolSpec) -> Iterable[str]:
    schema = spec.input_schema
    if schema.get("type") != "object":
        yield 'inputSchema must have "type": "object"'
    for key in schema:
        if key not in ALLOWED_TOP_LEVEL_SCHEMA_KEYS:
            yield f"inputSchema has top-level key {key!r}; only {sorted(ALLOWED_TOP_LEVEL_SCHEMA_KEYS)} are portable"
    if schema.get("additionalProperties") is not False:
        yield "inputSchema must set additionalProperties: false"
    missing = spec.required - set(spec.properties)
    if missing:
        yield f"required names unknown properties {sorted(missing)}"
    for name, prop in spec.properties.items():
        if not PROPERTY_NAME.match(name):
            yield f"property {name!r} is not a portable name (map it with request.wire)"
        if not isinstance(prop, dict) or not prop.get("description"):
            yield f"property {name!r} has no description"
    if "$ref" in json.dumps(schema):
        yield "inputSchema uses $ref; inline the definition"


def _check_aliases(spec: ToolSpec) -> Iterable[str]:
    folded_properties = {fold(name): name for name in spec.properties}
    seen: dict[str, str] = {}
    for alias, canonical in spec.aliases.items():
        if canonical not in spec.properties:
            yield f"aliases: {alias!r} points at {canonical!r}, which is not a property"
        if not PROPERTY_NAME.match(alias):
            yield f"aliases: {alias!r} is not a portable name"
        if fold(alias) in folded_properties:
            yield (f"aliases: {alias!r} is already a spelling of the property "
                   f"{folded_properties[fold(alias)]!r}; remove the alias")
        if fold(alias) in seen:
            yield f"aliases: {alias!r} and {seen[fold(alias)]!r} are one name in two spellings"
        seen[fold(alias)] = alias


def _check_binding(spec: ToolSpec) -> Iterable[str]:
    req = spec.request
    props = set(spec.properties)
    located: dict[str, list[str]] = {}
    for where, names in (("path", req.path_params), ("query", req.query), ("body", req.body)):
        for name in names:
            located.setdefault(name, []).append(where)
    for name, places in located.items():
        if len(places) > 1:
            yield f"{name!r} appears in more than one location: {places}"
        if name not in props and name not in req.fixed and name not in req.from_config:
            yield f"{places[0]} parameter {name!r} is neither a property nor fixed nor fromConfig"
    for name in props - set(located) - LOCAL_ARGUMENTS:
        yield f"property {name!r} has no location (add it to request.query or request.body or the path)"
    for name in req.path_params:
        if name in props and name not in spec.required and name not in req.from_config:
            yield f"path parameter {name!r} must be required"
    for mapping_name, mapping in (("wire", req.wire), ("fixed", req.fixed), ("fromConfig", req.from_config)):
        for name in mapping:
            if name not in located:
                yield f"request.{mapping_name} names {name!r}, which has no location"
    for name in req.fixed:
        if name in props:
            yield f"{name!r} is both fixed and a property"
    for name, setting in req.from_config.items():
        if setting not in CONFIG_SOURCES:
            yield f"fromConfig {name!r} reads unknown setting {setting!r}; known: {sorted(CONFIG_SOURCES)}"
        elif CONFIG_SOURCES[setting] and name in props:
            yield f"{name!r} is a secret filled from config and must not be a property"
    for name in props:
        wire_name = req.wire.get(name, name)
        if name.lower() in CREDENTIAL_NAMES or wire_name.lower() in CREDENTIAL_NAMES:
            yield f"property {name!r} is a credential; credentials come from configuration, never arguments"
    for name in req.omitted:
        if name in located:
            yield f"{name!r} is both sent and listed in omitted"
    if req.body_spread is not None and (
        req.body_spread not in req.body or spec.properties.get(req.body_spread, {}).get("type") != "object"
    ):
        yield f"bodySpread {req.body_spread!r} must be an object property listed in request.body"
    if req.redirect_is_answer and (req.method != "GET" or not {"state", "code"} <= set(req.query)):
        yield ("redirectIsAnswer is only for provider callbacks Cal answers with a redirect "
               "(a GET taking the provider's state and code in the query)")


def _check_rules(spec: ToolSpec) -> Iterable[str]:
    """The schema the model sees must agree with Cal's rules, and every field the tool can send must
    be one that some variant of Cal's accepts (else a call could be valid here and refused by Cal)."""
    req, rules = spec.request, spec.request.cal_rules
    argument_of = {req.wire.get(name, name): name for name in (*req.query, *req.body)}
    sent = {"body": {req.wire.get(n, n) for n in req.body}, "query": {req.wire.get(n, n) for n in req.query}}
    for variants in rules.variants:
        if variants.at in sent:
            accepted = set(variants.common).union(*(c.fields for c in variants.choices))
            for name in sorted(sent[variants.at] - accepted):
                yield f"calRules: {variants.at} field {name!r} is accepted by no variant of {variants.source}"
    for at in {*(v.at for v in rules.variants), *(r.at for r in rules.fields)} - set(sent):
        top, _, inner = at.partition(".")
        if inner.removesuffix("[]") not in sent[top] | set(req.omitted):
            yield f"calRules: {at!r} names no {top} field this tool sends or omits"
    for rule in rules.fields:
        if rule.at not in sent or rule.when:
            continue
        name = argument_of.get(rule.field, rule.field)
        prop = spec.properties.get(name)
        if prop is None and rule.field in req.omitted and not (rule.required or rule.min_items):
            continue  # Cal's check of a field the tool never sends: for the sandbox, which sees every request
        if prop is None:
            yield f"calRules: {rule.at} field {rule.field!r} is not an argument of this tool"
            continue
        if rule.required and name not in spec.required and name not in req.fixed:
            yield f"calRules: Cal requires {rule.field!r} ({rule.source}); list it in inputSchema.required"
        if rule.min_items is not None and prop.get("minItems", 0) < rule.min_items:
            yield f"calRules: Cal requires {rule.min_items}+ items in {rule.field!r}; set minItems in inputSchema"


def _parse(path: Path, toolset: str) -> ToolSpec:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SpecError(f"{path}: not readable JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise SpecError(f"{path}: top level must be an object")
    for key in ("toolset", "source"):
        if key in raw:
            raise SpecError(f"{path}: {key!r} is derived, not written in the file")
    schema = raw.get("inputSchema")
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if isinstance(schema, dict) and isinstance(properties, dict):
        if FULL_ARGUMENT in properties:
            raise SpecError(f"{path}: {FULL_ARGUMENT!r} is added by the server, not written in the file")
        if raw.get("name") in TOOL_SHAPES:
            raw["inputSchema"] = {**schema, "properties": {**properties, FULL_ARGUMENT: dict(FULL_PROPERTY)}}
    try:
        spec = ToolSpec.model_validate({**raw, "toolset": toolset, "source": str(path)})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors(include_url=False)
        )
        raise SpecError(f"{path}: {problems}") from None
    if path.stem != spec.name:
        raise SpecError(f"{path}: file name must equal the tool name {spec.name!r}")
    problems_found = [*_check_schema_shape(spec), *_check_aliases(spec), *_check_binding(spec), *_check_rules(spec)]
    if problems_found:
        raise SpecError(f"{path}: " + "; ".join(problems_found))
    return spec


def default_specs_dir() -> Path:
    """The packaged ``cal_mcp/tool_specs`` in a wheel, else the repository's ``tool_specs/``."""
    packaged = resources.files("cal_mcp") / "tool_specs"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "tool_specs"


def load_specs(directory: Path | None = None, *, check_schemas: bool = False) -> tuple[ToolSpec, ...]:
    """Load every ``<toolset>/<TOOL>.json`` under ``directory``, sorted by name.

    ``check_schemas`` meta-validates each input schema with jsonschema: slow (~5 ms a tool), so the
    server never does it at start-up; the test suite does.
    """
    root = directory or default_specs_dir()
    if not root.is_dir():
        raise SpecError(f"{root}: tool spec folder not found")
    specs: dict[str, ToolSpec] = {}
    for path in sorted(root.glob("*/*.json")):
        spec = _parse(path, path.parent.name)
        if spec.name in specs:
            raise SpecError(f"{path}: duplicate tool name {spec.name!r} (also in {specs[spec.name].source})")
        specs[spec.name] = spec
    if check_schemas:
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import SchemaError

        for spec in specs.values():
            try:
                Draft202012Validator.check_schema(spec.input_schema)
            except SchemaError as exc:
                raise SpecError(f"{spec.source}: invalid inputSchema: {exc.message}") from None
    return tuple(sorted(specs.values(), key=lambda s: s.name))
