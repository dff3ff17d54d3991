"""The OAuth mode's environment variables (read only with ``--auth oauth``; the rest of cal-mcp ignores them)."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_CAL_AUTHORIZE_URL = "https://app.cal.com/auth/oauth2/authorize"


class OAuthSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore", frozen=True,
                                      populate_by_name=True)

    # The URL people and clients reach cal-mcp at (behind a TLS-terminating proxy: its https:// URL). It is the
    # OAuth issuer and the protected resource (RFC 8707 audience). Unset: http://<host>:<port>.
    public_url: str | None = Field(default=None, validation_alias="CAL_MCP_PUBLIC_URL")
    # sqlite:///path.db (default: a file in the working directory) or postgresql://user:pass@host/db
    database_url: str | None = Field(default=None, validation_alias="CAL_MCP_DATABASE_URL")
    encryption_keys: SecretStr | None = Field(default=None, validation_alias="CAL_MCP_ENCRYPTION_KEYS")
    # Cal.com OAuth client of this deployment (the "Sign in with Cal.com" button); unset: API-key sign-in only.
    cal_oauth_client_id: str | None = Field(default=None, validation_alias="CAL_MCP_CAL_OAUTH_CLIENT_ID")
    cal_oauth_client_secret: SecretStr | None = Field(default=None, validation_alias="CAL_MCP_CAL_OAUTH_CLIENT_SECRET")
    cal_oauth_authorize_url: str = Field(default=DEFAULT_CAL_AUTHORIZE_URL,
                                         validation_alias="CAL_MCP_CAL_OAUTH_AUTHORIZE_URL")
    # Space-separated Cal.com scopes to ask for (e.g. "BOOKING_READ BOOKING_WRITE"); unset: the OAuth client's own.
    cal_oauth_scope: str | None = Field(default=None, validation_alias="CAL_MCP_CAL_OAUTH_SCOPE")
    api_key_signin: bool = Field(default=True, validation_alias="CAL_MCP_API_KEY_SIGNIN")
    access_token_ttl: int = Field(default=3600, ge=60, validation_alias="CAL_MCP_ACCESS_TOKEN_TTL")
    refresh_token_ttl: int = Field(default=30 * 86400, ge=3600, validation_alias="CAL_MCP_REFRESH_TOKEN_TTL")
    code_ttl: int = Field(default=120, ge=10, le=600, validation_alias="CAL_MCP_AUTH_CODE_TTL")
    signin_ttl: int = Field(default=900, ge=60, validation_alias="CAL_MCP_SIGNIN_TTL")
    # Development and tests only: accept client ID metadata documents at http://127.0.0.1/... URLs.
    dev_allow_http_client_metadata: bool = Field(default=False,
                                                 validation_alias="CAL_MCP_DEV_ALLOW_HTTP_CLIENT_METADATA")

    @field_validator("encryption_keys", "cal_oauth_client_secret", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("public_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("CAL_MCP_PUBLIC_URL must start with https:// (or http:// on loopback)")
        if urlsplit(value.rstrip("/")).path or "?" in value or "#" in value:
            raise ValueError("CAL_MCP_PUBLIC_URL must be the server's origin (https://host[:port]), without a path: "
                             "serve cal-mcp at the root of its own host name")
        return value.rstrip("/")

    @property
    def cal_oauth_enabled(self) -> bool:
        return bool(self.cal_oauth_client_id and self.cal_oauth_client_secret)
