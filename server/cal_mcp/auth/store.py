"""The storage interface for the OAuth mode: one protocol, its records, and ``open_store(url)``.

Everything an authorization server must remember lives here, so several cal-mcp processes sharing one
database behave as one server: no process keeps token state of its own. cal-mcp's own tokens and codes
are stored only as SHA-256 digests (``crypto.token_hash``); Cal credentials only AES-GCM encrypted
(``crypto.SecretBox``). Times are UNIX seconds from the caller's clock (the store never reads a clock).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ClientRecord:
    """A dynamically registered client (RFC 7591): its full registration as JSON."""

    client_id: str
    info_json: str
    created_at: float


@dataclass(frozen=True)
class PendingAuthorization:
    """An /authorize request waiting for the person to sign in and consent (short-lived)."""

    request_id: str
    client_id: str
    params_json: str  # redirect_uri, state, scopes, code_challenge, resource, redirect_uri_provided_explicitly
    browser_hash: str | None  # digest of the cookie of the browser the flow runs in, once bound
    csrf: str  # form token for the pages of this flow
    user_id: str | None  # set once the person signed in upstream
    upstream_state_hash: str | None  # digest of the ``state`` sent to Cal.com's authorize page
    upstream_verifier_enc: str | None  # PKCE verifier for Cal.com, encrypted
    expires_at: float


@dataclass(frozen=True)
class UserRecord:
    """A person, identified by their Cal.com user; ``user_id`` is the opaque ID logs use."""

    user_id: str
    cal_user_id: str
    kind: str  # "oauth" (Cal.com OAuth tokens) or "api_key"
    access_enc: str  # Cal access token or API key, encrypted
    refresh_enc: str | None  # Cal refresh token, encrypted (oauth only)
    cal_expires_at: float | None  # when the Cal access token expires (oauth only)
    display_name: str
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class AuthCodeRecord:
    code_hash: str
    client_id: str
    user_id: str
    scopes: str
    code_challenge: str
    redirect_uri: str
    redirect_uri_explicit: bool
    resource: str
    expires_at: float
    family_id: str | None = None  # set when exchanged: a second exchange then revokes that grant


@dataclass(frozen=True)
class TokenRecord:
    """An access or refresh token of one grant ("family": everything issued from one consent)."""

    token_hash: str
    kind: str  # "access" or "refresh"
    family_id: str
    client_id: str
    user_id: str
    scopes: str
    resource: str
    expires_at: float
    used_at: float | None  # refresh tokens: when it was exchanged (rotation); a second use is reuse
    revoked: bool  # the family was revoked


class AuthStore(Protocol):
    """What the OAuth mode needs from a database. Every method is one atomic step."""

    async def setup(self) -> None:
        """Create the schema if missing; safe to run from several processes at once."""

    async def close(self) -> None: ...

    # Registered clients (RFC 7591).
    async def save_client(self, record: ClientRecord) -> None: ...
    async def get_client(self, client_id: str) -> ClientRecord | None: ...

    # The sign-in flow between /authorize and the code.
    async def save_pending(self, pending: PendingAuthorization) -> None: ...
    async def get_pending(self, request_id: str) -> PendingAuthorization | None: ...
    async def update_pending(self, pending: PendingAuthorization) -> None: ...
    async def delete_pending(self, request_id: str) -> bool:
        """Remove it; False when it was already gone (a second consent submission)."""
        ...

    # People and their Cal credentials.
    async def upsert_user(self, user: UserRecord) -> UserRecord:
        """Insert, or update the credential of the user with the same ``cal_user_id`` (keeping its ``user_id``)."""
        ...

    async def get_user(self, user_id: str) -> UserRecord | None: ...
    async def update_cal_credential(self, user_id: str, access_enc: str, refresh_enc: str | None,
                                    cal_expires_at: float | None, updated_at: float) -> None: ...

    # Authorization codes: single use.
    async def save_code(self, code: AuthCodeRecord) -> None: ...
    async def take_code(self, code_hash: str, family_id: str) -> AuthCodeRecord | None:
        """Spend it for the grant ``family_id`` and return it: of two concurrent exchanges exactly one gets it.

        A spent code stays (until it expires) with the grant it started, so that a replay can revoke that grant.
        """
        ...

    async def peek_code(self, code_hash: str) -> AuthCodeRecord | None: ...

    # Tokens and their families.
    async def create_family(self, family_id: str, user_id: str, client_id: str, created_at: float) -> None: ...
    async def save_token(self, token: TokenRecord) -> None: ...
    async def get_token(self, token_hash: str) -> TokenRecord | None: ...
    async def use_refresh_token(self, token_hash: str, now: float) -> TokenRecord | None:
        """Mark an unused refresh token used and return it; None if it is unknown or was used before."""
        ...

    async def revoke_family(self, family_id: str, now: float) -> None: ...
    async def purge_expired(self, now: float) -> int:
        """Forget expired codes, pending flows and tokens; return how many rows went."""
        ...


def open_store(url: str) -> AuthStore:
    """``sqlite:///path/to/file.db`` (or a bare path), ``postgresql://user@host/db``."""
    from cal_mcp.auth.store_sql import PostgresBackend, SqliteBackend, SqlStore

    if url.startswith(("postgresql://", "postgres://")):
        return SqlStore(PostgresBackend(url))
    path = url.removeprefix("sqlite:///").removeprefix("sqlite://") if url.startswith("sqlite:") else url
    return SqlStore(SqliteBackend(path))
