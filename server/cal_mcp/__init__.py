"""cal-mcp: the Cal.com API v2 scheduling toolkit as an MCP server."""

__version__ = "0.1.0"
