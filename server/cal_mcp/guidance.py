"""What the model is told beyond the tool list: server instructions and workflow prompts.

Models that book meetings go wrong in known ways (the host's details put into ``attendee``,
invented emails, booking without checking availability); the instructions and prompts steer them
through the right tools in the right order. Every tool named here must exist (a test checks).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import mcp_types as types
from mcp.shared.exceptions import MCPError

INSTRUCTIONS = """\
Cal.com scheduling for the user whose API key this server holds (the host).

Now: CAL_RETRIEVE_MY_INFORMATION's result has `now`: the current time in UTC, the host's time zone, local time and weekday. Call it first for relative dates ("next Tuesday").

Booking workflow:
1. Find the event type: CAL_LIST_EVENT_TYPES (its id and length). If several fit the request, ask the user which; if none fits, CAL_CREATE_EVENT_TYPE makes one.
2. Find free times: CAL_GET_AVAILABLE_SLOTS_INFO for that eventTypeId, with start/end dates (end is inclusive) and the attendee's time zone.
3. Optionally hold a slot while the user decides: CAL_RESERVE_SLOT_FOR_EVENT.
4. Book: CAL_POST_NEW_BOOKING_REQUEST with a start taken from the slots result.
5. Tell the user the result: time in their time zone, booking uid, and status (pending = awaiting the host's confirmation).

The attendee is the person being invited, never the host. Never invent IDs, emails, names or time zones: ask the user, or look them up with the listing tools (CAL_FETCH_ALL_BOOKINGS, CAL_LIST_EVENT_TYPES, CAL_RETRIEVE_SCHEDULES_LIST, CAL_RETRIEVE_MY_INFORMATION).

Times: send ISO 8601 with Z or an offset (2026-12-01T09:00:00Z) and IANA time zones (Europe/Paris). Convert to the user's zone when you report.

Confirm with the user before anything destructive or irreversible: cancelling (give a reason: the host must), declining, deleting, reassigning, disconnecting.

Change a booking: CAL_ADD_BOOKING_ATTENDEE, CAL_UPDATE_BOOKING_LOCATION, CAL_RESCHEDULE_BOOKING_BY_UID.

Errors end with "Next step:"; follow it. If a write times out, check with the matching list tool before retrying, so nothing is done twice.

Event types and bookings come back compact (every ID kept); pass full: true for every field.

Teams: plain teams use the teams toolset (CAL_GET_TEAMS_LIST); teams inside an organization use the organizations toolset, which needs an organization admin's key; get orgId from CAL_GET_ORGANIZATION_ID. Outside an organization, user IDs come from team memberships (CAL_RETRIEVE_TEAM_MEMBERSHIPS). Platform tools need OAuth client credentials configured on the server.
"""


@dataclass(frozen=True)
class Workflow:
    prompt: types.Prompt
    render: Callable[[dict[str, str]], str]


def _arg(name: str, description: str, required: bool = False) -> types.PromptArgument:
    return types.PromptArgument(name=name, description=description, required=required)


def _book(a: dict[str, str]) -> str:
    event = a.get("event_type") or "the event type the user wants (ask if unclear)"
    zone = a.get("attendee_time_zone")
    return f"""Book a meeting with {a['attendee_name']} ({a.get('attendee_email') or 'email: ask the user, never guess'}).
Preferred time: {a.get('when') or 'ask the user'}. Event type: {event}. Attendee time zone: {zone or 'ask the user (an IANA name such as Europe/Paris)'}.

Steps:
1. If the preferred time is relative ("tomorrow", "next Tuesday"), CAL_RETRIEVE_MY_INFORMATION gives now and the host's time zone.
2. CAL_LIST_EVENT_TYPES: pick the event type and note its id and length; if several fit, ask the user which.
3. CAL_GET_AVAILABLE_SLOTS_INFO with that eventTypeId, start/end dates around the preferred time (the end date is included) and timeZone {zone or "the attendee's time zone"}: the starts come back in that zone, with its UTC offset.
4. Offer the user two or three of the returned starts. If they need time to decide, hold one with CAL_RESERVE_SLOT_FOR_EVENT; if they then decide against it, release it with CAL_DELETE_SELECTED_SLOT.
5. CAL_POST_NEW_BOOKING_REQUEST: eventTypeId, start copied exactly as the slots tool returned it (offset included), attendee = the invitee {a['attendee_name']} with their email and IANA timeZone. Do not put the host's details in attendee. The booking uses up your hold: do not release it afterwards.
6. Report the booking uid, the time in the attendee's time zone, and its status (pending = awaiting the host's confirmation).
If the time was taken meanwhile, go back to step 3."""


def _reschedule(a: dict[str, str]) -> str:
    reason = a.get("reason")
    reason_line = f'Reason to give the attendees: "{reason}".' if reason else (
        "Reason: none given; ask the user whether to give one (optional, shown to the attendees).")
    reason_arg = f'reschedulingReason "{reason}"' if reason else "reschedulingReason if the user gave one"
    return f"""Reschedule the booking "{a['booking']}" to {a.get('new_time') or 'a time the user picks'}. {reason_line}

