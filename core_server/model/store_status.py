"""Health of the tick and candle store as a value."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StoreStatus:
    available: bool
    mode: str  # "embedded" or "external"
    buffered_ticks: int = 0
    written_ticks: int = 0
    dropped_ticks: int = 0
    last_flush_ns: int = 0
    last_error: str = ""
