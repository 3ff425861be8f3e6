"""Feed health as a value: state, rates, ages, gaps and counts of bad input."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from core_server.model.market_data import FeedGap


class FeedState(Enum):
    STARTING = "starting"
    CONNECTING = "connecting"
    STREAMING = "streaming"
    RECONNECTING = "reconnecting"
    STALE = "stale"  # connected but silent longer than the idle timeout
    AUTH_FAILED = "auth_failed"
    STOPPED = "stopped"
    FINISHED = "finished"  # a replay that reached its end


@dataclass(frozen=True, slots=True)
class FeedStatus:
    name: str
    kind: str
    state: FeedState
    detail: str = ""
    contracts: tuple[str, ...] = ()
    connected_since_ns: int = 0
    reconnect_count: int = 0
    last_message_ns: int = 0
    last_tick_ns: int = 0
    ticks_per_second: float = 0.0
    messages_per_second: float = 0.0
    total_ticks: int = 0
    malformed_frames: int = 0
    gaps_filled: int = 0
    gaps_unfilled: int = 0
    anomalies: int = 0
    stage_errors: int = 0  # per-tick stages that raised (logged with a traceback, isolated; the feed went on)
    latency_p50_ns: int = 0
    latency_p99_ns: int = 0
    recent_gaps: tuple[FeedGap, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)
