"""Seed one routing form of the Sales team (organization 501): company size routes big companies to the
Sales demo team event type and small ones to a message page. Runs after ``seeds.platform``."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from cal_mcp.sandbox.seeds.platform import TEAM_EVENT_SALES_DEMO, TEAM_SALES
from cal_mcp.sandbox.state import USER_ID
from cal_mcp.sandbox.stores.records import iso_ms
from cal_mcp.sandbox.stores.routing_forms import FORMS_TABLE, add_response

if TYPE_CHECKING:
    from cal_mcp.sandbox.state import SandboxState

ROUTING_FORM_SALES = "8d2f6c1e-4b7a-4e59-9c3d-5a1b2e3f4a60"
FIELD_COMPANY_SIZE, FIELD_EMAIL, FIELD_NOTES = "f-company-size", "f-email", "f-notes"
OPTION_SMALL, OPTION_LARGE = "opt-size-small", "opt-size-large"
SEEDED_RESPONSE = 4001
SMALL_COMPANY_MESSAGE = "Thanks! Our self-serve guide fits teams of up to 50: see sandbox.cal.test/guide."


def _rule(field: str, option: str) -> dict[str, object]:
    return {"type": "group", "children1": {f"rule-{option}": {"type": "rule", "properties": {
        "field": field, "operator": "select_equals", "value": [option], "valueSrc": ["value"],
        "valueType": ["select"]}}}}


def seed_routing_forms(state: SandboxState) -> None:
    created = iso_ms(state.now() - timedelta(days=30))
    state.table(FORMS_TABLE)[ROUTING_FORM_SALES] = {
        "id": ROUTING_FORM_SALES, "name": "Sales intake", "description": "Routes prospects by company size.",
        "position": 0, "createdAt": created, "updatedAt": created, "userId": USER_ID, "teamId": TEAM_SALES,
        "disabled": False, "settings": {"emailOwnerOnSubmission": False},
        "fields": [
            {"id": FIELD_COMPANY_SIZE, "type": "select", "label": "Company size", "identifier": "company-size",
             "required": True,
             "options": [{"id": OPTION_SMALL, "label": "1-50"}, {"id": OPTION_LARGE, "label": "51+"}]},
            {"id": FIELD_EMAIL, "type": "email", "label": "Email", "identifier": "email", "required": True},
            {"id": FIELD_NOTES, "type": "textarea", "label": "Notes", "identifier": "notes", "required": False},
        ],
        "routes": [
            {"id": "route-large", "queryValue": _rule(FIELD_COMPANY_SIZE, OPTION_LARGE),
             "action": {"type": "eventTypeRedirectUrl", "value": "team/sales/sales-demo",
                        "eventTypeId": TEAM_EVENT_SALES_DEMO}},
            {"id": "route-small", "queryValue": _rule(FIELD_COMPANY_SIZE, OPTION_SMALL),
             "action": {"type": "customPageMessage", "value": SMALL_COMPANY_MESSAGE}},
            {"id": "route-fallback", "isFallback": True, "queryValue": {"type": "group"},
             "action": {"type": "externalRedirectUrl", "value": "https://sandbox.cal.test/contact"}},
        ],
    }
    form = state.table(FORMS_TABLE)[ROUTING_FORM_SALES]
    response = add_response(state, form, {
        FIELD_COMPANY_SIZE: {"label": "Company size", "value": "51+"},
        FIELD_EMAIL: {"label": "Email", "value": "pat@prospect.example"},
    }, filler_id="seeded-form-filler")  # fixed, so seeding draws nothing from the sandbox's random stream
    response["createdAt"] = iso_ms(state.now() - timedelta(days=2))
