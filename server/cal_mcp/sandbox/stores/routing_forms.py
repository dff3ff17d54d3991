"""Routing forms of the organization's teams and their responses (Cal's ``App_RoutingForms_Form`` and
``App_RoutingForms_FormResponse``), in RoutingFormOutput / RoutingFormResponseOutput shape.

A form's ``routes`` are Cal's: each has an ``action`` (``eventTypeRedirectUrl``, ``customPageMessage`` or
``externalRedirectUrl``) and a ``queryValue`` rule group; the last is the fallback. The sandbox evaluates
the ``select_equals`` / ``select_any_in`` and ``equal`` rules its seeded form uses
(``packages/app-store/routing-forms``: ``findMatchingRoute`` over jsonLogic), enough to route answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cal_mcp.sandbox.errors import bad_request, not_found
from cal_mcp.sandbox.state import SandboxState
from cal_mcp.sandbox.stores.records import iso_ms, next_free_id

FORMS_TABLE = "routing_forms"  # keyed by form id (a UUID string)
RESPONSES_TABLE = "routing_form_responses"  # keyed by response id (an integer)
QUEUED_TABLE = "routing_form_queued_responses"  # keyed by queued response id (a string)
_FIRST_RESPONSE_ID = 4001
FORM_KEYS = ("id", "name", "description", "position", "routes", "createdAt", "updatedAt", "fields", "userId",
             "teamId", "disabled", "settings")


def form_out(form: dict[str, Any]) -> dict[str, Any]:
    return {key: form.get(key) for key in FORM_KEYS}


def find_form(state: SandboxState, form_id: str) -> dict[str, Any]:
    form = state.table(FORMS_TABLE).get(form_id)
    if form is None:
        raise not_found("Routing form not found.")
    return form


def forms_of(state: SandboxState, team_ids: set[int]) -> list[dict[str, Any]]:
    return [f for f in state.table(FORMS_TABLE).values() if f.get("teamId") in team_ids]


def _identifier(field: Mapping[str, Any]) -> str:
    """Cal's getFieldIdentifier: the field's identifier, else its label."""
    return str(field.get("identifier") or field["label"])


def _option(field: Mapping[str, Any], given: Any) -> dict[str, Any] | None:
    """A select field's option named by its id or label (either is accepted, as Cal's router does)."""
    for option in field.get("options") or []:
        if given in (option["id"], option["label"]):
            return dict(option)
    return None


def read_answers(form: dict[str, Any], body: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The form's answers from a flat body keyed by field identifier (or label or id), as Cal reads it
    (``new URLSearchParams(request.body)``); required fields must be answered, select values must exist."""
    answers: dict[str, dict[str, Any]] = {}
    missing: list[str] = []
    for field in form.get("fields") or []:
        keys = (_identifier(field), field["label"], field["id"])
        value = next((body[k] for k in keys if k in body and body[k] not in (None, "")), None)
        if value is None:
            if field.get("required"):
                missing.append(field["label"])
            continue
        if field.get("options"):
            option = _option(field, value)
            if option is None:
                labels = ", ".join(o["label"] for o in field["options"])
                raise bad_request(f"Invalid value for field {field['label']}: {value!r}; choose one of: {labels}.")
            value = option["label"]
        answers[field["id"]] = {"label": field["label"], "value": value}
    if missing:
        raise bad_request(f"Missing required fields: {', '.join(missing)}.")
    return answers


def _rule_holds(form: dict[str, Any], rule: Mapping[str, Any], answers: Mapping[str, Any]) -> bool:
    props = rule.get("properties", {})
    field = next((f for f in form.get("fields") or [] if f["id"] == props.get("field")), None)
    answer = answers.get(props.get("field"), {}).get("value")
    if field is None or answer is None:
        return False
    wanted = props.get("value", [None])[0]
    if field.get("options"):
        chosen = _option(field, answer)
        ids = wanted if isinstance(wanted, list) else [wanted]
        return chosen is not None and chosen["id"] in ids
    return str(answer).lower() == str(wanted).lower()


def matching_route(form: dict[str, Any], answers: Mapping[str, Any]) -> dict[str, Any]:
    """The first route whose every rule holds; the fallback route matches anything."""
    for route in form.get("routes") or []:
        if route.get("isFallback"):
            return dict(route)
        rules = (route.get("queryValue") or {}).get("children1") or {}
        if rules and all(_rule_holds(form, r, answers) for r in rules.values()):
            return dict(route)
    raise bad_request("No route found.")


def add_response(state: SandboxState, form: dict[str, Any], answers: dict[str, Any], *,
                 filler_id: str | None = None) -> dict[str, Any]:
    response_id = next_free_id(state, RESPONSES_TABLE, _FIRST_RESPONSE_ID)
    record = {
        "id": response_id, "formId": form["id"], "formFillerId": filler_id or state.new_uid(),
        "routedToBookingUid": None, "response": answers, "createdAt": iso_ms(state.now()),
    }
    state.table(RESPONSES_TABLE)[response_id] = record
    return record


def queue_response(state: SandboxState, form: dict[str, Any], answers: dict[str, Any]) -> str:
    """A queued response (``cal.queueFormResponse``) is kept aside until a booking confirms it."""
    queued_id = state.new_uid()
    state.table(QUEUED_TABLE)[queued_id] = {"id": queued_id, "formId": form["id"], "response": answers,
                                            "createdAt": iso_ms(state.now())}
    return queued_id


def responses_of(state: SandboxState, form_id: str) -> list[dict[str, Any]]:
    return sorted((r for r in state.table(RESPONSES_TABLE).values() if r["formId"] == form_id),
                  key=lambda r: r["id"])


def response_out(record: dict[str, Any]) -> dict[str, Any]:
    return dict(record)
