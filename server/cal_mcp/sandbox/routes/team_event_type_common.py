"""Team event-type requests (create, list filters, phone calls), shared by /v2/teams and org routes.
The request gate has checked their shapes; the records live in ``stores.team_event_types``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from cal_mcp.sandbox.http import given_fields, query_int
from cal_mcp.sandbox.state import SandboxState
from cal_mcp.sandbox.stores.team_event_types import TABLE, add_event_type, event_type_out


def build_event_type(state: SandboxState, team: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """A new team event type from a body the request gate checked (CreateTeamEventTypeInput_2024_06_14)."""
    return add_event_type(state, team, given_fields(body))


def list_event_types(state: SandboxState, request: Request, team_ids: set[int]) -> list[dict[str, Any]]:
    """Filters Cal's team event-type lists take: eventSlug, sortCreatedAt, hostsLimit."""
    rows = [e for e in state.table(TABLE).values() if e["teamId"] in team_ids]
    slug = request.query_params.get("eventSlug")
    if slug:
        rows = [e for e in rows if e["slug"] == slug]
    order = request.query_params.get("sortCreatedAt")  # asc or desc: the gate checked the enum
    rows.sort(key=lambda e: (e["_createdAt"], e["id"]), reverse=order == "desc")
    limit = query_int(request, "hostsLimit", None, minimum=1)
    out = [event_type_out(state, e) for e in rows]
    if limit is not None:
        for event in out:
            event["hosts"] = event["hosts"][:limit]
    return out


def phone_call(state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
    """A call for a body the request gate checked (CreatePhoneCallInput, E.164 numbers); the sandbox never
    places one (no Retell, no phone)."""
    return {"callId": "call_sandbox_" + state.new_uid(), "agentId": "agent_sandbox_" + state.new_uid()[:12]}
