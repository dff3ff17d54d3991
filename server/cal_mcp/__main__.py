"""``python -m cal_mcp`` → the CLI."""

from cal_mcp.cli import main

raise SystemExit(main())
