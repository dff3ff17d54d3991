"""OAuth connect states: one-off tokens the sandbox issues for app connects (calendars, conferencing,
Stripe) and spends on the provider's callback. They never leave the sandbox."""

from __future__ import annotations

from typing import Any

from cal_mcp.sandbox.state import USER_ID, SandboxState

OAUTH_STATES_TABLE = "oauth_states"


def issue_oauth_state(state: SandboxState, **extra: Any) -> str:
    """A one-off token standing in for the access token Cal puts in OAuth ``state``."""
    token = "sbx_state_" + state.new_uid()
    state.table(OAUTH_STATES_TABLE)[token] = {"userId": USER_ID, **extra}
    return token


def consume_oauth_state(state: SandboxState, token: Any) -> bool:
    """Whether ``token`` is an issued state not used yet; using it spends it (one callback per state)."""
    return state.table(OAUTH_STATES_TABLE).pop(token, None) is not None
