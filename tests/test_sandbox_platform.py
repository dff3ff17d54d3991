"""The sandbox's platform area: organizations, teams, memberships, attributes, webhooks, calendars,
conferencing, Stripe and the OAuth client, exercised over the ASGI app like Cal's API v2."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from cal_mcp.sandbox.clock import FrozenClock
from cal_mcp.sandbox.request_validation import EXPLANATION_HEADER
from cal_mcp.sandbox.seeds import new_state
from cal_mcp.sandbox.seeds.platform_apps import WEBHOOK_ORG, WEBHOOK_USER_BOOKINGS, WEBHOOK_USER_MEETINGS
from cal_mcp.sandbox.state import OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, ORG_ID, USER_ID, SandboxState

AUTH = {"Authorization": "Bearer sandbox-test-key"}
CLIENT = {"x-cal-secret-key": OAUTH_CLIENT_SECRET}
ORG = f"/v2/organizations/{ORG_ID}"
OAUTH = f"/v2/oauth-clients/{OAUTH_CLIENT_ID}"


@pytest.fixture
def state() -> SandboxState:
    return new_state(clock=FrozenClock(datetime(2026, 11, 23, 8, 0, tzinfo=UTC)))


@pytest.fixture
def api(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The in-process sandbox client from conftest, under this module's name for it."""
    return client


def explained(response: httpx.Response) -> str:
    """A refusal by Cal's global ValidationPipe: "Bad Request Exception" with no details, as Cal's production
    API answers (app.ts, http-exception.filter.ts); the sandbox says what failed in a header."""
    error(response, 400, "BadRequestException")
    assert response.json()["error"] == {"code": "BadRequestException", "message": "Bad Request Exception"}
    return response.headers[EXPLANATION_HEADER]


def error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == "error" and body["error"]["code"] == code
    return body["error"]


# --- organizations -----------------------------------------------------------------------------


async def test_org_routes_for_another_organization_are_forbidden(api: httpx.AsyncClient) -> None:
    for path in ("/teams", "/users", "/memberships", "/attributes", "/webhooks", "/schedules"):
        error(await api.get(f"/v2/organizations/999{path}"), 403, "ForbiddenException")


async def test_org_team_lifecycle_creates_reads_updates_and_deletes(api: httpx.AsyncClient) -> None:
    created = await api.post(f"{ORG}/teams", json={"name": "Support", "bio": "Helps customers"})
    assert created.status_code == 201
    team = created.json()["data"]
    assert team["parentId"] == ORG_ID and team["slug"] == "support" and team["isOrganization"] is False
    mine = (await api.get(f"{ORG}/teams/me")).json()["data"]
    assert team["id"] in [t["id"] for t in mine]
    patched = await api.patch(f"{ORG}/teams/{team['id']}", json={"name": "Customer Support"})
    assert patched.json()["data"]["name"] == "Customer Support"
    assert (await api.delete(f"{ORG}/teams/{team['id']}")).status_code == 200
    error(await api.get(f"{ORG}/teams/{team['id']}"), 404, "NotFoundException")


async def test_org_team_routes_reject_unknown_and_outside_teams(api: httpx.AsyncClient) -> None:
    error(await api.get(f"{ORG}/teams/4242"), 404, "NotFoundException")
    error(await api.get(f"{ORG}/teams/650"), 403, "ForbiddenException")  # the standalone Book Club
    error(await api.get(f"{ORG}/teams/abc"), 400, "BadRequestException")


async def test_org_team_memberships_need_org_members_and_can_be_changed(api: httpx.AsyncClient) -> None:
    outsider = await api.post(f"{ORG}/teams/602/memberships", json={"userId": 4242, "role": "MEMBER"})
    error(outsider, 404, "NotFoundException")
    created = await api.post(f"{ORG}/teams/602/memberships", json={"userId": 1002, "role": "MEMBER"})
    assert created.status_code == 201
    membership = created.json()["data"]
    assert membership["user"]["email"] == "blake@sandbox.cal.test"
    path = f"{ORG}/teams/602/memberships/{membership['id']}"
    assert (await api.patch(path, json={"role": "ADMIN"})).json()["data"]["role"] == "ADMIN"
    assert (await api.delete(path)).status_code == 200
    error(await api.get(path), 404, "NotFoundException")


