"""Organization attributes, their options and per-member assignments (Cal's AttributeToUser).

Tables: ``org_attributes`` (id → Attribute output), ``org_attribute_options`` (id → option output)
and ``org_attribute_assignments`` (id → {id, memberId, attributeOptionId}); ``memberId`` is the
user's organization membership ID, as in Cal.
"""

from __future__ import annotations

from typing import Any

from cal_mcp.sandbox.errors import bad_request, not_found
from cal_mcp.sandbox.state import ORG_ID, SandboxState
from cal_mcp.sandbox.stores.teams import membership_of

ATTRIBUTE_TYPES = ("TEXT", "NUMBER", "SINGLE_SELECT", "MULTI_SELECT")


def attribute_out(attribute: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "teamId", "type", "name", "slug", "enabled", "usersCanEditRelation")
    return {key: attribute[key] for key in keys if key in attribute}


def find_attribute(state: SandboxState, attribute_id: str) -> dict[str, Any]:
    attribute = state.table("org_attributes").get(attribute_id)
    if attribute is None:
        raise not_found(f"Attribute with id={attribute_id} not found.")
    return attribute


def options_of(state: SandboxState, attribute_id: str) -> list[dict[str, Any]]:
    return [o for o in state.table("org_attribute_options").values() if o["attributeId"] == attribute_id]


def find_option(state: SandboxState, attribute_id: str, option_id: str) -> dict[str, Any]:
    option = state.table("org_attribute_options").get(option_id)
    if option is None or option["attributeId"] != attribute_id:
        raise not_found(f"Attribute option with id={option_id} not found for attribute id={attribute_id}.")
    return option


def add_option(state: SandboxState, attribute_id: str, value: str, slug: str,
               option_id: str | None = None) -> dict[str, Any]:
    if any(o["slug"] == slug for o in options_of(state, attribute_id)):
        raise bad_request(f"Option with slug '{slug}' already exists for attribute id={attribute_id}.")
    option = {"id": option_id or state.new_uid(), "attributeId": attribute_id, "value": value, "slug": slug}
    state.table("org_attribute_options")[option["id"]] = option
    return option


def remove_option(state: SandboxState, option_id: str) -> dict[str, Any]:
    option = state.table("org_attribute_options").pop(option_id)
    assignments = state.table("org_attribute_assignments")
    for row_id in [i for i, a in assignments.items() if a["attributeOptionId"] == option_id]:
        del assignments[row_id]
    return option


def remove_attribute(state: SandboxState, attribute_id: str) -> dict[str, Any]:
    for option in options_of(state, attribute_id):
        remove_option(state, option["id"])
    return state.table("org_attributes").pop(attribute_id)


def org_member_id(state: SandboxState, user_id: int) -> int:
    membership = membership_of(state, ORG_ID, user_id)
    if membership is None:
        raise not_found(f"User with id={user_id} is not a member of organization with id={ORG_ID}.")
    return int(membership["id"])


def assignments_of(state: SandboxState, member_id: int) -> list[dict[str, Any]]:
    rows = state.table("org_attribute_assignments").values()
    return [a for a in rows if a["memberId"] == member_id]


def drop_assignments(state: SandboxState, member_id: int) -> None:
    """An org membership that goes (alone or with its user) takes its attribute assignments with it."""
    assignments = state.table("org_attribute_assignments")
    for row_id in [i for i, a in assignments.items() if a["memberId"] == member_id]:
        del assignments[row_id]


def assign(state: SandboxState, user_id: int, attribute: dict[str, Any], option_id: str | None,
           value: str | None, assignment_id: str | None = None) -> dict[str, Any]:
    """Select types take an existing option; TEXT/NUMBER take a value that becomes the member's option."""
    member_id = org_member_id(state, user_id)
    kind = attribute["type"]
    if kind in ("TEXT", "NUMBER") and option_id is None:
        if value is None or value == "":
            raise bad_request(f"value is required to assign a {kind} attribute.")
        if kind == "NUMBER":
            try:
                float(value)
            except ValueError:
                raise bad_request(f"value must be a number for NUMBER attribute '{attribute['slug']}'.") from None
        option = next((o for o in options_of(state, attribute["id"]) if o["value"] == value), None)
        option = option or add_option(state, attribute["id"], value, f"{attribute['slug']}-{state.new_uid()[:8]}")
    elif option_id is None:
        raise bad_request(f"attributeOptionId is required to assign a {kind} attribute.")
    else:
        option = find_option(state, attribute["id"], option_id)
    table = state.table("org_attribute_assignments")
    mine = [a for a in assignments_of(state, member_id)
            if state.table("org_attribute_options")[a["attributeOptionId"]]["attributeId"] == attribute["id"]]
    for existing in mine:
        if existing["attributeOptionId"] == option["id"]:
            return existing
        if kind != "MULTI_SELECT":  # one value per member for every type but multi-select
            del table[existing["id"]]
    row = {"id": assignment_id or state.new_uid(), "memberId": member_id, "attributeOptionId": option["id"]}
    table[row["id"]] = row
    return row


def user_options(state: SandboxState, user_id: int) -> list[dict[str, Any]]:
    options = state.table("org_attribute_options")
    return [options[a["attributeOptionId"]] for a in assignments_of(state, org_member_id(state, user_id))]


def member_attributes(state: SandboxState, member_id: int) -> list[dict[str, Any]]:
    """The ``attributes`` array of an org membership: one entry per attribute with its value(s)."""
    options = state.table("org_attribute_options")
    by_attribute: dict[str, list[dict[str, Any]]] = {}
    for assignment in assignments_of(state, member_id):
        option = options[assignment["attributeOptionId"]]
        by_attribute.setdefault(option["attributeId"], []).append(option)
    out = []
    for attribute_id, chosen in by_attribute.items():
        attribute = state.table("org_attributes")[attribute_id]
        entry: dict[str, Any] = {"id": attribute_id, "name": attribute["name"], "type": attribute["type"]}
        if attribute["type"] == "MULTI_SELECT":
            entry["options"] = [{"optionId": o["id"], "option": o["value"]} for o in chosen]
        else:
            value: Any = chosen[0]["value"]
            if attribute["type"] == "NUMBER":
                value = float(value) if "." in value else int(value)
            entry.update({"optionId": chosen[0]["id"], "option": value})
        out.append(entry)
    return out
