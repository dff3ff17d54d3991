"""An in-memory Cal.com API v2 emulator: seeded, deterministic, stateful. Touches no real calendar.

Layers (see README.md): ``state`` → ``stores/`` → ``seeds/`` and domain modules → ``routes/`` → ``app``.
Build a seeded sandbox with ``cal_mcp.sandbox.seeds.new_state()``; ``SandboxState()`` alone is empty.
"""
