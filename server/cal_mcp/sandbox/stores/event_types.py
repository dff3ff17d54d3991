"""The sandbox user's event types (``event_types`` table, EventTypeOutput_2024_06_14 shape)."""

from __future__ import annotations

from typing import Any

from cal_mcp.sandbox.state import ORG_SLUG, USER_ID, USERNAME

EVENT_TYPES_TABLE = "event_types"  # user event types, EventTypeOutput_2024_06_14 shape


def event_type_user(user: dict[str, Any]) -> dict[str, Any]:
    """One of an event type's ``users``, as Cal's EventTypeOutput_2024_06_14 gives them: objects, not usernames
    (packages/platform/types/event-types/event-types_2024_06_14/outputs/event-type.output.ts)."""
    return {
        "id": user["id"],
        "name": user.get("name"),
        "username": user.get("username"),
        "avatarUrl": user.get("avatarUrl"),
        "weekStart": user.get("weekStart") or "Sunday",
        # Cal's User.brandColor / darkBrandColor column defaults.
        "brandColor": user.get("brandColor") or "#292929",
        "darkBrandColor": user.get("darkBrandColor") or "#fafafa",
        "metadata": user.get("metadata") or {},
    }


def default_booking_fields(
    *, disable_guests: bool = False, custom: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """The booking fields an event type created through API v2 returns: Cal stores name, email, location, the
    caller's own fields, title, notes, guests, rescheduleReason (input-event-types.service.ts,
    transformInputBookingFields; no attendeePhoneNumber) and outputs each system field with exactly these
    keys (transformers/internal-to-api/booking-fields.ts; undefined labels and placeholders are omitted)."""

    def system(slug: str, kind: str, *, required: bool = False, hidden: bool = False) -> dict[str, Any]:
        return {"isDefault": True, "type": kind, "slug": slug, "required": required, "disableOnPrefill": False,
                "hidden": hidden}

    return [
        {"isDefault": True, "type": "name", "slug": "name", "required": True, "label": "your_name",
         "disableOnPrefill": False},
        system("email", "email", required=True),
        {"isDefault": True, "type": "radioInput", "slug": "location", "required": False, "hidden": False},
        *(custom or []),
        system("title", "text", required=True, hidden=True),
        system("notes", "textarea"),
        system("guests", "multiemail", hidden=disable_guests),
        system("rescheduleReason", "textarea"),
    ]


def event_type_record(
    event_type_id: int, title: str, slug: str, length: int, description: str, *, owner: dict[str, Any],
    **extra: Any,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": event_type_id,
        "lengthInMinutes": length,
        "title": title,
        "slug": slug,
        "description": description,
        "locations": [{"type": "integration", "integration": "cal-video"}],
        "bookingFields": [],  # Cal's system fields, filled in below
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
        "users": [event_type_user(owner)],
        "bookingUrl": f"https://{ORG_SLUG}.cal.com/{USERNAME}/{slug}",
    }
    record.update(extra)
    if "bookingFields" not in extra:
        record["bookingFields"] = default_booking_fields(disable_guests=record["disableGuests"])
    return record
