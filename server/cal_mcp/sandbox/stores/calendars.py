"""Calendar credentials, their calendars, selection and destination, rendered like Cal's /v2/calendars.

Tables: ``credentials`` (every app credential: calendars, conferencing, payments), ``calendars``
(keyed ``"{credentialId}:{externalId}"``), ``selected_calendars`` (same key), ``destination_calendars``
(by user ID) and ``busy_times`` (events on the external calendars, what Google would report).
"""

from __future__ import annotations

from typing import Any

from cal_mcp.sandbox.errors import not_found
from cal_mcp.sandbox.state import USER_ID, SandboxState
from cal_mcp.sandbox.stores.records import next_free_id

# Cal's app-store metadata for the calendar apps the API can connect.
_APPS: dict[str, dict[str, str]] = {
    "google_calendar": {"name": "Google Calendar", "slug": "google-calendar", "dirName": "googlecalendar",
                        "description": "Google Calendar is a time management and scheduling service by Google."},
    "office365_calendar": {"name": "Outlook Calendar", "slug": "office365-calendar", "dirName": "office365calendar",
                           "description": "Microsoft Office 365 is a suite of apps that helps you stay connected."},
    "apple_calendar": {"name": "Apple Calendar", "slug": "apple-calendar", "dirName": "applecalendar",
                       "description": "Apple calendar runs both the macOS and iOS mobile operating systems."},
    "ics-feed_calendar": {"name": "ICS Feed", "slug": "ics-feed", "dirName": "ics-feedcalendar",
                          "description": "Read-only calendar events from one or more ICS feeds."},
}
CALENDAR_TYPES = {"google": "google_calendar", "office365": "office365_calendar", "apple": "apple_calendar"}


def integration(cred_type: str) -> dict[str, Any]:
    app = _APPS[cred_type]
    return {
        "appData": None,
        "dirName": app["dirName"],
        "__template": "",
        "name": app["name"],
        "description": app["description"],
        "installed": True,
        "type": cred_type,
        "title": app["name"],
        "variant": "calendar",
        "category": "calendar",
        "categories": ["calendar"],
        "logo": f"/app-store/{app['dirName']}/icon.svg",
        "publisher": "Cal.com",
        "slug": app["slug"],
        "url": "https://cal.com/",
        "email": "help@cal.com",
        "locationOption": None,
    }


def key(credential_id: int, external_id: str) -> str:
    return f"{credential_id}:{external_id}"


def calendar_credentials(state: SandboxState, user_id: int = USER_ID) -> list[dict[str, Any]]:
    rows = state.table("credentials").values()
    return sorted((c for c in rows if c["userId"] == user_id and c["type"] in _APPS), key=lambda c: c["id"])


def credential_out(cred: dict[str, Any]) -> dict[str, Any]:
    return {k: cred.get(k) for k in ("id", "type", "userId", "teamId", "appId", "invalid")}


def add_credential(state: SandboxState, cred_type: str, app_id: str, **extra: Any) -> dict[str, Any]:
    cred = {"id": next_free_id(state, "credentials", 101), "type": cred_type, "userId": USER_ID,
            "teamId": None, "appId": app_id, "invalid": False, **extra}
    state.table("credentials")[cred["id"]] = cred
    return cred


def add_calendar(state: SandboxState, cred: dict[str, Any], external_id: str, name: str, *,
                 primary: bool = False, read_only: bool = False, email: str | None = None) -> dict[str, Any]:
    calendar = {"externalId": external_id, "integration": cred["type"], "name": name, "primary": primary,
                "readOnly": read_only, "email": email or external_id, "credentialId": cred["id"]}
    state.table("calendars")[key(cred["id"], external_id)] = calendar
    return calendar


def calendars_of(state: SandboxState, credential_id: int) -> list[dict[str, Any]]:
    return [c for c in state.table("calendars").values() if c["credentialId"] == credential_id]


def select(state: SandboxState, integration_type: str, external_id: str, credential_id: int) -> dict[str, Any]:
    row = {"userId": USER_ID, "integration": integration_type, "externalId": external_id,
           "credentialId": credential_id}
    state.table("selected_calendars")[key(credential_id, external_id)] = row
    return row


def ensure_destination(state: SandboxState) -> dict[str, Any] | None:
    """Like Cal's getConnectedDestinationCalendarsAndEnsureDefaultsInDb: fall back to the first primary."""
    table = state.table("destination_calendars")
    current = table.get(USER_ID)
    if current and key(current["credentialId"], current["externalId"]) in state.table("calendars"):
        return current
    table.pop(USER_ID, None)
    for cred in calendar_credentials(state):
        for calendar in calendars_of(state, cred["id"]):
            if calendar["primary"] and not calendar["readOnly"]:
                return set_destination(state, calendar)
    return None


def set_destination(state: SandboxState, calendar: dict[str, Any]) -> dict[str, Any]:
    table = state.table("destination_calendars")
    previous = table.get(USER_ID)
    row = {
        "id": previous["id"] if previous else state.new_id("destination_calendars", 51),
        "integration": calendar["integration"],
        "externalId": calendar["externalId"],
        "primaryEmail": calendar["email"],
        "userId": USER_ID,
        "eventTypeId": None,
        "credentialId": calendar["credentialId"],
        "delegationCredentialId": None,
    }
    table[USER_ID] = row
    return row


def _calendar_out(state: SandboxState, calendar: dict[str, Any]) -> dict[str, Any]:
    selected = key(calendar["credentialId"], calendar["externalId"]) in state.table("selected_calendars")
    return {**calendar, "isSelected": selected, "delegationCredentialId": None}


def connected_calendars(state: SandboxState) -> dict[str, Any]:
    connected = []
    for cred in calendar_credentials(state):
        calendars = [_calendar_out(state, c) for c in calendars_of(state, cred["id"])]
        entry: dict[str, Any] = {"integration": integration(cred["type"]), "credentialId": cred["id"],
                                 "delegationCredentialId": None, "calendars": calendars}
        primary = next((c for c in calendars if c["primary"]), calendars[0] if calendars else None)
        if primary is not None:
            entry["primary"] = primary
        connected.append(entry)
    data: dict[str, Any] = {"connectedCalendars": connected}
    destination = ensure_destination(state)
    if destination is not None:
        calendar = state.table("calendars")[key(destination["credentialId"], destination["externalId"])]
        data["destinationCalendar"] = {
            **destination,
            "name": calendar["name"],
            "primary": bool(calendar["primary"]),
            "readOnly": calendar["readOnly"],
            "email": calendar["email"],
            "integrationTitle": _APPS[calendar["integration"]]["name"],
        }
    return data


def find_user_credential(state: SandboxState, credential_id: int) -> dict[str, Any]:
    cred = state.table("credentials").get(credential_id)
    if cred is None or cred["userId"] != USER_ID or cred["type"] not in _APPS:
        raise not_found("Calendar credentials not found")
    return cred


def remove_credential(state: SandboxState, cred: dict[str, Any]) -> None:
    """Cal's Prisma cascades: the credential's calendars, selections and destination go with it."""
    del state.table("credentials")[cred["id"]]
    for table in ("calendars", "selected_calendars"):
        rows = state.table(table)
        for row_key in [k for k, row in rows.items() if row["credentialId"] == cred["id"]]:
            del rows[row_key]
    busy = state.table("busy_times")
    for busy_id in [i for i, b in busy.items() if b["credentialId"] == cred["id"]]:
        del busy[busy_id]
    destination = state.table("destination_calendars").get(USER_ID)
    if destination and destination["credentialId"] == cred["id"]:
        del state.table("destination_calendars")[USER_ID]
