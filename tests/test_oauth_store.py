"""The storage interface on both backends (a SQLite file, a real PostgreSQL), and encryption with key rotation."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import pytest
from cryptography.exceptions import InvalidTag

from cal_mcp.auth.crypto import EncryptionKeyError, SecretBox, new_key, token_hash
from cal_mcp.auth.store import AuthCodeRecord, AuthStore, ClientRecord, TokenRecord, UserRecord, open_store
from tests.pg_support import running_postgres


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with running_postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AuthStore]:
    sqlite = f"sqlite:///{tmp_path / 'store.db'}"
    url = sqlite if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    opened = open_store(url)
    await opened.setup()
    await opened.setup()  # idempotent
    try:
        yield opened
    finally:
        await opened.close()


def _code(code_hash: str) -> AuthCodeRecord:
    return AuthCodeRecord(code_hash=code_hash, client_id="c1", user_id="u1", scopes="cal:read", code_challenge="x",
                          redirect_uri="http://127.0.0.1/cb", redirect_uri_explicit=True, resource="http://r",
                          expires_at=100.0)


async def test_a_code_is_taken_by_exactly_one_of_many_concurrent_exchanges(store: AuthStore) -> None:
    code_hash = token_hash(secrets.token_hex())
    await store.save_code(_code(code_hash))
    assert (await store.peek_code(code_hash)) == _code(code_hash)
    winners: list[AuthCodeRecord] = []

    async def take() -> None:
        taken = await store.take_code(code_hash, secrets.token_hex(4))
        if taken is not None:
            winners.append(taken)

    async with anyio.create_task_group() as group:
        for _ in range(8):
            group.start_soon(take)
    assert len(winners) == 1 and winners[0].redirect_uri_explicit is True
    spent = await store.peek_code(code_hash)
    assert spent is not None and spent.family_id == winners[0].family_id  # kept: a replay can revoke its grant


async def test_a_refresh_token_is_used_once_and_revoking_the_family_reaches_every_token(store: AuthStore) -> None:
    family = secrets.token_hex(8)
    await store.create_family(family, "u1", "c1", 1.0)
    refresh, access = token_hash(secrets.token_hex()), token_hash(secrets.token_hex())
    for token_hash_, kind in ((refresh, "refresh"), (access, "access")):
        await store.save_token(TokenRecord(token_hash_, kind, family, "c1", "u1", "cal:read", "http://r", 500.0,
                                           None, False))
    used = await store.use_refresh_token(refresh, 10.0)
    assert used is not None and used.used_at == 10.0
    assert await store.use_refresh_token(refresh, 11.0) is None
    assert (await store.get_token(refresh)).used_at == 10.0  # type: ignore[union-attr]
    await store.revoke_family(family, 12.0)
    assert (await store.get_token(access)).revoked  # type: ignore[union-attr]
    assert await store.purge_expired(1000.0) >= 2
    assert await store.get_token(access) is None


async def test_users_are_keyed_by_their_cal_user(store: AuthStore) -> None:
    cal_id = secrets.token_hex(4)
    first = await store.upsert_user(UserRecord("u_a" + cal_id, cal_id, "api_key", "enc1", None, None, "Ana", 1, 1))
    again = await store.upsert_user(UserRecord("u_b" + cal_id, cal_id, "oauth", "enc2", "r", 99.0, "Ana", 2, 2))
    assert again.user_id == first.user_id and again.kind == "oauth" and again.access_enc == "enc2"
    await store.update_cal_credential(first.user_id, "enc3", "r3", 120.0, 3)
    stored = await store.get_user(first.user_id)
    assert stored is not None and (stored.access_enc, stored.cal_expires_at) == ("enc3", 120.0)


async def test_registered_clients_round_trip(store: AuthStore) -> None:
    client_id = secrets.token_hex(6)
    await store.save_client(ClientRecord(client_id, '{"client_id": "x"}', 5.0))
    assert await store.get_client(client_id) == ClientRecord(client_id, '{"client_id": "x"}', 5.0)
    assert await store.get_client("nope") is None


async def test_two_processes_share_a_postgres_store(postgres_url: str) -> None:
    """Stores opened separately (as two replicas would) see one another's writes at once: nothing is cached."""
    one, two = open_store(postgres_url), open_store(postgres_url)
    async with anyio.create_task_group() as group:  # concurrent schema creation must not fail
        group.start_soon(one.setup)
        group.start_soon(two.setup)
    code_hash = token_hash(secrets.token_hex())
    await one.save_code(_code(code_hash))
    assert await two.take_code(code_hash, "f2") is not None
    assert await one.take_code(code_hash, "f1") is None
    await one.close()
    await two.close()


def test_the_first_key_encrypts_and_every_key_decrypts() -> None:
    old, new = new_key(), new_key()
    sealed_old = SecretBox([old]).encrypt("cal_live_secret", "u1")
    rotated = SecretBox([new, old])
    assert rotated.decrypt(sealed_old, "u1") == "cal_live_secret"
    assert rotated.needs_rotation(sealed_old)
    sealed_new = rotated.encrypt("cal_live_secret", "u1")
    assert not rotated.needs_rotation(sealed_new) and "cal_live_secret" not in sealed_new
    with pytest.raises(EncryptionKeyError, match="not in CAL_MCP_ENCRYPTION_KEYS"):
        SecretBox([old]).decrypt(sealed_new, "u1")
    with pytest.raises(InvalidTag):  # bound to its row: another user's row cannot open it
        rotated.decrypt(sealed_new, "u2")
    with pytest.raises(EncryptionKeyError, match="32 bytes"):
        SecretBox(["c2hvcnQ"])
