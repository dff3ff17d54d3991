"""Secrets at rest: AES-GCM with rotating keys for Cal credentials; SHA-256 digests for cal-mcp's own tokens.

``CAL_MCP_ENCRYPTION_KEYS`` holds one or more keys (comma-separated, each 32 random bytes in URL-safe base64):
the first encrypts, every one decrypts, so a new key is rolled in by putting it first and the old one is dropped
once nothing encrypted with it is left. Each ciphertext names its key by a short fingerprint.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "v1"
NONCE_BYTES = 12


class EncryptionKeyError(ValueError):
    """An encryption key that cannot be used (the message never quotes the key)."""


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def new_key() -> str:
    """A fresh key in the form CAL_MCP_ENCRYPTION_KEYS expects."""
    return _b64encode(os.urandom(32))


def fingerprint(key: bytes) -> str:
    return hashlib.sha256(b"cal-mcp key id\x00" + key).hexdigest()[:12]


class SecretBox:
    """Encrypts short secrets (Cal tokens, API keys); ``associated`` binds a ciphertext to its row."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise EncryptionKeyError("no encryption key: set CAL_MCP_ENCRYPTION_KEYS")
        self._keys: dict[str, AESGCM] = {}
        self._current = ""
        for position, text in enumerate(keys):
            try:
                raw = _b64decode(text.strip())
            except (ValueError, TypeError):
                raise EncryptionKeyError(f"CAL_MCP_ENCRYPTION_KEYS entry {position + 1} is not base64") from None
            if len(raw) != 32:
                raise EncryptionKeyError(f"CAL_MCP_ENCRYPTION_KEYS entry {position + 1} must decode to 32 bytes, "
                                f"not {len(raw)} (make one with: python -m cal_mcp.auth.crypto)")
            kid = fingerprint(raw)
            self._keys[kid] = AESGCM(raw)
            if position == 0:
                self._current = kid

    @classmethod
    def from_env_value(cls, value: str) -> SecretBox:
        return cls([part for part in value.split(",") if part.strip()])

    def encrypt(self, plaintext: str, associated: str = "") -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._keys[self._current].encrypt(nonce, plaintext.encode(), associated.encode())
        return f"{PREFIX}:{self._current}:{_b64encode(nonce + sealed)}"

    def decrypt(self, token: str, associated: str = "") -> str:
        try:
            prefix, kid, body = token.split(":", 2)
        except ValueError:
            raise EncryptionKeyError("not a cal-mcp ciphertext") from None
        if prefix != PREFIX or kid not in self._keys:
            raise EncryptionKeyError(f"encrypted with key {kid}, which is not in CAL_MCP_ENCRYPTION_KEYS")
        raw = _b64decode(body)
        return self._keys[kid].decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated.encode()).decode()

    def needs_rotation(self, token: str) -> bool:
        return not token.startswith(f"{PREFIX}:{self._current}:")


def credential_binding(cal_user_id: str) -> str:
    """Associated data for a user's Cal credential: it opens only in the row of that Cal user."""
    return f"cal-user:{cal_user_id}"


def token_hash(token: str) -> str:
    """What the store keeps of a cal-mcp token: it can check a token, never give one back."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(prefix: str) -> str:
    """256 bits of randomness (RFC 6749 §10.10 asks for at least 128 for codes)."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


if __name__ == "__main__":
    print(new_key())
