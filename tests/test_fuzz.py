"""Fuzzing every tool's arguments: valid ones make a request, invalid ones a precise error, never a crash.

Valid arguments come from each input schema through hypothesis-jsonschema; invalid ones are
valid ones mutated (a wrong type, an unknown key, a required key removed). Calls go through the
whole app to an ``httpx.MockTransport`` that answers ``200 {"status":"success","data":{}}``.
A sample also goes through the in-memory MCP client in the handshake era, where a handler's
exception would otherwise surface as a protocol error. Bounded: a few examples per tool.
"""

from __future__ import annotations

import re
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from mcp import Client

from cal_mcp import time_zones
from cal_mcp.app import CalMcpApp
from cal_mcp.cal_rules import check as check_cal_rules
from cal_mcp.cal_rules import normalise
from cal_mcp.config import Settings
from cal_mcp.handlers.phone_call import ORG_ROUTE
from cal_mcp.registry import Registry, load_registry
from cal_mcp.request_builder import build_request
from cal_mcp.specs import ToolSpec
from cal_mcp.validation import time_zone_values

REGISTRY: Registry = load_registry()
SPECS = REGISTRY.specs
FUZZ = settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None)
# Refused on purpose in a path segment (URL normalisation would turn them into another endpoint).
DOT_SEGMENTS = ("", ".", "..")
WRONG_VALUES: dict[str, list[Any]] = {
    "string": [7, True, None, ["x"], {"k": "v"}],
    "integer": ["7", 1.5, True, None, [1], {"k": 1}],
    "number": ["1.5", True, None, [1.5]],
    "boolean": ["true", 1, None, [True]],
    "array": ["a,b", 1, None, {"k": "v"}],
    "object": ["{}", 1, None, ["k"]],
}
# Tools that look something up before their own request, and the route that request then takes.
LOOKUPS = {"CAL_CREATE_PHONE_CALL_FOR_EVENT_TYPE": ORG_ROUTE}
TEAM_PATH = re.compile(r"^/v2/teams/[^/]+$")


def settings_for_fuzz() -> Settings:
    return Settings(
        api_key="cal_test_key", oauth_client_id="client-1", oauth_client_secret="oauth_secret",
        base_url="http://cal.test", rate_limit_per_minute=0, sandbox=False, max_retries=0,
    )


