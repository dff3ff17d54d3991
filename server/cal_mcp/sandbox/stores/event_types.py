"""The sandbox user's event types (``event_types`` table, EventTypeOutput_2024_06_14 shape)."""

from __future__ import annotations

from typing import Any

from cal_mcp.sandbox.state import ORG_SLUG, USER_ID, USERNAME

EVENT_TYPES_TABLE = "event_types"  # user event types, EventTypeOutput_2024_06_14 shape


def event_type_record(
    event_type_id: int, title: str, slug: str, length: int, description: str, **extra: Any
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": event_type_id,
        "lengthInMinutes": length,
        "title": title,
        "slug": slug,
        "description": description,
        "locations": [{"type": "integration", "integration": "cal-video"}],
        # Cal lists the default name/email fields here, but their output schema types
        # isDefault as an object, so no Cal answer validates; the sandbox lists none.
        "bookingFields": [],
        "disableGuests": False,
        "slotInterval": None,
        "minimumBookingNotice": 0,
        "beforeEventBuffer": 0,
        "afterEventBuffer": 0,
        "recurrence": None,
        "metadata": {},
        "price": 0,
        "currency": "usd",
        "lockTimeZoneToggleOnBookingPage": False,
        "seatsPerTimeSlot": None,
        "forwardParamsSuccessRedirect": None,
        "successRedirectUrl": None,
        "isInstantEvent": False,
        "seatsShowAvailabilityCount": False,
        "scheduleId": None,
        "onlyShowFirstAvailableSlot": False,
        "bookerLayouts": {"defaultLayout": "month", "enabledLayouts": ["month", "week", "column"]},
        "requiresBookerEmailVerification": False,
        "hideCalendarNotes": False,
        "hideCalendarEventDetails": False,
        "hideOrganizerEmail": False,
        "hidden": False,
        "bookingRequiresAuthentication": False,
        "allowReschedulingPastBookings": False,
        "ownerId": USER_ID,
        "users": [USERNAME],
        "bookingUrl": f"https://{ORG_SLUG}.cal.com/{USERNAME}/{slug}",
    }
    record.update(extra)
    return record
