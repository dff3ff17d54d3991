"""Pure: (spec, arguments, configured values) → the HTTP request to send. No I/O, no httpx.

Path values are percent-encoded as exactly one segment, so no argument can change which endpoint
is called; ``.``/``..``/empty are refused because URL normalisation would turn them into another path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from cal_mcp.errors import ArgumentError, ConfigurationError
from cal_mcp.specs import PATH_PARAM, ToolSpec

CONFIG_HINTS = {
    "oauth_client_id": "pass `{name}` or set CAL_OAUTH_CLIENT_ID in the server's environment",
    "api_key": "set CAL_API_KEY in the server's environment (or start it with --sandbox)",
}


@dataclass(frozen=True)
class CalRequest:
    method: str
    path: str  # already percent-encoded
    query: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    json: dict[str, Any] | None = None
    meta: dict[str, Any] = field(default_factory=dict, compare=False)


def _scalar(value: Any) -> str:
    """Wire text of a scalar: JSON numbers like 5.0 that are integers go as 5 (Cal parses IDs with ParseInt)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def encode_segment(name: str, value: Any) -> str:
    text = _scalar(value)
    if text in ("", ".", ".."):
        raise ArgumentError(
            f"`{name}` cannot be {text!r}: it must be a real identifier.",
            f"Pass the {name} returned by the listing tool named in its description.",
            field=name,
        )
    return quote(text, safe="")


def query_value(value: Any) -> str:
    if isinstance(value, list | tuple):
        # Cal reads query arrays comma-joined (status=upcoming,past).
        return ",".join(query_value(v) for v in value)
    return _scalar(value)


def _resolve(spec: ToolSpec, arguments: Mapping[str, Any], config: Mapping[str, str | None]) -> dict[str, Any]:
    """Arguments plus fixed values plus configuration fills, keyed by parameter name."""
    values: dict[str, Any] = {k: v for k, v in arguments.items() if v is not None}
    values.update(spec.request.fixed)
    for name, setting in spec.request.from_config.items():
        if name in values:
            continue
        configured = config.get(setting)
        if configured:
            values[name] = configured
        else:
            raise ConfigurationError(
                f"{spec.name} needs `{name}`, which is neither given nor configured.",
                CONFIG_HINTS.get(setting, "configure it").format(name=name) + ".",
            )
    return values


def build_request(
    spec: ToolSpec, arguments: Mapping[str, Any], config: Mapping[str, str | None] | None = None
) -> CalRequest:
    binding = spec.request
    values = _resolve(spec, arguments, config or {})
    wire = binding.wire

    def segment(match: Any) -> str:
        name = match.group(1)
        if name not in values:
            raise ArgumentError(f"missing required argument `{name}`.", "Pass it and call again.", field=name)
        return encode_segment(name, values[name])

    path = PATH_PARAM.sub(segment, binding.path)
    query = tuple((wire.get(n, n), query_value(values[n])) for n in binding.query if n in values)
    body: dict[str, Any] | None = None
    if binding.sends_body:
        body = {wire.get(n, n): values[n] for n in binding.body if n in values and n != binding.body_spread}
        spread = values.get(binding.body_spread) if binding.body_spread else None
        if isinstance(spread, Mapping):
            # Free-form members join the body beside the named fields, which win a clash.
            body = {**{str(k): v for k, v in spread.items()}, **body}
    headers: tuple[tuple[str, str], ...] = ()
    if binding.api_version:
        headers = (("cal-api-version", binding.api_version),)
    return CalRequest(binding.method, path, query, headers, body)
