"""A FeedSink that drops everything, so a benchmark measures the adapter and nothing after it."""

from __future__ import annotations

from collections.abc import Sequence

from core_server.model.feed_status import FeedState
from core_server.model.market_data import FeedGap, Tick


class NullSink:
    def on_ticks(self, ticks: Sequence[Tick]) -> None:
        pass

    def on_gap(self, gap: FeedGap) -> None:
        pass

    def on_state(self, state: FeedState, detail: str) -> None:
        pass
