"""The spec loader refuses broken spec files at start-up, naming the file and the problem."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cal_mcp.specs import SpecError, load_specs
from tests.conftest import TOOL_COUNT

GOOD: dict[str, Any] = {
    "name": "CAL_DO_THING",
    "title": "Do a thing",
    "description": "Does a thing by its ID, from CAL_LIST_THINGS. Used only in tests.",
    "annotations": {"readOnlyHint": True, "destructiveHint": False, "idempotentHint": True, "openWorldHint": True},
    "request": {"method": "GET", "path": "/v2/things/{thingId}", "query": ["take"]},
    "inputSchema": {
        "type": "object",
        "properties": {
            "thingId": {"type": "integer", "description": "Thing ID, from CAL_LIST_THINGS."},
            "take": {"type": "integer", "description": "Page size."},
        },
        "required": ["thingId"],
        "additionalProperties": False,
    },
}


def write(tmp_path: Path, spec: dict[str, Any], toolset: str = "things") -> Path:
    folder = tmp_path / toolset
    folder.mkdir(exist_ok=True)
    path = folder / f"{spec['name']}.json"
    path.write_text(json.dumps(spec))
    return path


def broken(**changes: Any) -> dict[str, Any]:
    spec = json.loads(json.dumps(GOOD))
    for dotted, value in changes.items():
        target = spec
        *parents, last = dotted.split("__")
        for key in parents:
            target = target[key]
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value
    return spec


def test_a_valid_spec_loads_with_its_toolset_from_the_folder(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    (spec,) = load_specs(tmp_path, check_schemas=True)
    assert spec.name == "CAL_DO_THING"
    assert spec.toolset == "things"
    assert spec.request.path_params == ("thingId",)


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        (broken(surprise=1), "surprise"),
        (broken(request__verb="GET"), "verb"),
        (broken(request__query=[]), "property 'take' has no location"),
        (broken(request__path="/v2/things/{thingId}/{other}"), "'other' is neither a property"),
        (broken(inputSchema__required=[]), "path parameter 'thingId' must be required"),
        (broken(request__body=["take"]), "more than one location"),
        (broken(annotations__readOnlyHint=None), "readOnlyHint"),
        (broken(inputSchema__additionalProperties=None), "additionalProperties: false"),
        (broken(inputSchema__properties__take={"type": "integer"}), "'take' has no description"),
        (broken(inputSchema__anyOf=[{}]), "top-level key 'anyOf'"),
    ],
    ids=["unknown-key", "unknown-request-key", "no-location", "unbound-path-param", "optional-path-param",
         "two-locations", "missing-hint", "open-schema", "no-description", "top-level-anyOf"],
)
def test_a_broken_spec_stops_loading_naming_file_and_problem(
    tmp_path: Path, spec: dict[str, Any], problem: str
) -> None:
    path = write(tmp_path, spec)
    with pytest.raises(SpecError) as error:
        load_specs(tmp_path)
    assert str(path) in str(error.value)
    assert problem in str(error.value)


@pytest.mark.parametrize("credential", ["Authorization", "x-cal-secret-key", "x-cal-client-id", "calApiKey"])
def test_a_credential_can_never_be_an_argument(tmp_path: Path, credential: str) -> None:
    spec = broken()
    name = credential.replace("-", "_") if "-" in credential else credential
    spec["inputSchema"]["properties"][name] = {"type": "string", "description": "secret"}
    spec["request"]["query"].append(name)
    if name != credential:
        spec["request"]["wire"] = {name: credential}
    write(tmp_path, spec)
    with pytest.raises(SpecError, match="credential"):
        load_specs(tmp_path)


def test_two_files_with_one_tool_name_are_refused(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "a")
    write(tmp_path, GOOD, "b")
    with pytest.raises(SpecError, match="duplicate tool name"):
        load_specs(tmp_path)


def test_a_file_named_differently_from_its_tool_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    path.rename(path.with_name("CAL_OTHER.json"))
    with pytest.raises(SpecError, match="file name must equal"):
        load_specs(tmp_path)


def test_a_secret_from_config_may_not_double_as_an_argument(tmp_path: Path) -> None:
    spec = broken(request__fromConfig={"token": "api_key"})
    spec["inputSchema"]["properties"]["token"] = {"type": "string", "description": "x"}
    spec["request"]["query"].append("token")
    write(tmp_path, spec)
    with pytest.raises(SpecError, match="secret filled from config"):
        load_specs(tmp_path)


def test_invalid_json_schema_is_caught_when_schemas_are_checked(tmp_path: Path) -> None:
    spec = broken(inputSchema__properties__take={"type": "integr", "description": "Page size."})
    write(tmp_path, spec)
    load_specs(tmp_path)  # start-up never meta-validates (it is slow)
    with pytest.raises(SpecError, match="invalid inputSchema"):
        load_specs(tmp_path, check_schemas=True)


def test_every_shipped_spec_loads_and_meta_validates() -> None:
    specs = load_specs(check_schemas=True)
    assert len(specs) == TOOL_COUNT
