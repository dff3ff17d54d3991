"""The yardstick: a bare one-tool low-level mcp server, the least an MCP-to-REST proxy on this SDK can do.

Its one tool, ``get_me``, sends ``GET {upstream}/v2/me`` through one shared ``httpx.AsyncClient``
and returns the body as text. Nothing else: no argument checks, no error mapping, no structured
output, no logging set-up. ``--tools-json`` swaps in a prebuilt tool list (built once, as cal-mcp
does), so ``tools/list`` of the same 141 tools can be timed against the SDK alone.

    python bench/bare_server.py --transport stdio
    python bench/bare_server.py --transport http --port 8100 --upstream http://127.0.0.1:8200 \
        [--stateless] [--json-response]
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import mcp_types as types
from mcp.server import Server, ServerRequestContext

TOOL = types.Tool(
    name="get_me",
    description="The user whose API key the proxy holds.",
    input_schema={"type": "object", "properties": {}, "additionalProperties": False},
)


def build(upstream: str, tools_json: str | None) -> Server[Any]:
    listed = types.ListToolsResult(tools=[TOOL])
    if tools_json:
        with open(tools_json, encoding="utf-8") as handle:
            listed = types.ListToolsResult.model_validate({"tools": json.load(handle)})
    schemas = {t.name: t.input_schema for t in listed.tools}
    client: Any = None

    async def on_list_tools(ctx: ServerRequestContext[Any], params: Any) -> types.ListToolsResult:
        return listed

    async def on_call_tool(ctx: ServerRequestContext[Any], params: types.CallToolRequestParams) -> types.CallToolResult:
        nonlocal client
        if client is None:
            import httpx  # loaded on first use, like cal-mcp's client

            client = httpx.AsyncClient(base_url=upstream, headers={"Authorization": "Bearer cal_bench_key"})
        response = await client.get("/v2/me")
        return types.CallToolResult(content=[types.TextContent(type="text", text=response.text)])

    return Server("bare", version="1.0", on_list_tools=on_list_tools, on_call_tool=on_call_tool,
                  get_tool_input_schema=schemas.get)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transport", choices=("stdio", "http"), default="stdio")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--upstream", default="http://127.0.0.1:9")
    parser.add_argument("--stateless", action="store_true")
    parser.add_argument("--json-response", action="store_true")
    parser.add_argument("--tools-json", help="a JSON array of tools to list instead of the one tool")
    args = parser.parse_args()
    server = build(args.upstream, args.tools_json)
    if args.transport == "stdio":
        import anyio
        from mcp.server.stdio import stdio_server

        async def run() -> None:
            async with stdio_server() as (read, write):
                await server.run(read, write, server.create_initialization_options())

        anyio.run(run)
        return 0
    import uvicorn

    app = server.streamable_http_app(stateless_http=args.stateless, json_response=args.json_response)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
