"""One Redis connection for the shared state, and the error a call ends in when Redis is away.

When Redis cannot be reached the server fails closed: a call that needs the shared budget is not
sent to Cal at all. Sending it anyway would let every replica spend the whole budget on its own,
which is how a Cal API key gets locked (Cal blocks a key for a while once it goes over its limit).
The error names the Redis host (never a password from the URL) and what to do.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from cal_mcp.errors import CalMcpError

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from cal_mcp.config import Settings

# Seconds to connect to Redis and to wait for one answer. Redis answers in well under a
# millisecond on a healthy network; a call should not hang for long on an unhealthy one.
CONNECT_TIMEOUT, COMMAND_TIMEOUT = 2.0, 2.0
DEFAULT_PREFIX = "cal-mcp:"


class SharedStateUnavailableError(CalMcpError):
    """Redis (the state replicas share) did not answer; the call was not sent to Cal."""

    kind = "shared_state_unavailable"

    def __init__(self, where: str, what: str) -> None:
        super().__init__(
            f"The shared state in Redis ({where}) is unreachable ({what}), so this call was not sent to "
            "Cal.com: without the shared rate budget, replicas could together go over the API key's limit.",
            "Try again in a moment. If it persists, the server's operator must check that Redis at "
            f"{where} is running and reachable from every replica (CAL_MCP_REDIS_URL), or unset "
            "CAL_MCP_REDIS_URL on a single server to use its in-process budget.",
        )
        self.where = where


def describe(url: str) -> str:
    """``host:port/db`` of a Redis URL: enough to find the server, never its password."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    if ":" in host:
        host = f"[{host}]"
    port = parts.port or 6379
    db = parts.path.strip("/") or "0"
    if parts.scheme == "unix":
        return f"unix:{parts.path}"
    return f"{host}:{port}/{db}"


def digest(value: str) -> str:
    """A key part derived from a credential or a lock name: the secret itself is never a Redis key."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


@dataclass
class RedisTarget:
    """Where the shared state lives; the client is made on first use, in the loop that uses it."""

    url: str
    prefix: str = DEFAULT_PREFIX
    _client: Redis | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> RedisTarget:
        assert settings.redis_url is not None
        return cls(settings.redis_url.get_secret_value(), settings.redis_prefix)

    @property
    def where(self) -> str:
        return describe(self.url)

    def client(self) -> Redis:
        if self._client is None:
            from redis.asyncio import Redis
            from redis.asyncio.retry import Retry
            from redis.backoff import ExponentialBackoff

            # One quick retry at most: a refused connection should end the call in seconds, not after
            # redis-py's default backoff.
            self._client = Redis.from_url(
                self.url, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=COMMAND_TIMEOUT,
                retry=Retry(ExponentialBackoff(cap=0.2, base=0.05), 1), health_check_interval=30,
            )
        return self._client

    def key(self, kind: str, name: str) -> str:
        return f"{self.prefix}{kind}:{digest(name)}"

    def unavailable(self, exc: Exception) -> SharedStateUnavailableError:
        from redis.exceptions import AuthenticationError, ConnectionError, TimeoutError

        if isinstance(exc, AuthenticationError):
            what = "authentication failed: check the user and password in CAL_MCP_REDIS_URL"
        elif isinstance(exc, TimeoutError):
            what = f"no answer within {COMMAND_TIMEOUT:g} s"
        elif isinstance(exc, ConnectionError):
            what = "connection failed"
        else:
            what = type(exc).__name__
        return SharedStateUnavailableError(self.where, what)

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()


def redis_errors() -> tuple[type[Exception], ...]:
    """The exceptions that mean "Redis did not do it" (imported late: redis is optional)."""
    from redis.exceptions import RedisError

    return (RedisError, OSError)


