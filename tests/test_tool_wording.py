"""Issue 14 items 4, 5 and 7: what tools/list says makes the conditions and the differences plain."""

from __future__ import annotations

import re

import pytest

from cal_mcp.guidance import INSTRUCTIONS
from cal_mcp.registry import Registry

# Names that invite mistakes (the names are fixed): each description names the other tool, and the
# titles plus the descriptions' first words tell them apart.
PAIRS = [
    ("CAL_DELETE_WEBHOOKS_FOR_EVENT_TYPE", "CAL_DELETE_WEBHOOK_FOR_EVENT_TYPE", ("Delete ALL", "Delete ONE")),
    ("CAL_DELETE_MEMBERSHIP_IN_TEAM", "CAL_DELETE_TEAM_MEMBERSHIPS_BY_ID",
     ("Organization teams", "Teams by teamId, no organization needed")),
    ("CAL_CREATE_TEAM_EVENT_TYPES_WITH_CUSTOM_OPTIONS", "CAL_CREATE_TEAM_EVENT_TYPE",
     ("Organization teams", "Teams by teamId, no organization needed")),
    ("CAL_RETRIEVE_ORGANIZATION_ATTRIBUTES_OPTIONS", "CAL_RETRIEVE_ATTRIBUTE_OPTIONS_FOR_ORG",
     ("One organization user", "One organization attribute")),
    ("CAL_CONNECT_TO_CALENDAR", "CAL_GET_GOOGLE_CALENDAR_OAUTH_AUTHENTICATION_URL", ("Google or Outlook", "Google")),
    ("CAL_POST_WEBHOOK_EVENT", "CAL_CREATE_WEBHOOK_FOR_EVENT_TYPE", ("Creates (does not send)", "Create a webhook")),
]


def test_no_two_tools_share_a_title(registry: Registry) -> None:
    titles = [spec.title.casefold() for spec in registry.specs]
    assert len(titles) == len(set(titles)), sorted(t for t in titles if titles.count(t) > 1)


@pytest.mark.parametrize(("first", "second", "openings"), PAIRS, ids=lambda v: v if isinstance(v, str) else "")
def test_confusable_tools_name_each_other_and_differ_up_front(
    registry: Registry, first: str, second: str, openings: tuple[str, str]
) -> None:
    one, other = registry.by_name[first], registry.by_name[second]
    assert second in one.description and first in other.description
    assert one.title != other.title
    # The difference is in the first words, where a model skimming the list reads.
    assert one.description.startswith(openings[0]), one.description
    assert other.description.startswith(openings[1]), other.description
    assert one.description.split()[:4] != other.description.split()[:4]


def test_the_all_or_one_webhook_deletion_is_in_the_titles(registry: Registry) -> None:
    assert "ALL" in registry.by_name["CAL_DELETE_WEBHOOKS_FOR_EVENT_TYPE"].title
    assert "ONE" in registry.by_name["CAL_DELETE_WEBHOOK_FOR_EVENT_TYPE"].title


def test_the_webhook_creating_tool_says_it_creates(registry: Registry) -> None:
    spec = registry.by_name["CAL_POST_WEBHOOK_EVENT"]
    assert spec.title.startswith("Create a webhook") and "does not send" in spec.description


# --- item 4: conditions said out loud ----------------------------------------------------------------------

def test_cancelling_requires_a_reason_in_schema_and_words(registry: Registry) -> None:
    spec = registry.by_name["CAL_CANCEL_BOOKING_VIA_UID"]
    assert "cancellationReason" in spec.required and spec.properties["cancellationReason"]["minLength"] == 1
    assert "cancellationReason is required" in spec.description and "host" in spec.description


@pytest.mark.parametrize("name", ["CAL_CREATE_TEAM_EVENT_TYPE", "CAL_CREATE_TEAM_EVENT_TYPES_WITH_CUSTOM_OPTIONS"])
def test_team_event_type_hosts_must_be_accepted_members(registry: Registry, name: str) -> None:
    assert "accepted team members" in registry.by_name[name].description


def test_user_ids_outside_an_organization_have_a_stated_source(registry: Registry) -> None:
    memberships = registry.by_name["CAL_RETRIEVE_TEAM_MEMBERSHIPS"].description
    assert "Outside an organization" in memberships and "user IDs" in memberships
    assert "CAL_RETRIEVE_TEAM_MEMBERSHIPS" in registry.by_name["CAL_CREATE_TEAM_MEMBERSHIP_WITH_ROLE"].description
    assert "CAL_RETRIEVE_TEAM_MEMBERSHIPS" in INSTRUCTIONS


def test_organization_and_plain_team_tools_are_told_apart(registry: Registry) -> None:
    assert "plain teams" in INSTRUCTIONS and "organizations toolset" in INSTRUCTIONS
    for spec in registry.specs:
        if spec.toolset == "organizations" and "orgId" in spec.properties:
            assert re.search(r"[Oo]rg(anization)? admin|organization member", spec.description), spec.name


def test_several_fitting_event_types_mean_asking_the_user(registry: Registry) -> None:
    assert "ask which" in registry.by_name["CAL_LIST_EVENT_TYPES"].description
    assert "If several fit the request, ask the user which" in INSTRUCTIONS


def test_the_team_profile_tool_explains_its_name(registry: Registry) -> None:
    spec = registry.by_name["CAL_CREATE_OR_UPDATE_TEAM_PROFILE"]
    assert "never updates" not in spec.description
    assert "The name says create or update" in spec.description and "CAL_PATCH_TEAM_DETAILS_BY_ID" in spec.description


def test_the_hold_tools_say_a_booking_uses_the_hold_up(registry: Registry) -> None:
    assert "uses the hold up" in registry.by_name["CAL_RESERVE_SLOT_FOR_EVENT"].description
    assert "Not after booking it" in registry.by_name["CAL_DELETE_SELECTED_SLOT"].description


# --- item 7: times ---------------------------------------------------------------------------------------

def test_range_bounds_and_zones_are_documented(registry: Registry) -> None:
    slots = registry.by_name["CAL_GET_AVAILABLE_SLOTS_INFO"]
    assert "a bare end date includes that whole day" in slots.description and "offset" in slots.description
    busy = registry.by_name["CAL_RETRIEVE_CALENDAR_BUSY_TIMES"]
    assert "both included" in busy.description and "UTC" in busy.description
    assert "included" in busy.properties["dateTo"]["description"]
    bookings = registry.by_name["CAL_FETCH_ALL_BOOKINGS"]
    assert "include their bounds" in bookings.description
    assert "at or before" in bookings.properties["beforeEnd"]["description"]


def test_one_word_for_bookings_awaiting_confirmation(registry: Registry) -> None:
    """"pending" (Cal's status value) everywhere; "unconfirmed" only as the name of the list filter."""
    for spec in registry.specs:
        if spec.toolset != "bookings":
            continue
        text = f"{spec.title} {spec.description}"
        if re.search(r"awaiting|unconfirmed|approval", text):
            assert "pending" in text.lower(), spec.name
            assert "approval" not in text, spec.name
    assert "pending = awaiting the host's confirmation" in INSTRUCTIONS
