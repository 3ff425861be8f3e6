"""Counters every feed keeps about itself: rates, ages, latency, reconnects, bad frames and gaps."""

from __future__ import annotations

from collections import deque

from core_server.model.clock import NS_PER_SECOND, Clock
from core_server.model.feed_status import FeedState, FeedStatus
from core_server.model.market_data import FeedGap

RATE_WINDOW_NS = 5 * NS_PER_SECOND
LATENCY_SAMPLES = 2048
RECENT_GAPS = 20


class FeedStats:
    """Mutable health counters; `snapshot()` turns them into an immutable FeedStatus."""

    def __init__(self, clock: Clock, name: str, kind: str) -> None:
        self._clock = clock
        self.name = name
        self.kind = kind
        self.state = FeedState.STARTING
        self.detail = ""
        self.connected_since_ns = 0
        self.reconnect_count = 0
        self.last_message_ns = 0
        self.last_tick_ns = 0
        self.total_ticks = 0
        self.total_messages = 0
        self.malformed_frames = 0
        self.gaps_filled = 0
        self.gaps_unfilled = 0
        self.recent_gaps: deque[FeedGap] = deque(maxlen=RECENT_GAPS)
        self._latencies: deque[int] = deque(maxlen=LATENCY_SAMPLES)
        # (ts, cumulative ticks, cumulative messages) samples for windowed rates
        self._samples: deque[tuple[int, int, int]] = deque()

    def set_state(self, state: FeedState, detail: str = "") -> None:
        now = self._clock.now_ns()
        if state is FeedState.STREAMING and self.state is not FeedState.STREAMING:
            self.connected_since_ns = now
        if state is FeedState.RECONNECTING and self.state is not FeedState.RECONNECTING:
            self.reconnect_count += 1
        self.state = state
        self.detail = detail

    def record_message(self, count: int = 1) -> None:
        self.total_messages += count
        self.last_message_ns = self._clock.now_ns()

    def record_ticks(self, count: int, last_ts_event_ns: int = 0) -> None:
        if count <= 0:
            return
        self.total_ticks += count
        now = self._clock.now_ns()
        self.last_tick_ns = now
        if last_ts_event_ns:
            self._latencies.append(max(0, now - last_ts_event_ns))
        self._sample(now)

    def record_malformed(self) -> None:
        self.malformed_frames += 1

    def record_gap(self, gap: FeedGap) -> None:
        if gap.filled:
            self.gaps_filled += 1
        else:
            self.gaps_unfilled += 1
        self.recent_gaps.append(gap)

    def _sample(self, now: int) -> None:
        samples = self._samples
        if not samples or now - samples[-1][0] >= NS_PER_SECOND // 10:
            samples.append((now, self.total_ticks, self.total_messages))
            while samples and now - samples[0][0] > RATE_WINDOW_NS:
                samples.popleft()

    def _rates(self, now: int) -> tuple[float, float]:
        if not self._samples:
            return 0.0, 0.0
        t0, ticks0, msgs0 = self._samples[0]
        span = now - t0
        if span <= 0:
            return 0.0, 0.0
        return (
            (self.total_ticks - ticks0) * NS_PER_SECOND / span,
            (self.total_messages - msgs0) * NS_PER_SECOND / span,
        )

    def _latency(self, quantile: float) -> int:
        if not self._latencies:
            return 0
        ordered = sorted(self._latencies)
        return ordered[min(len(ordered) - 1, int(quantile * len(ordered)))]

    def snapshot(self, contracts: tuple[str, ...] = (), anomalies: int = 0) -> FeedStatus:
        now = self._clock.now_ns()
        tick_rate, message_rate = self._rates(now)
        return FeedStatus(
            name=self.name,
            kind=self.kind,
            state=self.state,
            detail=self.detail,
            contracts=contracts,
            connected_since_ns=self.connected_since_ns,
            reconnect_count=self.reconnect_count,
            last_message_ns=self.last_message_ns,
            last_tick_ns=self.last_tick_ns,
            ticks_per_second=tick_rate,
            messages_per_second=message_rate,
            total_ticks=self.total_ticks,
            malformed_frames=self.malformed_frames,
            gaps_filled=self.gaps_filled,
            gaps_unfilled=self.gaps_unfilled,
            anomalies=anomalies,
            latency_p50_ns=self._latency(0.5),
            latency_p99_ns=self._latency(0.99),
            recent_gaps=tuple(self.recent_gaps),
        )
