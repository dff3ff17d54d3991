"""Who a client is: a client ID metadata document (an HTTPS URL as ``client_id``) or a registered client.

Redirect URIs (RFC 8252, OAuth 2.1 §7.5): an exact match with one the client declared, except that a loopback
``http://127.0.0.1|[::1]|localhost`` URI may use any port (native apps pick one at run time). Registration accepts
https URIs, http only on loopback, and private-use schemes such as ``cursor://`` and ``vscode://``; it refuses
schemes a browser would run (``javascript:``, ``data:``, ``file:``).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

import anyio
import httpx
from mcp.server.auth.provider import RegistrationError
from mcp.shared.auth import InvalidRedirectUriError, InvalidScopeError, OAuthClientInformationFull
from pydantic import AnyUrl, ValidationError

from cal_mcp.auth import scopes as scope_names
from cal_mcp.auth.store import AuthStore, ClientRecord

log = logging.getLogger("cal_mcp.auth")

LOOPBACK_NAMES = ("127.0.0.1", "[::1]", "localhost")
FORBIDDEN_SCHEMES = frozenset({"javascript", "data", "file", "vbscript", "about", "blob", "filesystem"})
METADATA_MAX_BYTES = 5 * 1024  # the CIMD draft suggests documents stay small; a bigger one is refused unread
METADATA_TIMEOUT = 5.0


class CalMcpClient(OAuthClientInformationFull):
    """The SDK's client record, with RFC 8252 loopback redirects and this server's scopes."""

    def validate_redirect_uri(self, redirect_uri: AnyUrl | None) -> AnyUrl:
        registered = [str(uri) for uri in self.redirect_uris or []]
        if redirect_uri is None:
            if len(registered) == 1:
                return AnyUrl(registered[0])
            raise InvalidRedirectUriError("redirect_uri is required: this client declared several")
        if str(redirect_uri) in registered or any(_same_loopback(str(redirect_uri), uri) for uri in registered):
            return redirect_uri
        raise InvalidRedirectUriError(f"Redirect URI '{redirect_uri}' is not registered for this client")

    def validate_scope(self, requested_scope: str | None) -> list[str] | None:
        if requested_scope is None:
            return None
        requested = requested_scope.split()
        allowed = set(self.scope.split()) if self.scope else set(scope_names.SUPPORTED)
        unknown = [scope for scope in requested if scope not in allowed]
        if unknown:
            raise InvalidScopeError(f"Unknown or unregistered scope {' '.join(unknown)}; "
                                    f"this server offers {' '.join(scope_names.SUPPORTED)}")
        return requested


def _loopback_parts(uri: str) -> tuple[str, str, str] | None:
    parts = urlsplit(uri)
    if parts.scheme != "http":
        return None
    host = parts.netloc.rsplit(":", 1)[0] if not parts.netloc.endswith("]") else parts.netloc
    if host not in LOOPBACK_NAMES:
        return None
    return host, parts.path or "/", parts.query


def _same_loopback(requested: str, registered: str) -> bool:
    """Same loopback host, path and query; the port may differ (RFC 8252 §7.3)."""
    a, b = _loopback_parts(requested), _loopback_parts(registered)
    return a is not None and a == b


def check_redirect_uri(uri: str) -> str | None:
    """Why a redirect URI cannot be registered, or None when it can."""
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if not scheme:
        return f"{uri!r} is not an absolute URI"
    if parts.fragment:
        return f"{uri!r} has a fragment, which redirect URIs may not have"
    if scheme in FORBIDDEN_SCHEMES:
        return f"{uri!r} uses the {scheme}: scheme, which is never allowed"
    if scheme == "http" and _loopback_parts(uri) is None:
        return f"{uri!r} is plain http on a public host; use https, a loopback address or a custom scheme"
    if scheme == "https" and not parts.netloc:
        return f"{uri!r} has no host"
    return None


def check_registration(info: OAuthClientInformationFull) -> None:
    """Refuse a registration whose redirect URIs could turn the server into an open redirector."""
    for uri in info.redirect_uris or []:
        problem = check_redirect_uri(str(uri))
        if problem:
            raise RegistrationError("invalid_redirect_uri", problem)


def is_metadata_url(client_id: str) -> bool:
    return client_id.startswith(("https://", "http://"))


def _metadata_url_problem(url: str, allow_http_loopback: bool) -> str | None:
    parts = urlsplit(url)
    if parts.fragment or parts.username or parts.password:
        return "a client ID URL may not have a fragment or credentials"
    if parts.path in ("", "/"):
        return "a client ID URL needs a path"
    host = parts.hostname or ""
    if parts.scheme == "http":
        if allow_http_loopback and host in ("127.0.0.1", "::1", "localhost"):
            return None
        return "a client ID URL must use https"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None if host not in ("localhost",) else "a client ID URL may not point at this machine"
    if address.is_private or address.is_loopback or address.is_link_local or address.is_reserved:
        return "a client ID URL may not point at a private address"
    return None


class ClientDirectory:
    """Looks clients up: metadata documents fetched on demand (never cached), registrations from the store."""

    def __init__(self, store: AuthStore, *, allow_http_loopback: bool = False,
                 http_factory: Callable[[], httpx.AsyncClient] | None = None) -> None:
        self.store = store
        self.allow_http_loopback = allow_http_loopback
        self._http_factory = http_factory or (lambda: httpx.AsyncClient(timeout=METADATA_TIMEOUT,
                                                                        follow_redirects=False))

    async def get(self, client_id: str) -> CalMcpClient | None:
        if is_metadata_url(client_id):
            return await self._from_metadata_document(client_id)
        record = await self.store.get_client(client_id)
        return CalMcpClient.model_validate_json(record.info_json) if record else None

    async def register(self, info: OAuthClientInformationFull, now: float) -> None:
        check_registration(info)
        await self.store.save_client(ClientRecord(info.client_id, info.model_dump_json(exclude_none=True), now))

    async def _resolves_inside(self, url: str) -> str | None:
        """A client ID URL whose host name resolves to a private address would let anyone make this server fetch
        from its own network (SSRF): refused. (Resolution happens again at fetch time; a name that changes its
        answer in between is not caught.)"""
        parts = urlsplit(url)
        host = parts.hostname or ""
        if self.allow_http_loopback and host in ("127.0.0.1", "::1", "localhost"):
            return None
        try:
            ipaddress.ip_address(host)
            return None  # a literal address was already judged
        except ValueError:
            pass
        try:
            infos = await anyio.getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
        except OSError:
            return f"the client ID URL's host {host!r} does not resolve"
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            if address.is_private or address.is_loopback or address.is_link_local or address.is_reserved:
                return f"the client ID URL's host {host!r} resolves to a private address"
        return None

    async def _from_metadata_document(self, url: str) -> CalMcpClient | None:
        problem = _metadata_url_problem(url, self.allow_http_loopback) or await self._resolves_inside(url)
        if problem:
            log.info("client ID URL refused: %s", problem)
            return None
        try:
            async with self._http_factory() as http, http.stream("GET", url, headers={"Accept": "application/json"}) \
                    as response:
                if response.status_code != 200:
                    log.info("client metadata document: HTTP %d", response.status_code)
                    return None
                body = b""
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > METADATA_MAX_BYTES:
                        log.info("client metadata document over %d bytes", METADATA_MAX_BYTES)
                        return None
        except httpx.HTTPError as exc:
            log.info("client metadata document unreachable: %s", type(exc).__name__)
            return None
        try:
            document = json.loads(body)
            if not isinstance(document, dict) or document.get("client_id") != url:
                log.info("client metadata document does not name itself as client_id")
                return None
            if document.get("client_secret") or document.get("token_endpoint_auth_method", "none") != "none":
                log.info("client metadata document asks for a client secret; only public clients are accepted")
                return None
            client = CalMcpClient.model_validate({**document, "token_endpoint_auth_method": "none"})
        except (ValueError, ValidationError):
            log.info("client metadata document is not valid client metadata")
            return None
        for uri in client.redirect_uris or []:
            if check_redirect_uri(str(uri)):
                log.info("client metadata document lists a redirect URI that is never allowed")
                return None
        return client
