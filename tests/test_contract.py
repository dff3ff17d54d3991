"""Contract test: every tool's request is one Cal.com API v2 accepts, per Cal's own OpenAPI specs.

For each tool, arguments are generated from its input schema twice (required only, with the first enum
values; every property, with the last), deterministically, checked by the server's own argument
validation, built into a request as ``CalClient`` would send it, and validated with openapi-core against
the operation ``../shared/cal-api/tool-endpoint-map.json`` cites for the 141 seed tools (for tools added
beyond the seed: the newest spec's operation at the tool's method and path): method, path,
query, headers and body. Because Cal's object schemas are loose (a misspelt field passes), every query
parameter and top-level body field sent must also be declared by the operation, and conversely every
declared parameter and body field must be exposed (argument, wire name, fixed, fromConfig) or listed in
``request.omitted`` with a reason. The specs' quirks are described in ``../shared/cal-api/MAP-NOTES.md``.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import replace
from typing import Any

import httpx
import pytest

from cal_mcp.request_builder import CalRequest, build_request
from cal_mcp.specs import ToolSpec, load_specs
from cal_mcp.validation import validate_arguments
from tests.contract_support import (
    BASE_URL,
    CONFIG,
    NEWEST_SPEC,
    OAUTH_SECRET,
    SPEC_REWRITES,
    HttpxOpenAPIRequest,
    body_required,
    body_schema,
    declared_parameters,
    describe_error,
    generate,
    map_names,
    map_records,
    normalised_openapi,
    openapi_app,
    operation,
    raw_openapi,
    seed_text,
    shared_dir,
    top_level_properties,
)

SPECS: dict[str, ToolSpec] = {spec.name: spec for spec in load_specs()}

# Headers the server adds from configuration (or the spec's apiVersion), never arguments.
SERVER_HEADERS = frozenset({"authorization", "x-cal-secret-key", "x-cal-client-id", "cal-api-version"})

# (tool, parameter or field name) -> why the tool's request may differ from the operation there.
# Each one is checked to still be needed: an exemption no check uses fails the test.
EXEMPTIONS: dict[tuple[str, str], str] = {
    ("CAL_RETRIEVE_CALENDAR_BUSY_TIMES", "credentialId"): (
        "the spec flattens the calendar list into a required `credentialId` query parameter, but Cal's "
        "server (CalendarBusyTimesInput) reads calendarsToLoad[0][credentialId], which the tool sends, as "
        "Cal.com's own MCP server does (MAP-NOTES: busy-times)"
    ),
    ("CAL_RETRIEVE_CALENDAR_BUSY_TIMES", "externalId"): (
        "as credentialId: the server reads calendarsToLoad[0][externalId] (MAP-NOTES: busy-times)"
    ),
    **{
        ("CAL_PATCH_ORGANIZATION_USER_DETAILS", field): (
            "the spec renders the body, UpdateOrganizationUserInput, as an empty object, but the type in "
            "Cal's source accepts the user fields email, username and timeZone, which the tool exposes"
        )
        for field in ("email", "username", "timeZone")
    },
    **{
        ("CAL_UPDATE_ORG_TEAM_EVENT_TYPE_PRIVATE_LINK", field): (
            "the spec declares no body for the organization team's private-link PATCH, because Cal types it "
            "`Omit<UpdatePrivateLinkInput, \"linkId\">` (no class for Swagger), yet the controller passes that "
            "body's expiresAt and maxUsageCount to the update (apps/api/v2/src/ee/event-types-private-links/"
            "controllers/organizations-event-types-private-links.controller.ts)"
        )
        for field in ("expiresAt", "maxUsageCount")
    },
    ("CAL_CREATE_PHONE_CALL_FOR_EVENT_TYPE", "orgId"): (
        "the team create-phone-call route declares a required `orgId` path parameter its URL "
        "/v2/teams/{teamId}/event-types/{eventTypeId}/create-phone-call does not have (MAP-NOTES)"
    ),
}


# Tools whose schema-generated required-only arguments break one of their calRules (the schema cannot say
# "a value field goes with each type"): the minimal arguments a caller must send instead.
REQUIRED_ONLY_ARGUMENTS: dict[str, dict[str, Any]] = {
    "CAL_UPDATE_BOOKING_LOCATION": {
        "bookingUid": "bookingUid-1", "location": {"type": "address", "address": "1 Main St"},
    },
}


def _exempt(name: str, key: str, used: set[tuple[str, str]]) -> bool:
    if (name, key) in EXEMPTIONS:
        used.add((name, key))
        return True
    return False


def _to_httpx(request: CalRequest, spec: ToolSpec) -> httpx.Request:
    """The request ``CalClient`` would send: the builder's headers plus the configured credential."""
    headers = dict(request.headers)
    if spec.request.auth == "oauth_client":
        headers["x-cal-secret-key"] = OAUTH_SECRET
    else:
        headers["Authorization"] = f"Bearer {CONFIG['api_key']}"
    return httpx.Request(
        request.method, BASE_URL + request.path, params=list(request.query), headers=headers, json=request.json
    )


