"""``AuthStore`` over SQL: one set of statements, two backends (SQLite file, PostgreSQL by URL).

Statements use ``?`` placeholders; the PostgreSQL backend turns them into ``%s``. Single-use steps rely on
``DELETE ... RETURNING`` / ``UPDATE ... WHERE used_at IS NULL RETURNING`` (SQLite 3.35+, PostgreSQL), so two
processes racing for one code or one refresh token cannot both win.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import astuple, fields
from typing import Any, Protocol

import anyio
import anyio.to_thread

from cal_mcp.auth.store import AuthCodeRecord, ClientRecord, PendingAuthorization, TokenRecord, UserRecord

Row = tuple[Any, ...]
Statement = tuple[str, Sequence[Any]]

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS calmcp_clients (
        client_id TEXT PRIMARY KEY, info_json TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS calmcp_pending (
        request_id TEXT PRIMARY KEY, client_id TEXT NOT NULL, params_json TEXT NOT NULL, browser_hash TEXT,
        csrf TEXT NOT NULL, user_id TEXT, upstream_state_hash TEXT, upstream_verifier_enc TEXT,
        expires_at DOUBLE PRECISION NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS calmcp_users (
        user_id TEXT PRIMARY KEY, cal_user_id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, access_enc TEXT NOT NULL,
        refresh_enc TEXT, cal_expires_at DOUBLE PRECISION, display_name TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS calmcp_codes (
        code_hash TEXT PRIMARY KEY, client_id TEXT NOT NULL, user_id TEXT NOT NULL, scopes TEXT NOT NULL,
        code_challenge TEXT NOT NULL, redirect_uri TEXT NOT NULL, redirect_uri_explicit INTEGER NOT NULL,
        resource TEXT NOT NULL, expires_at DOUBLE PRECISION NOT NULL, family_id TEXT)""",
    """CREATE TABLE IF NOT EXISTS calmcp_families (
        family_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, client_id TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL, revoked_at DOUBLE PRECISION)""",
    """CREATE TABLE IF NOT EXISTS calmcp_tokens (
        token_hash TEXT PRIMARY KEY, kind TEXT NOT NULL, family_id TEXT NOT NULL, client_id TEXT NOT NULL,
        user_id TEXT NOT NULL, scopes TEXT NOT NULL, resource TEXT NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL, used_at DOUBLE PRECISION)""",
    "CREATE INDEX IF NOT EXISTS calmcp_tokens_family ON calmcp_tokens (family_id)",
    "CREATE INDEX IF NOT EXISTS calmcp_pending_state ON calmcp_pending (upstream_state_hash)",
)

TOKEN_COLUMNS = ("t.token_hash, t.kind, t.family_id, t.client_id, t.user_id, t.scopes, t.resource, t.expires_at, "
                 "t.used_at, f.revoked_at IS NOT NULL")


class SqlBackend(Protocol):
    async def setup(self, ddl: Sequence[str]) -> None: ...
    async def run(self, statements: Sequence[Statement]) -> list[list[Row]]:
        """Run the statements in one transaction; the rows each returned."""
        ...

    async def close(self) -> None: ...


