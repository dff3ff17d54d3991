"""/v2/organizations/{orgId}/attributes…: attributes, their options, and options assigned to users."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from cal_mcp.sandbox.errors import CalHTTPError, not_found
from cal_mcp.sandbox.http import Endpoint, given_fields, json_body, ok, path_int, state_of
from cal_mcp.sandbox.routes.plat_common import org_id_of, paging
from cal_mcp.sandbox.state import ORG_ID
from cal_mcp.sandbox.stores import org_attributes as store

_BASE = "/v2/organizations/{orgId}/attributes"


def _slug_taken(request: Request, slug: str, but: str | None = None) -> None:
    for attribute in state_of(request).table("org_attributes").values():
        if attribute["slug"] == slug and attribute["id"] != but:
            raise CalHTTPError(409, f"Attribute with slug '{slug}' already exists in organization id={ORG_ID}.")


async def list_attributes(request: Request) -> JSONResponse:
    org_id_of(request)
    skip, take = paging(request)
    rows = sorted(state_of(request).table("org_attributes").values(), key=lambda a: a["_order"])
    return ok([store.attribute_out(a) for a in rows[skip : skip + take]])


async def create_attribute(request: Request) -> JSONResponse:
    org_id = org_id_of(request)
    body = given_fields(await json_body(request))
    _slug_taken(request, body["slug"])
    state = state_of(request)
    table = state.table("org_attributes")
    attribute = {"id": state.new_uid(), "teamId": org_id, "type": body["type"], "name": body["name"],
                 "slug": body["slug"], "enabled": body.get("enabled", True), "usersCanEditRelation": False,
                 "_order": len(table) + 1000}
    table[attribute["id"]] = attribute
    for option in body["options"]:
        store.add_option(state, attribute["id"], option["value"], option["slug"])
    return ok(store.attribute_out(attribute), status=201)


async def get_attribute(request: Request) -> JSONResponse:
    org_id_of(request)
    return ok(store.attribute_out(store.find_attribute(state_of(request), request.path_params["attributeId"])))


async def patch_attribute(request: Request) -> JSONResponse:
    org_id_of(request)
    attribute = store.find_attribute(state_of(request), request.path_params["attributeId"])
    body = given_fields(await json_body(request))
    if "slug" in body:
        _slug_taken(request, body["slug"], attribute["id"])
    attribute.update(body)
    return ok(store.attribute_out(attribute))


async def delete_attribute(request: Request) -> JSONResponse:
    org_id_of(request)
    state = state_of(request)
    attribute = store.find_attribute(state, request.path_params["attributeId"])
    return ok(store.attribute_out(store.remove_attribute(state, attribute["id"])))


async def list_options(request: Request) -> JSONResponse:
    org_id_of(request)
    state = state_of(request)
    attribute = store.find_attribute(state, request.path_params["attributeId"])
    return ok(store.options_of(state, attribute["id"]))


async def create_option(request: Request) -> JSONResponse:
    org_id_of(request)
    state = state_of(request)
    attribute = store.find_attribute(state, request.path_params["attributeId"])
    body = await json_body(request)
    return ok(store.add_option(state, attribute["id"], body["value"], body["slug"]), status=201)


async def patch_option(request: Request) -> JSONResponse:
    org_id_of(request)
    state = state_of(request)
    attribute = store.find_attribute(state, request.path_params["attributeId"])
    option = store.find_option(state, attribute["id"], request.path_params["optionId"])
    body = given_fields(await json_body(request))
    if "slug" in body and any(o["slug"] == body["slug"] and o["id"] != option["id"]
                              for o in store.options_of(state, attribute["id"])):
        raise CalHTTPError(409, f"Option with slug '{body['slug']}' already exists.")
    option.update(body)
    return ok(option)


async def delete_option(request: Request) -> JSONResponse:
    org_id_of(request)
    state = state_of(request)
    attribute = store.find_attribute(state, request.path_params["attributeId"])
    option = store.find_option(state, attribute["id"], request.path_params["optionId"])
    return ok(store.remove_option(state, option["id"]))


async def assign_option(request: Request) -> JSONResponse:
    org_id_of(request)
    state = state_of(request)
    user_id = path_int(request, "userId")
    body = given_fields(await json_body(request))
    attribute = store.find_attribute(state, body["attributeId"])
    row = store.assign(state, user_id, attribute, body.get("attributeOptionId"), body.get("value"))
    return ok(row, status=201)


async def user_options(request: Request) -> JSONResponse:
    org_id_of(request)
    return ok(store.user_options(state_of(request), path_int(request, "userId")))


async def unassign_option(request: Request) -> JSONResponse:
    org_id_of(request)
    state = state_of(request)
    user_id = path_int(request, "userId")
    member_id = store.org_member_id(state, user_id)
    option_id = request.path_params["attributeOptionId"]
    row = next((a for a in store.assignments_of(state, member_id) if a["attributeOptionId"] == option_id), None)
    if row is None:
        raise not_found(f"Attribute option with id={option_id} is not assigned to user id={user_id}.")
    del state.table("org_attribute_assignments")[row["id"]]
    return ok(row)


# Literal "options/{userId}" paths come before "{attributeId}/options" so they are never shadowed.
# Cal's operationId → handler; app.py serves each at its operation's method and path (cal_api_facts.json).
HANDLERS: dict[str, Endpoint] = {
    "OrganizationsAttributesController_getOrganizationAttributes": list_attributes,
    "OrganizationsAttributesController_createOrganizationAttribute": create_attribute,
    "OrganizationsAttributesOptionsController_getOrganizationAttributeOptionsForUser": user_options,
    "OrganizationsAttributesOptionsController_assignOrganizationAttributeOptionToUser": assign_option,
    "OrganizationsAttributesOptionsController_unassignOrganizationAttributeOptionFromUser": unassign_option,
    "OrganizationsAttributesController_getOrganizationAttribute": get_attribute,
    "OrganizationsAttributesController_updateOrganizationAttribute": patch_attribute,
    "OrganizationsAttributesController_deleteOrganizationAttribute": delete_attribute,
    "OrganizationsAttributesOptionsController_getOrganizationAttributeOptions": list_options,
    "OrganizationsAttributesOptionsController_createOrganizationAttributeOption": create_option,
    "OrganizationsAttributesOptionsController_updateOrganizationAttributeOption": patch_option,
    "OrganizationsAttributesOptionsController_deleteOrganizationAttributeOption": delete_option,
}
