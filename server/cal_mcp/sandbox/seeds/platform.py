"""Seed the platform area: organization, users, teams, memberships, team event types, attributes,
members' schedules (here) and calendars, conferencing, webhooks, Stripe, the OAuth client
(``seeds.platform_apps``). Runs after ``seeds.core``, whose ``me``/``event_types`` tables it reads.

IDs are fixed constants tests can rely on; dates are relative to ``state.now()``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from cal_mcp.sandbox.seeds.platform_apps import seed_apps
from cal_mcp.sandbox.state import ORG_ID, ORG_SLUG, USER_ID
from cal_mcp.sandbox.stores.org_attributes import add_option, assign
from cal_mcp.sandbox.stores.records import iso
from cal_mcp.sandbox.stores.team_event_types import add_event_type

if TYPE_CHECKING:
    from cal_mcp.sandbox.state import SandboxState

# Other organization users (the sandbox user is USER_ID, from the core seed's ``me`` table).
BLAKE_ID, CASEY_ID, DEVON_ID, EMERY_ID = 1002, 1003, 1004, 1005  # Emery's org invite is pending
# Teams: two inside the organization, one standalone.
TEAM_SALES, TEAM_ENGINEERING, TEAM_BOOK_CLUB = 601, 602, 650
# Memberships: org 2001–2005, Sales 2011–2013, Engineering 2021–2023, Book club 2031–2032.
ORG_MEMBERSHIP_ME = 2001
SALES_MEMBERSHIP_ME, ENGINEERING_MEMBERSHIP_ME, BOOK_CLUB_MEMBERSHIP_ME = 2011, 2021, 2031
# Team event types.
TEAM_EVENT_SALES_DEMO, TEAM_EVENT_ARCH_REVIEW, TEAM_EVENT_BOOK_CHAT = 9001, 9002, 9003
# Attributes and options.
ATTR_DEPARTMENT, ATTR_JOB_TITLE, ATTR_LANGUAGES = "attr-department", "attr-job-title", "attr-languages"
OPT_SALES, OPT_ENGINEERING, OPT_SUPPORT = "opt-dept-sales", "opt-dept-engineering", "opt-dept-support"
OPT_EN, OPT_DE, OPT_JA = "opt-lang-en", "opt-lang-de", "opt-lang-ja"
OPT_MY_TITLE = "opt-title-alex"
# Schedules of the other org members (the sandbox user's are the core seed's).
SCHEDULE_BLAKE, SCHEDULE_CASEY, SCHEDULE_DEVON = 7001, 7002, 7003

_BRANDING = {"logoUrl": "https://images.sandbox.cal.test/logo.png", "bannerUrl": "https://images.sandbox.cal.test/banner.png",
             "brandColor": "#292929", "darkBrandColor": "#fafafa", "theme": "light"}


def _user(state: SandboxState, user_id: int, username: str, name: str, tz: str, days_ago: int) -> None:
    state.table("users")[user_id] = {
        "id": user_id, "username": username, "name": name, "email": f"{username.split('.')[0]}@sandbox.cal.test",
        "emailVerified": iso(state.now() - timedelta(days=days_ago)),
        "bio": None, "avatarUrl": None, "timeZone": tz, "weekStart": "Monday", "appTheme": None, "theme": None,
        "defaultScheduleId": None, "locale": "en", "timeFormat": 24, "hideBranding": False, "brandColor": None,
        "darkBrandColor": None, "allowDynamicBooking": True,
        "createdDate": iso(state.now() - timedelta(days=days_ago)),
        "verified": True, "invitedTo": None, "metadata": {}, "organizationId": ORG_ID,
    }


def _team(state: SandboxState, team_id: int, name: str, slug: str, parent: int | None, **extra: Any) -> None:
    state.table("teams")[team_id] = {
        "id": team_id, "parentId": parent, "name": name, "slug": slug, "bio": f"{name} (sandbox data).",
        "hideBranding": False, "isOrganization": False, "isPrivate": False, "hideBookATeamMember": False,
        "metadata": {}, "timeFormat": 24, "timeZone": "Europe/London", "weekStart": "Monday", **_BRANDING, **extra,
    }


def _memberships(state: SandboxState, team_id: int, first_id: int, members: list[tuple[int, str, bool]]) -> None:
    for offset, (user_id, role, accepted) in enumerate(members):
        membership_id = first_id + offset
        state.table("memberships")[membership_id] = {"id": membership_id, "userId": user_id, "teamId": team_id,
                                                     "accepted": accepted, "role": role,
                                                     "disableImpersonation": False}


def _seed_people(state: SandboxState) -> None:
    _user(state, BLAKE_ID, "blake.rivera", "Blake Rivera", "America/New_York", 400)
    _user(state, CASEY_ID, "casey.morgan", "Casey Morgan", "Europe/Berlin", 300)
    _user(state, DEVON_ID, "devon.lee", "Devon Lee", "Asia/Tokyo", 200)
    _user(state, EMERY_ID, "emery.quinn", "Emery Quinn", "Europe/London", 3)
    _team(state, ORG_ID, "Sandbox Org", ORG_SLUG, None, isOrganization=True)
    _team(state, TEAM_SALES, "Sales", "sales", ORG_ID)
    _team(state, TEAM_ENGINEERING, "Engineering", "engineering", ORG_ID)
    _team(state, TEAM_BOOK_CLUB, "Book Club", "book-club", None)
    _memberships(state, ORG_ID, ORG_MEMBERSHIP_ME, [
        (USER_ID, "OWNER", True), (BLAKE_ID, "ADMIN", True), (CASEY_ID, "MEMBER", True),
        (DEVON_ID, "MEMBER", True), (EMERY_ID, "MEMBER", False)])
    _memberships(state, TEAM_SALES, SALES_MEMBERSHIP_ME, [
        (USER_ID, "OWNER", True), (BLAKE_ID, "MEMBER", True), (CASEY_ID, "MEMBER", True)])
    # The sandbox user is only an ADMIN of Engineering: deleting that team is forbidden (403).
    _memberships(state, TEAM_ENGINEERING, ENGINEERING_MEMBERSHIP_ME, [
        (USER_ID, "ADMIN", True), (DEVON_ID, "OWNER", True), (CASEY_ID, "MEMBER", True)])
    _memberships(state, TEAM_BOOK_CLUB, BOOK_CLUB_MEMBERSHIP_ME, [(USER_ID, "ADMIN", True), (BLAKE_ID, "OWNER", True)])


def _seed_team_event_types(state: SandboxState) -> None:
    teams = state.table("teams")
    specs: list[tuple[int, int, dict[str, Any]]] = [
        (TEAM_SALES, 30, {"title": "Sales demo", "slug": "sales-demo", "schedulingType": "roundRobin",
                          "description": "A product demo with whichever sales host is free.",
                          "hosts": [{"userId": USER_ID, "priority": "high"}, {"userId": BLAKE_ID}]}),
        (TEAM_ENGINEERING, 20, {"title": "Architecture review", "slug": "architecture-review",
                                "schedulingType": "collective", "lengthInMinutes": 60,
                                "description": "Both engineers attend.",
                                "hosts": [{"userId": USER_ID}, {"userId": DEVON_ID}]}),
        (TEAM_BOOK_CLUB, 10, {"title": "Book chat", "slug": "book-chat", "schedulingType": "collective",
                              "lengthInMinutes": 45, "assignAllTeamMembers": True,
                              "description": "Monthly chat about the current book."}),
    ]
    for team_id, days_ago, body in specs:
        event = add_event_type(state, teams[team_id], {"lengthInMinutes": 30, **body})
        event["_createdAt"] = (state.now() - timedelta(days=days_ago)).isoformat()


def _seed_attributes(state: SandboxState) -> None:
    table = state.table("org_attributes")
    for order, (attr_id, name, slug, kind) in enumerate([
        (ATTR_DEPARTMENT, "Department", "department", "SINGLE_SELECT"),
        (ATTR_JOB_TITLE, "Job title", "job-title", "TEXT"),
        (ATTR_LANGUAGES, "Languages", "languages", "MULTI_SELECT"),
    ]):
        table[attr_id] = {"id": attr_id, "teamId": ORG_ID, "type": kind, "name": name, "slug": slug,
                          "enabled": True, "usersCanEditRelation": False, "_order": order}
    for attr_id, options in ((ATTR_DEPARTMENT, [(OPT_SALES, "Sales"), (OPT_ENGINEERING, "Engineering"),
                                                (OPT_SUPPORT, "Support")]),
                             (ATTR_LANGUAGES, [(OPT_EN, "English"), (OPT_DE, "German"), (OPT_JA, "Japanese")])):
        for option_id, value in options:
            add_option(state, attr_id, value, value.lower(), option_id)
    add_option(state, ATTR_JOB_TITLE, "Head of Operations", "head-of-operations", OPT_MY_TITLE)
    assignments = [(USER_ID, ATTR_DEPARTMENT, OPT_SALES), (USER_ID, ATTR_JOB_TITLE, OPT_MY_TITLE),
                   (USER_ID, ATTR_LANGUAGES, OPT_EN), (USER_ID, ATTR_LANGUAGES, OPT_DE),
                   (BLAKE_ID, ATTR_DEPARTMENT, OPT_SALES), (BLAKE_ID, ATTR_LANGUAGES, OPT_EN),
                   (CASEY_ID, ATTR_DEPARTMENT, OPT_ENGINEERING), (CASEY_ID, ATTR_LANGUAGES, OPT_DE),
                   (DEVON_ID, ATTR_DEPARTMENT, OPT_ENGINEERING), (DEVON_ID, ATTR_LANGUAGES, OPT_JA)]
    attributes = state.table("org_attributes")
    for number, (user_id, attr_id, option_id) in enumerate(assignments, start=1):
        assign(state, user_id, attributes[attr_id], option_id, None, f"asg-{number}")


def _seed_member_schedules(state: SandboxState) -> None:
    weekdays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
    for schedule_id, user_id in ((SCHEDULE_BLAKE, BLAKE_ID), (SCHEDULE_CASEY, CASEY_ID), (SCHEDULE_DEVON, DEVON_ID)):
        user = state.table("users")[user_id]
        state.table("org_user_schedules")[schedule_id] = {
            "id": schedule_id, "ownerId": user_id, "name": "Working hours", "timeZone": user["timeZone"],
            "availability": [{"days": weekdays, "startTime": "09:00", "endTime": "17:00"}],
            "isDefault": True, "overrides": [],
        }
        user["defaultScheduleId"] = schedule_id


def seed_platform(state: SandboxState) -> None:
    _seed_people(state)
    _seed_team_event_types(state)
    _seed_attributes(state)
    _seed_member_schedules(state)
    seed_apps(state)
