"""Team invite links: a fresh token per call (Cal's ``TeamService.createInvite`` stores a verification token
for the team and answers the token with the signup link that carries it)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cal_mcp.sandbox.state import SandboxState
from cal_mcp.sandbox.stores.records import iso

TEAM_INVITES_TABLE = "team_invites"  # keyed by token
INVITE_VALID_FOR = timedelta(days=7)
SIGNUP_URL = "https://app.cal.com/signup"


def new_invite(state: SandboxState, team_id: int) -> dict[str, Any]:
    token = "".join(state.random.choice("0123456789abcdef") for _ in range(64))
    state.table(TEAM_INVITES_TABLE)[token] = {
        "token": token, "teamId": team_id, "expires": iso(state.now() + INVITE_VALID_FOR),
    }
    return {"token": token, "inviteLink": f"{SIGNUP_URL}?token={token}&callbackUrl=/getting-started"}