async def test_org_memberships_carry_attributes_and_page(api: httpx.AsyncClient) -> None:
    page = (await api.get(f"{ORG}/memberships", params={"take": 2, "skip": 1})).json()["data"]
    assert [m["id"] for m in page] == [2002, 2003]
    mine = (await api.get(f"{ORG}/memberships/2001")).json()["data"]
    by_name = {a["name"]: a for a in mine["attributes"]}
    assert by_name["Department"]["option"] == "Sales"
    assert {o["option"] for o in by_name["Languages"]["options"]} == {"English", "German"}
    error(await api.get(f"{ORG}/memberships", params={"take": 0}), 400, "BadRequestException")
    error(await api.get(f"{ORG}/memberships/9999"), 404, "NotFoundException")


async def test_org_membership_crud_and_last_owner_guard(api: httpx.AsyncClient) -> None:
    user = (await api.post(f"{ORG}/users", json={"email": "new.person@sandbox.cal.test"})).json()["data"]
    memberships = (await api.get(f"{ORG}/memberships")).json()["data"]
    membership = next(m for m in memberships if m["userId"] == user["id"])
    updated = await api.patch(f"{ORG}/memberships/{membership['id']}", json={"role": "ADMIN"})
    assert updated.json()["data"]["role"] == "ADMIN"
    assert (await api.delete(f"{ORG}/memberships/{membership['id']}")).status_code == 200
    error(await api.get(f"{ORG}/memberships/{membership['id']}"), 404, "NotFoundException")
    error(await api.delete(f"{ORG}/memberships/2001"), 400, "BadRequestException")


async def test_org_users_filter_by_attribute_options_and_teams(api: httpx.AsyncClient) -> None:
    async def ids(**params: str) -> set[int]:
        return {u["id"] for u in (await api.get(f"{ORG}/users", params=params)).json()["data"]}

    assert await ids(assignedOptionIds="opt-dept-engineering") == {1003, 1004}
    assert await ids(assignedOptionIds="opt-lang-en,opt-dept-sales", attributeQueryOperator="AND") == {USER_ID, 1002}
    assert USER_ID not in await ids(assignedOptionIds="opt-dept-sales", attributeQueryOperator="NONE")
    assert await ids(teamIds="602") == {USER_ID, 1003, 1004}
    assert await ids(emails="devon@sandbox.cal.test") == {1004}


async def test_org_user_create_update_delete(api: httpx.AsyncClient) -> None:
    created = await api.post(f"{ORG}/users", json={"email": "kai@sandbox.cal.test", "timeZone": "Europe/Paris"})
    assert created.status_code == 201
    user = created.json()["data"]
    assert user["profile"]["organizationId"] == ORG_ID and user["username"] == "kai"
    error(await api.post(f"{ORG}/users", json={"email": "kai@sandbox.cal.test"}), 409, "ConflictException")
    # Undeclared properties are stripped, not refused (app.ts: whitelist without forbidNonWhitelisted).
    stripped = await api.post(f"{ORG}/users", json={"email": "x@y.test", "nickname": "k"})
    assert stripped.status_code == 201 and "nickname" not in stripped.json()["data"]
    assert "email must be a string" in explained(await api.post(f"{ORG}/users", json={"email": 7}))
    assert (await api.patch(f"{ORG}/users/{user['id']}", json={"bio": "Hi"})).json()["data"]["bio"] == "Hi"
    # The update is Cal's partial of the create input: what it does not declare is stripped, not written.
    patched = await api.patch(f"{ORG}/users/{user['id']}", json={"id": 1, "organizationRole": "OWNER", "bio": "Yo"})
    assert patched.json()["data"]["id"] == user["id"] and patched.json()["data"]["bio"] == "Yo"
    assert "Please include a valid time zone" in explained(
        await api.patch(f"{ORG}/users/{user['id']}", json={"timeZone": "Mars/Olympus"}))
    assert (await api.delete(f"{ORG}/users/{user['id']}")).status_code == 200
    error(await api.patch(f"{ORG}/users/{user['id']}", json={"bio": "x"}), 404, "NotFoundException")
    error(await api.delete(f"{ORG}/users/{USER_ID}"), 403, "ForbiddenException")


