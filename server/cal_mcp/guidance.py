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

Booking workflow:
1. Find the event type: CAL_LIST_EVENT_TYPES (its id and length); if none fits, CAL_CREATE_EVENT_TYPE makes one.
2. Find free times: CAL_GET_AVAILABLE_SLOTS_INFO for that eventTypeId, with start/end dates and the attendee's time zone.
3. Optionally hold a slot while the user decides: CAL_RESERVE_SLOT_FOR_EVENT.
4. Book: CAL_POST_NEW_BOOKING_REQUEST with a start taken from the slots result.
5. Tell the user the result: time in their time zone, booking uid, and status (pending means the host must confirm).

The attendee is the person being invited, never the host. Never invent IDs, emails, names or time zones: ask the user, or look them up with the listing tools (CAL_FETCH_ALL_BOOKINGS for booking uids, CAL_LIST_EVENT_TYPES for event types, CAL_RETRIEVE_SCHEDULES_LIST for schedules, CAL_RETRIEVE_MY_INFORMATION for the host).

Times: send ISO 8601 with Z or an offset (2026-12-01T09:00:00Z) and give the attendee's IANA time zone (Europe/Paris). Convert to the user's zone when you report.

Confirm with the user before anything destructive or irreversible: cancelling, declining, deleting, reassigning, disconnecting.

Changes to an existing booking: CAL_ADD_BOOKING_ATTENDEE, CAL_UPDATE_BOOKING_LOCATION, CAL_RESCHEDULE_BOOKING_BY_UID.

If a booking call fails because the time is taken, list slots again. If a write times out, check with the matching list tool before retrying, so nothing is done twice.

Organization tools (organizations toolset, org-scoped teams) need an organization admin's key on the Organizations plan; get orgId from CAL_GET_ORGANIZATION_ID. Platform tools (platform toolset) need OAuth client credentials configured on the server.
"""


@dataclass(frozen=True)
class Workflow:
    prompt: types.Prompt
    render: Callable[[dict[str, str]], str]


def _arg(name: str, description: str, required: bool = False) -> types.PromptArgument:
    return types.PromptArgument(name=name, description=description, required=required)


def _book(a: dict[str, str]) -> str:
    event = a.get("event_type") or "the event type the user wants (ask if unclear)"
    return f"""Book a meeting with {a['attendee_name']} ({a.get('attendee_email') or 'email: ask the user, never guess'}).
Preferred time: {a.get('when') or 'ask the user'}. Event type: {event}. Attendee time zone: {a.get('attendee_time_zone') or 'ask the user'}.

Steps:
1. CAL_LIST_EVENT_TYPES: pick the event type and note its id and length.
2. CAL_GET_AVAILABLE_SLOTS_INFO with that eventTypeId, a start/end range around the preferred time and the attendee's timeZone.
3. Offer the user two or three of the returned slots; if they hesitate, hold one with CAL_RESERVE_SLOT_FOR_EVENT.
4. CAL_POST_NEW_BOOKING_REQUEST: eventTypeId, start (exactly as returned by the slots tool, ISO 8601 UTC), attendee = the invitee {a['attendee_name']} with their email and IANA timeZone. Do not put the host's details in attendee.
5. Report the booking uid, the time in the attendee's time zone, and whether it is pending confirmation.
If the slot was taken meanwhile, go back to step 2."""


def _reschedule(a: dict[str, str]) -> str:
    return f"""Reschedule the booking "{a['booking']}" to {a.get('new_time') or 'a time the user picks'}.

Steps:
1. Find the booking: if "{a['booking']}" is not a uid, search CAL_FETCH_ALL_BOOKINGS (status upcoming, attendee email or dates) and confirm with the user which one.
2. CAL_RETRIEVE_BOOKING_DETAILS_BY_UID to read its eventTypeId and attendees.
3. CAL_GET_AVAILABLE_SLOTS_INFO for that eventTypeId around the new time (pass bookingUidToReschedule so the current slot counts as free).
4. Confirm the new slot with the user, then CAL_RESCHEDULE_BOOKING_BY_UID with start (ISO 8601 UTC){' and reschedulingReason' if a.get('reason') else ''}.
5. Report the NEW booking uid (rescheduling creates a new booking) and the new time in the attendee's time zone."""


def _cancel(a: dict[str, str]) -> str:
    reason = a.get("reason") or "ask the user whether to give a reason"
    return f"""Cancel the booking "{a['booking']}". Reason: {reason}.

Steps:
1. If "{a['booking']}" is not a uid, find it with CAL_FETCH_ALL_BOOKINGS (status upcoming) and show the user the match: title, time, attendees.
2. Ask the user to confirm: cancelling notifies the attendees and cannot be undone.
3. CAL_CANCEL_BOOKING_VIA_UID with bookingUid and cancellationReason.
4. Report that it is cancelled. If Cal says it was already cancelled, tell the user; do not retry."""


def _free_time(a: dict[str, str]) -> str:
    length = a.get("duration_minutes") or "the length the user needs"
    return f"""Find free time for the user between {a['date_range']} (time zone {a.get('time_zone') or 'ask the user'}), for {length} minutes.

Steps:
1. CAL_RETRIEVE_CALENDAR_LIST to see the connected calendars (credentialId and externalId of each).
2. For each relevant calendar, CAL_RETRIEVE_CALENDAR_BUSY_TIMES with dateFrom/dateTo and timeZone.
3. CAL_GET_DEFAULT_SCHEDULE_DETAILS for the working hours, then subtract the busy intervals from them.
4. If an event type fits the length, cross-check with CAL_GET_AVAILABLE_SLOTS_INFO (it already accounts for bookings and calendars).
5. Present the free windows in the user's time zone. Do not book anything unless asked."""


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
