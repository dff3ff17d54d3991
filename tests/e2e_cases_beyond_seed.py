"""End-to-end cases for the tools beyond the seed's 141 (issue 11, part B; see ``e2e_support``): routing
forms and their responses, out-of-office entries of organization users, private links of event types,
team member schedules and invite links, and reading or moving a slot hold.

Arguments come from the seeded sandbox: organization 501 with its Sales team (601) and the Sales intake
routing form (``seeds.routing_forms``: "51+" employees routes to the Sales demo, 9001; "1-50" to a
message page), the core seed's event types (102 Intro call, 30 min) and the platform's members.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cal_mcp.sandbox import availability
from cal_mcp.sandbox.core_lookup import event_type_by_id
from cal_mcp.sandbox.seeds.core import EVENT_TYPE_INTRO_CALL
from cal_mcp.sandbox.seeds.platform import BLAKE_ID, CASEY_ID, TEAM_ENGINEERING, TEAM_EVENT_SALES_DEMO, TEAM_SALES
from cal_mcp.sandbox.seeds.routing_forms import (
    FIELD_EMAIL,
    ROUTING_FORM_SALES,
    SEEDED_RESPONSE,
    SMALL_COMPANY_MESSAGE,
)
from cal_mcp.sandbox.state import ORG_ID, USER_ID, SandboxState
from cal_mcp.sandbox.stores.bookings import RESERVATIONS_TABLE
from cal_mcp.sandbox.stores.out_of_office import OOO_TABLE, add_entry
from cal_mcp.sandbox.stores.private_links import PRIVATE_LINKS_TABLE, new_link
from cal_mcp.sandbox.stores.routing_forms import QUEUED_TABLE, RESPONSES_TABLE
from cal_mcp.sandbox.stores.team_invites import TEAM_INVITES_TABLE
from tests.e2e_support import Case, on_error

ORG = {"orgId": ORG_ID}
FORM = {**ORG, "routingFormId": ROUTING_FORM_SALES}
TEAM_FORM = {**FORM, "teamId": TEAM_SALES}
WINDOW = {"start": "2026-11-24", "end": "2026-11-24"}  # a Tuesday; the sandbox clock stands at Mon 2026-11-23 08:00Z
BIG = {"company-size": "51+", "email": "lee@prospect.example"}
SMALL = {"company-size": "1-50", "email": "kim@shop.example"}
HOLD_UID = "5f0c2a4e-1111-4a2b-8c3d-000000000001"
HOLD_START, MOVED_START = "2026-11-26T14:00:00.000Z", "2026-11-26T15:00:00.000Z"


def _expect(condition: Any, data: Any) -> None:
    assert condition, data


def _free_starts(state: SandboxState, event_type_id: int, day: str) -> list[str]:
    event_type = event_type_by_id(state, event_type_id)
    assert event_type is not None
    start = datetime.fromisoformat(day).replace(tzinfo=UTC)
    found = availability.event_type_starts(state, event_type, int(event_type["lengthInMinutes"]), start,
                                           start + timedelta(days=1))
    return [s.strftime("%Y-%m-%dT%H:%M:%S.000Z") for s in found]


def unchanged_responses(count: int) -> Any:
    @on_error
    def check(error: Any, state: SandboxState) -> None:
        assert len(state.table(RESPONSES_TABLE)) == count, state.table(RESPONSES_TABLE)
        assert "Email" in error["message"], error
    return check


# --- routing forms -----------------------------------------------------------------------------------


def _form_listed(data: Any, state: SandboxState) -> None:
    assert [f["id"] for f in data] == [ROUTING_FORM_SALES], data
    labels = [f["label"] for f in data[0]["fields"]]
    assert labels == ["Company size", "Email", "Notes"] and data[0]["teamId"] == TEAM_SALES, data


def _routed_and_stored(data: Any, state: SandboxState) -> None:
    assert data["eventTypeId"] == TEAM_EVENT_SALES_DEMO, data
    stored = state.table(RESPONSES_TABLE)[data["routing"]["responseId"]]
    assert stored["response"][FIELD_EMAIL]["value"] == BIG["email"], stored
    assert set(data["routing"]["teamMemberIds"]) == {USER_ID, BLAKE_ID}, data
    assert data["slots"]["2026-11-24"], data
    # The slots offered are exactly the routed event type's free ones.
    assert [s["start"] for s in data["slots"]["2026-11-24"]] == _free_starts(state, TEAM_EVENT_SALES_DEMO, "2026-11-24")


def _queued(data: Any, state: SandboxState) -> None:
    assert data["routing"]["queuedResponseId"] in state.table(QUEUED_TABLE), data
    assert list(state.table(RESPONSES_TABLE)) == [SEEDED_RESPONSE], "a queued response is not a stored one"


def _message_page(data: Any, state: SandboxState) -> None:
    assert data == {"routingCustomMessage": SMALL_COMPANY_MESSAGE}, data
    assert list(state.table(RESPONSES_TABLE)) == [SEEDED_RESPONSE]


def _response_replaced(data: Any, state: SandboxState) -> None:
    new = {FIELD_EMAIL: {"label": "Email", "value": "new@prospect.example"}}
    assert data["id"] == SEEDED_RESPONSE and data["response"] == new, data
    assert state.table(RESPONSES_TABLE)[SEEDED_RESPONSE]["response"] == new


def _dry_run(data: Any, state: SandboxState) -> None:
    assert data["eventTypeId"] == TEAM_EVENT_SALES_DEMO and data["slots"]["2026-11-24"], data
    assert list(state.table(RESPONSES_TABLE)) == [SEEDED_RESPONSE], "calculate-slots must store nothing"


NEW_ANSWERS = {FIELD_EMAIL: {"label": "Email", "value": "new@prospect.example"}}

ROUTING_CASES = [
    Case("CAL_LIST_ORGANIZATION_ROUTING_FORMS", ORG, _form_listed),
    Case("CAL_LIST_ORGANIZATION_ROUTING_FORMS", {**ORG, "teamIds": [TEAM_ENGINEERING]},
         lambda data, state: _expect(data == [], data), id="other-team"),
    Case("CAL_LIST_ORGANIZATION_ROUTING_FORMS", {"orgId": ORG_ID + 1}, lambda e, s: None, id="other-org",
         error_status=403),
    Case("CAL_LIST_ORG_TEAM_ROUTING_FORMS", {**ORG, "teamId": TEAM_SALES}, _form_listed),
    Case("CAL_LIST_ORG_TEAM_ROUTING_FORMS", {**ORG, "teamId": TEAM_ENGINEERING},
         lambda data, state: _expect(data == [], data), id="team-without-forms"),
    Case("CAL_LIST_ROUTING_FORM_RESPONSES", FORM,
         lambda data, state: _expect([r["id"] for r in data] == [SEEDED_RESPONSE]
                                     and data[0]["response"][FIELD_EMAIL]["value"] == "pat@prospect.example", data)),
    Case("CAL_LIST_ROUTING_FORM_RESPONSES", {**FORM, "afterCreatedAt": "2026-11-22T00:00:00Z"},
         lambda data, state: _expect(data == [], data), id="created-after"),
    Case("CAL_CREATE_ROUTING_FORM_RESPONSE", {**FORM, "responses": BIG, **WINDOW}, _routed_and_stored),
    Case("CAL_CREATE_ROUTING_FORM_RESPONSE", {**FORM, "responses": SMALL, **WINDOW}, _message_page,
         id="message-route"),
    Case("CAL_CREATE_ROUTING_FORM_RESPONSE", {**FORM, "responses": BIG, **WINDOW, "queueResponse": True}, _queued,
         id="queued"),
    Case("CAL_CREATE_ROUTING_FORM_RESPONSE", {**FORM, "responses": {"company-size": "51+"}, **WINDOW},
         unchanged_responses(1), id="missing-required-answer", error_status=400),
    Case("CAL_CREATE_ROUTING_FORM_RESPONSE", {**FORM, "responses": BIG, "start": "next week", "end": "2026-11-24"},
         lambda e, s: None, id="bad-start", refused_here=True),
    Case("CAL_UPDATE_ROUTING_FORM_RESPONSE", {**FORM, "responseId": SEEDED_RESPONSE, "response": NEW_ANSWERS},
         _response_replaced),
    Case("CAL_UPDATE_ROUTING_FORM_RESPONSE", {**FORM, "responseId": 999, "response": NEW_ANSWERS},
         lambda e, s: None, id="unknown-response", error_status=404),
    Case("CAL_LIST_ORG_TEAM_ROUTING_FORM_RESPONSES", TEAM_FORM,
         lambda data, state: _expect([r["id"] for r in data] == [SEEDED_RESPONSE], data)),
    Case("CAL_LIST_ORG_TEAM_ROUTING_FORM_RESPONSES", {**TEAM_FORM, "teamId": TEAM_ENGINEERING},
         lambda e, s: None, id="form-of-another-team", error_status=404),
    Case("CAL_CREATE_ORG_TEAM_ROUTING_FORM_RESPONSE", {**TEAM_FORM, "responses": BIG, **WINDOW}, _routed_and_stored),
    Case("CAL_UPDATE_ORG_TEAM_ROUTING_FORM_RESPONSE",
         {**TEAM_FORM, "responseId": SEEDED_RESPONSE, "response": NEW_ANSWERS}, _response_replaced),
    Case("CAL_CALCULATE_ROUTING_FORM_SLOTS", {"routingFormId": ROUTING_FORM_SALES, "responses": BIG, **WINDOW},
         _dry_run),
    Case("CAL_CALCULATE_ROUTING_FORM_SLOTS", {"routingFormId": ROUTING_FORM_SALES, "responses": SMALL, **WINDOW},
         lambda e, s: None, id="routes-to-a-message", error_status=404),
]


# --- out of office ------------------------------------------------------------------------------------


def _blake_away(state: SandboxState) -> None:
    day = datetime(2026, 12, 1, tzinfo=UTC)
    add_entry(state, BLAKE_ID, day, day.replace(hour=23, minute=59, second=59, microsecond=999000),
              reason="vacation", to_user_id=CASEY_ID)


def _me_away(state: SandboxState) -> None:
    day = datetime(2026, 11, 24, tzinfo=UTC)
    add_entry(state, USER_ID, day, day.replace(hour=23, minute=59, second=59, microsecond=999000), notes="Offsite")


def _ooo_created(data: Any, state: SandboxState) -> None:
    assert data["start"] == "2026-11-24T00:00:00.000Z" and data["end"] == "2026-11-25T23:59:59.999Z", data
    assert data["reason"] == "travel" and state.table(OOO_TABLE)[data["id"]]["userId"] == USER_ID, data
    # Out of office means unbookable: no Intro call slot on either day, while Thursday still has some.
    assert _free_starts(state, EVENT_TYPE_INTRO_CALL, "2026-11-24") == [], "OOO days must offer no slots"
    assert _free_starts(state, EVENT_TYPE_INTRO_CALL, "2026-11-25") == []
    assert _free_starts(state, EVENT_TYPE_INTRO_CALL, "2026-11-26")


def _ooo_moved(data: Any, state: SandboxState) -> None:
    assert data["start"] == "2026-11-30T00:00:00.000Z" and data["notes"] == "Offsite, moved", data
    assert _free_starts(state, EVENT_TYPE_INTRO_CALL, "2026-11-24"), "the old day is bookable again"


def _ooo_deleted(data: Any, state: SandboxState) -> None:
    assert not state.table(OOO_TABLE), state.table(OOO_TABLE)
    assert _free_starts(state, EVENT_TYPE_INTRO_CALL, "2026-11-24")


def _first_ooo_id(state: SandboxState) -> int:
    return min(state.table(OOO_TABLE))


OOO_CASES = [
    Case("CAL_CREATE_ORG_USER_OUT_OF_OFFICE",
         {**ORG, "userId": USER_ID, "start": "2026-11-24T00:00:00Z", "end": "2026-11-25T00:00:00Z", "reason": "travel"},
         _ooo_created),
    Case("CAL_CREATE_ORG_USER_OUT_OF_OFFICE",
         {**ORG, "userId": BLAKE_ID, "start": "2026-12-01T00:00:00+01:00", "end": "2026-12-02T00:00:00Z"},
         lambda e, s: None, id="offset-not-utc", refused_here=True),
    Case("CAL_CREATE_ORG_USER_OUT_OF_OFFICE",
         {**ORG, "userId": BLAKE_ID, "start": "2026-12-01T00:00:00Z", "end": "2026-12-02T00:00:00Z",
          "toUserId": BLAKE_ID},
         on_error(lambda e, s: _expect("self" in e["message"] and not s.table(OOO_TABLE), e)),
         id="redirect-to-self", error_status=400),
    Case("CAL_CREATE_ORG_USER_OUT_OF_OFFICE",
         {**ORG, "userId": BLAKE_ID, "start": "2026-12-01T00:00:00Z", "end": "2026-12-01T00:00:00Z"},
         lambda e, s: None, id="same-days-twice", setup=_blake_away, error_status=409),
    Case("CAL_LIST_ORG_USER_OUT_OF_OFFICE", {**ORG, "userId": BLAKE_ID},
         lambda data, state: _expect([(o["userId"], o["toUserId"], o["reason"]) for o in data]
                                     == [(BLAKE_ID, CASEY_ID, "vacation")], data), setup=_blake_away),
    Case("CAL_LIST_ORGANIZATION_OUT_OF_OFFICE", {**ORG, "sortStart": "asc"},
         lambda data, state: _expect([o["userId"] for o in data] == [USER_ID, BLAKE_ID], data),
         setup=lambda state: (_blake_away(state), _me_away(state))),
    Case("CAL_LIST_ORGANIZATION_OUT_OF_OFFICE", {**ORG, "email": "blake@sandbox.cal.test"},
         lambda data, state: _expect([o["userId"] for o in data] == [BLAKE_ID], data),
         id="one-email", setup=lambda state: (_blake_away(state), _me_away(state))),
    Case("CAL_UPDATE_ORG_USER_OUT_OF_OFFICE",
         {**ORG, "userId": USER_ID, "oooId": 3001, "start": "2026-11-30T00:00:00Z", "end": "2026-11-30T00:00:00Z",
          "notes": "Offsite, moved"}, _ooo_moved, setup=_me_away),
    Case("CAL_UPDATE_ORG_USER_OUT_OF_OFFICE", {**ORG, "userId": BLAKE_ID, "oooId": 3001, "notes": "x"},
         lambda e, s: None, id="entry-of-another-user", setup=_me_away, error_status=404),
    Case("CAL_DELETE_ORG_USER_OUT_OF_OFFICE", {**ORG, "userId": USER_ID, "oooId": 3001}, _ooo_deleted,
         setup=_me_away),
]


# --- private links ------------------------------------------------------------------------------------


def _one_time_link(data: Any, state: SandboxState) -> None:
    assert data["maxUsageCount"] == 1 and data["usageCount"] == 0 and data["isExpired"] is False, data
    assert data["bookingUrl"].endswith(f"/d/{data['linkId']}/intro-call"), data
    assert state.table(PRIVATE_LINKS_TABLE)[data["linkId"]]["eventTypeId"] == EVENT_TYPE_INTRO_CALL


def _seed_links(state: SandboxState) -> None:
    intro = event_type_by_id(state, EVENT_TYPE_INTRO_CALL)
    assert intro is not None
    new_link(state, intro, None, 5)
    new_link(state, intro, "2026-11-20T00:00:00Z", None)  # already past the sandbox clock


def _listed_links(data: Any, state: SandboxState) -> None:
    assert [(link.get("maxUsageCount"), link["isExpired"]) for link in data] == [(5, False), (None, True)], data


def _link_id(state: SandboxState) -> str:
    return next(iter(state.table(PRIVATE_LINKS_TABLE)))


PRIVATE_LINK_CASES = [
    Case("CAL_CREATE_EVENT_TYPE_PRIVATE_LINK", {"eventTypeId": EVENT_TYPE_INTRO_CALL}, _one_time_link),
    Case("CAL_CREATE_EVENT_TYPE_PRIVATE_LINK",
         {"eventTypeId": EVENT_TYPE_INTRO_CALL, "expiresAt": "2026-12-31T23:59:59Z"},
         lambda data, state: _expect(data["expiresAt"] == "2026-12-31T23:59:59Z" and "maxUsageCount" not in data,
                                     data),
         id="time-based"),
    Case("CAL_CREATE_EVENT_TYPE_PRIVATE_LINK", {"eventTypeId": TEAM_EVENT_SALES_DEMO},
         on_error(lambda e, s: _expect(not s.table(PRIVATE_LINKS_TABLE), e)), id="team-event-type", error_status=403),
    Case("CAL_CREATE_EVENT_TYPE_PRIVATE_LINK", {"eventTypeId": EVENT_TYPE_INTRO_CALL, "maxUsageCount": 0},
         lambda e, s: None, id="zero-uses", refused_here=True),
    Case("CAL_LIST_EVENT_TYPE_PRIVATE_LINKS", {"eventTypeId": EVENT_TYPE_INTRO_CALL}, _listed_links,
         setup=_seed_links),
]
LINK_ID = "sbxPrivateLink0001"


def _one_link(state: SandboxState) -> None:
    intro = event_type_by_id(state, EVENT_TYPE_INTRO_CALL)
    assert intro is not None
    new_link(state, intro, None, 1, link_id=LINK_ID)


def _link_extended(data: Any, state: SandboxState) -> None:
    assert data["linkId"] == LINK_ID and data["maxUsageCount"] == 10, data
    assert state.table(PRIVATE_LINKS_TABLE)[LINK_ID]["maxUsageCount"] == 10


PRIVATE_LINK_CASES += [
    Case("CAL_UPDATE_EVENT_TYPE_PRIVATE_LINK", {"eventTypeId": EVENT_TYPE_INTRO_CALL, "linkId": LINK_ID,
                                                "maxUsageCount": 10}, _link_extended, setup=_one_link),
    Case("CAL_UPDATE_EVENT_TYPE_PRIVATE_LINK", {"eventTypeId": EVENT_TYPE_INTRO_CALL, "linkId": LINK_ID,
                                                "expiresAt": "2026-12-24T00:00:00Z"},
         lambda data, state: _expect(data["expiresAt"] == "2026-12-24T00:00:00Z" and not data["isExpired"], data),
         id="to-time-based", setup=_one_link),
    Case("CAL_UPDATE_EVENT_TYPE_PRIVATE_LINK", {"eventTypeId": EVENT_TYPE_INTRO_CALL, "linkId": "nope",
                                                "maxUsageCount": 2}, lambda e, s: None, id="unknown-link",
         setup=_one_link, error_status=404),
    Case("CAL_DELETE_EVENT_TYPE_PRIVATE_LINK", {"eventTypeId": EVENT_TYPE_INTRO_CALL, "linkId": LINK_ID},
         lambda data, state: _expect(data["linkId"] == LINK_ID and not state.table(PRIVATE_LINKS_TABLE), data),
         setup=_one_link),
]


TEAM_LINK = {**ORG, "teamId": TEAM_SALES, "eventTypeId": TEAM_EVENT_SALES_DEMO}


def _one_team_link(state: SandboxState) -> None:
    demo = event_type_by_id(state, TEAM_EVENT_SALES_DEMO)
    assert demo is not None
    new_link(state, demo, None, 3, link_id=LINK_ID, origin="https://sandbox-org.cal.com")


def _team_link_created(data: Any, state: SandboxState) -> None:
    assert data["eventTypeId"] == TEAM_EVENT_SALES_DEMO and data["maxUsageCount"] == 2, data
    # An organization's event types book on its own subdomain.
    assert data["bookingUrl"] == f"https://sandbox-org.cal.com/d/{data['linkId']}/sales-demo", data
    assert data["linkId"] in state.table(PRIVATE_LINKS_TABLE)


PRIVATE_LINK_CASES += [
    Case("CAL_CREATE_ORG_TEAM_EVENT_TYPE_PRIVATE_LINK", {**TEAM_LINK, "maxUsageCount": 2}, _team_link_created),
    Case("CAL_CREATE_ORG_TEAM_EVENT_TYPE_PRIVATE_LINK", {**TEAM_LINK, "teamId": TEAM_ENGINEERING},
         on_error(lambda e, s: _expect(not s.table(PRIVATE_LINKS_TABLE), e)), id="event-type-of-another-team",
         error_status=404),
    Case("CAL_LIST_ORG_TEAM_EVENT_TYPE_PRIVATE_LINKS", TEAM_LINK,
         lambda data, state: _expect([(x["linkId"], x["usageCount"]) for x in data] == [(LINK_ID, 0)], data),
         setup=_one_team_link),
    Case("CAL_UPDATE_ORG_TEAM_EVENT_TYPE_PRIVATE_LINK",
         {**TEAM_LINK, "linkId": LINK_ID, "expiresAt": "2026-12-31T00:00:00Z"},
         lambda data, state: _expect(data["expiresAt"] == "2026-12-31T00:00:00Z"
                                     and state.table(PRIVATE_LINKS_TABLE)[LINK_ID]["maxUsageCount"] is None, data),
         setup=_one_team_link),
    Case("CAL_DELETE_ORG_TEAM_EVENT_TYPE_PRIVATE_LINK", {**TEAM_LINK, "linkId": LINK_ID},
         lambda data, state: _expect(not state.table(PRIVATE_LINKS_TABLE), data), setup=_one_team_link),
]


# --- team member schedules and invite links -------------------------------------------------------------


def _owners(data: Any) -> set[int]:
    return {s["ownerId"] for s in data}


def _invite(team_id: int) -> Any:
    def check(data: Any, state: SandboxState) -> None:
        assert data["inviteLink"].endswith(f"?token={data['token']}&callbackUrl=/getting-started"), data
        assert state.table(TEAM_INVITES_TABLE)[data["token"]]["teamId"] == team_id
    return check


TEAM_CASES = [
    Case("CAL_LIST_TEAM_MEMBER_SCHEDULES", {"teamId": TEAM_SALES},
         lambda data, state: _expect(_owners(data) == {USER_ID, BLAKE_ID, CASEY_ID}, data)),
    Case("CAL_LIST_TEAM_MEMBER_SCHEDULES", {"teamId": 999}, lambda e, s: None, id="unknown-team", error_status=404),
    Case("CAL_LIST_ORG_TEAM_MEMBER_SCHEDULES", {**ORG, "teamId": TEAM_SALES, "eventTypeId": TEAM_EVENT_SALES_DEMO},
         lambda data, state: _expect(_owners(data) == {USER_ID, BLAKE_ID, CASEY_ID}
                                     and all(s["isDefault"] for s in data), data)),
    Case("CAL_CREATE_TEAM_INVITE_LINK", {"teamId": TEAM_SALES}, _invite(TEAM_SALES)),
    Case("CAL_CREATE_ORG_TEAM_INVITE_LINK", {**ORG, "teamId": TEAM_ENGINEERING}, _invite(TEAM_ENGINEERING)),
]


# --- slot holds -------------------------------------------------------------------------------------------


def _hold(state: SandboxState) -> None:
    state.table(RESERVATIONS_TABLE)[HOLD_UID] = {
        "eventTypeId": EVENT_TYPE_INTRO_CALL, "slotStart": HOLD_START, "slotEnd": "2026-11-26T14:30:00.000Z",
        "slotDuration": 30, "reservationUid": HOLD_UID, "reservationDuration": 10,
        "reservationUntil": "2026-11-23T08:10:00.000Z", "_reservedBy": USER_ID, "_hostId": USER_ID,
    }


def _moved(data: Any, state: SandboxState) -> None:
    assert data["slotStart"] == MOVED_START and data["reservationUid"] == HOLD_UID, data
    free = _free_starts(state, EVENT_TYPE_INTRO_CALL, "2026-11-26")
    assert MOVED_START not in free and HOLD_START in free, "the hold moved: new time hidden, old time free"


RESERVATION_CASES = [
    Case("CAL_GET_SLOT_RESERVATION", {"uid": HOLD_UID},
         lambda data, state: _expect(data["slotStart"] == HOLD_START and data["reservationDuration"] == 10, data),
         setup=_hold),
    Case("CAL_GET_SLOT_RESERVATION", {"uid": "gone"}, lambda data, state: _expect(data is None, data),
         id="released"),
    Case("CAL_UPDATE_SLOT_RESERVATION", {"uid": HOLD_UID, "eventTypeId": EVENT_TYPE_INTRO_CALL,
                                         "slotStart": "2026-11-26T15:00:00Z"}, _moved, setup=_hold),
    Case("CAL_UPDATE_SLOT_RESERVATION", {"uid": "gone", "eventTypeId": EVENT_TYPE_INTRO_CALL,
                                         "slotStart": "2026-11-26T15:00:00Z"}, lambda e, s: None, id="unknown",
         error_status=404),
]

CASES: list[Case] = [*ROUTING_CASES, *OOO_CASES, *PRIVATE_LINK_CASES, *TEAM_CASES, *RESERVATION_CASES]