async def test_org_user_schedules_are_created_and_made_default(api: httpx.AsyncClient) -> None:
    body = {"name": "Evenings", "timeZone": "America/New_York", "isDefault": True,
            "availability": [{"days": ["Monday"], "startTime": "18:00", "endTime": "21:00"}]}
    created = await api.post(f"{ORG}/users/1002/schedules", json=body)
    assert created.status_code == 201
    schedule_id = created.json()["data"]["id"]
    schedules = (await api.get(f"{ORG}/users/1002/schedules")).json()["data"]
    assert [s["isDefault"] for s in schedules] == [False, True]
    bad = {**body, "availability": [{"days": ["Funday"], "startTime": "9", "endTime": "17:00"}]}
    problems = explained(await api.post(f"{ORG}/users/1002/schedules", json=bad))
    assert "each value in availability.0.days must be one of the following values" in problems
    assert "availability.0.startTime must match" in problems
    # An override's date is any ISO 8601 date string to Cal (IsISO8601); it keeps the day.
    patched = await api.patch(f"{ORG}/users/1002/schedules/{schedule_id}", json={
        "overrides": [{"date": "2026-12-24T00:00:00Z", "startTime": "10:00", "endTime": "12:00"}]})
    assert patched.json()["data"]["overrides"] == [{"date": "2026-12-24", "startTime": "10:00", "endTime": "12:00"}]
    assert (await api.delete(f"{ORG}/users/1002/schedules/{schedule_id}")).json() == {"status": "success"}
    error(await api.get(f"{ORG}/users/1002/schedules/{schedule_id}"), 404, "NotFoundException")
    error(await api.get(f"{ORG}/users/4242/schedules"), 404, "NotFoundException")


# --- attributes --------------------------------------------------------------------------------


async def test_attribute_options_are_assigned_and_unassigned(api: httpx.AsyncClient) -> None:
    created = await api.post(f"{ORG}/attributes", json={
        "name": "Region", "slug": "region", "type": "SINGLE_SELECT",
        "options": [{"value": "EMEA", "slug": "emea"}, {"value": "APAC", "slug": "apac"}]})
    assert created.status_code == 201
    attribute = created.json()["data"]
    options = (await api.get(f"{ORG}/attributes/{attribute['id']}/options")).json()["data"]
    emea = next(o for o in options if o["slug"] == "emea")
    assigned = await api.post(f"{ORG}/attributes/options/1003",
                              json={"attributeId": attribute["id"], "attributeOptionId": emea["id"]})
    assert assigned.status_code == 201 and assigned.json()["data"]["memberId"] == 2003
    assert emea in (await api.get(f"{ORG}/attributes/options/1003")).json()["data"]
    assert (await api.delete(f"{ORG}/attributes/options/1003/{emea['id']}")).status_code == 200
    error(await api.delete(f"{ORG}/attributes/options/1003/{emea['id']}"), 404, "NotFoundException")
    assert (await api.delete(f"{ORG}/attributes/{attribute['id']}")).status_code == 200
    error(await api.get(f"{ORG}/attributes/{attribute['id']}"), 404, "NotFoundException")


async def test_text_attribute_values_become_options(api: httpx.AsyncClient) -> None:
    response = await api.post(f"{ORG}/attributes/options/1002", json={"attributeId": "attr-job-title",
                                                                      "value": "Account Executive"})
    assert response.status_code == 201
    values = [o["value"] for o in (await api.get(f"{ORG}/attributes/options/1002")).json()["data"]]
    assert "Account Executive" in values


