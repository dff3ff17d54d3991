"""End-to-end cases for the teams, organizations and platform toolsets (see ``e2e_support``).

Arguments come from the seeded sandbox: organization 501 (the sandbox user 1001 owns it), its teams
601 Sales (1001 OWNER) and 602 Engineering (1001 ADMIN), the standalone team 650 Book Club, the
memberships, team event types, attributes, member schedules, webhooks and the OAuth client with its
two managed users (``cal_mcp.sandbox.seeds.platform*``). Every write is checked in the sandbox state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cal_mcp.sandbox.seeds.core import SCHEDULE_EXTENDED_HOURS, SCHEDULE_WORKING_HOURS
from cal_mcp.sandbox.seeds.platform import (
    ATTR_DEPARTMENT,
    ATTR_JOB_TITLE,
    ATTR_LANGUAGES,
    BLAKE_ID,
    CASEY_ID,
    DEVON_ID,
    EMERY_ID,
    OPT_DE,
    OPT_EN,
    OPT_ENGINEERING,
    OPT_JA,
    OPT_MY_TITLE,
    OPT_SALES,
    OPT_SUPPORT,
    SCHEDULE_BLAKE,
    SCHEDULE_CASEY,
    SCHEDULE_DEVON,
    TEAM_BOOK_CLUB,
    TEAM_ENGINEERING,
    TEAM_EVENT_ARCH_REVIEW,
    TEAM_EVENT_BOOK_CHAT,
    TEAM_EVENT_SALES_DEMO,
    TEAM_SALES,
)
from cal_mcp.sandbox.seeds.platform_apps import (
    MANAGED_USER_JORDAN,
    MANAGED_USER_RILEY,
    SEEDED_REFRESH_TOKENS,
    WEBHOOK_OAUTH,
    WEBHOOK_ORG,
)
from cal_mcp.sandbox.state import OAUTH_CLIENT_ID, ORG_ID, USER_ID, SandboxState
from tests.e2e_support import Case, Check, on_error

ORG = {"orgId": ORG_ID}
OTHER_ORG = {"orgId": ORG_ID + 1}
CLIENT = {"clientId": OAUTH_CLIENT_ID}
PHONE = {"yourPhoneNumber": "+14155550123", "numberToCall": "+442071838750", "templateType": "CHECK_IN_APPOINTMENT"}


# --- helpers ---------------------------------------------------------------------------------------


def ids(rows: Any) -> list[Any]:
    assert isinstance(rows, list), rows
    return [row["id"] for row in rows]


def membership(state: SandboxState, team_id: int, user_id: int) -> dict[str, Any] | None:
    return next((m for m in state.table("memberships").values()
                 if m["teamId"] == team_id and m["userId"] == user_id), None)


def assigned_options(state: SandboxState, member_id: int) -> set[str]:
    return {a["attributeOptionId"] for a in state.table("org_attribute_assignments").values()
            if a["memberId"] == member_id}


def hint_names(*tools: str) -> Check:
    """Check for an error case: the error's hint names the tools that list valid IDs."""

    def check(error: Any, state: SandboxState) -> None:
        for tool in tools:
            assert tool in error["hint"], error

    return on_error(check)


def unchanged(table: str, key: Any) -> Check:
    """Check for an error case: the record the refused call aimed at is still there."""

    def check(error: Any, state: SandboxState) -> None:
        assert key in state.table(table), f"{table}[{key!r}] was removed by a refused call"

    return on_error(check)


def state_holds(predicate: Callable[[SandboxState], Any]) -> Check:
    """Check for an error case: the refused call left the state as ``predicate`` expects."""

    def check(error: Any, state: SandboxState) -> None:
        assert predicate(state), f"the refused call changed the sandbox state: {error}"

    return on_error(check)


@on_error
def nothing(error: Any, state: SandboxState) -> None:
    """Error cases whose status (checked by the harness) says it all."""


# --- teams -----------------------------------------------------------------------------------------


def _created_team(data: Any, state: SandboxState) -> None:
    assert data["name"] == "Design" and data["slug"] == "design" and "parentId" not in data
    team = state.table("teams")[data["id"]]
    assert (team["name"], team["timeZone"], team["parentId"]) == ("Design", "Europe/Paris", None)
    mine = membership(state, data["id"], USER_ID)
    assert mine is not None and (mine["role"], mine["accepted"]) == ("OWNER", True)


def _team_event_type_created(team_id: int, slug: str, host_ids: set[int]) -> Any:
    def check(data: Any, state: SandboxState) -> None:
        assert data["slug"] == slug and data["teamId"] == team_id and data["team"]["id"] == team_id
        assert {h["userId"] for h in data["hosts"]} == host_ids
        stored = state.table("team_event_types")[data["id"]]
        assert (stored["slug"], stored["teamId"]) == (slug, team_id)

    return check


def _sales_team_deleted(data: Any, state: SandboxState) -> None:
    assert data["id"] == TEAM_SALES and data["name"] == "Sales"
    assert TEAM_SALES not in state.table("teams")
    assert membership(state, TEAM_SALES, USER_ID) is None
    assert TEAM_EVENT_SALES_DEMO not in state.table("team_event_types"), "team event types go with the team"


