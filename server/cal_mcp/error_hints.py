"""Cal's known error messages → the next step that fits them (data; ``errors.hint_for_status`` reads it).

The status alone gives generic advice ("fix the arguments"), which is wrong for many of Cal's refusals:
a booking already cancelled needs nothing, a host who has not accepted a team invitation needs the
membership accepted. Each row matches Cal's message (case-insensitive regular expression, searched),
optionally only for some statuses, and names the Cal source the message comes from. The first
matching row wins, so specific rows come before general ones. ``tests/test_error_hints.py`` has a
case per row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from cal_mcp import time_zones


@dataclass(frozen=True)
class HintRule:
    id: str
    pattern: str
    hint: str
    source: str
    statuses: frozenset[int] = field(default_factory=lambda: frozenset({400, 403, 404, 409, 422}))

    def matches(self, status: int, message: str) -> bool:
        return status in self.statuses and _compile(self.pattern).search(message) is not None


@cache
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.DOTALL)


BOOKINGS = "apps/api/v2/src/ee/bookings/2024-08-13"
RULES: tuple[HintRule, ...] = (
    HintRule(
        "booking-already-cancelled", r"booking has already been cancelled",
        "Nothing to do: the booking was already cancelled. Tell the user so; do not call again "
        "(CAL_RETRIEVE_BOOKING_DETAILS_BY_UID shows its cancellationReason, and rescheduledToUid if it was moved).",
        "packages/features/bookings/lib/handleCancelBooking.ts",
    ),
    HintRule(
        "host-cancellation-reason", r"cancellation reason is required",
        "The host must give a reason to cancel: ask the user for one short sentence (attendees see it) and call "
        "again with cancellationReason.",
        "packages/features/bookings/lib/handleCancelBooking.ts",
    ),
    HintRule(
        "cancelling-disabled", r"does not allow cancellations",
        "This event type is set to forbid cancelling its bookings; tell the user. The API offers no way around it.",
        "packages/features/bookings/lib/handleCancelBooking.ts",
    ),
    HintRule(
        "seat-already-cancelled", r"seat does not exist or has already been cancelled",
        "That seat is gone (already cancelled, or never existed): check the booking's seats with "
        "CAL_RETRIEVE_BOOKING_DETAILS_BY_UID; if it is not there, nothing is left to cancel.",
        f"{BOOKINGS}/services/bookings.service.ts",
    ),
    HintRule(
        "host-not-accepted-member",
        r"(invalid hosts?:.*not (an accepted member|members?) of team|not an accepted member of team)",
        "Hosts of a team event type must be members of the team who accepted their invitation. List the members "
        "with CAL_RETRIEVE_TEAM_MEMBERSHIPS: accept a pending one with CAL_UPDATE_TEAM_MEMBERSHIP_PROPERTIES "
        "(accepted: true), add a missing one with CAL_CREATE_TEAM_MEMBERSHIP_WITH_ROLE, or leave them out of "
        "hosts; then call again.",
        "apps/api/v2/src/modules/organizations/event-types/services/input.service.ts (validateHosts)",
    ),
    HintRule(
        "already-team-member", r"is already a member of team",
        "Nothing to add: they are already a member. To change their role or accept their invitation use "
        "CAL_UPDATE_TEAM_MEMBERSHIP_PROPERTIES (membership id from CAL_RETRIEVE_TEAM_MEMBERSHIPS).",
        "apps/api/v2/src/modules/teams/memberships",
    ),
    HintRule(
        "not-org-member", r"not a member of organization",
        "That user is not in the organization: pick one listed by CAL_RETRIEVE_USERS_IN_ORGANIZATION, or add "
        "them first with CAL_CREATE_MEMBERSHIP_FOR_ORGANIZATION.",
        "apps/api/v2/src/modules/organizations",
    ),
    HintRule(
        "host-unavailable", r"already has booking at this time or is not available",
        "That time cannot be booked: it is taken, or outside the host's available hours (Cal does not say "
        "which). Call CAL_GET_AVAILABLE_SLOTS_INFO for that day and offer the user one of the returned slots.",
        f"{BOOKINGS}/services/errors.service.ts (no_available_users_found_error)",
    ),
    HintRule(
        "outside-booking-window", r"can't be booked at the \"start\" time provided",
        "The start is too soon (inside the event type's minimum notice) or too far ahead (outside its booking "
        "window). Call CAL_GET_AVAILABLE_SLOTS_INFO and book one of the returned slots' start exactly.",
        f"{BOOKINGS}/services/errors.service.ts (booking_time_out_of_bounds_error)",
    ),
    HintRule(
        "booking-in-the-past", r"book a meeting in the past",
        "The start is in the past. CAL_RETRIEVE_MY_INFORMATION gives the current time (now) and the host's "
        "time zone; pick a future time from CAL_GET_AVAILABLE_SLOTS_INFO.",
        f"{BOOKINGS}/services/errors.service.ts",
    ),
    HintRule(
        "slot-reserved", r"already reserved by another user|can't reserve a slot if the event is already booked",
        "Someone else holds or booked that slot. Call CAL_GET_AVAILABLE_SLOTS_INFO again and pick another.",
        "apps/api/v2/src/modules/slots/slots-2024-09-04/services/slots.service.ts",
    ),
    HintRule(
        "slot-hold-gone", r"reserved slot with uid=.* not found",
        "Nothing to release: the hold is gone (a booking of that slot used it up, it expired, or it was already "
        "released), or the uid is not one CAL_RESERVE_SLOT_FOR_EVENT returned (its reservationUid). Do not retry.",
        "apps/api/v2/src/modules/slots/slots-2024-09-04/services/slots.service.ts",
    ),
    HintRule(
        "already-confirmed", r"already confirmed",
        "Nothing to do: the booking is already confirmed (status accepted).",
        f"{BOOKINGS}/services/bookings.service.ts",
    ),
    HintRule(
        "reschedule-moved-booking", r"cancelled and rescheduled already to booking with uid=",
        "That booking was already moved: reschedule the booking it moved to (the uid in the message) instead.",
        f"{BOOKINGS}/services/bookings.service.ts",
    ),
    HintRule(
        "reschedule-cancelled-booking", r"can't reschedule booking .* because it has been cancelled",
        "A cancelled booking cannot be moved. Book a new meeting instead (CAL_GET_AVAILABLE_SLOTS_INFO, then "
        "CAL_POST_NEW_BOOKING_REQUEST), after checking with the user.",
        f"{BOOKINGS}/services/bookings.service.ts",
    ),
    HintRule(
        "not-recurring", r"not part of a recurring booking|is not a recurring event type",
        "That only applies to recurring bookings: call again without the recurring-only argument "
        "(cancelSubsequentBookings or recurrenceCount).",
        f"{BOOKINGS}/services/bookings.service.ts",
    ),
    HintRule(
        "invalid-time-zone", r"time ?zone",
        "Use an IANA time zone name such as Europe/Berlin or America/New_York (CAL_GET_ALL_TIMEZONES lists "
        "them) and call again.",
        "class-validator IsTimeZone, used by Cal's DTOs in packages/platform/types",
        frozenset({400, 422}),
    ),
    HintRule(
        "slug-taken", r"slug .*already exists|with this slug already exists",
        "That slug is taken: use the existing one (see the matching list tool), or call again with another slug.",
        "apps/api/v2/src/modules/organizations/event-types/services/input.service.ts",
    ),
    HintRule(
        "webhook-url-taken", r"webhook with this subscriber url already exists",
        "A webhook already posts to that URL here: find it with the matching webhook list tool and update it "
        "instead of creating another.",
        "apps/api/v2/src/modules/webhooks/services/webhooks.service.ts",
    ),
    HintRule(
        "app-not-connected", r"not connected",
        "Connect that app or calendar first (CAL_RETRIEVE_V2_CONFERENCING_INFO and CAL_RETRIEVE_CALENDAR_LIST "
        "show what is connected), or choose one that is, such as cal-video for locations.",
        "apps/api/v2/src/modules/conferencing/services/conferencing.service.ts",
    ),
)

_QUOTED = re.compile(r"""got ['"]([^'"]+)['"]""")


def hint_for_message(status: int, message: str) -> str | None:
    """The next step for Cal's ``message`` at ``status`` if a row knows it, else None."""
    rule = rule_for_message(status, message)
    if rule is None:
        return None
    return _time_zone_hint(rule.hint, message) if rule.id == "invalid-time-zone" else rule.hint


def rule_for_message(status: int, message: str) -> HintRule | None:
    return next((rule for rule in RULES if rule.matches(status, message)), None)


def _time_zone_hint(hint: str, message: str) -> str:
    quoted = _QUOTED.search(message)
    matches = time_zones.closest(quoted.group(1)) if quoted else []
    return f"Did you mean {' or '.join(matches)}? {hint}" if matches else hint
