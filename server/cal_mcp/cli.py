"""Command line: parse arguments, read settings, pick tools, start one transport. Nothing else."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys

from pydantic import ValidationError

TRANSPORTS = ("stdio", "sse", "http")
# flag, type, environment variable, help; the Settings field is the flag's name with underscores.
LIMIT_FLAGS: tuple[tuple[str, type, str, str], ...] = (
    ("--max-request-bytes", int, "CAL_MCP_MAX_REQUEST_BYTES",
     "largest request: an HTTP body or a stdio line; default 1000000"),
    ("--max-sessions", int, "CAL_MCP_MAX_SESSIONS",
     "open Streamable HTTP sessions, and apart SSE streams, at once; default 100"),
    ("--session-idle-timeout", float, "CAL_MCP_SESSION_IDLE_TIMEOUT",
     "seconds a Streamable HTTP session may sit idle before it is closed; default 600"),
    ("--header-timeout", float, "CAL_MCP_HEADER_TIMEOUT", "seconds for a request's headers to arrive; default 10"),
    ("--body-timeout", float, "CAL_MCP_BODY_TIMEOUT", "seconds for a request's body to arrive; default 30"),
    ("--max-connections", int, "CAL_MCP_MAX_CONNECTIONS", "open HTTP connections at once; default 500"),
)
log = logging.getLogger("cal_mcp")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="cal-mcp",
        description="MCP server for the Cal.com API v2 (141 CAL_* tools). Configuration: CAL_* environment variables.",
    )
    # Defaults from the environment too, so a container can set them once (ENV) and `docker run IMAGE --sandbox`
    # still serves HTTP: arguments given to the container are added to these, not put in their place.
    parser.add_argument("--transport", choices=TRANSPORTS, default=os.environ.get("CAL_MCP_TRANSPORT", "stdio"),
                        help="stdio (default), sse (GET /sse) or http (Streamable HTTP at /mcp); both HTTP "
                             "transports are always served together (CAL_MCP_TRANSPORT)")
    parser.add_argument("--host", default=os.environ.get("CAL_MCP_HOST", "127.0.0.1"),
                        help="address to bind for sse/http (default 127.0.0.1; CAL_MCP_HOST)")
    parser.add_argument("--port", type=int, default=os.environ.get("CAL_MCP_PORT", "8000"),
                        help="port for sse/http (default 8000; CAL_MCP_PORT)")
    parser.add_argument("--toolsets", default="", help="comma-separated toolsets to serve (default: all)")
    parser.add_argument("--tools", default="", help="comma-separated tool names to serve (added to --toolsets)")
    parser.add_argument("--read-only", action="store_true", help="serve only read-only tools (wins over the rest)")
    parser.add_argument("--dynamic-toolsets", action="store_true",
                        default=os.environ.get("CAL_MCP_DYNAMIC_TOOLSETS", "").lower() in ("1", "true", "yes"),
                        help="start each session with 3 meta-tools (list, enable, search toolsets) plus --toolsets/"
                             "--tools; the model enables the rest as needed (CAL_MCP_DYNAMIC_TOOLSETS=1)")
    parser.add_argument("--sandbox", action="store_true",
                        help="answer from the embedded Cal.com emulator: fake data, no account, no real calendar")
    parser.add_argument("--auth", choices=("none", "oauth"), default=os.environ.get("CAL_MCP_AUTH", "none"),
                        help="oauth: remote multi-user mode for sse/http, each person signs in with their own "
                             "Cal.com account (README: Remote multi-user); none (default): one CAL_API_KEY")
    parser.add_argument("--allow-unauthenticated", action="store_true",
                        help="allow binding a non-loopback address without CAL_MCP_AUTH_TOKEN")
    parser.add_argument("--stateless", action="store_true",
                        help="Streamable HTTP without sessions (for several processes behind a load balancer)")
    parser.add_argument("--json-response", action="store_true", help="Streamable HTTP answers JSON instead of SSE")
    parser.add_argument("--allowed-hosts", default=os.environ.get("CAL_MCP_ALLOWED_HOSTS", ""),
                        help="extra Host names accepted by the DNS-rebinding check (comma-separated)")
    limits = parser.add_argument_group("limits (each overrides its environment variable)")
    for flag, kind, env, what in LIMIT_FLAGS:
        limits.add_argument(flag, type=kind, default=None, metavar="N", help=f"{what} ({env})")
    parser.add_argument("--log-level", default=os.environ.get("CAL_MCP_LOG_LEVEL", "INFO"),
                        type=str.upper, choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    args = parser.parse_args(argv)
    if args.transport not in TRANSPORTS:  # argparse checks choices only for values given on the command line
        parser.error(f"CAL_MCP_TRANSPORT must be one of {', '.join(TRANSPORTS)}, not {args.transport!r}")
    return args


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> int:
    # Start-up builds ~130,000 long-lived objects (the SDK's wire models, the tool registry) and
    # almost no garbage (under 1,000 unreachable objects), yet the collector would run ~200 times
    # over them: ~50 ms, a tenth of a cold start. So it stays off until the server is ready, and
    # what exists then is frozen: later collections never rescan it (the README's Performance section has figures).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _main(argv)
    finally:
        if gc_was_enabled:
            gc.enable()


def _ready_to_serve() -> None:
    """Start-up is done: move what it built out of the collector's sight, then collect as usual."""
    gc.freeze()
    gc.enable()