async def test_attribute_validation_and_unknown_ids(api: httpx.AsyncClient) -> None:
    bad = await api.post(f"{ORG}/attributes", json={"name": "X", "slug": "x", "type": "COLOR", "options": []})
    assert "type must be one of the following values" in explained(bad)
    taken = {"name": "Dept", "slug": "department", "type": "TEXT", "options": []}
    error(await api.post(f"{ORG}/attributes", json=taken), 409, "ConflictException")
    error(await api.patch(f"{ORG}/attributes/nope", json={"name": "Y"}), 404, "NotFoundException")
    error(await api.patch(f"{ORG}/attributes/attr-department/options/nope", json={"value": "Y"}), 404,
          "NotFoundException")


# --- teams -------------------------------------------------------------------------------------


async def test_teams_list_includes_the_organization_and_standalone_team(api: httpx.AsyncClient) -> None:
    teams = (await api.get("/v2/teams")).json()["data"]
    assert {t["id"] for t in teams} == {ORG_ID, 601, 602, 650}
    assert next(t for t in teams if t["id"] == ORG_ID)["isOrganization"] is True


async def test_team_roles_gate_updates_and_deletion(api: httpx.AsyncClient) -> None:
    error(await api.delete("/v2/teams/602"), 403, "ForbiddenException")  # only an ADMIN of Engineering
    error(await api.get("/v2/teams/4242"), 404, "NotFoundException")
    created = (await api.post("/v2/teams", json={"name": "Chess Club"})).json()["data"]
    # UpdateTeamDto.name has no IsOptional (update-team.input.ts): every PATCH carries the name.
    unnamed = await api.patch(f"/v2/teams/{created['id']}", json={"theme": "dark"})
    assert "name should not be empty" in explained(unnamed)
    renamed = await api.patch(f"/v2/teams/{created['id']}", json={"name": "Chess Club", "theme": "dark"})
    assert renamed.json()["data"]["theme"] == "dark"
    assert (await api.delete(f"/v2/teams/{created['id']}")).status_code == 200
    error(await api.get(f"/v2/teams/{created['id']}"), 404, "NotFoundException")


async def test_team_memberships_crud_with_email_filter(api: httpx.AsyncClient) -> None:
    listed = (await api.get("/v2/teams/601/memberships", params={"emails": "blake@sandbox.cal.test"})).json()
    assert [m["userId"] for m in listed["data"]] == [1002]
    created = await api.post("/v2/teams/650/memberships", json={"userId": 1003, "role": "MEMBER"})
    assert created.status_code == 201 and created.json()["data"]["accepted"] is False
    path = f"/v2/teams/650/memberships/{created.json()['data']['id']}"
    assert (await api.patch(path, json={"accepted": True})).json()["data"]["accepted"] is True
    error(await api.patch(path, json={"role": "OWNER"}), 403, "ForbiddenException")  # only owners make owners
    error(await api.post("/v2/teams/650/memberships", json={"userId": 1003}), 400, "BadRequestException")
    assert (await api.delete(path)).status_code == 200
    error(await api.get(path), 404, "NotFoundException")


async def test_team_event_types_are_created_listed_and_deleted(api: httpx.AsyncClient) -> None:
    seeded = (await api.get("/v2/teams/601/event-types")).json()["data"]
    assert seeded[0]["id"] == 9001 and seeded[0]["schedulingType"] == "roundRobin"
    assert [h["userId"] for h in seeded[0]["hosts"]] == [USER_ID, 1002]
    # Prisma's enum names pass too: the DTO maps the documented values onto them before IsEnum
    # (CreateTeamEventTypeInput_2024_06_14, create-event-type.input.ts).
    outsider = {"title": "Pitch", "slug": "pitch", "lengthInMinutes": 30, "schedulingType": "COLLECTIVE",
                "hosts": [{"userId": 1004}]}
    error(await api.post("/v2/teams/601/event-types", json=outsider), 400, "BadRequestException")
    created = await api.post("/v2/teams/601/event-types", json={**outsider, "hosts": [{"userId": 1003}]})
    assert created.status_code == 201 and created.json()["data"]["schedulingType"] == "collective"
    only = (await api.get("/v2/teams/601/event-types", params={"eventSlug": "pitch"})).json()["data"]
    assert [e["slug"] for e in only] == ["pitch"]
    event_id = created.json()["data"]["id"]
    assert (await api.delete(f"/v2/teams/601/event-types/{event_id}")).status_code == 200
    error(await api.get(f"/v2/teams/601/event-types/{event_id}"), 404, "NotFoundException")


