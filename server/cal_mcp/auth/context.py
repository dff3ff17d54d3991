"""The Cal credential of the caller whose tool call is running (OAuth mode); None in single-user modes.

Set around one tool call by ``caller.CallerGate``; read by ``CalClient`` (the Authorization header and the rate
budget's key) and by ``fromConfig`` values. A context variable, so concurrent calls of different users never
see each other's credential.
"""

from __future__ import annotations

from contextvars import ContextVar

CALLER_CREDENTIAL: ContextVar[str | None] = ContextVar("cal_mcp_caller_credential", default=None)