def _main(argv: list[str] | None) -> int:
    args = parse_args(argv)
    from cal_mcp.config import Settings
    from cal_mcp.logs import configure_logging

    overrides: dict[str, object] = {}
    if args.sandbox:
        from cal_mcp.sandbox.state import OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, SANDBOX_API_KEY

        # The sandbox's own fake credentials (Settings turns the budget toward Cal off for it).
        overrides = {"sandbox": True, "api_key": SANDBOX_API_KEY,
                     "oauth_client_id": OAUTH_CLIENT_ID, "oauth_client_secret": OAUTH_CLIENT_SECRET}
    for flag, *_ in LIMIT_FLAGS:
        name = flag.removeprefix("--").replace("-", "_")
        if getattr(args, name) is not None:
            overrides[name] = getattr(args, name)
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(f"{e['loc'][0] if e['loc'] else ''}: {e['msg']}" for e in exc.errors())
        print(f"cal-mcp: invalid configuration: {problems}", file=sys.stderr)
        return 2
    configure_logging(args.log_level, settings.secret_values())

    from cal_mcp.registry import SelectionError, load_registry
    from cal_mcp.specs import SpecError
    from cal_mcp.tool_views import DynamicStart

    dynamic: DynamicStart | None = None
    try:
        loaded = load_registry()
        if args.dynamic_toolsets:
            # Every toolset can be enabled; --toolsets/--tools only say what a session starts with.
            loaded.select(toolsets=_split(args.toolsets), tools=_split(args.tools))  # refuses unknown names
            registry = loaded.select(read_only=args.read_only)
            dynamic = DynamicStart(frozenset(_split(args.toolsets)), frozenset(_split(args.tools)))
        else:
            registry = loaded.select(toolsets=_split(args.toolsets), tools=_split(args.tools),
                                     read_only=args.read_only)
    except (SpecError, SelectionError) as exc:
        print(f"cal-mcp: {exc}", file=sys.stderr)
        return 2

    from cal_mcp.transports import is_loopback

    if args.auth == "oauth" and args.transport == "stdio":
        print("cal-mcp: --auth oauth needs --transport http or sse (stdio has one local user).", file=sys.stderr)
        return 2
    if args.transport != "stdio" and not is_loopback(args.host) and settings.auth_token is None \
            and not args.allow_unauthenticated and args.auth != "oauth":
        print(
            f"cal-mcp: refusing to serve {args.host} without authentication: set CAL_MCP_AUTH_TOKEN "
            "(clients then send Authorization: Bearer <token>) or pass --allow-unauthenticated.",
            file=sys.stderr,
        )
        return 2

    from cal_mcp.app import CalMcpApp

    app = CalMcpApp(settings, registry, dynamic=dynamic, loaded=loaded)
    oauth = None
    extra_hosts = _split(args.allowed_hosts)
    if args.auth == "oauth":
        from cal_mcp.auth.wiring import OAuthConfigError, start_oauth_mode
        from cal_mcp.shared_state import locks_for

        try:
            # With CAL_MCP_REDIS_URL the Cal-token refresh lock is shared by every replica (else in-process).
            app, oauth, public_hosts = start_oauth_mode(
                settings, registry, host=args.host, port=args.port, dynamic=dynamic, loaded=loaded,
                locks=locks_for(settings))
        except (OAuthConfigError, ValueError) as exc:
            print(f"cal-mcp: --auth oauth: {exc}", file=sys.stderr)
            return 2
        extra_hosts += public_hosts
    if settings.sandbox:
        log.info("SANDBOX MODE: answers come from the embedded Cal.com emulator with fake data; "
                 "no real Cal.com account or calendar is touched.")
    elif settings.api_key is None:
        log.warning("CAL_API_KEY is not set: tools are listed, but calls will ask for a key (or use --sandbox).")
    if dynamic is not None:
        log.info("serving %d tools over %s, dynamically: sessions start with %s", len(registry.specs),
                 args.transport, ", ".join(sorted(dynamic.toolsets | dynamic.tools)) or "the meta-tools only")
    else:
        log.info("serving %d tools over %s", len(registry.specs), args.transport)

    if args.transport == "stdio":
        import anyio

        from cal_mcp.transports import run_stdio

        _ready_to_serve()
        anyio.run(run_stdio, app)
        return 0
    from cal_mcp.transports import run_http

    url_host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"cal-mcp: Streamable HTTP at http://{url_host}:{args.port}/mcp , SSE at "
          f"http://{url_host}:{args.port}/sse\ncal-mcp: inspect with: npx -y @modelcontextprotocol/inspector "
          f"--cli http://{url_host}:{args.port}/mcp --method tools/list", file=sys.stderr, flush=True)
    _ready_to_serve()
    run_http(app, host=args.host, port=args.port, stateless=args.stateless, json_response=args.json_response,
             extra_hosts=extra_hosts, oauth=oauth)
    return 0