TEAMS: list[Case] = [
    Case("CAL_CREATE_OR_UPDATE_TEAM_PROFILE", {"name": "Design", "bio": "Brand and product design.",
                                               "timeZone": "Europe/Paris"}, _created_team),
    Case("CAL_CREATE_OR_UPDATE_TEAM_PROFILE", {"name": "Readers", "slug": "book-club"}, nothing,
         id="slug-taken", error_status=400),
    Case("CAL_CREATE_PHONE_CALL_FOR_EVENT_TYPE",
         {"teamId": TEAM_SALES, "eventTypeId": TEAM_EVENT_SALES_DEMO, **PHONE, "guestName": "Jamie Rivera"},
         lambda data, state: _expect(data["callId"].startswith("call_sandbox_") and bool(data["agentId"]), data)),
    Case("CAL_CREATE_PHONE_CALL_FOR_EVENT_TYPE",
         {"teamId": TEAM_SALES, "eventTypeId": TEAM_EVENT_ARCH_REVIEW, **PHONE},
         hint_names("CAL_RETRIEVE_TEAM_EVENT_TYPES"), id="event-type-of-another-team", error_status=404),
    Case("CAL_CREATE_TEAM_EVENT_TYPE",
         {"teamId": TEAM_SALES, "title": "Pricing Q&A", "slug": "pricing-qa", "lengthInMinutes": 45,
          "schedulingType": "roundRobin", "hosts": [{"userId": BLAKE_ID, "priority": "high"},
                                                    {"userId": CASEY_ID, "mandatory": True}]},
         _team_event_type_created(TEAM_SALES, "pricing-qa", {BLAKE_ID, CASEY_ID})),
    Case("CAL_CREATE_TEAM_EVENT_TYPE",
         {"teamId": TEAM_SALES, "title": "Tokyo call", "slug": "tokyo-call", "lengthInMinutes": 30,
          "schedulingType": "collective", "hosts": [{"userId": DEVON_ID}]},
         state_holds(lambda state: _no_event_type(state, "tokyo-call")), id="host-not-in-team", error_status=400),
    Case("CAL_CREATE_TEAM_MEMBERSHIP_WITH_ROLE", {"teamId": TEAM_BOOK_CLUB, "userId": CASEY_ID, "role": "ADMIN"},
         lambda data, state: _membership_added(data, state, TEAM_BOOK_CLUB, CASEY_ID, "ADMIN", accepted=False)),
    Case("CAL_CREATE_TEAM_MEMBERSHIP_WITH_ROLE", {"teamId": TEAM_SALES, "userId": 9999},
         nothing, id="unknown-user", error_status=404),
    Case("CAL_DELETE_EVENT_TYPE_IN_TEAM", {"teamId": TEAM_SALES, "eventTypeId": TEAM_EVENT_SALES_DEMO},
         lambda data, state: _gone(data["id"] == TEAM_EVENT_SALES_DEMO, state, "team_event_types",
                                   TEAM_EVENT_SALES_DEMO)),
    Case("CAL_DELETE_TEAM_BY_ID", {"teamId": TEAM_SALES}, _sales_team_deleted),
    Case("CAL_DELETE_TEAM_BY_ID", {"teamId": TEAM_ENGINEERING}, unchanged("teams", TEAM_ENGINEERING),
         id="admin-not-owner", error_status=403),
    Case("CAL_DELETE_TEAM_MEMBERSHIPS_BY_ID", {"teamId": TEAM_SALES, "membershipId": 2012},
         lambda data, state: _gone(data["userId"] == BLAKE_ID, state, "memberships", 2012)),
    Case("CAL_DELETE_TEAM_MEMBERSHIPS_BY_ID", {"teamId": TEAM_SALES, "membershipId": 2023},
         hint_names("CAL_RETRIEVE_TEAM_MEMBERSHIPS"), id="membership-of-another-team", error_status=404),
    Case("CAL_GET_EVENT_TYPE_BY_TEAM_ID", {"teamId": TEAM_ENGINEERING, "eventTypeId": TEAM_EVENT_ARCH_REVIEW},
         lambda data, state: _expect(data["title"] == "Architecture review" and data["lengthInMinutes"] == 60
                                     and [h["userId"] for h in data["hosts"]] == [USER_ID, DEVON_ID]
                                     and data["schedulingType"] == "collective", data)),
    Case("CAL_GET_TEAMS_LIST", {},
         lambda data, state: _expect(ids(data) == [ORG_ID, TEAM_SALES, TEAM_ENGINEERING, TEAM_BOOK_CLUB]
                                     and data[0]["isOrganization"] is True, data)),
    Case("CAL_GET_TEAM_INFORMATION_BY_TEAM_ID", {"teamId": TEAM_BOOK_CLUB},
         lambda data, state: _expect(data["name"] == "Book Club" and data["slug"] == "book-club"
                                     and "parentId" not in data, data)),
    Case("CAL_GET_TEAM_INFORMATION_BY_TEAM_ID", {"teamId": 9999}, hint_names("CAL_GET_TEAMS_LIST"),
         id="unknown-team", error_status=404),
    Case("CAL_PATCH_TEAM_DETAILS_BY_ID",
         {"teamId": TEAM_ENGINEERING, "name": "Platform Engineering", "isPrivate": True},
         lambda data, state: _expect(data["name"] == "Platform Engineering" and data["isPrivate"] is True
                                     and state.table("teams")[TEAM_ENGINEERING]["name"] == "Platform Engineering"
                                     and state.table("teams")[TEAM_ENGINEERING]["isPrivate"] is True, data)),
    Case("CAL_RETRIEVE_TEAM_EVENT_TYPES", {"teamId": TEAM_BOOK_CLUB},
         lambda data, state: _expect(ids(data) == [TEAM_EVENT_BOOK_CHAT] and data[0]["assignAllTeamMembers"]
                                     and {h["userId"] for h in data[0]["hosts"]} == {USER_ID, BLAKE_ID}, data)),
    Case("CAL_RETRIEVE_TEAM_EVENT_TYPES", {"teamId": TEAM_SALES, "eventSlug": "no-such-event"},
         lambda data, state: _expect(data == [], data), id="slug-filter"),
    Case("CAL_RETRIEVE_TEAM_MEMBERSHIPS", {"teamId": TEAM_ENGINEERING},
         lambda data, state: _expect(ids(data) == [2021, 2022, 2023]
                                     and [m["role"] for m in data] == ["ADMIN", "OWNER", "MEMBER"], data)),
    Case("CAL_RETRIEVE_TEAM_MEMBERSHIPS", {"teamId": TEAM_ENGINEERING, "emails": ["devon@sandbox.cal.test"]},
         lambda data, state: _expect(ids(data) == [2022] and data[0]["user"]["name"] == "Devon Lee", data),
         id="email-filter"),
    Case("CAL_RETRIEVE_TEAM_MEMBERSHIP_DETAILS", {"teamId": TEAM_ENGINEERING, "membershipId": 2023},
         lambda data, state: _expect((data["userId"], data["role"], data["user"]["email"])
                                     == (CASEY_ID, "MEMBER", "casey@sandbox.cal.test"), data)),
    Case("CAL_UPDATE_TEAM_MEMBERSHIP_PROPERTIES", {"teamId": TEAM_SALES, "membershipId": 2012, "role": "ADMIN"},
         lambda data, state: _expect(data["role"] == "ADMIN"
                                     and state.table("memberships")[2012]["role"] == "ADMIN", data)),
    Case("CAL_UPDATE_TEAM_MEMBERSHIP_PROPERTIES",
         {"teamId": TEAM_ENGINEERING, "membershipId": 2023, "role": "OWNER"},
         state_holds(lambda state: state.table("memberships")[2023]["role"] == "MEMBER"),
         id="admin-cannot-make-owners", error_status=403),
]


