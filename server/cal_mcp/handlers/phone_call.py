"""CAL_CREATE_PHONE_CALL_FOR_EVENT_TYPE: Cal's team route cannot succeed, so the call goes through the organization's.

Cal's handler for ``POST /v2/teams/{teamId}/event-types/{eventTypeId}/create-phone-call`` reads
``@Param("orgId", ParseIntPipe)``, but the route has no ``:orgId``: every call is a 400
(``apps/api/v2/src/modules/teams/event-types/controllers/teams-event-types.controller.ts``). The
organization route (``/v2/organizations/{orgId}/teams/{teamId}/…``, the CAL_CREATE_PHONE_CALL_EVENT
tool) takes the same body and works. A team's organization is its ``parentId`` (GET /v2/teams/{teamId});
a team with none has no working route, which the model is told plainly instead of Cal's ParseIntPipe message.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import mcp_types as types

from cal_mcp.errors import ArgumentError
from cal_mcp.handlers.base import CallContext, prepare
from cal_mcp.request_builder import CalRequest, encode_segment
from cal_mcp.results import success_payload, success_result
from cal_mcp.specs import ToolSpec

ORG_ROUTE = "/v2/organizations/{orgId}/teams/{teamId}/event-types/{eventTypeId}/create-phone-call"


async def organization_of_team(ctx: CallContext, team_id: Any) -> int | None:
    """The team's organization ID (its ``parentId``), or None for a team outside any organization."""
    team_request = CalRequest("GET", "/v2/teams/" + encode_segment("teamId", team_id))
    team_request.meta.update(template="/v2/teams/{teamId}", id_args={"teamId": team_id},
                             id_sources={"teamId": ["CAL_GET_TEAMS_LIST"]})
    response = await ctx.client.send(team_request)
    team = success_payload(response.body)["data"]
    parent = team.get("parentId") if isinstance(team, dict) else None
    return parent if isinstance(parent, int) and not isinstance(parent, bool) else None


async def create_team_phone_call(
    ctx: CallContext, spec: ToolSpec, arguments: dict[str, Any]
) -> types.CallToolResult:
    request = prepare(ctx, spec, arguments)  # every argument checked before anything is sent
    org_id = await organization_of_team(ctx, arguments["teamId"])
    if org_id is None:
        raise ArgumentError(
            f"Team {arguments['teamId']} belongs to no organization, and Cal.com places Cal.ai phone calls for "
            "team event types only through an organization: its team-level route refuses every call.",
            "Tell the user this team cannot place Cal.ai calls through the API; a team inside an organization "
            "can (CAL_CREATE_PHONE_CALL_EVENT).",
            field="teamId",
        )
    path = ORG_ROUTE.format(
        orgId=encode_segment("orgId", org_id),
        teamId=encode_segment("teamId", arguments["teamId"]),
        eventTypeId=encode_segment("eventTypeId", arguments["eventTypeId"]),
    )
    request = replace(request, path=path)
    request.meta.update(template=ORG_ROUTE)
    response = await ctx.client.send(request, auth=spec.request.auth)
    return success_result(response.body, limit=ctx.settings.max_output_bytes)