async def call(spec: ToolSpec, arguments: dict[str, Any]) -> tuple[Any, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "GET" and TEAM_PATH.match(request.url.path):  # a team inside an organization
            return httpx.Response(200, json={"status": "success", "data": {"id": 1, "parentId": 501}})
        return httpx.Response(200, json={"status": "success", "data": {}})

    app = CalMcpApp(settings_for_fuzz(), REGISTRY, transport=httpx.MockTransport(answer))
    try:
        return await app.call_tool(spec.name, arguments), seen
    finally:
        await app.aclose()


def run(spec: ToolSpec, arguments: dict[str, Any]) -> tuple[Any, list[httpx.Request]]:
    return anyio.run(call, spec, arguments)


def dot_segment_in_path(spec: ToolSpec, arguments: dict[str, Any]) -> str | None:
    for name in spec.request.path_params:
        if isinstance(arguments.get(name), str) and arguments[name] in DOT_SEGMENTS:
            return name
    return None


def breaks_cal_rules(spec: ToolSpec, arguments: dict[str, Any]) -> bool:
    """Whether schema-valid arguments still make a request that Cal's own rules refuse (``request.calRules``)."""
    rules = spec.request.cal_rules
    if rules.is_empty():
        return False
    request = build_request(spec, arguments, {"oauth_client_id": "client-1", "api_key": "cal_test_key"})
    body, query = normalise(rules, body=request.json, query=request.query)
    return bool(check_cal_rules(rules, body=body, query=dict(query)))


def breaks_time_zone_rule(arguments: dict[str, Any]) -> bool:
    """Whether a ``timeZone`` argument (at any depth) is no IANA name: refused before sending, with close matches."""
    return any(not time_zones.is_known(value) for _, value in time_zone_values(arguments))


def requests_made(spec: ToolSpec) -> int:
    return 1 + (spec.name in LOOKUPS)


def assert_refused(result: Any, seen: list[httpx.Request], arguments: dict[str, Any]) -> None:
    assert result.is_error, f"accepted invalid arguments {arguments!r}"
    error = result.structured_content["error"]
    assert error["kind"] == "invalid_arguments", error
    assert isinstance(error.get("field"), str) and error["field"], error
    assert seen == []


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def schema_values(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values valid for ``schema``.

    hypothesis-jsonschema 0.23.1 (its latest release) fails on every object schema with the
    installed Hypothesis (``AttributeError: 'many' object has no attribute 'more'``: it uses
    Hypothesis internals that changed). So objects and arrays are composed here, and
    hypothesis-jsonschema draws every scalar: strings with their formats, patterns and lengths,
    bounded integers, enums.
    """
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", ()))
        fixed = st.fixed_dictionaries(
            {name: schema_values(properties[name]) for name in properties if name in required},
            optional={name: schema_values(properties[name]) for name in properties if name not in required},
        )
        if schema.get("additionalProperties", True) is not False and not properties:
            return st.dictionaries(st.text(min_size=1, max_size=8), JSON_VALUES, max_size=3)
        return fixed
    if kind == "array":
        return st.lists(schema_values(schema.get("items", {})), min_size=schema.get("minItems", 0),
                        max_size=max(3, schema.get("minItems", 0)))
    if kind is None and "enum" not in schema:
        return JSON_VALUES
    return from_schema(schema)


def strategy(spec: ToolSpec) -> st.SearchStrategy[dict[str, Any]]:
    return schema_values(spec.input_schema)


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_valid_arguments_from_the_schema_make_exactly_one_request(spec: ToolSpec) -> None:
    @FUZZ
    @given(arguments=strategy(spec))
    def check(arguments: dict[str, Any]) -> None:
        result, seen = run(spec, arguments)
        dotted = dot_segment_in_path(spec, arguments)
        if dotted is not None:  # the schema allows it, the endpoint rule does not
            assert result.structured_content["error"]["field"] == dotted
            assert seen == []
            return
        if breaks_cal_rules(spec, arguments) or breaks_time_zone_rule(arguments):
            assert_refused(result, seen, arguments)  # the schema allows it, Cal's DTOs do not
            return
        assert not result.is_error, (arguments, result.content[0].text)
        assert len(seen) == requests_made(spec)
        request = seen[-1]
        assert request.method == spec.request.method
        template = LOOKUPS.get(spec.name, spec.request.path).split("/")
        sent = request.url.raw_path.decode("ascii").split("?", 1)[0].split("/")
        assert len(sent) == len(template)
        assert all(t == s for t, s in zip(template, sent, strict=True) if not t.startswith("{"))

    check()


def mutations(spec: ToolSpec) -> st.SearchStrategy[dict[str, Any]]:
    """Valid arguments broken in one way the schema forbids."""
    typed = {
        name: prop["type"]
        for name, prop in spec.properties.items()
        if isinstance(prop.get("type"), str) and prop["type"] in WRONG_VALUES
    }

    @st.composite
    def broken(draw: st.DrawFn) -> dict[str, Any]:
        arguments = dict(draw(strategy(spec)))
        kinds = ["extra"]
        if typed:
            kinds.append("wrong_type")
        if spec.required & set(arguments):
            kinds.append("missing")
        kind = draw(st.sampled_from(kinds))
        if kind == "extra":
            key = draw(st.text(min_size=1, max_size=12).filter(lambda k: k not in spec.properties))
            arguments[key] = draw(st.sampled_from(["x", 1, None, [], {}]))
        elif kind == "wrong_type":
            name = draw(st.sampled_from(sorted(typed)))
            wrong = WRONG_VALUES[typed[name]]
            if name not in spec.required:
                # null for an optional argument means "left out" (models send it that way), not an error.
                wrong = [value for value in wrong if value is not None]
            arguments[name] = draw(st.sampled_from(wrong))
        else:
            del arguments[draw(st.sampled_from(sorted(spec.required & set(arguments))))]
        return arguments

    return broken()


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_mutated_arguments_are_refused_naming_a_field_before_any_request(spec: ToolSpec) -> None:
    @FUZZ
    @given(arguments=mutations(spec))
    def check(arguments: dict[str, Any]) -> None:
        result, seen = run(spec, arguments)
        assert_refused(result, seen, arguments)

    check()


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_hostile_shapes_never_crash_a_tool(spec: ToolSpec) -> None:
    """Whatever lands in the arguments object, the answer is a result, never an internal error."""
    values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
        max_leaves=8,
    )
    keys = st.sampled_from(sorted(spec.properties) or ["x"]) | st.text(max_size=10)

    @FUZZ
    @given(arguments=st.dictionaries(keys, values, max_size=4))
    def check(arguments: dict[str, Any]) -> None:
        result, seen = run(spec, arguments)
        if result.is_error:
            error = result.structured_content["error"]
            assert error["kind"] == "invalid_arguments", error
            assert error.get("field"), error
            assert seen == []
        else:
            assert len(seen) == requests_made(spec)

    check()


def test_an_unknown_argument_with_an_empty_name_is_named_in_the_error() -> None:
    spec = REGISTRY.get("CAL_RETRIEVE_MY_INFORMATION")
    assert spec is not None
    result, seen = run(spec, {"": None})
    assert_refused(result, seen, {"": None})


SAMPLE = [s for s in SPECS if re.search(r"BOOKING|SCHEDULE|WEBHOOK|OAUTH", s.name)][:12]


@pytest.mark.parametrize("spec", SAMPLE, ids=[s.name for s in SAMPLE])
def test_over_the_handshake_protocol_fuzzed_calls_are_results_not_protocol_errors(spec: ToolSpec) -> None:
    collected: list[dict[str, Any]] = []

    @FUZZ
    @given(arguments=strategy(spec) | mutations(spec))
    def collect(arguments: dict[str, Any]) -> None:
        collected.append(arguments)

    collect()

    async def over_the_wire() -> None:
        app = CalMcpApp(settings_for_fuzz(), REGISTRY,
                        transport=httpx.MockTransport(lambda r: httpx.Response(200, json={"data": {}})))
        try:
            async with Client(app.build_server(), mode="legacy") as client:
                for arguments in collected:
                    result = await client.call_tool(spec.name, arguments)  # raises on a protocol error
                    if result.is_error:
                        assert result.structured_content["error"]["kind"] == "invalid_arguments"
        finally:
            await app.aclose()

    anyio.run(over_the_wire)
