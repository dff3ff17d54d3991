"""No argument can change which endpoint a tool calls.

For every tool and every path parameter a model controls, hostile values (separators, dot
segments, query and fragment markers, encoded slashes, control and non-ASCII characters) are
either refused before anything is sent, naming the field, or they arrive as exactly one
percent-encoded segment: the request has the template's number of segments and every other
segment is the template's own. Checked on ``build_request`` itself and on what reaches an
``httpx.MockTransport`` through the whole app (the raw path on the wire, not a decoded one).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote, unquote

import httpx
import pytest

from cal_mcp.app import CalMcpApp
from cal_mcp.cal_formats import FORMATS
from cal_mcp.config import Settings
from cal_mcp.errors import ArgumentError
from cal_mcp.registry import load_registry
from cal_mcp.request_builder import build_request
from cal_mcp.specs import ToolSpec
from cal_mcp.validation import apply_cal_rules, validate_arguments

SPECS = load_registry().specs
HOSTILE = ["/", "..", ".", "?", "#", "%2F", "a/../b", "x y", "\t", "\n", "\x00", "é", "😀"]
CONFIG = {"oauth_client_id": "client-1", "api_key": "cal_test_key"}
FORMAT_SAMPLES = {
    "date-time": "2026-12-01T09:00:00Z",
    "date": "2026-12-01",
    "email": "ada@example.com",
    "uri": "https://example.com/hook",
}
PATTERN_CANDIDATES = ["x", "+14155550123", "abc", "1", "a-b"]


def sample(schema: dict[str, Any]) -> Any:
    """The smallest value that satisfies ``schema`` (required members only)."""
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return True
    if kind == "array":
        return [sample(schema.get("items", {"type": "string"})) for _ in range(max(1, schema.get("minItems", 1)))]
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: sample(properties[name]) for name in schema.get("required", ())}
    if schema.get("format") in FORMAT_SAMPLES:
        return FORMAT_SAMPLES[schema["format"]]
    if "pattern" in schema:
        matching = [c for c in PATTERN_CANDIDATES if re.search(schema["pattern"], c)]
        assert matching, f"add a sample for pattern {schema['pattern']!r} to PATTERN_CANDIDATES"
        return matching[0]
    return "x" * max(1, schema.get("minLength", 1))


def minimal_arguments(spec: ToolSpec) -> dict[str, Any]:
    """The required arguments, each a value Cal accepts: formats the spec's calRules demand (a URL, a time
    zone) get their example, as the schema alone does not say them."""
    arguments: dict[str, Any] = sample(spec.input_schema)
    rules = spec.request.cal_rules
    for variants in rules.variants:  # a nested object's variant may require more than its schema (location.address)
        inner = variants.at.partition(".")[2]
        target = arguments.get(inner)
        if not isinstance(target, dict):
            continue
        choice = next((c for c in variants.choices if c.when is None or c.when.holds(target)), None)
        properties = spec.properties[inner].get("properties", {})
        for name in choice.required if choice else ():
            target.setdefault(name, sample(properties[name]))
    for rule in rules.fields:
        if rule.format is None:
            continue
        inner = rule.at.partition(".")[2]
        if not inner:
            targets = [arguments]
        else:
            found = arguments.get(inner.removesuffix("[]"))
            targets = found if isinstance(found, list) else [found]
        for target in targets:
            if isinstance(target, dict) and isinstance(target.get(rule.field), str):
                target[rule.field] = FORMATS[rule.format].example
    return arguments


def path_params_of_type(kind: str) -> list[tuple[ToolSpec, str]]:
    return [
        (spec, name)
        for spec in SPECS
        for name in spec.request.path_params
        if spec.properties.get(name, {}).get("type") == kind
    ]


STRING_PARAMS = path_params_of_type("string")
INTEGER_PARAMS = path_params_of_type("integer")


def ids(cases: list[tuple[ToolSpec, str]]) -> list[str]:
    return [f"{spec.name}.{name}" for spec, name in cases]


def test_the_inventory_has_path_parameters_of_both_kinds() -> None:
    assert len(STRING_PARAMS) >= 40 and len(INTEGER_PARAMS) >= 100
    for spec in SPECS:  # every minimal argument set is itself valid, so refusals below are the hostile value's
        validate_arguments(spec, minimal_arguments(spec))
    for spec in {spec.name: spec for spec, _ in STRING_PARAMS}.values():  # and Cal's rules accept them
        apply_cal_rules(spec, build_request(spec, minimal_arguments(spec), CONFIG))


def assert_one_segment(spec: ToolSpec, param: str, value: str, arguments: dict[str, Any], path: str) -> None:
    template = spec.request.path.split("/")
    sent = path.split("/")
    assert len(sent) == len(template), f"{spec.name}: {value!r} in {param} changed the path to {path!r}"
    for wanted, got in zip(template, sent, strict=True):
        if wanted == f"{{{param}}}":
            assert unquote(got, errors="strict") == value
            assert quote(value, safe="") == got
        elif wanted.startswith("{"):
            name = wanted[1:-1]
            other = arguments.get(name, spec.request.fixed.get(name))
            if other is None and name in spec.request.from_config:
                other = CONFIG[spec.request.from_config[name]]
            assert got == quote(str(other), safe=""), f"{spec.name}: segment {wanted} became {got!r}"
        else:
            assert got == wanted, f"{spec.name}: literal segment {wanted!r} became {got!r}"


@pytest.mark.parametrize(("spec", "param"), STRING_PARAMS, ids=ids(STRING_PARAMS))
def test_build_request_keeps_a_hostile_string_in_its_one_segment(spec: ToolSpec, param: str) -> None:
    for value in HOSTILE:
        arguments = {**minimal_arguments(spec), param: value}
        try:
            request = build_request(spec, arguments, CONFIG)
        except ArgumentError as refused:
            assert refused.field == param
            assert value in (".", "..")
            continue
        assert "?" not in request.path and "#" not in request.path
        assert_one_segment(spec, param, value, arguments, request.path)


def test_build_request_refuses_dot_segments_and_names_the_field() -> None:
    spec = next(s for s in SPECS if s.name == "CAL_RETRIEVE_BOOKING_DETAILS_BY_UID")
    for value in (".", ".."):
        with pytest.raises(ArgumentError) as refused:
            build_request(spec, {"bookingUid": value}, CONFIG)
        assert refused.value.field == "bookingUid"


class Recorder:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json={"status": "success", "data": {}})


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def app(recorder: Recorder) -> AsyncIterator[CalMcpApp]:
    settings = Settings(
        api_key="cal_test_key", oauth_client_id="client-1", oauth_client_secret="oauth_secret",
        base_url="http://cal.test", rate_limit_per_minute=0, sandbox=False, max_retries=0,
    )
    application = CalMcpApp(settings, load_registry(), transport=httpx.MockTransport(recorder))
    yield application
    await application.aclose()


@pytest.mark.parametrize(("spec", "param"), STRING_PARAMS, ids=ids(STRING_PARAMS))
async def test_through_the_app_a_hostile_string_is_refused_or_sent_as_one_segment(
    spec: ToolSpec, param: str, app: CalMcpApp, recorder: Recorder
) -> None:
    for value in HOSTILE:
        recorder.requests.clear()
        arguments = {**minimal_arguments(spec), param: value}
        result = await app.call_tool(spec.name, arguments)
        if result.is_error:
            error = result.structured_content["error"]
            assert (error["kind"], error.get("field")) == ("invalid_arguments", param), error
            assert recorder.requests == []  # refused before any request
            continue
        assert len(recorder.requests) == 1
        url = recorder.requests[0].url
        assert url.host == "cal.test"
        raw_path = url.raw_path.decode("ascii").split("?", 1)[0]
        assert_one_segment(spec, param, value, arguments, raw_path)


@pytest.mark.parametrize(("spec", "param"), INTEGER_PARAMS, ids=ids(INTEGER_PARAMS))
async def test_an_integer_path_parameter_refuses_any_string(
    spec: ToolSpec, param: str, app: CalMcpApp, recorder: Recorder
) -> None:
    for value in ("../1", "1/2", "7"):
        result = await app.call_tool(spec.name, {**minimal_arguments(spec), param: value})
        assert result.is_error
        error = result.structured_content["error"]
        assert (error["kind"], error.get("field")) == ("invalid_arguments", param), error
    assert recorder.requests == []
