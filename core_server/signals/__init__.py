"""Signal validation (SPEC §3): pure, synchronous checks, confirmation tracking, pivot stops and entries."""
