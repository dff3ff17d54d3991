"""Users: the sandbox user (``me`` table, /v2/me shape) and the other accounts (``users`` table)."""

from __future__ import annotations

from typing import Any

from cal_mcp.sandbox.errors import not_found
from cal_mcp.sandbox.state import USER_ID, SandboxState

ME_TABLE = "me"  # {USER_ID: /v2/me record}
USERS_TABLE = "users"  # the other organization users, seeded by the platform seed


def user_record(state: SandboxState, user_id: int) -> dict[str, Any] | None:
    """The sandbox user lives in the core's ``me`` table; other accounts in ``users``."""
    return state.table(ME_TABLE if user_id == USER_ID else USERS_TABLE).get(user_id)


def all_users(state: SandboxState) -> list[dict[str, Any]]:
    me = state.table(ME_TABLE).get(USER_ID)
    return ([me] if me else []) + sorted(state.table(USERS_TABLE).values(), key=lambda u: u["id"])


def require_user(state: SandboxState, user_id: int) -> dict[str, Any]:
    user = user_record(state, user_id)
    if user is None:
        raise not_found(f"User with id={user_id} not found.")
    return user


def is_me(user_id: int) -> bool:
    return user_id == USER_ID