# --- organizations ---------------------------------------------------------------------------------


def _org_team_created(data: Any, state: SandboxState) -> None:
    assert data["name"] == "Support" and data["parentId"] == ORG_ID and data["slug"] == "customer-support"
    team = state.table("teams")[data["id"]]
    assert (team["parentId"], team["name"], team["isPrivate"]) == (ORG_ID, "Support", True)


def _schedule_created(data: Any, state: SandboxState) -> None:
    assert data["ownerId"] == BLAKE_ID and data["name"] == "Evenings" and data["isDefault"] is True
    schedules = state.table("org_user_schedules")
    assert schedules[data["id"]]["availability"] == [{"days": ["Monday", "Wednesday"], "startTime": "18:00",
                                                      "endTime": "21:00"}]
    assert schedules[SCHEDULE_BLAKE]["isDefault"] is False, "the old default is no longer the default"
    assert state.table("users")[BLAKE_ID]["defaultScheduleId"] == data["id"]


def _attribute_created(data: Any, state: SandboxState) -> None:
    assert (data["name"], data["slug"], data["type"], data["teamId"]) == ("Office", "office", "SINGLE_SELECT", ORG_ID)
    assert state.table("org_attributes")[data["id"]]["name"] == "Office"
    options = [o for o in state.table("org_attribute_options").values() if o["attributeId"] == data["id"]]
    assert sorted(o["slug"] for o in options) == ["berlin", "london"]


def _org_user_created(data: Any, state: SandboxState) -> None:
    assert data["email"] == "frankie@sandbox.cal.test" and data["username"] == "frankie"
    assert data["profile"]["organizationId"] == ORG_ID
    assert state.table("users")[data["id"]]["timeZone"] == "America/Denver"
    member = membership(state, ORG_ID, data["id"])
    assert member is not None and member["role"] == "ADMIN"


def _org_user_deleted(data: Any, state: SandboxState) -> None:
    assert data["id"] == EMERY_ID and data["email"] == "emery@sandbox.cal.test"
    assert EMERY_ID not in state.table("users")
    assert membership(state, ORG_ID, EMERY_ID) is None


def _org_membership_deleted(data: Any, state: SandboxState) -> None:
    assert data["id"] == 2004 and data["userId"] == DEVON_ID
    assert 2004 not in state.table("memberships")
    assert assigned_options(state, 2004) == set(), "the member's attribute assignments go with the membership"


def _org_memberships(data: Any, state: SandboxState) -> None:
    assert ids(data) == [2001, 2002, 2003, 2004, 2005]
    mine = data[0]
    assert (mine["userId"], mine["role"], mine["accepted"]) == (USER_ID, "OWNER", True)
    department = next(a for a in mine["attributes"] if a["id"] == ATTR_DEPARTMENT)
    assert department["option"] == "Sales"
    languages = next(a for a in mine["attributes"] if a["id"] == ATTR_LANGUAGES)
    assert {o["option"] for o in languages["options"]} == {"English", "German"}
    assert data[4]["accepted"] is False, "Emery's invitation is pending"


def _webhook_created(owner_key: str, owner: Any) -> Any:
    def check(data: Any, state: SandboxState) -> None:
        assert data["subscriberUrl"] == "https://hooks.example.com/new" and data[owner_key] == owner
        assert data["triggers"] == ["BOOKING_CREATED", "MEETING_ENDED"]
        stored = state.table("webhooks")[data["id"]]
        assert (stored[owner_key], stored["subscriberUrl"], stored["active"]) == (
            owner, "https://hooks.example.com/new", True)

    return check


NEW_HOOK = {"subscriberUrl": "https://hooks.example.com/new", "triggers": ["BOOKING_CREATED", "MEETING_ENDED"],
            "active": True, "secret": "whsec_new"}
EVENINGS = {"name": "Evenings", "timeZone": "America/New_York", "isDefault": True,
            "availability": [{"days": ["Monday", "Wednesday"], "startTime": "18:00", "endTime": "21:00"}]}


def _drop_emery_membership(state: SandboxState) -> None:
    """An account outside the organization: Emery's pending invitation withdrawn."""
    del state.table("memberships")[2005]


