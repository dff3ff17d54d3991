"""Helpers for the contract test: Cal's OpenAPI specs, an httpx adapter for openapi-core, argument generation.

Kept apart from ``test_contract.py`` so the test module reads as the list of checks and exemptions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

import httpx

# One definition of the spec rewrites, shared with the sandbox facts generator (scripts/gen_cal_api_facts.py).
from cal_mcp.sandbox.openapi_rewrites import HH_MM, PATTERN_CONSTANTS, SPEC_REWRITES, normalise  # noqa: F401
from tests.conftest import require_shared

MAP_FILE = "tool-endpoint-map.json"
BASE_URL = "https://api.cal.com"
CONFIG = {"oauth_client_id": "client-1", "api_key": "cal_test_key"}
OAUTH_SECRET = "secret-1"


def shared_dir() -> Path:
    """``../shared/cal-api``: skips when absent, except under CI=true, where that is a failure."""
    return require_shared("cal-api", MAP_FILE).parent


def seed_text() -> str:
    return require_shared("seed", "cal-toolkit.txt").read_text(encoding="utf-8")


# --- the map and the raw OpenAPI documents ----------------------------------------------------------


@cache
def map_records() -> dict[str, dict[str, Any]]:
    """The map's record per seed tool, plus one per tool added beyond the seed (``beyond_seed_record``)."""
    records = json.loads((shared_dir() / MAP_FILE).read_text(encoding="utf-8"))
    by_name = {r["name"]: r for r in records}
    from cal_mcp.specs import load_specs

    for spec in load_specs():
        if spec.name not in by_name:
            by_name[spec.name] = beyond_seed_record(spec.name, spec.request.method, spec.request.path)
    return by_name


NEWEST_SPEC = "openapi-2026-03-11.json"
# Cal states a route's required version in prose where the header parameter has no default.
VERSION_IN_PROSE = re.compile(r"Must be set to (\d{4}-\d{2}-\d{2})")


def beyond_seed_record(name: str, method: str, path: str) -> dict[str, Any]:
    """A map-shaped record for a tool the seed map does not list: the newest spec's operation at the
    spec file's method and path (a KeyError when the spec has none), its version and its auth."""
    op = operation(NEWEST_SPEC, method, path)
    declared = declared_parameters(NEWEST_SPEC, method, path)
    version_param = declared.get(("header", "cal-api-version"))
    version = None
    if version_param is not None:
        version = version_param.get("schema", {}).get("default")
        prose = VERSION_IN_PROSE.search(version_param.get("description", ""))
        version = version or (prose.group(1) if prose else None)
    return {
        "name": name, "method": method, "path": path, "operation_id": op["operationId"], "spec_file": NEWEST_SPEC,
        "cal_api_version": version, "auth": "api_key",
    }


@cache
def map_names() -> tuple[str, ...]:
    """Tool names in seed order."""
    records = json.loads((shared_dir() / MAP_FILE).read_text(encoding="utf-8"))
    return tuple(r["name"] for r in records)


