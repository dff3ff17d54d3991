"""Settings: every environment variable in one place, secrets as ``SecretStr``, validated at start."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cal_mcp.secrets_policy import check_auth_token

DEFAULT_BASE_URL = "https://api.cal.com"
DEFAULT_RATE_LIMIT = 120  # Cal.com's documented limit per API key and minute


class Settings(BaseSettings):
    """Read from the environment (never from a file: the server has no config file to leak)."""

    model_config = SettingsConfigDict(
        env_prefix="", case_sensitive=False, extra="ignore", frozen=True, populate_by_name=True
    )

    api_key: SecretStr | None = Field(default=None, validation_alias="CAL_API_KEY")
    base_url: str = Field(default=DEFAULT_BASE_URL, validation_alias="CAL_API_BASE_URL")
    oauth_client_id: str | None = Field(default=None, validation_alias="CAL_OAUTH_CLIENT_ID")
    oauth_client_secret: SecretStr | None = Field(default=None, validation_alias="CAL_OAUTH_CLIENT_SECRET")
    timeout: float = Field(default=30.0, gt=0, le=600, validation_alias="CAL_MCP_TIMEOUT")
    connect_timeout: float = Field(default=5.0, gt=0, le=120, validation_alias="CAL_MCP_CONNECT_TIMEOUT")
    read_timeout: float = Field(default=20.0, gt=0, le=600, validation_alias="CAL_MCP_READ_TIMEOUT")
    auth_token: SecretStr | None = Field(default=None, validation_alias="CAL_MCP_AUTH_TOKEN")
    # Cal allows 120 requests/min per API key; 0 switches the budget off. Unset: 120 toward a remote
    # API, off toward a loopback one (a standalone sandbox or a test double has no such limit).
    rate_limit_per_minute: int | None = Field(default=None, ge=0, validation_alias="CAL_MCP_RATE_LIMIT")
    rate_limit_max_wait: float = Field(default=10.0, ge=0, validation_alias="CAL_MCP_RATE_LIMIT_MAX_WAIT")
    max_retries: int = Field(default=2, ge=0, le=10, validation_alias="CAL_MCP_MAX_RETRIES")
    max_output_bytes: int = Field(default=100_000, ge=1_000, validation_alias="CAL_MCP_MAX_OUTPUT_BYTES")
    # Upstream bodies larger than this are refused unread (a runaway proxy page must not fill memory).
    max_response_bytes: int = Field(default=10_000_000, ge=10_000, validation_alias="CAL_MCP_MAX_RESPONSE_BYTES")
    # What a client may send: one request (an HTTP body or a stdio line) of at most this many bytes.
    max_request_bytes: int = Field(default=1_000_000, ge=1_024, validation_alias="CAL_MCP_MAX_REQUEST_BYTES")
    # HTTP: open Streamable HTTP sessions (and, counted apart, SSE connections) at once; more get 503.
    max_sessions: int = Field(default=100, ge=1, validation_alias="CAL_MCP_MAX_SESSIONS")
    # HTTP: a session with no request in flight (and no open stream) for this long is closed.
    session_idle_timeout: float = Field(default=600.0, gt=0, validation_alias="CAL_MCP_SESSION_IDLE_TIMEOUT")
    # HTTP: seconds for a request's headers to arrive (from connect or the previous answer), then its body.
    header_timeout: float = Field(default=10.0, gt=0, validation_alias="CAL_MCP_HEADER_TIMEOUT")
    body_timeout: float = Field(default=30.0, gt=0, validation_alias="CAL_MCP_BODY_TIMEOUT")
    # HTTP: open connections at once (long-lived streams included); more get 503.
    max_connections: int = Field(default=500, ge=2, validation_alias="CAL_MCP_MAX_CONNECTIONS")
    # Replicas: the Redis (or Valkey) that holds the state they share, e.g. redis://redis:6379/0. Unset:
    # everything stays in the process. Set: the rate budget toward Cal is counted over every replica.
    redis_url: SecretStr | None = Field(default=None, validation_alias="CAL_MCP_REDIS_URL")
    redis_prefix: str = Field(default="cal-mcp:", min_length=1, validation_alias="CAL_MCP_REDIS_PREFIX")
    sandbox: bool = False

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("CAL_API_BASE_URL must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("redis_url", mode="after")
    @classmethod
    def _redis_url(cls, value: SecretStr | None) -> SecretStr | None:
        # The message never quotes the URL: it may carry a password.
        if value is not None and urlsplit(value.get_secret_value()).scheme not in ("redis", "rediss", "unix"):
            raise ValueError("CAL_MCP_REDIS_URL must start with redis://, rediss:// or unix://")
        return value

    @field_validator("api_key", "oauth_client_secret", "auth_token", "redis_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("auth_token", mode="after")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        # A short bearer token is guessable; refused at start-up without quoting it (secrets_policy).
        check_auth_token(value.get_secret_value() if value else None)
        return value

    @property
    def effective_rate_limit(self) -> int:
        if self.rate_limit_per_minute is not None:
            return self.rate_limit_per_minute
        host = urlsplit(self.base_url).hostname or ""
        loopback = host in ("localhost", "::1") or host.startswith("127.")
        return 0 if self.sandbox or loopback else DEFAULT_RATE_LIMIT

    def secret_values(self) -> tuple[str, ...]:
        """Every configured secret, for the log filter that masks them."""
        secrets = (self.api_key, self.oauth_client_secret, self.auth_token)
        values = tuple(s.get_secret_value() for s in secrets if s is not None and s.get_secret_value())
        redis_password = urlsplit(self.redis_url.get_secret_value()).password if self.redis_url else None
        return (*values, redis_password) if redis_password else values