ORGANIZATIONS: list[Case] = [
    Case("CAL_ADD_MEMBER_TO_TEAM_USING_ORG_AND_TEAM_ID",
         {**ORG, "teamId": TEAM_ENGINEERING, "userId": BLAKE_ID, "role": "MEMBER", "accepted": True},
         lambda data, state: _membership_added(data, state, TEAM_ENGINEERING, BLAKE_ID, "MEMBER", accepted=True)),
    Case("CAL_ADD_MEMBER_TO_TEAM_USING_ORG_AND_TEAM_ID",
         {**ORG, "teamId": TEAM_BOOK_CLUB, "userId": CASEY_ID, "role": "MEMBER"},
         state_holds(lambda state: membership(state, TEAM_BOOK_CLUB, CASEY_ID) is None),
         id="team-outside-org", error_status=403),
    Case("CAL_ADD_ORGANIZATION_ATTRIBUTE_OPTION",
         {**ORG, "attributeId": ATTR_DEPARTMENT, "value": "Marketing", "slug": "marketing"},
         lambda data, state: _expect(data["attributeId"] == ATTR_DEPARTMENT and data["value"] == "Marketing"
                                     and state.table("org_attribute_options")[data["id"]]["slug"] == "marketing",
                                     data)),
    Case("CAL_CREATE_MEMBERSHIP_FOR_ORGANIZATION", {**ORG, "userId": EMERY_ID, "role": "ADMIN", "accepted": True},
         lambda data, state: _membership_added(data, state, ORG_ID, EMERY_ID, "ADMIN", accepted=True),
         setup=_drop_emery_membership),
    Case("CAL_CREATE_MEMBERSHIP_FOR_ORGANIZATION", {**ORG, "userId": BLAKE_ID, "role": "MEMBER"},
         state_holds(lambda state: state.table("memberships")[2002]["role"] == "ADMIN"),
         id="already-a-member", error_status=400),
    Case("CAL_CREATE_ORGANIZATION_ATTRIBUTES",
         {**ORG, "name": "Office", "slug": "office", "type": "SINGLE_SELECT",
          "options": [{"value": "London", "slug": "london"}, {"value": "Berlin", "slug": "berlin"}]},
         _attribute_created),
    Case("CAL_CREATE_ORGANIZATION_ATTRIBUTES",
         {**ORG, "name": "Dept", "slug": "department", "type": "TEXT", "options": []},
         nothing, id="slug-taken", error_status=409),
    Case("CAL_CREATE_ORGANIZATION_WEBHOOK_BY_ORG_ID", {**ORG, **NEW_HOOK}, _webhook_created("teamId", ORG_ID)),
    Case("CAL_CREATE_ORGANIZATION_WEBHOOK_BY_ORG_ID",
         {**ORG, **NEW_HOOK, "subscriberUrl": "https://hooks.sandbox.cal.test/org"},
         nothing, id="url-taken", error_status=409),
    Case("CAL_CREATE_PHONE_CALL_EVENT",
         {**ORG, "teamId": TEAM_SALES, "eventTypeId": TEAM_EVENT_SALES_DEMO, **PHONE,
          "templateType": "CUSTOM_TEMPLATE", "generalPrompt": "Confirm tomorrow's demo."},
         lambda data, state: _expect(data["callId"].startswith("call_sandbox_") and bool(data["agentId"]), data)),
    Case("CAL_CREATE_TEAM_EVENT_TYPES_WITH_CUSTOM_OPTIONS",
         {**ORG, "teamId": TEAM_ENGINEERING, "title": "Incident review", "slug": "incident-review",
          "lengthInMinutes": 30, "schedulingType": "collective", "assignAllTeamMembers": True,
          "locations": [{"type": "link", "link": "https://meet.example.com/incident", "public": True}]},
         _team_event_type_created(TEAM_ENGINEERING, "incident-review", {USER_ID, DEVON_ID, CASEY_ID})),
    Case("CAL_CREATE_TEAM_EVENT_TYPES_WITH_CUSTOM_OPTIONS",
         {**ORG, "teamId": TEAM_ENGINEERING, "title": "Review", "slug": "architecture-review",
          "lengthInMinutes": 30, "schedulingType": "collective", "assignAllTeamMembers": True},
         nothing, id="slug-taken", error_status=400),
    Case("CAL_CREATE_TEAM_IN_ORGANIZATION",
         {**ORG, "name": "Support", "slug": "customer-support", "isPrivate": True}, _org_team_created),
    Case("CAL_CREATE_TEAM_IN_ORGANIZATION", {**OTHER_ORG, "name": "Support"},
         state_holds(lambda state: all(t["name"] != "Support" for t in state.table("teams").values())),
         id="other-org", error_status=403),
    Case("CAL_CREATE_USER_SCHEDULE_IN_ORGANIZATION", {**ORG, "userId": BLAKE_ID, **EVENINGS}, _schedule_created),
    Case("CAL_DELETE_MEMBERSHIP_IN_TEAM", {**ORG, "teamId": TEAM_SALES, "membershipId": 2013},
         lambda data, state: _gone(data["userId"] == CASEY_ID, state, "memberships", 2013)),
    Case("CAL_DELETE_MEMBERSHIP_IN_TEAM", {**ORG, "teamId": TEAM_ENGINEERING, "membershipId": 2013},
         hint_names("CAL_RETRIEVE_TEAM_MEMBERSHIPS_FOR_ORGANIZATION"), id="membership-of-another-team",
         error_status=404),
    Case("CAL_DELETE_ORGANIZATION_ATTRIBUTE", {**ORG, "attributeId": ATTR_LANGUAGES},
         lambda data, state: _expect(data["slug"] == "languages" and ATTR_LANGUAGES not in state.table("org_attributes")
                                     and not {OPT_EN, OPT_DE, OPT_JA} & set(state.table("org_attribute_options")),
                                     data)),
    Case("CAL_DELETE_ORGANIZATION_ATTRIBUTE_OPTION", {**ORG, "attributeId": ATTR_DEPARTMENT, "optionId": OPT_SUPPORT},
         lambda data, state: _gone(data["value"] == "Support", state, "org_attribute_options", OPT_SUPPORT)),
    Case("CAL_DELETE_ORGANIZATION_ATTRIBUTE_OPTION", {**ORG, "attributeId": ATTR_DEPARTMENT, "optionId": OPT_EN},
         hint_names("CAL_RETRIEVE_ATTRIBUTE_OPTIONS_FOR_ORG"), id="option-of-another-attribute", error_status=404),
    Case("CAL_DELETE_ORGANIZATION_MEMBERSHIP", {**ORG, "membershipId": 2004}, _org_membership_deleted),
    Case("CAL_DELETE_ORGANIZATION_MEMBERSHIP", {**ORG, "membershipId": 2001}, unchanged("memberships", 2001),
         id="last-owner", error_status=400),
    Case("CAL_DELETE_ORG_WEBHOOK", {**ORG, "webhookId": WEBHOOK_ORG},
         lambda data, state: _gone(data["id"] == WEBHOOK_ORG, state, "webhooks", WEBHOOK_ORG)),
    Case("CAL_DELETE_ORG_WEBHOOK", {**ORG, "webhookId": WEBHOOK_OAUTH},
         hint_names("CAL_RETRIEVE_ORGANIZATION_WEBHOOKS_BY_ORG_ID"), id="webhook-of-the-oauth-client",
         error_status=404),
    Case("CAL_DELETE_TEAM_FROM_ORGANIZATION", {**ORG, "teamId": TEAM_ENGINEERING},
         lambda data, state: _expect(data["id"] == TEAM_ENGINEERING and TEAM_ENGINEERING not in state.table("teams")
                                     and membership(state, TEAM_ENGINEERING, DEVON_ID) is None
                                     and TEAM_EVENT_ARCH_REVIEW not in state.table("team_event_types"), data)),
    Case("CAL_DELETE_TEAM_FROM_ORGANIZATION", {**ORG, "teamId": TEAM_BOOK_CLUB}, unchanged("teams", TEAM_BOOK_CLUB),
         id="team-outside-org", error_status=403),
    Case("CAL_DELETE_USER_ATTRIBUTE_OPTION", {**ORG, "userId": BLAKE_ID, "attributeOptionId": OPT_SALES},
         lambda data, state: _expect(data["attributeOptionId"] == OPT_SALES
                                     and assigned_options(state, 2002) == {OPT_EN}, data)),
    Case("CAL_DELETE_USER_FROM_ORGANIZATION", {**ORG, "userId": EMERY_ID}, _org_user_deleted),
    Case("CAL_DELETE_USER_FROM_ORGANIZATION", {**ORG, "userId": USER_ID}, unchanged("memberships", 2001),
         id="yourself", error_status=403),
    Case("CAL_DELETE_USER_SCHEDULE", {**ORG, "userId": CASEY_ID, "scheduleId": SCHEDULE_CASEY},
         lambda data, state: _expect(data == {"status": "success"}
                                     and SCHEDULE_CASEY not in state.table("org_user_schedules")
                                     and state.table("users")[CASEY_ID]["defaultScheduleId"] is None, data)),
    Case("CAL_DELETE_USER_SCHEDULE", {**ORG, "userId": CASEY_ID, "scheduleId": SCHEDULE_DEVON},
         hint_names("CAL_GET_ORGANIZATION_USER_SCHEDULES"), id="schedule-of-another-user", error_status=404),
    Case("CAL_FETCH_EVENT_TYPE_DETAILS", {**ORG, "teamId": TEAM_SALES, "eventTypeId": TEAM_EVENT_SALES_DEMO},
         lambda data, state: _expect(data["title"] == "Sales demo" and data["schedulingType"] == "roundRobin"
                                     and data["hosts"][0]["priority"] == "high", data)),
    Case("CAL_FETCH_EVENT_TYPE_DETAILS", {**ORG, "teamId": TEAM_BOOK_CLUB, "eventTypeId": TEAM_EVENT_BOOK_CHAT},
         nothing, id="team-outside-org", error_status=403),
    Case("CAL_FETCH_ORGANIZATION_ATTRIBUTE_BY_ID", {**ORG, "attributeId": ATTR_JOB_TITLE},
         lambda data, state: _expect((data["name"], data["type"], data["enabled"]) == ("Job title", "TEXT", True),
                                     data)),
    Case("CAL_FETCH_ORGANIZATION_ATTRIBUTE_BY_ID", {**ORG, "attributeId": "attr-shoe-size"},
         hint_names("CAL_RETRIEVE_ORGANIZATION_ATTRIBUTES"), id="unknown-attribute", error_status=404),
    Case("CAL_FETCH_USER_SCHEDULE_BY_ORG_ID", {**ORG, "userId": DEVON_ID, "scheduleId": SCHEDULE_DEVON},
         lambda data, state: _expect((data["ownerId"], data["timeZone"], data["isDefault"])
                                     == (DEVON_ID, "Asia/Tokyo", True), data)),
    Case("CAL_GET_ORGANIZATION_SCHEDULES", ORG,
         lambda data, state: _expect(ids(data) == [SCHEDULE_WORKING_HOURS, SCHEDULE_EXTENDED_HOURS, SCHEDULE_BLAKE,
                                                   SCHEDULE_CASEY, SCHEDULE_DEVON]
                                     and [s["ownerId"] for s in data][2:] == [BLAKE_ID, CASEY_ID, DEVON_ID], data)),
    Case("CAL_GET_ORGANIZATION_SCHEDULES", {**ORG, "take": 2, "skip": 2},
         lambda data, state: _expect(ids(data) == [SCHEDULE_BLAKE, SCHEDULE_CASEY], data), id="page"),
    Case("CAL_GET_ORGANIZATION_TEAMS_EVENT_TYPES", ORG,
         lambda data, state: _expect(sorted(ids(data)) == [TEAM_EVENT_SALES_DEMO, TEAM_EVENT_ARCH_REVIEW], data)),
    Case("CAL_GET_ORGANIZATION_USER_SCHEDULES", {**ORG, "userId": USER_ID},
         lambda data, state: _expect(ids(data) == [SCHEDULE_WORKING_HOURS, SCHEDULE_EXTENDED_HOURS]
                                     and [s["isDefault"] for s in data] == [True, False], data)),
    Case("CAL_GET_SCHEDULE_FOR_USER_IN_TEAM", {**ORG, "teamId": TEAM_ENGINEERING, "userId": DEVON_ID},
         lambda data, state: _expect(ids(data) == [SCHEDULE_DEVON] and data[0]["ownerId"] == DEVON_ID, data)),
    Case("CAL_GET_SCHEDULE_FOR_USER_IN_TEAM",
         {**ORG, "teamId": TEAM_ENGINEERING, "userId": USER_ID, "eventTypeId": TEAM_EVENT_ARCH_REVIEW},
         lambda data, state: _expect(ids(data) == [SCHEDULE_WORKING_HOURS], data), id="for-an-event-type"),
    Case("CAL_GET_SCHEDULE_FOR_USER_IN_TEAM", {**ORG, "teamId": TEAM_ENGINEERING, "userId": BLAKE_ID},
         nothing, id="not-a-team-member", error_status=404),
    Case("CAL_GET_TEAM_DETAILS_BY_ORG_ID_AND_TEAM_ID", {**ORG, "teamId": TEAM_SALES},
         lambda data, state: _expect((data["name"], data["parentId"]) == ("Sales", ORG_ID), data)),
    Case("CAL_GET_TEAM_DETAILS_BY_ORG_ID_AND_TEAM_ID", {**OTHER_ORG, "teamId": TEAM_SALES},
         nothing, id="other-org", error_status=403),
    Case("CAL_LIST_ORGANIZATION_MEMBERSHIPS", ORG, _org_memberships),
    Case("CAL_LIST_ORGANIZATION_MEMBERSHIPS", {**ORG, "take": 2, "skip": 1},
         lambda data, state: _expect(ids(data) == [2002, 2003], data), id="page"),
    Case("CAL_LIST_ORGANIZATION_MEMBERSHIPS", OTHER_ORG, nothing, id="other-org", error_status=403),
    Case("CAL_LIST_TEAM_EVENT_TYPES_BY_ORG_AND_TEAM_ID", {**ORG, "teamId": TEAM_SALES},
         lambda data, state: _expect(ids(data) == [TEAM_EVENT_SALES_DEMO]
                                     and [h["userId"] for h in data[0]["hosts"]] == [USER_ID, BLAKE_ID], data)),
    Case("CAL_LIST_TEAM_EVENT_TYPES_BY_ORG_AND_TEAM_ID",
         {**ORG, "teamId": TEAM_ENGINEERING, "eventSlug": "architecture-review"},
         lambda data, state: _expect(ids(data) == [TEAM_EVENT_ARCH_REVIEW], data), id="by-slug"),
    Case("CAL_MODIFY_ORGANIZATION_MEMBERSHIP_BY_ID", {**ORG, "membershipId": 2005, "accepted": True},
         lambda data, state: _expect(data["accepted"] is True and state.table("memberships")[2005]["accepted"],
                                     data)),
    Case("CAL_MODIFY_ORGANIZATION_MEMBERSHIP_BY_ID", {**ORG, "membershipId": 2001, "role": "MEMBER"},
         state_holds(lambda state: state.table("memberships")[2001]["role"] == "OWNER"),
         id="last-owner", error_status=400),
    Case("CAL_MODIFY_ORG_ATTRIBUTE_BY_ID", {**ORG, "attributeId": ATTR_JOB_TITLE, "name": "Role", "enabled": False},
         lambda data, state: _expect(data["name"] == "Role"
                                     and state.table("org_attributes")[ATTR_JOB_TITLE]["name"] == "Role"
                                     and state.table("org_attributes")[ATTR_JOB_TITLE]["enabled"] is False, data)),
    Case("CAL_PATCH_ORGANIZATION_ATTRIBUTE_OPTION",
         {**ORG, "attributeId": ATTR_DEPARTMENT, "optionId": OPT_SUPPORT, "value": "Customer Support"},
         lambda data, state: _expect(data["value"] == "Customer Support"
                                     and state.table("org_attribute_options")[OPT_SUPPORT]["value"]
                                     == "Customer Support", data)),
    Case("CAL_PATCH_ORGANIZATION_USER_DETAILS", {**ORG, "userId": CASEY_ID, "timeZone": "Europe/Madrid"},
         lambda data, state: _expect(data["timeZone"] == "Europe/Madrid"
                                     and state.table("users")[CASEY_ID]["timeZone"] == "Europe/Madrid", data)),
    Case("CAL_PATCH_ORGANIZATION_USER_DETAILS", {**ORG, "userId": CASEY_ID, "email": "devon@sandbox.cal.test"},
         state_holds(lambda state: state.table("users")[CASEY_ID]["email"] == "casey@sandbox.cal.test"),
         id="email-taken", error_status=409),
    Case("CAL_POST_ORG_ATTRIBUTE_OPTION_BY_USER",
         {**ORG, "userId": EMERY_ID, "attributeId": ATTR_DEPARTMENT, "attributeOptionId": OPT_SUPPORT},
         lambda data, state: _expect(data["attributeOptionId"] == OPT_SUPPORT and data["memberId"] == 2005
                                     and assigned_options(state, 2005) == {OPT_SUPPORT}, data)),
    Case("CAL_POST_ORG_ATTRIBUTE_OPTION_BY_USER",
         {**ORG, "userId": CASEY_ID, "attributeId": ATTR_JOB_TITLE, "value": "Staff Engineer"},
         lambda data, state: _expect(state.table("org_attribute_options")[data["attributeOptionId"]]["value"]
                                     == "Staff Engineer" and data["attributeOptionId"] in assigned_options(state, 2003),
                                     data), id="text-value"),
    Case("CAL_POST_USER_TO_ORGANIZATION",
         {**ORG, "email": "frankie@sandbox.cal.test", "timeZone": "America/Denver", "organizationRole": "ADMIN"},
         _org_user_created),
    Case("CAL_POST_USER_TO_ORGANIZATION", {**ORG, "email": "blake@sandbox.cal.test"}, nothing,
         id="email-taken", error_status=409),
    Case("CAL_RETRIEVE_ATTRIBUTE_OPTIONS_FOR_ORG", {**ORG, "attributeId": ATTR_LANGUAGES},
         lambda data, state: _expect([o["value"] for o in data] == ["English", "German", "Japanese"]
                                     and ids(data) == [OPT_EN, OPT_DE, OPT_JA], data)),
    Case("CAL_RETRIEVE_CURRENT_TEAM_FOR_ORGANIZATION", ORG,
         lambda data, state: _expect(ids(data) == [TEAM_SALES, TEAM_ENGINEERING], data)),
    Case("CAL_RETRIEVE_MEMBERSHIP_FROM_ORGANIZATION", {**ORG, "membershipId": 2002},
         lambda data, state: _expect((data["userId"], data["role"], data["teamId"]) == (BLAKE_ID, "ADMIN", ORG_ID),
                                     data)),
    Case("CAL_RETRIEVE_MEMBERSHIP_FROM_ORGANIZATION", {**ORG, "membershipId": 9999},
         hint_names("CAL_LIST_ORGANIZATION_MEMBERSHIPS"), id="unknown-membership", error_status=404),
    Case("CAL_RETRIEVE_MEMBERSHIP_FROM_ORGANIZATION", {**ORG, "membershipId": 2011},
         hint_names("CAL_LIST_ORGANIZATION_MEMBERSHIPS"), id="team-membership-is-not-an-org-one", error_status=404),
    Case("CAL_RETRIEVE_ORGANIZATION_ATTRIBUTES", ORG,
         lambda data, state: _expect([a["slug"] for a in data] == ["department", "job-title", "languages"], data)),
    Case("CAL_RETRIEVE_ORGANIZATION_ATTRIBUTES_OPTIONS", {**ORG, "userId": USER_ID},
         lambda data, state: _expect(set(ids(data)) == {OPT_SALES, OPT_MY_TITLE, OPT_EN, OPT_DE}, data)),
    Case("CAL_RETRIEVE_ORGANIZATION_WEBHOOKS_BY_ORG_ID", ORG,
         lambda data, state: _expect(ids(data) == [WEBHOOK_ORG] and data[0]["teamId"] == ORG_ID, data)),
    Case("CAL_RETRIEVE_ORGANIZATION_WEBHOOK_BY_ID", {**ORG, "webhookId": WEBHOOK_ORG},
         lambda data, state: _expect(data["subscriberUrl"] == "https://hooks.sandbox.cal.test/org"
                                     and data["triggers"] == ["BOOKING_CREATED", "BOOKING_CANCELLED"], data)),
    Case("CAL_RETRIEVE_TEAM_DETAILS_IN_ORGANIZATION", ORG,
         lambda data, state: _expect(ids(data) == [TEAM_SALES, TEAM_ENGINEERING]
                                     and all(t["parentId"] == ORG_ID for t in data), data)),
    Case("CAL_RETRIEVE_TEAM_MEMBERSHIPS_FOR_ORGANIZATION", {**ORG, "teamId": TEAM_ENGINEERING},
         lambda data, state: _expect(ids(data) == [2021, 2022, 2023]
                                     and [m["userId"] for m in data] == [USER_ID, DEVON_ID, CASEY_ID], data)),
    Case("CAL_RETRIEVE_TEAM_MEMBERSHIP_BY_ID", {**ORG, "teamId": TEAM_SALES, "membershipId": 2012},
         lambda data, state: _expect((data["userId"], data["role"], data["user"]["username"])
                                     == (BLAKE_ID, "MEMBER", "blake.rivera"), data)),
    Case("CAL_RETRIEVE_USERS_IN_ORGANIZATION", ORG,
         lambda data, state: _expect(ids(data) == [USER_ID, BLAKE_ID, CASEY_ID, DEVON_ID, EMERY_ID], data)),
    Case("CAL_RETRIEVE_USERS_IN_ORGANIZATION", {**ORG, "assignedOptionIds": [OPT_ENGINEERING]},
         lambda data, state: _expect(ids(data) == [CASEY_ID, DEVON_ID], data), id="by-attribute-option"),
    Case("CAL_RETRIEVE_USERS_IN_ORGANIZATION", {**ORG, "teamIds": [TEAM_SALES], "emails": ["casey@sandbox.cal.test"]},
         lambda data, state: _expect(ids(data) == [CASEY_ID], data), id="by-team-and-email"),
    Case("CAL_UPDATE_TEAM_INFORMATION_BY_ID", {**ORG, "teamId": TEAM_SALES, "name": "Sales EMEA", "bio": "EMEA."},
         lambda data, state: _expect(data["name"] == "Sales EMEA"
                                     and state.table("teams")[TEAM_SALES]["name"] == "Sales EMEA"
                                     and state.table("teams")[TEAM_SALES]["bio"] == "EMEA.", data)),
    Case("CAL_UPDATE_TEAM_MEMBERSHIP_BY_ID",
         {**ORG, "teamId": TEAM_ENGINEERING, "membershipId": 2023, "role": "ADMIN"},
         lambda data, state: _expect(data["role"] == "ADMIN"
                                     and state.table("memberships")[2023]["role"] == "ADMIN", data)),
    Case("CAL_UPDATE_USER_SCHEDULE_IN_ORGANIZATION",
         {**ORG, "userId": BLAKE_ID, "scheduleId": SCHEDULE_BLAKE, "name": "Core hours",
          "availability": [{"days": ["Tuesday", "Thursday"], "startTime": "10:00", "endTime": "15:00"}]},
         lambda data, state: _expect(data["name"] == "Core hours"
                                     and state.table("org_user_schedules")[SCHEDULE_BLAKE]["availability"]
                                     == [{"days": ["Tuesday", "Thursday"], "startTime": "10:00", "endTime": "15:00"}]
                                     and state.table("org_user_schedules")[SCHEDULE_BLAKE]["name"] == "Core hours",
                                     data)),
    Case("CAL_UPDATE_USER_SCHEDULE_IN_ORGANIZATION",
         {**ORG, "userId": BLAKE_ID, "scheduleId": SCHEDULE_BLAKE, "timeZone": "Mars/Olympus"},
         state_holds(lambda state: state.table("org_user_schedules")[SCHEDULE_BLAKE]["timeZone"] != "Mars/Olympus"),
         id="bad-time-zone", refused_here=True),
    Case("CAL_UPDATE_WEBHOOK_FOR_ORGANIZATION", {**ORG, "webhookId": WEBHOOK_ORG, "active": False},
         lambda data, state: _expect(data["active"] is False
                                     and state.table("webhooks")[WEBHOOK_ORG]["active"] is False, data)),
]


