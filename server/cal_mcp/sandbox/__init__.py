"""An in-memory Cal.com API v2 emulator: seeded, deterministic, stateful. Touches no real calendar."""