async def test_phone_call_is_validated_and_never_placed(api: httpx.AsyncClient) -> None:
    body = {"yourPhoneNumber": "+442071234567", "numberToCall": "12345", "calApiKey": "cal_live_x",
            "enabled": True, "templateType": "CUSTOM_TEMPLATE"}
    path = f"{ORG}/teams/601/event-types/9001/create-phone-call"
    error(await api.post(path, json=body), 400, "BadRequestException")
    created = await api.post(path, json={**body, "numberToCall": "+14155550100"})
    assert created.status_code == 201
    assert created.json()["data"]["callId"] and "cal_live_x" not in created.text


# --- webhooks ----------------------------------------------------------------------------------


async def test_webhook_create_validates_the_body(api: httpx.AsyncClient) -> None:
    bad = await api.post("/v2/webhooks", json={"subscriberUrl": "not-a-url", "triggers": ["NOPE"],
                                               "active": "yes", "colour": "red"})
    details = explained(bad)
    assert "colour" not in details, "an undeclared property is stripped, not refused"
    assert "each value in triggers must be one of" in details
    assert "active must be a boolean value" in details
    # Cal's OpenAPI does not state the URL rule: the tools' calRules do, and the gate applies them too.
    assert "subscriberUrl must be a URL address" in details
    bad_url = await api.post("/v2/webhooks", json={"subscriberUrl": "not-a-url", "triggers": ["BOOKING_CREATED"],
                                                   "active": True})
    assert explained(bad_url) == "subscriberUrl must be a URL address"


async def test_user_webhook_lifecycle(api: httpx.AsyncClient) -> None:
    body = {"subscriberUrl": "https://hooks.example.com/cal", "triggers": ["BOOKING_CREATED"], "active": True,
            "secret": "s3cret"}
    created = await api.post("/v2/webhooks", json=body)
    assert created.status_code == 201
    hook = created.json()["data"]
    assert hook["userId"] == USER_ID and hook["secret"] == "s3cret"
    error(await api.post("/v2/webhooks", json=body), 409, "ConflictException")
    patched = await api.patch(f"/v2/webhooks/{hook['id']}", json={"active": False})
    assert patched.json()["data"]["active"] is False
    assert (await api.delete(f"/v2/webhooks/{hook['id']}")).status_code == 200
    error(await api.get(f"/v2/webhooks/{hook['id']}"), 404, "NotFoundException")
    error(await api.get("/v2/webhooks/not-a-webhook"), 404, "NotFoundException")


async def test_webhook_lists_page_with_take_and_skip(api: httpx.AsyncClient) -> None:
    first = (await api.get("/v2/webhooks", params={"take": 1})).json()["data"]
    second = (await api.get("/v2/webhooks", params={"take": 1, "skip": 1})).json()["data"]
    assert [h["id"] for h in first + second] == [WEBHOOK_USER_BOOKINGS, WEBHOOK_USER_MEETINGS]
    assert "secret" not in second[0]  # no secret was set on that one


async def test_event_type_webhooks_belong_to_owned_event_types(api: httpx.AsyncClient) -> None:
    hooks = (await api.get("/v2/event-types/101/webhooks")).json()["data"]
    assert [h["eventTypeId"] for h in hooks] == [101]
    error(await api.get("/v2/event-types/999999/webhooks"), 404, "NotFoundException")
    team_hook = await api.post("/v2/event-types/9001/webhooks", json={
        "subscriberUrl": "https://hooks.example.com/team", "triggers": ["BOOKING_CREATED"], "active": True})
    assert team_hook.status_code == 201
    deleted = await api.delete("/v2/event-types/101/webhooks")
    assert deleted.json()["data"] == "1 webhooks deleted"
    assert (await api.get("/v2/event-types/101/webhooks")).json()["data"] == []