# --- platform (OAuth client) -----------------------------------------------------------------------


def _managed_user_created(data: Any, state: SandboxState) -> None:
    user = data["user"]
    assert user["email"] == f"sam+{OAUTH_CLIENT_ID}@example.com" and user["timeZone"] == "Asia/Tokyo"
    assert state.table("oauth_client_users")[user["id"]]["name"] == "Sam Platform"
    assert state.table("oauth_refresh_tokens")[data["refreshToken"]]["userId"] == user["id"]
    assert state.table("oauth_access_tokens")[data["accessToken"]]["userId"] == user["id"]


def _tokens_rotated(user_id: int) -> Any:
    def check(data: Any, state: SandboxState) -> None:
        assert data["refreshToken"] != SEEDED_REFRESH_TOKENS[user_id]
        assert data["accessTokenExpiresAt"] < data["refreshTokenExpiresAt"]
        assert SEEDED_REFRESH_TOKENS[user_id] not in state.table("oauth_refresh_tokens"), "the old token is revoked"
        assert state.table("oauth_refresh_tokens")[data["refreshToken"]]["userId"] == user_id
        assert state.table("oauth_access_tokens")[data["accessToken"]]["userId"] == user_id

    return check


def _managed_user_deleted(data: Any, state: SandboxState) -> None:
    assert data["id"] == MANAGED_USER_RILEY
    assert MANAGED_USER_RILEY not in state.table("oauth_client_users")
    assert SEEDED_REFRESH_TOKENS[MANAGED_USER_RILEY] not in state.table("oauth_refresh_tokens")


