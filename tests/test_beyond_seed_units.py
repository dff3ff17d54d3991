"""Units behind the tools beyond the seed (issue 11, part B): routing-form answers sent as the body itself
(``request.bodySpread``), Cal's strict out-of-office date format (``utcInstant``), and the stores' rules
for out-of-office entries and routing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cal_mcp.cal_formats import FORMATS
from cal_mcp.request_builder import build_request
from cal_mcp.sandbox.errors import CalHTTPError
from cal_mcp.sandbox.seeds import new_state
from cal_mcp.sandbox.seeds.routing_forms import FIELD_COMPANY_SIZE, ROUTING_FORM_SALES
from cal_mcp.sandbox.stores.out_of_office import add_entry, check_entry, day_end, day_start
from cal_mcp.sandbox.stores.routing_forms import find_form, matching_route, read_answers
from cal_mcp.specs import SpecError, load_specs

SPECS = {spec.name: spec for spec in load_specs()}
FORM_ARGS = {"orgId": 501, "routingFormId": "form-1", "start": "2026-12-01", "end": "2026-12-02"}


def test_answers_are_sent_as_the_body_itself() -> None:
    spec = SPECS["CAL_CREATE_ROUTING_FORM_RESPONSE"]
    request = build_request(spec, {**FORM_ARGS, "responses": {"email": "a@b.co", "company-size": "51+"}})
    assert request.json == {"email": "a@b.co", "company-size": "51+"}
    assert dict(request.query) == {"start": "2026-12-01", "end": "2026-12-02"}
    assert "responses" not in request.json


def test_no_answers_still_send_a_json_body() -> None:
    request = build_request(SPECS["CAL_CALCULATE_ROUTING_FORM_SLOTS"],
                            {"routingFormId": "form-1", "start": "2026-12-01", "end": "2026-12-02", "responses": {}})
    assert request.json == {}


def _write_spec(tmp_path: Path, request_extra: dict[str, object], prop: dict[str, object]) -> Path:
    folder = tmp_path / "organizations"
    folder.mkdir()
    spec = {
        "name": "CAL_TRY_SPREAD", "title": "Try", "description": "A spec written only to test bodySpread checks.",
        "annotations": {"readOnlyHint": False, "destructiveHint": False, "idempotentHint": True, "openWorldHint": True},
        "request": {"method": "POST", "path": "/v2/routing-forms/{routingFormId}/calculate-slots", **request_extra},
        "inputSchema": {"type": "object", "properties": {
            "routingFormId": {"type": "string", "description": "From CAL_LIST_ORGANIZATION_ROUTING_FORMS."},
            "answers": {**prop, "description": "Answers."}}, "required": ["routingFormId"],
            "additionalProperties": False},
    }
    (folder / "CAL_TRY_SPREAD.json").write_text(json.dumps(spec))
    return tmp_path


def test_the_loader_refuses_a_spread_that_is_not_an_object_body_argument(tmp_path: Path) -> None:
    root = _write_spec(tmp_path, {"body": ["answers"], "bodySpread": "answers"}, {"type": "string"})
    with pytest.raises(SpecError, match=r"bodySpread 'answers' must be an object property listed in request\.body"):
        load_specs(root)


def test_the_loader_refuses_a_spread_not_listed_in_the_body(tmp_path: Path) -> None:
    root = _write_spec(tmp_path, {"query": ["answers"], "bodySpread": "answers"}, {"type": "object"})
    with pytest.raises(SpecError, match="bodySpread"):
        load_specs(root)


@pytest.mark.parametrize("text", ["2026-12-01T00:00:00Z", "2026-12-01T23:59:59.999Z"])
def test_cal_ooo_dates_accept_utc_instants(text: str) -> None:
    assert FORMATS["utcInstant"].valid(text)


@pytest.mark.parametrize("text", ["2026-12-01", "2026-12-01T00:00:00+01:00", "2026-12-01T00:00Z",
                                  "2026-02-30T00:00:00Z", "2026-12-01T00:00:00.5Z", "next tuesday"])
def test_cal_ooo_dates_refuse_anything_else(text: str) -> None:
    assert not FORMATS["utcInstant"].valid(text)


def test_ooo_days_are_whole_utc_days() -> None:
    assert day_start("2026-12-01T15:30:00Z") == datetime(2026, 12, 1, tzinfo=UTC)
    assert day_end("2026-12-03T01:00:00Z") == datetime(2026, 12, 3, 23, 59, 59, 999000, tzinfo=UTC)


def test_ooo_rules_in_cal_order() -> None:
    state = new_state()
    start, end = day_start("2026-12-01T00:00:00Z"), day_end("2026-12-02T00:00:00Z")
    with pytest.raises(CalHTTPError, match="Please specify both"):
        check_entry(state, 1002, start, None, None)
    with pytest.raises(CalHTTPError, match="Start date must be before end date"):
        check_entry(state, 1002, end, start, None)
    with pytest.raises(CalHTTPError, match="Cannot redirect to self"):
        check_entry(state, 1002, start, end, 1002)
    with pytest.raises(CalHTTPError, match="Cannot redirect to this user"):
        check_entry(state, 1002, start, end, 4242, eligible={1001, 1002, 1003})
    add_entry(state, 1003, start, end, to_user_id=1002)
    with pytest.raises(CalHTTPError, match="Booking redirect infinite not allowed"):
        check_entry(state, 1002, start, end, 1003, eligible={1002, 1003})
    add_entry(state, 1002, start, end)
    with pytest.raises(CalHTTPError) as conflict:
        check_entry(state, 1002, start, end, None)
    assert conflict.value.status == 409


def test_answers_route_by_option_label_or_id_and_required_fields_are_named() -> None:
    state = new_state()
    form = find_form(state, ROUTING_FORM_SALES)
    by_label = read_answers(form, {"company-size": "51+", "email": "a@b.co"})
    by_id = read_answers(form, {"Company size": "opt-size-large", "Email": "a@b.co"})
    assert by_label[FIELD_COMPANY_SIZE] == by_id[FIELD_COMPANY_SIZE] == {"label": "Company size", "value": "51+"}
    assert matching_route(form, by_label)["action"]["type"] == "eventTypeRedirectUrl"
    with pytest.raises(CalHTTPError, match="Missing required fields: Email"):
        read_answers(form, {"company-size": "1-50"})
    with pytest.raises(CalHTTPError, match="choose one of: 1-50, 51\\+"):
        read_answers(form, {"company-size": "huge", "email": "a@b.co"})


def test_the_new_tools_are_served_by_default_and_filtered_as_usual() -> None:
    from cal_mcp.registry import load_registry

    registry = load_registry()
    everything = {s.name for s in registry.select().specs}
    new = {"CAL_GET_SLOT_RESERVATION", "CAL_CREATE_ROUTING_FORM_RESPONSE", "CAL_LIST_TEAM_MEMBER_SCHEDULES"}
    assert new <= everything
    slots = {s.name for s in registry.select(toolsets=["slots"]).specs}
    assert {"CAL_GET_SLOT_RESERVATION", "CAL_UPDATE_SLOT_RESERVATION"} <= slots
    read_only = {s.name for s in registry.select(toolsets=["organizations"], read_only=True).specs}
    assert "CAL_LIST_ORGANIZATION_OUT_OF_OFFICE" in read_only
    assert not read_only & {"CAL_CREATE_ORG_USER_OUT_OF_OFFICE", "CAL_DELETE_ORG_USER_OUT_OF_OFFICE"}
