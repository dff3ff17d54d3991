"""What cal-mcp's own code costs per call, in-process, with Cal faked at the httpx transport.

per_call.py measures whole processes; this isolates our steps. For three calls (a small GET, a
booking POST with nested arguments, a 100-booking list of ~90 KB) it times, in CPU µs per call:

* the whole ``CalMcpApp.call_tool`` against ``httpx.MockTransport``, next to the bare proxy's
  handler (``httpx`` request + text-only ``CallToolResult``) on the same transport;
* the SDK serialising each result for a 2025-11-25 client (cal-mcp's results carry
  ``structuredContent`` as well as the text, the bare proxy's only the text);
* cal-mcp's steps one by one: argument validation, request building (validation included),
  masking configured secrets in Cal's answer (``cal_client._redact_body``), and shaping the result.

    python bench/call_overhead.py            # 2,000 iterations per figure, best of 3 repeats
    python bench/call_overhead.py --quick    # 500
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import mcp_types as types
from mcp_types.methods import serialize_server_result
from pydantic import SecretStr

from _common import BENCH_API_KEY, machine_line, table
from cal_mcp.app import CalMcpApp
from cal_mcp.cal_client import _redact_body as mask_secrets
from cal_mcp.config import Settings
from cal_mcp.handlers.base import CallContext, prepare
from cal_mcp.registry import Registry, load_registry
from cal_mcp.results import success_result
from cal_mcp.validation import validate_arguments
from upstream import ME


def booking(n: int) -> dict[str, Any]:
    return {
        "id": 5000 + n, "uid": f"bk{n:06d}abcdefghijkl", "title": "Quick chat between Host and Dana Guest",
        "description": "", "status": "accepted", "start": "2026-11-25T09:00:00.000Z",
        "end": "2026-11-25T09:15:00.000Z", "duration": 15, "eventTypeId": 101,
        "eventType": {"id": 101, "slug": "quick-chat"}, "location": "https://app.cal.com/video/abc",
        "absentHost": False, "createdAt": "2026-11-23T08:00:00.000Z", "updatedAt": "2026-11-23T08:00:00.000Z",
        "metadata": {}, "rating": None, "icsUid": f"ics{n}@cal.com", "hosts": [
            {"id": 1001, "name": "Hosting User", "email": "host@example.com", "username": "host",
             "timeZone": "Europe/London"}],
        "attendees": [{"name": "Dana Guest", "email": "dana@example.com", "timeZone": "America/New_York",
                       "language": "en", "absent": False}],
        "guests": [], "bookingFieldsResponses": {"name": "Dana Guest", "email": "dana@example.com"},
    }


SCENARIOS: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    ("GET /v2/me", "CAL_RETRIEVE_MY_INFORMATION", {}, ME),
    ("POST /v2/bookings", "CAL_POST_NEW_BOOKING_REQUEST", {
        "start": "2026-11-25T09:00:00Z", "eventTypeId": 101,
        "attendee": {"name": "Dana Guest", "email": "dana@example.com", "timeZone": "America/New_York"},
    }, {"status": "success", "data": booking(1)}),
    ("GET /v2/bookings (100)", "CAL_FETCH_ALL_BOOKINGS", {"take": 100}, {
        "status": "success", "data": [booking(n) for n in range(100)],
        "pagination": {"totalItems": 100, "remainingItems": 0, "returnedItems": 100, "itemsPerPage": 100,
                       "currentPage": 1, "totalPages": 1, "hasNextPage": False, "hasPreviousPage": False}}),
]


def cpu_us(fn: Callable[[], object], iterations: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(iterations):
            fn()
        best = min(best, time.process_time() - start)
    return best / iterations * 1e6


async def acpu_us(fn: Callable[[], Awaitable[object]], iterations: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(iterations):
            await fn()
        best = min(best, time.process_time() - start)
    return best / iterations * 1e6


def wire(result: types.CallToolResult) -> str:
    """What the SDK does with a tools/call result for a 2025-11-25 client, up to the JSON text."""
    dumped = result.model_dump(by_alias=True, mode="json", exclude_none=True)
    shaped = serialize_server_result("tools/call", "2025-11-25", dumped)
    message = types.JSONRPCResponse(jsonrpc="2.0", id=1, result=shaped)
    return json.dumps(message.model_dump(mode="json", by_alias=True, exclude_none=True), separators=(",", ":"))


async def measure(registry: Registry, tool: str, arguments: dict[str, Any], envelope: dict[str, Any],
                  iterations: int, repeats: int) -> tuple[int, dict[str, float]]:
    body = json.dumps(envelope).encode()
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, content=body, headers={"content-type": "application/json"}))
    settings = Settings(api_key=SecretStr(BENCH_API_KEY), base_url="http://cal.test", rate_limit_per_minute=0)
    app = CalMcpApp(settings, registry, transport=transport, base_url="http://cal.test")
    spec = registry.get(tool)
    assert spec is not None
    bare_http = httpx.AsyncClient(transport=transport, base_url="http://cal.test",
                                  headers={"Authorization": f"Bearer {BENCH_API_KEY}"})
    method, path = spec.request.method, spec.request.path

    async def ours() -> types.CallToolResult:
        return await app.call_tool(tool, arguments)

    async def bare() -> types.CallToolResult:
        response = await bare_http.request(method, path, json=arguments if method == "POST" else None)
        return types.CallToolResult(content=[types.TextContent(type="text", text=response.text)])

    our_result, bare_result = await ours(), await bare()
    assert not our_result.is_error, our_result.content
    parsed = json.loads(body)
    ctx = CallContext(app.client(), settings)
    secrets = settings.secret_values()
    figures = {
        "call_tool": await acpu_us(ours, iterations, repeats),
        "bare handler": await acpu_us(bare, iterations, repeats),
        "SDK wire, ours": cpu_us(lambda: wire(our_result), iterations, repeats),
        "SDK wire, bare": cpu_us(lambda: wire(bare_result), iterations, repeats),
        "validate": cpu_us(lambda: validate_arguments(spec, dict(arguments)), iterations, repeats),
        "validate+build": cpu_us(lambda: prepare(ctx, spec, dict(arguments)), iterations, repeats),
        "mask secrets": cpu_us(lambda: mask_secrets(parsed, secrets), iterations, repeats),
        "shape result": cpu_us(lambda: success_result(parsed, limit=settings.max_output_bytes), iterations, repeats),
    }
    await bare_http.aclose()
    await app.aclose()
    return len(body), figures


async def bench(args: argparse.Namespace) -> int:
    iterations = args.iterations or (500 if args.quick else 2_000)
    repeats = 3
    registry = load_registry()
    print(machine_line())
    print(f"CPU µs per call, best of {repeats} × {iterations} iterations; Cal faked with httpx.MockTransport")
    rows = []
    for label, tool, arguments, envelope in SCENARIOS:
        size, figures = await measure(registry, tool, arguments, envelope, iterations, repeats)
        added = figures["call_tool"] - figures["bare handler"] + figures["SDK wire, ours"] - figures["SDK wire, bare"]
        rows.append([label, f"{size:,}", *(f"{v:.0f}" for v in figures.values()), f"{added:+.0f}"])
    print(table(["call", "Cal bytes", "call_tool", "bare handler", "SDK wire, ours", "SDK wire, bare",
                 "validate", "validate+build", "mask secrets", "shape result", "ours − bare (µs)"], rows))
    print("\n'ours − bare' = (call_tool − bare handler) + (SDK wire, ours − SDK wire, bare): the CPU cal-mcp adds "
          "per call over the bare proxy, before process-level effects (GC, httpcore's sniffio look-ups).")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="500 iterations per figure")
    parser.add_argument("--iterations", type=int)
    return asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
