"""Ports: the interfaces engines depend on and adapters (feeds, stores) implement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from core_server.model.feed_status import FeedState, FeedStatus
from core_server.model.instruments import Contract
from core_server.model.market_data import Candle, FeedGap, Tick


class FeedSink(Protocol):
    """Where a feed delivers what it receives. Called from the event loop thread, never concurrently."""

    def on_ticks(self, ticks: Sequence[Tick]) -> None:
        """Quotes and trades in arrival order (ts_event non-decreasing per contract)."""

    def on_gap(self, gap: FeedGap) -> None:
        """A period the feed could not see; `filled` when a backfill has since delivered it."""

    def on_state(self, state: FeedState, detail: str) -> None:
        """The feed's connection state changed."""


class MarketDataFeed(Protocol):
    """A source of ticks: the simulator, a replay, or a broker adapter.

    `run` streams into the sink until cancelled (or, for a finite replay, until the end) and must
    never raise for bad input from the wire: it counts, logs and goes on.
    """

    name: str
    kind: str

    @property
    def contracts(self) -> tuple[str, ...]:
        """Canonical contract ids this feed delivers."""

    async def run(self, sink: FeedSink) -> None: ...

    def status(self) -> FeedStatus:
        """A snapshot of the feed's own health (rates and counts it keeps itself)."""


@runtime_checkable
class RollingFeed(MarketDataFeed, Protocol):
    """A realtime feed that can start delivering another contract while it runs (the front month rolled)."""

    def add_contract(self, contract: Contract) -> None:
        """Deliver `contract` too: subscribed on the live connection now, or at the next connect. Never raises
        for the wire (a refused subscription is counted, logged and shown in the status)."""


class TickRecorder(Protocol):
    """Where delivered ticks go to be persisted (the batched COPY writer). Never blocks, never raises."""

    def append(self, tick: Tick, flags: int = 0) -> None: ...


class CandleRecorder(Protocol):
    """Where closed (and, at shutdown, forming) candles go to be upserted."""

    def put(self, candles: Sequence[Candle]) -> None: ...