class SqliteBackend:
    """A file, WAL mode, one connection used from worker threads one transaction at a time."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._conn = conn
        return self._conn

    def _run_sync(self, statements: Sequence[Statement]) -> list[list[Row]]:
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")  # take the write lock now: no upgrade deadlock between processes
            try:
                results = [conn.execute(sql, tuple(params)).fetchall() for sql, params in statements]
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return results

    async def setup(self, ddl: Sequence[str]) -> None:
        await self.run([(statement, ()) for statement in ddl])

    async def run(self, statements: Sequence[Statement]) -> list[list[Row]]:
        return await anyio.to_thread.run_sync(self._run_sync, statements)

    async def close(self) -> None:
        def _close() -> None:
            with self._lock:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None

        await anyio.to_thread.run_sync(_close)


class PostgresBackend:
    """psycopg 3, a few connections opened on demand and reused; one transaction per ``run``."""

    # Serialises concurrent schema creation across processes (CREATE ... IF NOT EXISTS alone can race).
    SETUP_LOCK_ID = 0x6361_6C6D_6370

    def __init__(self, url: str, max_connections: int = 10) -> None:
        self.url = url
        self._idle: list[Any] = []
        self._slots = anyio.Semaphore(max_connections)

    async def _connect(self) -> Any:
        import psycopg

        return await psycopg.AsyncConnection.connect(self.url)

    async def setup(self, ddl: Sequence[str]) -> None:
        await self.run([("SELECT pg_advisory_xact_lock(?)", (self.SETUP_LOCK_ID,)),
                        *((statement, ()) for statement in ddl)])

    async def run(self, statements: Sequence[Statement]) -> list[list[Row]]:
        async with self._slots:
            conn = self._idle.pop() if self._idle else await self._connect()
            healthy = False
            try:
                results: list[list[Row]] = []
                async with conn.transaction():
                    for sql, params in statements:
                        cursor = await conn.execute(sql.replace("?", "%s"), tuple(params))
                        results.append(list(await cursor.fetchall()) if cursor.description else [])
                healthy = True
                return results
            finally:
                if healthy and not conn.closed:
                    self._idle.append(conn)
                else:
                    await conn.close()

    async def close(self) -> None:
        while self._idle:
            await self._idle.pop().close()


def _placeholders(record_type: type) -> str:
    return ", ".join("?" for _ in fields(record_type))


class SqlStore:
    def __init__(self, backend: SqlBackend) -> None:
        self.backend = backend

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return (await self.backend.run([(sql, params)]))[0]

    async def setup(self) -> None:
        await self.backend.setup(SCHEMA)

    async def close(self) -> None:
        await self.backend.close()

    async def save_client(self, record: ClientRecord) -> None:
        await self._one("INSERT INTO calmcp_clients (client_id, info_json, created_at) VALUES (?, ?, ?)",
                        astuple(record))

    async def get_client(self, client_id: str) -> ClientRecord | None:
        rows = await self._one("SELECT client_id, info_json, created_at FROM calmcp_clients WHERE client_id = ?",
                               (client_id,))
        return ClientRecord(*rows[0]) if rows else None

    async def save_pending(self, pending: PendingAuthorization) -> None:
        await self._one(f"INSERT INTO calmcp_pending (request_id, client_id, params_json, browser_hash, csrf, user_id, "
                        f"upstream_state_hash, upstream_verifier_enc, expires_at) VALUES "
                        f"({_placeholders(PendingAuthorization)})", astuple(pending))

    async def get_pending(self, request_id: str) -> PendingAuthorization | None:
        rows = await self._one("SELECT request_id, client_id, params_json, browser_hash, csrf, user_id, "
                               "upstream_state_hash, upstream_verifier_enc, expires_at FROM calmcp_pending "
                               "WHERE request_id = ?", (request_id,))
        return PendingAuthorization(*rows[0]) if rows else None

    async def update_pending(self, pending: PendingAuthorization) -> None:
        await self._one("UPDATE calmcp_pending SET browser_hash = ?, user_id = ?, upstream_state_hash = ?, "
                        "upstream_verifier_enc = ? WHERE request_id = ?",
                        (pending.browser_hash, pending.user_id, pending.upstream_state_hash,
                         pending.upstream_verifier_enc, pending.request_id))

    async def delete_pending(self, request_id: str) -> bool:
        rows = await self._one("DELETE FROM calmcp_pending WHERE request_id = ? RETURNING request_id", (request_id,))
        return bool(rows)

    async def upsert_user(self, user: UserRecord) -> UserRecord:
        # Keyed by the Cal user: signing in again (another way, another client) is the same person.
        results = await self.backend.run([
            (f"INSERT INTO calmcp_users (user_id, cal_user_id, kind, access_enc, refresh_enc, cal_expires_at, "
             f"display_name, created_at, updated_at) VALUES ({_placeholders(UserRecord)}) "
             "ON CONFLICT (cal_user_id) DO UPDATE SET kind = excluded.kind, access_enc = excluded.access_enc, "
             "refresh_enc = excluded.refresh_enc, cal_expires_at = excluded.cal_expires_at, "
             "display_name = excluded.display_name, updated_at = excluded.updated_at", astuple(user)),
            ("SELECT user_id, cal_user_id, kind, access_enc, refresh_enc, cal_expires_at, display_name, created_at, "
             "updated_at FROM calmcp_users WHERE cal_user_id = ?", (user.cal_user_id,)),
        ])
        return UserRecord(*results[1][0])

    async def get_user(self, user_id: str) -> UserRecord | None:
        rows = await self._one("SELECT user_id, cal_user_id, kind, access_enc, refresh_enc, cal_expires_at, "
                               "display_name, created_at, updated_at FROM calmcp_users WHERE user_id = ?", (user_id,))
        return UserRecord(*rows[0]) if rows else None

    async def update_cal_credential(self, user_id: str, access_enc: str, refresh_enc: str | None,
                                    cal_expires_at: float | None, updated_at: float) -> None:
        await self._one("UPDATE calmcp_users SET access_enc = ?, refresh_enc = ?, cal_expires_at = ?, updated_at = ? "
                        "WHERE user_id = ?", (access_enc, refresh_enc, cal_expires_at, updated_at, user_id))

    async def save_code(self, code: AuthCodeRecord) -> None:
        values = astuple(code)
        await self._one(f"INSERT INTO calmcp_codes VALUES ({_placeholders(AuthCodeRecord)})",
                        (*values[:6], int(code.redirect_uri_explicit), *values[7:]))

    async def peek_code(self, code_hash: str) -> AuthCodeRecord | None:
        rows = await self._one("SELECT * FROM calmcp_codes WHERE code_hash = ?", (code_hash,))
        return self._code(rows)

    async def take_code(self, code_hash: str, family_id: str) -> AuthCodeRecord | None:
        rows = await self._one("UPDATE calmcp_codes SET family_id = ? WHERE code_hash = ? AND family_id IS NULL "
                               "RETURNING code_hash, client_id, user_id, scopes, code_challenge, redirect_uri, "
                               "redirect_uri_explicit, resource, expires_at, family_id", (family_id, code_hash))
        return self._code(rows)

    @staticmethod
    def _code(rows: list[Row]) -> AuthCodeRecord | None:
        if not rows:
            return None
        row = list(rows[0])
        row[6] = bool(row[6])
        return AuthCodeRecord(*row)

    async def create_family(self, family_id: str, user_id: str, client_id: str, created_at: float) -> None:
        await self._one("INSERT INTO calmcp_families (family_id, user_id, client_id, created_at) VALUES (?, ?, ?, ?)",
                        (family_id, user_id, client_id, created_at))

    async def save_token(self, token: TokenRecord) -> None:
        await self._one("INSERT INTO calmcp_tokens (token_hash, kind, family_id, client_id, user_id, scopes, resource, "
                        "expires_at, used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", astuple(token)[:9])

    async def get_token(self, token_hash: str) -> TokenRecord | None:
        rows = await self._one(f"SELECT {TOKEN_COLUMNS} FROM calmcp_tokens t JOIN calmcp_families f "
                               "ON f.family_id = t.family_id WHERE t.token_hash = ?", (token_hash,))
        return self._token(rows)

    async def use_refresh_token(self, token_hash: str, now: float) -> TokenRecord | None:
        results = await self.backend.run([
            ("UPDATE calmcp_tokens SET used_at = ? WHERE token_hash = ? AND kind = 'refresh' AND used_at IS NULL "
             "RETURNING token_hash", (now, token_hash)),
            (f"SELECT {TOKEN_COLUMNS} FROM calmcp_tokens t JOIN calmcp_families f ON f.family_id = t.family_id "
             "WHERE t.token_hash = ?", (token_hash,)),
        ])
        return self._token(results[1]) if results[0] else None

    @staticmethod
    def _token(rows: list[Row]) -> TokenRecord | None:
        if not rows:
            return None
        row = list(rows[0])
        row[9] = bool(row[9])
        return TokenRecord(*row)

    async def revoke_family(self, family_id: str, now: float) -> None:
        await self._one("UPDATE calmcp_families SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL",
                        (now, family_id))

    async def purge_expired(self, now: float) -> int:
        results = await self.backend.run([
            ("DELETE FROM calmcp_codes WHERE expires_at < ? RETURNING code_hash", (now,)),
            ("DELETE FROM calmcp_pending WHERE expires_at < ? RETURNING request_id", (now,)),
            ("DELETE FROM calmcp_tokens WHERE expires_at < ? RETURNING token_hash", (now,)),
        ])
        return sum(len(rows) for rows in results)