@cache
def raw_openapi(spec_file: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((shared_dir() / spec_file).read_text(encoding="utf-8"))
    return data


def resolve(document: Mapping[str, Any], node: Any) -> Any:
    """Follow local ``$ref``s (``#/components/...``) until a non-reference node."""
    seen: set[str] = set()
    while isinstance(node, Mapping) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/") or ref in seen:
            raise ValueError(f"unsupported or cyclic $ref {ref!r}")
        seen.add(ref)
        target: Any = document
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def operation(spec_file: str, method: str, path: str) -> dict[str, Any]:
    item = raw_openapi(spec_file)["paths"][path]
    op: dict[str, Any] = item[method.lower()]
    return op


def declared_parameters(spec_file: str, method: str, path: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(location, name) -> parameter object, operation-level overriding path-item-level."""
    document = raw_openapi(spec_file)
    item = document["paths"][path]
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*item.get("parameters", ()), *item[method.lower()].get("parameters", ())]:
        param = resolve(document, raw)
        found[(param["in"], param["name"])] = param
    return found


def body_schema(spec_file: str, method: str, path: str) -> dict[str, Any] | None:
    document = raw_openapi(spec_file)
    request_body = resolve(document, operation(spec_file, method, path).get("requestBody"))
    if not request_body:
        return None
    media = request_body.get("content", {}).get("application/json")
    if media is None:
        return None
    schema: dict[str, Any] = resolve(document, media.get("schema", {}))
    return schema


def body_required(spec_file: str, method: str, path: str) -> bool:
    document = raw_openapi(spec_file)
    request_body = resolve(document, operation(spec_file, method, path).get("requestBody"))
    return bool(request_body and request_body.get("required"))


def top_level_properties(document: Mapping[str, Any], schema: Any) -> set[str]:
    """Property names of an object schema: union over allOf/anyOf/oneOf alternatives, $refs resolved."""
    schema = resolve(document, schema)
    if not isinstance(schema, Mapping):
        return set()
    names = set(schema.get("properties", {}))
    for key in ("allOf", "anyOf", "oneOf"):
        for alternative in schema.get(key, ()):
            names |= top_level_properties(document, alternative)
    return names


@cache
def normalised_openapi(spec_file: str) -> tuple[dict[str, Any], dict[str, int]]:
    fired = dict.fromkeys(SPEC_REWRITES, 0)
    document: dict[str, Any] = normalise(raw_openapi(spec_file), fired)
    return document, fired


@cache
def openapi_app(spec_file: str) -> Any:
    """openapi-core's ``OpenAPI`` for one spec file (normalised), loaded once per session.

    Spec meta-validation is off: Cal's generated specs fail it in harmless places (MAP-NOTES).
    """
    from openapi_core import Config, OpenAPI

    document, _ = normalised_openapi(spec_file)
    return OpenAPI.from_dict(document, config=Config(spec_validator_cls=None))


def path_template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^{}]+\})", template)
    pattern = "".join(
        f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") and p.endswith("}") else re.escape(p) for p in parts
    )
    return re.compile(f"^{pattern}$")


# --- openapi-core's request protocol over an httpx.Request -----------------------------------------


class HttpxOpenAPIRequest:
    """openapi-core ``Request`` protocol for an ``httpx.Request`` (openapi-core ships no httpx adapter).

    ``path_pattern`` (optional, openapi-core's ``SupportsPathPattern``) pins the operation; path
    parameters then come from matching the real path against it.
    """

    def __init__(self, request: httpx.Request, path_pattern: str | None = None) -> None:
        from openapi_core.datatypes import RequestParameters
        from werkzeug.datastructures import Headers, ImmutableMultiDict

        self.request = request
        url = request.url
        self.host_url = f"{url.scheme}://{url.netloc.decode('ascii')}"
        self.path = url.path  # percent-decoded
        path_values: dict[str, str] = {}
        if path_pattern is not None:
            self.path_pattern = path_pattern
            raw_path = url.raw_path.decode("ascii").split("?", 1)[0]
            match = path_template_regex(path_pattern).match(raw_path)
            if match is None:
                raise AssertionError(f"{raw_path} does not match the operation path {path_pattern}")
            path_values = {k: unquote(v) for k, v in match.groupdict().items()}
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qsl(url.query.decode("ascii"), keep_blank_values=True)),
            header=Headers(list(request.headers.multi_items())),
            cookie=ImmutableMultiDict(),
            path=path_values,
        )

    @property
    def method(self) -> str:
        return self.request.method.lower()

    @property
    def body(self) -> bytes | None:
        return self.request.content or None

    @property
    def content_type(self) -> str:
        return self.request.headers.get("content-type", "").lower()


# --- deterministic arguments from a JSON Schema -----------------------------------------------------

FORMAT_SAMPLES = {
    "date-time": "2026-12-01T09:00:00Z",
    "date": "2026-12-01",
    "email": "a@example.com",
    "uri": "https://example.com/hook",
}
# Patterns used by tool input schemas, each with a value that matches it.
PATTERN_SAMPLES = {
    HH_MM: "09:00",
    r"^\+[1-9]\d{1,14}$": "+14155550123",  # E.164
}


def generate(schema: Mapping[str, Any], *, everything: bool, name: str = "value") -> Any:
    """A valid value for ``schema``; ``everything`` fills every optional property, else only required ones.

    No randomness: the same schema always gives the same value, so a failure is reproducible.
    """
    if "enum" in schema:
        return schema["enum"][-1 if everything else 0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    if kind == "object" or (kind is None and "properties" in schema):
        required = set(schema.get("required", ()))
        return {
            prop: generate(sub, everything=everything, name=prop)
            for prop, sub in schema.get("properties", {}).items()
            if everything or prop in required
        }
    if kind == "array":
        count = max(1, int(schema.get("minItems", 1)))
        item = generate(schema.get("items", {"type": "string"}), everything=everything, name=name)
        if schema.get("uniqueItems") and count > 1:
            raise ValueError(f"{name}: cannot make {count} unique items deterministically")
        return [item] * count
    if kind == "integer":
        return _number(schema, 1)
    if kind == "number":
        return _number(schema, 1.5)
    if kind == "boolean":
        return True
    if kind == "string":
        return _string(schema, name)
    raise ValueError(f"{name}: no generator for schema {json.dumps(schema)[:200]}")


def _number(schema: Mapping[str, Any], default: float) -> Any:
    value = default
    if "minimum" in schema:
        value = max(value, schema["minimum"])
    if "exclusiveMinimum" in schema:
        value = max(value, schema["exclusiveMinimum"] + 1)
    if "maximum" in schema:
        value = min(value, schema["maximum"])
    if "exclusiveMaximum" in schema:
        value = min(value, schema["exclusiveMaximum"] - 1)
    return value


def _string(schema: Mapping[str, Any], name: str) -> str:
    fmt = schema.get("format")
    if fmt is not None:
        if fmt not in FORMAT_SAMPLES:
            raise ValueError(f"{name}: no sample for format {fmt!r}; add one to FORMAT_SAMPLES")
        value = FORMAT_SAMPLES[fmt]
    elif "pattern" in schema:
        if schema["pattern"] not in PATTERN_SAMPLES:
            raise ValueError(f"{name}: no sample for pattern {schema['pattern']!r}; add one to PATTERN_SAMPLES")
        value = PATTERN_SAMPLES[schema["pattern"]]
    elif name.split(".")[-1].lower() == "timezone":
        value = "Europe/London"  # the server refuses a time zone that is not an IANA name before sending
    else:
        value = f"{name}-1"
    min_length = int(schema.get("minLength", 0))
    if len(value) < min_length:
        value += "x" * (min_length - len(value))
    max_length = schema.get("maxLength")
    if max_length is not None and len(value) > max_length:
        value = value[:max_length]
    return value


def describe_error(error: BaseException) -> str:
    """One line per problem for an openapi-core error: the schema errors inside it, with their JSON paths."""
    cause = error.__cause__
    schema_errors = getattr(error, "schema_errors", None) or getattr(cause, "schema_errors", None) or ()
    if not schema_errors:
        return f"{type(error).__name__}: {error}"
    lines = []
    for nested in schema_errors:
        for leaf in leaves(nested):
            where = "/".join(str(p) for p in leaf.absolute_path) or "(top)"
            lines.append(f"{where}: {leaf.message}")
    return f"{type(error).__name__}: " + "; ".join(dict.fromkeys(lines))


def leaves(error: Any) -> Iterator[Any]:
    """The most specific jsonschema errors under ``error`` (anyOf alternatives are expanded)."""
    if error.context:
        for sub in error.context:
            yield from leaves(sub)
    else:
        yield error