async def test_org_webhooks_are_scoped_to_the_org(api: httpx.AsyncClient) -> None:
    hooks = (await api.get(f"{ORG}/webhooks")).json()["data"]
    assert [h["teamId"] for h in hooks] == [ORG_ID]
    # a user webhook, not the org's
    error(await api.get(f"{ORG}/webhooks/{WEBHOOK_USER_BOOKINGS}"), 404, "NotFoundException")
    error(await api.get(f"/v2/organizations/7/webhooks/{WEBHOOK_ORG}"), 403, "ForbiddenException")


# --- OAuth client ------------------------------------------------------------------------------


async def test_oauth_client_routes_check_the_client(api: httpx.AsyncClient) -> None:
    error(await api.get(f"{OAUTH}/users"), 401, "UnauthorizedException")
    error(await api.get(f"{OAUTH}/users", headers={"x-cal-secret-key": "wrong"}), 401, "UnauthorizedException")
    error(await api.get("/v2/oauth-clients/unknown/users", headers=CLIENT), 401, "UnauthorizedException")
    error(await api.get("/v2/provider/unknown"), 401, "UnauthorizedException")
    provider = (await api.get(f"/v2/provider/{OAUTH_CLIENT_ID}")).json()["data"]
    assert provider["organizationId"] == ORG_ID


async def test_managed_users_crud_with_limit_and_offset(api: httpx.AsyncClient) -> None:
    created = await api.post(f"{OAUTH}/users", headers=CLIENT, json={"email": "sam@example.com", "name": "Sam"})
    assert created.status_code == 201
    data = created.json()["data"]
    assert data["user"]["email"] == f"sam+{OAUTH_CLIENT_ID}@example.com" and data["accessToken"]
    page = (await api.get(f"{OAUTH}/users", headers=CLIENT, params={"limit": 2, "offset": 1})).json()["data"]
    assert [u["id"] for u in page] == [3002, data["user"]["id"]]
    by_email = (await api.get(f"{OAUTH}/users", headers=CLIENT, params={"emails": "sam@example.com"})).json()
    assert [u["name"] for u in by_email["data"]] == ["Sam"]
    path = f"{OAUTH}/users/{data['user']['id']}"
    assert (await api.patch(path, headers=CLIENT, json={"timeFormat": 24})).json()["data"]["timeFormat"] == 24
    assert (await api.delete(path, headers=CLIENT)).status_code == 200
    error(await api.get(path, headers=CLIENT), 404, "NotFoundException")


async def test_refresh_tokens_rotate(api: httpx.AsyncClient) -> None:
    refresh = f"/v2/oauth/{OAUTH_CLIENT_ID}/refresh"
    first = await api.post(refresh, headers=CLIENT, json={"refreshToken": "sbx_rt_seed_3001"})
    assert first.status_code == 200
    error(await api.post(refresh, headers=CLIENT, json={"refreshToken": "sbx_rt_seed_3001"}), 401,
          "UnauthorizedException")
    forced = await api.post(f"{OAUTH}/users/3001/force-refresh", headers=CLIENT)
    assert forced.json()["data"]["refreshToken"] != first.json()["data"]["refreshToken"]


async def test_oauth_client_webhooks_crud(api: httpx.AsyncClient) -> None:
    listed = (await api.get(f"{OAUTH}/webhooks", headers=CLIENT)).json()["data"]
    assert [h["oAuthClientId"] for h in listed] == [OAUTH_CLIENT_ID]
    created = await api.post(f"{OAUTH}/webhooks", headers=CLIENT, json={
        "subscriberUrl": "https://platform.example.com/hook", "triggers": ["BOOKING_PAID"], "active": True})
    assert created.status_code == 201
    path = f"{OAUTH}/webhooks/{created.json()['data']['id']}"
    assert (await api.patch(path, headers=CLIENT, json={"active": False})).json()["data"]["active"] is False
    assert (await api.delete(path, headers=CLIENT)).status_code == 200
    error(await api.get(path, headers=CLIENT), 404, "NotFoundException")


