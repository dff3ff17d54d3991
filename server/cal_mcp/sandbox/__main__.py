"""Run the sandbox standalone on loopback: ``python -m cal_mcp.sandbox --port 8787``.

Point ``CAL_API_BASE_URL`` at it (any non-empty ``CAL_API_KEY`` is accepted); several cal-mcp
processes can share it, which is how a booking made over one transport shows up over another.
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import UTC, datetime

from cal_mcp.sandbox.clock import Clock, FrozenClock


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cal_mcp.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument("--seed", type=int, default=0, help="seed for generated UIDs (default 0)")
    parser.add_argument(
        "--now",
        help="freeze the sandbox clock at this ISO 8601 instant (default: the wall clock)",
    )
    args = parser.parse_args(argv)
    import uvicorn

    from cal_mcp.sandbox.app import create_app
    from cal_mcp.sandbox.seeds import new_state

    clock: Clock = Clock()
    if args.now:
        clock = FrozenClock(datetime.fromisoformat(args.now.replace("Z", "+00:00")).astimezone(UTC))
    logging.basicConfig(stream=sys.stderr, level=logging.INFO)
    logging.getLogger("cal_mcp.sandbox").info(
        "Cal sandbox on http://%s:%d (fake data; no real calendar is touched)", args.host, args.port
    )
    app = create_app(new_state(clock=clock, seed=args.seed))
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
