"""Seed the sandbox user's connected apps and the platform plumbing: Google Calendar (with busy
times relative to now), an ICS feed, Google Meet + Zoom, webhooks of every scope, Stripe for one
team, and the OAuth client with two managed users.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from cal_mcp.sandbox.state import OAUTH_CLIENT_ID, ORG_ID, USER_EMAIL, USER_ID, USER_TIME_ZONE
from cal_mcp.sandbox.stores import calendars as cs
from cal_mcp.sandbox.stores.records import iso

if TYPE_CHECKING:
    from cal_mcp.sandbox.state import SandboxState

# Credentials (one table for every app, like Cal's Credential model).
CRED_GOOGLE_CALENDAR, CRED_GOOGLE_MEET, CRED_ZOOM, CRED_ICS_FEED, CRED_STRIPE_SALES = 101, 102, 103, 104, 105
GOOGLE_PRIMARY = USER_EMAIL
GOOGLE_HOLIDAYS = "en.uk#holiday@group.v.calendar.google.com"
ICS_FEED_URL = "https://calendar.sandbox.cal.test/feeds/team-offsites.ics"
# Webhooks: 1–2 the user's, 3 on the lowest core event type, 4 the organization's, 5 the OAuth client's.
# Cal's Webhook.id is a String column holding a uuid (Prisma schema), whatever the OpenAPI says.
WEBHOOK_USER_BOOKINGS = "5b0f3c9e-2d41-4a8e-9c3b-0a1f6e2d7b01"
WEBHOOK_USER_MEETINGS = "5b0f3c9e-2d41-4a8e-9c3b-0a1f6e2d7b02"
WEBHOOK_EVENT_TYPE = "5b0f3c9e-2d41-4a8e-9c3b-0a1f6e2d7b03"
WEBHOOK_ORG = "5b0f3c9e-2d41-4a8e-9c3b-0a1f6e2d7b04"
WEBHOOK_OAUTH = "5b0f3c9e-2d41-4a8e-9c3b-0a1f6e2d7b05"
# Managed users of the OAuth client, with fixed tokens so tests can refresh them.
MANAGED_USER_JORDAN, MANAGED_USER_RILEY = 3001, 3002
SEEDED_REFRESH_TOKENS = {MANAGED_USER_JORDAN: "sbx_rt_seed_3001", MANAGED_USER_RILEY: "sbx_rt_seed_3002"}
SEEDED_ACCESS_TOKENS = {MANAGED_USER_JORDAN: "sbx_at_seed_3001", MANAGED_USER_RILEY: "sbx_at_seed_3002"}

_LONDON = ZoneInfo(USER_TIME_ZONE)


def _weekday(today: date, offset: int) -> date:
    """The ``offset``-th weekday after (or before, if negative) ``today``."""
    day, left, step = today, abs(offset), 1 if offset > 0 else -1
    while left:
        day += timedelta(days=step)
        left -= day.weekday() < 5
    return day


def _at(day: date, hour: int, minute: int = 0) -> str:
    return datetime.combine(day, time(hour, minute), _LONDON).astimezone(UTC).isoformat()


def _seed_calendars(state: SandboxState) -> None:
    google = cs.add_credential(state, "google_calendar", "google-calendar")
    cs.add_calendar(state, google, GOOGLE_PRIMARY, GOOGLE_PRIMARY, primary=True)
    cs.add_calendar(state, google, GOOGLE_HOLIDAYS, "Holidays in United Kingdom", read_only=True)
    cs.select(state, "google_calendar", GOOGLE_PRIMARY, google["id"])
    cs.set_destination(state, state.table("calendars")[cs.key(google["id"], GOOGLE_PRIMARY)])
    cs.add_credential(state, "google_video", "google-meet")
    cs.add_credential(state, "zoom_video", "zoom")
    ics = cs.add_credential(state, "ics-feed_calendar", "ics-feed")
    cs.add_calendar(state, ics, ICS_FEED_URL, "team-offsites", read_only=True)
    state.table("conferencing_defaults")[USER_ID] = {"appSlug": "google-meet"}
    state.table("credentials")[CRED_STRIPE_SALES] = {
        "id": CRED_STRIPE_SALES, "type": "stripe_payment", "userId": None, "teamId": 601, "appId": "stripe",
        "invalid": False, "stripeUserId": "acct_sandboxsales"}

    today = state.now().astimezone(_LONDON).date()
    # (credential, calendar, day, start, end, what it is): Google's free/busy API reports no titles,
    # so the label is sandbox bookkeeping (``_title``) and ``source`` stays null as in Cal.
    busy = [
        (google["id"], GOOGLE_PRIMARY, _weekday(today, -1), (10, 0), (11, 0), "Dentist"),
        (google["id"], GOOGLE_PRIMARY, _weekday(today, 1), (12, 0), (13, 0), "Lunch with a client"),
        (google["id"], GOOGLE_PRIMARY, _weekday(today, 2), (9, 0), (10, 30), "Quarterly planning"),
        (google["id"], GOOGLE_PRIMARY, _weekday(today, 3), (16, 0), (17, 0), "School pick-up"),
        (ics["id"], ICS_FEED_URL, _weekday(today, 4), (9, 0), (17, 0), "Team offsite"),
    ]
    for number, (cred_id, external_id, day, start, end, source) in enumerate(busy, start=1):
        state.table("busy_times")[number] = {"id": number, "credentialId": cred_id, "externalId": external_id,
                                             "start": _at(day, *start), "end": _at(day, *end), "source": None,
                                             "_title": source}


def _webhook(state: SandboxState, hook_id: str, owner: tuple[str, object], url: str, triggers: list[str], *,
             active: bool = True, secret: str | None = None, template: str | None = None) -> None:
    state.table("webhooks")[hook_id] = {
        "id": hook_id, owner[0]: owner[1], "subscriberUrl": url, "triggers": triggers, "active": active,
        "payloadTemplate": template, "secret": secret, "version": "2021-10-20",
        "createdAt": (state.now() - timedelta(days=29 - len(state.table("webhooks")))).isoformat()}


def _seed_webhooks(state: SandboxState) -> None:
    event_types = state.table("event_types")
    first_event_type = min(event_types) if event_types else 1
    _webhook(state, WEBHOOK_USER_BOOKINGS, ("userId", USER_ID), "https://hooks.sandbox.cal.test/bookings",
             ["BOOKING_CREATED", "BOOKING_RESCHEDULED", "BOOKING_CANCELLED"], secret="whsec_sandbox_bookings")
    _webhook(state, WEBHOOK_USER_MEETINGS, ("userId", USER_ID), "https://hooks.sandbox.cal.test/meetings",
             ["MEETING_STARTED", "MEETING_ENDED"], active=False,
             template='{"event":"{{triggerEvent}}","title":"{{title}}"}')
    _webhook(state, WEBHOOK_EVENT_TYPE, ("eventTypeId", first_event_type),
             "https://hooks.sandbox.cal.test/event-type", ["BOOKING_CREATED"])
    _webhook(state, WEBHOOK_ORG, ("teamId", ORG_ID), "https://hooks.sandbox.cal.test/org",
             ["BOOKING_CREATED", "BOOKING_CANCELLED"], secret="whsec_sandbox_org")
    _webhook(state, WEBHOOK_OAUTH, ("oAuthClientId", OAUTH_CLIENT_ID), "https://hooks.sandbox.cal.test/platform",
             ["BOOKING_CREATED"])


def _seed_oauth_client(state: SandboxState) -> None:
    state.table("oauth_clients")[OAUTH_CLIENT_ID] = {
        "id": OAUTH_CLIENT_ID, "name": "Sandbox Platform App", "organizationId": ORG_ID,
        "redirectUris": ["https://app.sandbox.cal.test/oauth/callback"]}
    now = state.now()
    people = ((MANAGED_USER_JORDAN, "jordan", "Jordan Platform", "America/Chicago"),
              (MANAGED_USER_RILEY, "riley", "Riley Platform", "Europe/Paris"))
    for user_id, local, name, tz in people:
        email = f"{local}+{OAUTH_CLIENT_ID}@example.com"
        state.table("oauth_client_users")[user_id] = {
            "id": user_id, "email": email, "username": f"{local}-{OAUTH_CLIENT_ID}-example-com", "name": name,
            "bio": None, "timeZone": tz, "weekStart": "Monday",
            "createdDate": iso(now - timedelta(days=60)), "timeFormat": 24,
            "defaultScheduleId": None, "locale": "en", "avatarUrl": None, "metadata": {}, "_clientId": OAUTH_CLIENT_ID}
        grant = {"userId": user_id, "clientId": OAUTH_CLIENT_ID}
        state.table("oauth_access_tokens")[SEEDED_ACCESS_TOKENS[user_id]] = {
            **grant, "expiresAt": (now + timedelta(minutes=60)).isoformat()}
        state.table("oauth_refresh_tokens")[SEEDED_REFRESH_TOKENS[user_id]] = {
            **grant, "expiresAt": (now + timedelta(days=365)).isoformat()}


def seed_apps(state: SandboxState) -> None:
    _seed_calendars(state)
    _seed_webhooks(state)
    _seed_oauth_client(state)