# --- calendars, conferencing, payments ---------------------------------------------------------


def _busy_params(date_from: str, date_to: str, **extra: str) -> dict[str, str]:
    return {"timeZone": "Europe/London", "dateFrom": date_from, "dateTo": date_to,
            "calendarsToLoad[0][credentialId]": "101", "calendarsToLoad[0][externalId]": "alex@sandbox.cal.test",
            **extra}


async def test_busy_times_come_from_the_connected_google_calendar(api: httpx.AsyncClient) -> None:
    busy = (await api.get("/v2/calendars/busy-times", params=_busy_params("2026-11-24", "2026-11-26"))).json()
    starts = [b["start"] for b in busy["data"]]
    # External events (Tue 12:00, Wed 09:00) plus the accepted seeded bookings in that window.
    assert "2026-11-24T12:00:00.000Z" in starts and "2026-11-25T09:00:00.000Z" in starts
    assert starts == sorted(starts)
    assert "2026-11-27T16:00:00.000Z" not in starts  # Thursday's event is outside the window


async def test_busy_times_follow_the_clock(state: SandboxState, api: httpx.AsyncClient) -> None:
    state.clock.set(datetime(2027, 3, 1, 8, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    state.reset()
    busy = (await api.get("/v2/calendars/busy-times", params=_busy_params("2027-03-02", "2027-03-02"))).json()
    # The next weekday's lunch (12:00) and the core's upcoming 10:00 booking, both moved with the clock.
    assert [b["start"] for b in busy["data"]] == ["2027-03-02T10:00:00.000Z", "2027-03-02T12:00:00.000Z"]


async def test_busy_times_reject_bad_parameters(api: httpx.AsyncClient) -> None:
    error(await api.get("/v2/calendars/busy-times", params=_busy_params("2026-11-24", "2026-11-25",
                                                                        timeZone="Mars/Base")), 400,
          "BadRequestException")
    params = _busy_params("2026-11-24", "2026-11-25")
    params["calendarsToLoad[0][credentialId]"] = "999"
    error(await api.get("/v2/calendars/busy-times", params=params), 401, "UnauthorizedException")
    del params["timeZone"]
    error(await api.get("/v2/calendars/busy-times", params=params), 400, "BadRequestException")


async def test_calendar_connect_save_and_disconnect(api: httpx.AsyncClient) -> None:
    assert (await api.post("/v2/calendars/google/disconnect", json={"id": 101})).json()["data"]["id"] == 101
    error(await api.get("/v2/calendars/google/check"), 400, "BadRequestException")
    auth_url = (await api.get("/v2/calendars/google/connect", params={"isDryRun": "false"})).json()["data"]["authUrl"]
    oauth_state = dict(httpx.URL(auth_url).params)["state"]
    assert "sandbox-test-key" not in auth_url  # the caller's key never goes into the URL
    saved = await api.get("/v2/calendars/google/save", params={"state": oauth_state, "code": "4/abc"}, headers={})
    assert saved.status_code == 301 and "location" in saved.headers  # @Redirect(undefined, 301)
    assert (await api.get("/v2/calendars/google/check")).json() == {"status": "success"}
    replay = await api.get("/v2/calendars/google/save", params={"state": oauth_state, "code": "4/abc"})
    error(replay, 401, "UnauthorizedException")
    error(await api.post("/v2/calendars/google/disconnect", json={"id": 4242}), 404, "NotFoundException")


async def test_selected_and_destination_calendars(api: httpx.AsyncClient) -> None:
    holidays = "en.uk#holiday@group.v.calendar.google.com"
    body = {"integration": "google_calendar", "externalId": holidays, "credentialId": 101}
    assert (await api.post("/v2/selected-calendars", json=body)).status_code == 201
    calendars = (await api.get("/v2/calendars")).json()["data"]["connectedCalendars"]
    google = next(c for c in calendars if c["credentialId"] == 101)
    assert all(c["isSelected"] for c in google["calendars"])
    query = {"integration": "google_calendar", "externalId": holidays, "credentialId": "101"}
    assert (await api.delete("/v2/selected-calendars", params=query)).status_code == 200
    error(await api.delete("/v2/selected-calendars", params=query), 404, "NotFoundException")
    # credentialId is any string to Cal's query DTO; text that is no number names no selected calendar.
    error(await api.delete("/v2/selected-calendars", params={**query, "credentialId": "google"}), 404,
          "NotFoundException")
    error(await api.put("/v2/destination-calendars", json={"integration": "google_calendar", "externalId": "x"}),
          404, "NotFoundException")
    moved = await api.put("/v2/destination-calendars", json={"integration": "google_calendar", "externalId": holidays})
    assert moved.json()["data"]["externalId"] == holidays


async def test_ics_feed_and_apple_credentials(api: httpx.AsyncClient) -> None:
    assert (await api.get("/v2/calendars/ics-feed/check")).json() == {"status": "success"}
    # Cal's IsICSUrlConstraint (create-ics.input.ts), from the tool spec's calRules.
    assert explained(await api.post("/v2/calendars/ics-feed/save", json={"urls": ["https://example.com/cal"]})) == (
        "The URL must be a valid ICS URL (ending with .ics)")
    saved = await api.post("/v2/calendars/ics-feed/save", json={"urls": ["https://example.com/a.ics"]})
    assert saved.status_code == 201 and saved.json()["data"]["type"] == "ics-feed_calendar"
    error(await api.get("/v2/calendars/apple/check"), 400, "BadRequestException")
    apple = await api.post("/v2/calendars/apple/credentials", json={"username": "me@icloud.com", "password": "ab-cd"})
    assert apple.status_code == 201
    assert (await api.get("/v2/calendars/apple/check")).json() == {"status": "success"}


async def test_conferencing_default_and_disconnect(api: httpx.AsyncClient) -> None:
    assert (await api.get("/v2/conferencing/default")).json()["data"] == {"appSlug": "google-meet"}
    assert {a["type"] for a in (await api.get("/v2/conferencing")).json()["data"]} == {"google_video", "zoom_video"}
    error(await api.post("/v2/conferencing/msteams/default"), 400, "BadRequestException")
    assert (await api.post("/v2/conferencing/zoom/default")).json() == {"status": "success"}
    assert (await api.delete("/v2/conferencing/zoom/disconnect")).json() == {"status": "success"}
    assert "data" not in (await api.get("/v2/conferencing/default")).json()
    error(await api.post("/v2/conferencing/google-meet/connect"), 400, "BadRequestException")  # already there


async def test_stripe_is_not_connected_until_the_callback_runs(api: httpx.AsyncClient) -> None:
    error(await api.get("/v2/stripe/check"), 404, "NotFoundException")
    auth_url = (await api.get("/v2/stripe/connect", params={"returnTo": "https://app.example.com/done"})).json()
    oauth_state = dict(httpx.URL(auth_url["data"]["authUrl"]).params)["state"]
    saved = await api.get("/v2/stripe/save", params={"state": oauth_state, "code": "ac_123"}, headers={})
    assert saved.status_code == 301 and saved.headers["location"] == "https://app.example.com/done"
    assert (await api.get("/v2/stripe/check")).json() == {"status": "success"}
    assert json.loads(oauth_state)["returnTo"] == "https://app.example.com/done"


async def test_team_stripe_check_per_org_team(api: httpx.AsyncClient) -> None:
    assert (await api.get(f"{ORG}/teams/601/stripe/check")).json() == {"status": "success"}
    error(await api.get(f"{ORG}/teams/602/stripe/check"), 404, "NotFoundException")
    error(await api.get("/v2/organizations/8/teams/601/stripe/check"), 403, "ForbiddenException")


async def test_seed_dates_are_relative_to_now(state: SandboxState) -> None:
    starts = [datetime.fromisoformat(b["start"]) for b in state.table("busy_times").values()]
    assert any(s < state.now() for s in starts) and any(s > state.now() for s in starts)
    assert all(abs(s - state.now()) < timedelta(days=10) for s in starts)