def _openapi_problems(
    spec: ToolSpec, record: dict[str, Any], http_request: httpx.Request, used: set[tuple[str, str]]
) -> list[str]:
    """openapi-core's verdict on the request, against the cited operation (pinned by its path pattern)."""
    from openapi_core.templating.paths.finders import APICallPathFinder
    from openapi_core.validation.request.exceptions import ParameterValidationError

    app = openapi_app(record["spec_file"])
    problems: list[str] = []
    # Cal routes the real URL: it must not land on another operation (a literal route shadowing a template).
    url = str(http_request.url.copy_with(query=None))
    routed = APICallPathFinder(app.spec).find(http_request.method.lower(), url).path_result.pattern
    if routed != record["path"]:
        problems.append(f"the URL {http_request.url.path} resolves to {routed}, not {record['path']}")
    adapted = HttpxOpenAPIRequest(http_request, path_pattern=record["path"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        errors = list(app.request_validator.iter_errors(adapted))
    problems += [f"sends a deprecated parameter: {w.message}" for w in caught if w.category is DeprecationWarning]
    for error in errors:
        if isinstance(error, ParameterValidationError) and _exempt(spec.name, error.name, used):
            continue
        problems.append(f"openapi-core: {describe_error(error)}")
    return problems


def _sent_names_problems(
    spec: ToolSpec, record: dict[str, Any], request: CalRequest, used: set[tuple[str, str]]
) -> list[str]:
    """Every query parameter and top-level body field sent is declared; every required parameter is sent."""
    method, path, spec_file = record["method"], record["path"], record["spec_file"]
    declared = declared_parameters(spec_file, method, path)
    argument_for = {spec.request.wire.get(n, n): n for n in (*spec.request.query, *spec.request.body)}
    problems = []
    for wire_name, _ in request.query:
        argument = argument_for.get(wire_name, wire_name)
        if ("query", wire_name) not in declared and not _exempt(spec.name, argument, used):
            problems.append(f"query parameter {wire_name!r} is not declared by {method} {path}")
    # openapi-core fills a missing parameter from its schema default (cal-api-version has one): check here.
    sent = {
        "path": set(spec.request.path_params),
        "query": {n for n, _ in request.query},
        "header": {n.lower() for n in _to_httpx(request, spec).headers},
    }
    for (location, param_name), param in declared.items():
        present = param_name.lower() in sent["header"] if location == "header" else param_name in sent[location]
        if param.get("required") and not present and not _exempt(spec.name, param_name, used):
            problems.append(f"required {location} parameter {param_name!r} of {method} {path} is not sent")
    if request.json is not None:
        body_fields = top_level_properties(raw_openapi(spec_file), body_schema(spec_file, method, path))
        for wire_name in request.json:
            argument = argument_for.get(wire_name, wire_name)
            if wire_name not in body_fields and not _exempt(spec.name, argument, used):
                problems.append(f"body field {wire_name!r} is not declared by {method} {path}")
    return problems


def _converse_problems(spec: ToolSpec, record: dict[str, Any], used: set[tuple[str, str]]) -> list[str]:
    """Every declared parameter and top-level body field is sent in the same place, or listed in omitted."""
    binding = spec.request
    method, path, spec_file = record["method"], record["path"], record["spec_file"]
    exposed = {
        "path": set(binding.path_params),
        "query": {binding.wire.get(n, n) for n in binding.query},
        "body": {binding.wire.get(n, n) for n in binding.body},
        "header": set(),
        "cookie": set(),
    }
    problems = []
    declared = declared_parameters(spec_file, method, path)
    body_fields = top_level_properties(raw_openapi(spec_file), body_schema(spec_file, method, path))
    for location, name in [*declared, *(("body", f) for f in sorted(body_fields))]:
        if location == "header" and name.lower() in SERVER_HEADERS:
            continue
        if name in exposed[location] or name in binding.omitted or _exempt(spec.name, name, used):
            continue
        problems.append(f"{location} {name!r} of {method} {path} is neither exposed nor listed in request.omitted")
    for name in binding.omitted:
        if name not in {n for _, n in declared} | body_fields:
            problems.append(f"request.omitted lists {name!r}, which {method} {path} does not declare")
    for name in binding.path_params:
        if ("path", name) not in declared and not _exempt(spec.name, name, used):
            problems.append(f"URL placeholder {{{name}}} is not declared as a path parameter of {method} {path}")
    return problems


def _request_problems(
    spec: ToolSpec, record: dict[str, Any], request: CalRequest, used: set[tuple[str, str]]
) -> list[str]:
    found = _openapi_problems(spec, record, _to_httpx(request, spec), used)
    found += _sent_names_problems(spec, record, request, used)
    if request.json is None and body_required(record["spec_file"], record["method"], record["path"]):
        found.append("the operation requires a request body and none is sent (send {})")
    return found


@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_tool_binds_the_operation_the_map_cites(name: str) -> None:
    record = map_records()[name]
    binding = SPECS[name].request
    assert (binding.method, binding.path) == (record["method"], record["path"])
    assert binding.api_version == record["cal_api_version"]
    assert binding.auth == ("oauth_client" if record["auth"] == "oauth_client" else "api_key")
    op = operation(record["spec_file"], record["method"], record["path"])
    assert op.get("operationId") == record["operation_id"]
    version = declared_parameters(record["spec_file"], record["method"], record["path"]).get(
        ("header", "cal-api-version")
    )
    if version is not None and "default" in version.get("schema", {}):
        assert binding.api_version == version["schema"]["default"], "cal-api-version differs from the spec's"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_tool_request_is_valid_for_its_cal_operation(name: str) -> None:
    shared_dir()
    spec = SPECS[name]
    record = map_records()[name]
    used: set[tuple[str, str]] = set()
    problems: list[str] = []
    for variant, everything in (("required arguments", False), ("all arguments", True)):
        arguments = generate(spec.input_schema, everything=everything)
        if not everything and name in REQUIRED_ONLY_ARGUMENTS:
            arguments = REQUIRED_ONLY_ARGUMENTS[name]
        validate_arguments(spec, arguments)  # the generator must produce arguments the server accepts
        found = _request_problems(spec, record, build_request(spec, arguments, CONFIG), used)
        problems += [f"[{variant}: {arguments}] {p}" for p in found]
    problems += _converse_problems(spec, record, used)
    stale = sorted(key for key in EXEMPTIONS if key[0] == name and key not in used)
    problems += [f"exemption {key} is no longer needed: remove it" for key in stale]
    assert not problems, "\n".join(problems)


def test_every_spec_rewrite_is_still_needed() -> None:
    files = {record["spec_file"] for record in map_records().values()}
    fired = {rule: sum(normalised_openapi(f)[1][rule] for f in files) for rule in SPEC_REWRITES}
    assert all(fired.values()), f"rewrites no spec needs any more (remove them): {fired}"


def test_every_exemption_names_a_tool_and_gives_a_reason() -> None:
    for (tool, field), reason in EXEMPTIONS.items():
        assert tool in SPECS, tool
        assert field and len(reason) > 30, (tool, field)


def test_map_and_seed_name_the_same_141_tools_and_every_one_has_a_spec() -> None:
    names = map_names()
    assert len(names) == 141 == len(set(names))
    assert set(names) <= set(SPECS)
    # Tools beyond the seed bind an operation of the newest spec (map_records derives their records).
    beyond = set(SPECS) - set(names)
    assert all(map_records()[n]["spec_file"] == NEWEST_SPEC for n in beyond)
    rows = [line for line in seed_text().splitlines() if line.startswith("CAL_")]
    seed_names = []
    for row in rows:
        # The seed glues each name to its description: the longest map name the row starts with.
        candidates = [n for n in names if row.startswith(n)]
        assert candidates, f"seed row names no mapped tool: {row[:80]}"
        seed_names.append(max(candidates, key=len))
    assert seed_names == list(names), "the map must list the seed's tools in the seed's order"
    assert all(re.match(r"[A-Z]", row[len(n)]) for row, n in zip(rows, seed_names, strict=True))


# The checks themselves must catch what they exist to catch: a few requests known to be wrong.


def _problems_with(name: str, request: CalRequest, spec: ToolSpec | None = None) -> list[str]:
    spec = spec or SPECS[name]
    return _request_problems(spec, map_records()[name], request, set())


def _valid_request(name: str, spec: ToolSpec | None = None) -> CalRequest:
    spec = spec or SPECS[name]
    return build_request(spec, generate(spec.input_schema, everything=True), CONFIG)


def test_the_check_catches_a_misspelt_body_field() -> None:
    name = "CAL_CREATE_USER_AVAILABILITY_SCHEDULE"
    binding = SPECS[name].request.model_copy(update={"wire": {"timeZone": "timezone"}})
    spec = SPECS[name].model_copy(update={"request": binding})
    problems = _problems_with(name, _valid_request(name, spec), spec)
    assert any("body field 'timezone' is not declared" in p for p in problems), problems


def test_the_check_catches_an_undeclared_or_wrongly_typed_query_parameter() -> None:
    name = "CAL_FETCH_ALL_BOOKINGS"
    request = _valid_request(name)
    assert _problems_with(name, request) == []
    query = tuple((k, v) for k, v in request.query if k != "take")
    wrong = replace(request, query=(*query, ("take", "many"), ("colour", "red")))
    problems = _problems_with(name, wrong)
    assert any(p.startswith("openapi-core") and "take" in p for p in problems), problems
    assert any("query parameter 'colour' is not declared" in p for p in problems), problems


def test_the_check_catches_a_missing_version_header_and_a_missing_body() -> None:
    name = "CAL_POST_NEW_BOOKING_REQUEST"
    request = _valid_request(name)
    assert _problems_with(name, request) == []
    problems = _problems_with(name, replace(request, headers=(), json=None))
    assert any("cal-api-version" in p for p in problems), problems
    assert any("requires a request body" in p for p in problems), problems


def test_the_check_catches_a_path_that_is_not_the_cited_operation() -> None:
    name = "CAL_FETCH_SCHEDULE_BY_ID"
    problems = _problems_with(name, replace(_valid_request(name), path="/v2/schedules/default"))
    assert any("resolves to /v2/schedules/default" in p for p in problems), problems


def test_the_converse_check_catches_a_declared_parameter_neither_exposed_nor_omitted() -> None:
    name = "CAL_RETRIEVE_CALENDAR_BUSY_TIMES"
    binding = SPECS[name].request.model_copy(update={"omitted": {}})
    spec = SPECS[name].model_copy(update={"request": binding})
    problems = _converse_problems(spec, map_records()[name], set())
    assert problems == [
        "query 'loggedInUsersTz' of GET /v2/calendars/busy-times is neither exposed nor listed in request.omitted"
    ]