Steps:
1. Find the booking: if "{a['booking']}" is not a booking uid, search CAL_FETCH_ALL_BOOKINGS (status upcoming, with attendeeEmail or dates) and confirm with the user which one.
2. CAL_RETRIEVE_BOOKING_DETAILS_BY_UID: read its eventTypeId, attendees and current start.
3. CAL_GET_AVAILABLE_SLOTS_INFO for that eventTypeId around the new time, with bookingUidToReschedule set to its uid (its current time then counts as free) and the attendee's timeZone.
4. Confirm the new start with the user, then CAL_RESCHEDULE_BOOKING_BY_UID with bookingUid, start (exactly as the slots tool returned it) and {reason_arg}.
5. Report the NEW booking uid (rescheduling creates a new booking and cancels the old one) and the new time in the attendee's time zone."""


def _cancel(a: dict[str, str]) -> str:
    reason = a.get("reason")
    reason_line = f'Reason: "{reason}".' if reason else (
        "Reason: not given yet. Ask the user for one: Cal.com requires a reason when the host cancels, "
        "and the attendees see it.")
    reason_arg = f'cancellationReason "{reason}"' if reason else "cancellationReason (the user's reason)"
    return f"""Cancel the booking "{a['booking']}". {reason_line}

Steps:
1. If "{a['booking']}" is not a booking uid, find it with CAL_FETCH_ALL_BOOKINGS (status upcoming) and show the user the match: title, time, attendees.
2. Ask the user to confirm: cancelling notifies the attendees and cannot be undone.
3. CAL_CANCEL_BOOKING_VIA_UID with bookingUid and {reason_arg}.
4. Report that it is cancelled. If Cal.com answers that it was already cancelled, there is nothing to do: tell the user; do not retry."""


def _free_time(a: dict[str, str]) -> str:
    minutes = a.get("duration_minutes")
    zone = a.get("time_zone")
    length = (f"Only windows of at least {minutes} minutes count." if minutes else
              "If the user has not said how long the meeting is, ask; until then list every free window.")
    where = f"in {zone}" if zone else "in the user's time zone (step 1 gives the host's)"
    return f"""Find free time in the user's calendars for {a['date_range']}. {length} Present the windows {where}.

Steps:
1. CAL_RETRIEVE_MY_INFORMATION: now (to turn "{a['date_range']}" into dates) and the host's time zone.
2. CAL_RETRIEVE_CALENDAR_LIST: the connected calendars, with the credentialId and externalId of each.
3. For each calendar, CAL_RETRIEVE_CALENDAR_BUSY_TIMES with dateFrom/dateTo (whole days, both included) and timeZone; busy intervals come back in UTC.
4. CAL_GET_DEFAULT_SCHEDULE_DETAILS: the working hours, in the schedule's own time zone. Free windows = working hours minus the busy intervals.
5. For bookable times of one event type, CAL_GET_AVAILABLE_SLOTS_INFO answers directly: it already leaves out bookings and the busy times of the calendars selected for conflict checking.
6. Present the free windows. Do not book anything unless asked."""


WORKFLOWS: dict[str, Workflow] = {
    w.prompt.name: w
    for w in (
        Workflow(
            types.Prompt(
                name="book_meeting",
                title="Book a meeting",
                description="Walk through event type → free slots → booking for an attendee.",
                arguments=[
                    _arg("attendee_name", "Who the meeting is with (the invitee, not you).", True),
                    _arg("attendee_email", "The invitee's email, as the user gave it."),
                    _arg("attendee_time_zone", "The invitee's IANA time zone, e.g. America/New_York."),
                    _arg("when", "Preferred day or time, in words or ISO 8601."),
                    _arg("event_type", "Event type title, slug or id."),
                ],
            ),
            _book,
        ),
        Workflow(
            types.Prompt(
                name="reschedule_booking",
                title="Reschedule a booking",
                description="Find a booking, pick a new free slot and move it.",
                arguments=[
                    _arg("booking", "Booking uid, or a description (attendee, date) to search for.", True),
                    _arg("new_time", "The new day or time wanted."),
                    _arg("reason", "Why it moves (shown to attendees)."),
                ],
            ),
            _reschedule,
        ),
        Workflow(
            types.Prompt(
                name="cancel_booking",
                title="Cancel a booking",
                description="Find a booking, confirm with the user and cancel it.",
                arguments=[
                    _arg("booking", "Booking uid, or a description (attendee, date) to search for.", True),
                    _arg("reason", "Cancellation reason shown to attendees."),
                ],
            ),
            _cancel,
        ),
        Workflow(
            types.Prompt(
                name="find_free_time",
                title="Find free time across my calendars",
                description="Combine working hours and calendar busy times into free windows.",
                arguments=[
                    _arg("date_range", "Days to search, e.g. 'next Monday to Wednesday'.", True),
                    _arg("duration_minutes", "How long the free window must be."),
                    _arg("time_zone", "IANA time zone to present results in."),
                ],
            ),
            _free_time,
        ),
    )
}


def list_prompts() -> types.ListPromptsResult:
    return types.ListPromptsResult(prompts=[w.prompt for w in WORKFLOWS.values()])


def get_prompt(name: str, arguments: dict[str, str]) -> types.GetPromptResult:
    workflow = WORKFLOWS.get(name)
    if workflow is None:
        raise MCPError(-32602, f"Unknown prompt {name!r}; available: {', '.join(WORKFLOWS)}")
    missing = [a.name for a in workflow.prompt.arguments or [] if a.required and not arguments.get(a.name)]
    if missing:
        raise MCPError(-32602, f"Prompt {name!r} needs argument(s): {', '.join(missing)}")
    text = workflow.render(arguments)
    return types.GetPromptResult(
        description=workflow.prompt.description,
        messages=[types.PromptMessage(role="user", content=types.TextContent(type="text", text=text))],
    )
