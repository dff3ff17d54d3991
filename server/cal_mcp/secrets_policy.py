"""Rules a configured secret must meet before the server starts.

``CAL_MCP_AUTH_TOKEN`` guards every HTTP request to the server, so it must be long enough not to
be guessed; a short one is refused at start-up rather than accepted quietly. (Called from
``config.Settings``, which owns reading the environment.)
"""

from __future__ import annotations

MIN_AUTH_TOKEN_LENGTH = 32  # e.g. `python -c "import secrets; print(secrets.token_urlsafe(32))"` gives 43


def check_auth_token(token: str | None) -> str | None:
    """``token`` unchanged when unset or long enough; else ``ValueError`` (never quoting the token)."""
    if token is not None and len(token) < MIN_AUTH_TOKEN_LENGTH:
        raise ValueError(
            f"CAL_MCP_AUTH_TOKEN is {len(token)} characters; use at least {MIN_AUTH_TOKEN_LENGTH} random "
            "characters (for example: python -c \"import secrets; print(secrets.token_urlsafe(32))\")."
        )
    return token
