"""The replay feed: recorded ticks delivered at a chosen speed, restamped with when they were delivered."""

from __future__ import annotations

import asyncio
import dataclasses
import math
from collections.abc import Awaitable, Callable, Sequence

import structlog

from core_server.feeds.replay_sources import (
    CsvTickSource,
    DatabaseTickSource,
    TickHistory,
    TickSource,
    close_iterator,
)
from core_server.feeds.stats import FeedStats
from core_server.feeds.tick_csv import TickCsvError, read_ticks_csv, write_ticks_csv
from core_server.model.clock import NS_PER_MS, NS_PER_SECOND, Clock
from core_server.model.errors import InvalidArgument
from core_server.model.feed_status import FeedState, FeedStatus
from core_server.model.market_data import Tick
from core_server.ports import FeedSink

__all__ = [
    "CsvTickSource",
    "DatabaseTickSource",
    "ReplayFeed",
    "TickCsvError",
    "TickHistory",
    "TickSource",
    "read_ticks_csv",
    "write_ticks_csv",
]

log = structlog.get_logger(__name__)

Sleep = Callable[[float], Awaitable[None]]
# Ticks due within this of now go out together: a sub-millisecond sleep per tick costs more than
# the lateness it saves.
COALESCE_NS = NS_PER_MS


class ReplayFeed:
    """A MarketDataFeed over a TickSource, paced by ts_event deltas at `speed` x real time.

    The first tick goes out at once; tick k is due `(ts_event[k] - ts_event[0]) / speed` later on
    the clock. `speed=0` replays as fast as possible, yielding to the event loop between batches.
    Each delivered tick keeps its ts_event and gets ts_init = the clock when it was delivered.
    At the end it reports FINISHED and returns; a bad source (e.g. a TickCsvError) reports STOPPED
    and raises, since a replay that skipped input would misreport what happened.
    """

    kind = "replay"
    is_realtime = False

    def __init__(
        self,
        source: TickSource,
        clock: Clock,
        *,
        speed: float = 1.0,
        name: str = "replay",
        batch_size: int = 1000,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not (math.isfinite(speed) and speed >= 0.0):
            raise InvalidArgument("speed", "must be 0 (as fast as possible) or a positive multiple of real time")
        if batch_size < 1:
            raise InvalidArgument("batch_size", "must be at least 1")
        self.name = name
        self.speed = speed
        self._source = source
        self._clock = clock
        self._batch_size = batch_size
        self._sleep = sleep
        self._stats = FeedStats(clock, name, self.kind)
        self._position_ns = 0  # ts_event of the last tick delivered
        self._anchor: tuple[int, int] | None = None  # (clock, ts_event) of the first tick delivered

    @property
    def contracts(self) -> tuple[str, ...]:
        return tuple(self._source.contracts)

    def status(self) -> FeedStatus:
        snapshot = self._stats.snapshot(self.contracts)
        extra = {"speed": f"{self.speed:g}", "position_ns": str(self._position_ns)}
        return dataclasses.replace(snapshot, extra=extra)

    async def run(self, sink: FeedSink) -> None:
        speed_text = "as fast as possible" if self.speed == 0 else f"at {self.speed:g}x"
        self._report(sink, FeedState.STREAMING, f"replaying {speed_text}")
        log.info("feed.started", feed=self.name, speed=self.speed)
        try:
            delivered = await self._replay(sink)
        except asyncio.CancelledError:
            self._report(sink, FeedState.STOPPED, "cancelled")
            log.info("feed.stopped", feed=self.name, total_ticks=self._stats.total_ticks)
            raise
        except Exception as exc:
            self._report(sink, FeedState.STOPPED, f"replay failed: {exc}")
            log.error(  # a bad source says what is wrong; anything else is a bug: keep its traceback
                "feed.replay_failed", feed=self.name, error=str(exc), total_ticks=self._stats.total_ticks,
                exc_info=not isinstance(exc, InvalidArgument),
            )  # fmt: skip
            raise
        self._report(sink, FeedState.FINISHED, f"replayed {delivered} ticks")
        log.info("feed.finished", feed=self.name, total_ticks=delivered)

    async def _replay(self, sink: FeedSink) -> int:
        self._anchor = None
        delivered = 0
        batches = self._source.batches()
        try:
            async for batch in batches:
                delivered += await self._play(sink, batch)
        finally:
            await close_iterator(batches)
        return delivered

    async def _play(self, sink: FeedSink, batch: Sequence[Tick]) -> int:
        """Deliver one source batch, paced, in chunks of at most batch_size."""
        clock, speed = self._clock, self.speed
        i, n = 0, len(batch)
        while i < n:
            end = min(n, i + self._batch_size)
            if speed == 0:
                await self._sleep(0)
                j = end
            else:
                if self._anchor is None:
                    self._anchor = (clock.now_ns(), batch[i].ts_event)
                anchor_wall, anchor_event = self._anchor
                due = anchor_wall + int((batch[i].ts_event - anchor_event) / speed)
                delay_ns = due - clock.now_ns()
                await self._sleep(delay_ns / NS_PER_SECOND if delay_ns > 0 else 0.0)
                horizon = anchor_event + int((clock.now_ns() + COALESCE_NS - anchor_wall) * speed)
                j = i + 1
                while j < end and batch[j].ts_event <= horizon:
                    j += 1
            self._deliver(sink, batch, i, j)
            i = j
        return n

    def _deliver(self, sink: FeedSink, batch: Sequence[Tick], i: int, j: int) -> None:
        now = self._clock.now_ns()
        new = tuple.__new__
        ticks: list[Tick] = [new(type(t), (t[0], t[1], now, *t[3:])) for t in batch[i:j]]
        sink.on_ticks(ticks)
        self._position_ns = ticks[-1].ts_event
        self._stats.record_message()
        self._stats.record_ticks(len(ticks))

    def _report(self, sink: FeedSink, state: FeedState, detail: str) -> None:
        self._stats.set_state(state, detail)
        sink.on_state(state, detail)