PLATFORM: list[Case] = [
    Case("CAL_CREATE_OAUTH_CLIENT_USER", {"email": "sam@example.com", "name": "Sam Platform", "timeZone": "Asia/Tokyo"},
         _managed_user_created),
    Case("CAL_CREATE_OAUTH_CLIENT_USER", {"email": "jordan@example.com", "name": "Jordan Again"}, nothing,
         id="email-taken", error_status=409),
    Case("CAL_CREATE_OAUTH_CLIENT_WEBHOOK_CONFIGURATION", NEW_HOOK, _webhook_created("oAuthClientId", OAUTH_CLIENT_ID)),
    Case("CAL_DELETE_OAUTH_CLIENT_USER", {"userId": MANAGED_USER_RILEY}, _managed_user_deleted),
    Case("CAL_DELETE_OAUTH_CLIENT_WEBHOOK", {"webhookId": WEBHOOK_OAUTH},
         lambda data, state: _gone(data["oAuthClientId"] == OAUTH_CLIENT_ID, state, "webhooks", WEBHOOK_OAUTH)),
    Case("CAL_DELETE_OAUTH_CLIENT_WEBHOOK", {"webhookId": WEBHOOK_ORG}, unchanged("webhooks", WEBHOOK_ORG),
         id="webhook-of-the-organization", error_status=404),
    Case("CAL_FETCH_PROVIDER_ACCESS_TOKEN", CLIENT,
         lambda data, state: _expect(data == {"status": "success"}, data)),
    Case("CAL_FETCH_PROVIDER_ACCESS_TOKEN", {"clientId": "no-such-client"}, nothing,
         id="unknown-client", error_status=401),
    Case("CAL_FORCE_REFRESH_USER_OAUTH_CLIENT", {"userId": MANAGED_USER_JORDAN}, _tokens_rotated(MANAGED_USER_JORDAN)),
    Case("CAL_GET_OAUTH_CLIENTS_USER", {},
         lambda data, state: _expect(ids(data) == [MANAGED_USER_JORDAN, MANAGED_USER_RILEY]
                                     and data[0]["name"] == "Jordan Platform", data)),
    Case("CAL_GET_OAUTH_CLIENTS_USER", {"limit": 1, "offset": 1},
         lambda data, state: _expect(ids(data) == [MANAGED_USER_RILEY], data), id="page"),
    Case("CAL_GET_OAUTH_CLIENTS_USER", {"emails": ["riley@example.com"]},
         lambda data, state: _expect(ids(data) == [MANAGED_USER_RILEY], data), id="by-email"),
    Case("CAL_REFRESH_OAUTH_TOKEN_FOR_CLIENT_ID", {"refreshToken": SEEDED_REFRESH_TOKENS[MANAGED_USER_RILEY]},
         _tokens_rotated(MANAGED_USER_RILEY)),
    Case("CAL_REFRESH_OAUTH_TOKEN_FOR_CLIENT_ID", {"refreshToken": "sbx_rt_made_up"}, nothing,
         id="unknown-token", error_status=401),
    Case("CAL_RETRIEVE_OAUTH_CLIENT_USER_BY_ID", {"userId": MANAGED_USER_JORDAN},
         lambda data, state: _expect((data["email"], data["timeZone"])
                                     == (f"jordan+{OAUTH_CLIENT_ID}@example.com", "America/Chicago"), data)),
    Case("CAL_RETRIEVE_OAUTH_CLIENT_USER_BY_ID", {"userId": USER_ID}, hint_names("CAL_GET_OAUTH_CLIENTS_USER"),
         id="not-a-managed-user", error_status=404),
    Case("CAL_RETRIEVE_OAUTH_CLIENT_WEBHOOK_BY_ID", {"webhookId": WEBHOOK_OAUTH},
         lambda data, state: _expect(data["subscriberUrl"] == "https://hooks.sandbox.cal.test/platform"
                                     and data["oAuthClientId"] == OAUTH_CLIENT_ID, data)),
    Case("CAL_RETRIEVE_PROVIDER_DETAILS", CLIENT,
         lambda data, state: _expect((data["clientId"], data["organizationId"], data["name"])
                                     == (OAUTH_CLIENT_ID, ORG_ID, "Sandbox Platform App"), data)),
    Case("CAL_RETRIEVE_WEBHOOK_DETAILS_FOR_OAUTH_CLIENT", {},
         lambda data, state: _expect(ids(data) == [WEBHOOK_OAUTH], data)),
    Case("CAL_UPDATE_OAUTH_CLIENT_USER_SETTINGS",
         {"userId": MANAGED_USER_RILEY, "name": "Riley P.", "timeZone": "Europe/Rome"},
         lambda data, state: _expect((data["name"], data["timeZone"]) == ("Riley P.", "Europe/Rome")
                                     and state.table("oauth_client_users")[MANAGED_USER_RILEY]["timeZone"]
                                     == "Europe/Rome", data)),
    Case("CAL_UPDATE_OAUTH_CLIENT_USER_SETTINGS", {"userId": MANAGED_USER_RILEY, "timeZone": "Mars/Olympus"},
         state_holds(lambda state: state.table("oauth_client_users")[MANAGED_USER_RILEY]["timeZone"]
                                      == "Europe/Paris"), id="bad-time-zone", refused_here=True),
    Case("CAL_UPDATE_OAUTH_CLIENT_WEBHOOK",
         {"webhookId": WEBHOOK_OAUTH, "triggers": ["BOOKING_CANCELLED", "BOOKING_RESCHEDULED"]},
         lambda data, state: _expect(data["triggers"] == ["BOOKING_CANCELLED", "BOOKING_RESCHEDULED"]
                                     and state.table("webhooks")[WEBHOOK_OAUTH]["triggers"]
                                     == ["BOOKING_CANCELLED", "BOOKING_RESCHEDULED"], data)),
]


# --- small assertion helpers used by the lambdas above ---------------------------------------------


def _expect(condition: Any, data: Any) -> None:
    assert condition, data


def _gone(returned_ok: bool, state: SandboxState, table: str, key: Any) -> None:
    assert returned_ok, "the call did not return the deleted record"
    assert key not in state.table(table), f"{table}[{key!r}] is still there"


def _no_event_type(state: SandboxState, slug: str) -> bool:
    return all(e["slug"] != slug for e in state.table("team_event_types").values())


def _membership_added(data: Any, state: SandboxState, team_id: int, user_id: int, role: str, *,
                      accepted: bool) -> None:
    assert (data["teamId"], data["userId"], data["role"], data["accepted"]) == (team_id, user_id, role, accepted)
    stored = state.table("memberships")[data["id"]]
    assert (stored["teamId"], stored["userId"], stored["role"], stored["accepted"]) == (
        team_id, user_id, role, accepted)


CASES: list[Case] = [*TEAMS, *ORGANIZATIONS, *PLATFORM]
