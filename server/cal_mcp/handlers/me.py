"""CAL_RETRIEVE_MY_INFORMATION: the profile, plus "now" so a model can resolve "next Tuesday" in one call.

Cal has no endpoint for the current time; the server's clock supplies it (UTC), and the profile's
``timeZone`` turns it into the host's local time, weekday included, since that is what relative dates
("tomorrow afternoon") are relative to.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import mcp_types as types

from cal_mcp.handlers.base import CallContext, send
from cal_mcp.results import payload_result, success_payload
from cal_mcp.specs import ToolSpec


def now_block(now: datetime, time_zone: Any) -> dict[str, Any]:
    """``now`` in UTC and, when ``time_zone`` is a known IANA zone, in that zone."""
    utc = now.astimezone(ZoneInfo("UTC")).isoformat(timespec="seconds").replace("+00:00", "Z")
    block: dict[str, Any] = {"utc": utc}
    if isinstance(time_zone, str) and time_zone:
        try:
            local = now.astimezone(ZoneInfo(time_zone))
        except (ZoneInfoNotFoundError, ValueError):
            block["note"] = f"The profile's time zone {time_zone!r} is unknown here; only UTC is given."
        else:
            block.update(timeZone=time_zone, local=local.isoformat(timespec="seconds"),
                         weekday=local.strftime("%A"))
    return block


async def retrieve_my_information(
    ctx: CallContext, spec: ToolSpec, arguments: dict[str, Any]
) -> types.CallToolResult:
    response = await send(ctx, spec, arguments)
    payload = success_payload(response.body)
    me = payload["data"] if isinstance(payload["data"], dict) else {}
    payload["now"] = now_block(ctx.clock.now(), me.get("timeZone"))
    return payload_result(payload, limit=ctx.settings.max_output_bytes)
