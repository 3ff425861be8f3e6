"""What the signal engine reads and writes through: the market and candle history (synchronous, for the
validator) and the stores (asynchronous, for the shell).

MarketView and CandleHistory are called synchronously from inside the validator, so the shell serves them from
memory (the market-data engine's latest quote/trade and a window of recent closed candles warmed from the
store). SignalStore and CandleStore are what storage implements; the engine never imports storage.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from core_server.model.market_data import Candle, Quote, Timeframe, Trade
from core_server.signals.model import Signal, SignalEvent, SignalStatus, SignalUpdate
from core_server.signals.trade_record import TradeRecord


class MarketView(Protocol):
    """The latest market of each contract (after the anomaly filter)."""

    def last_trade(self, contract_id: str) -> Trade | None: ...

    def last_quote(self, contract_id: str) -> Quote | None: ...


class CandleHistory(Protocol):
    """Candles of one contract and timeframe. Missing buckets (no trades) simply have no candle."""

    def closed_candles(
        self, contract_id: str, timeframe: Timeframe, start_from_ns: int, start_to_ns: int
    ) -> Sequence[Candle]:
        """Closed candles whose start lies in [start_from_ns, start_to_ns), oldest first."""
        ...

    def closed_before(self, contract_id: str, timeframe: Timeframe, start_ns: int) -> Candle | None:
        """The latest closed candle starting before `start_ns` (across halts and weekends), or None."""
        ...

    def forming(self, contract_id: str, timeframe: Timeframe) -> Candle | None:
        """The candle forming now, if it has had a price; its open is a known entry price."""
        ...


@dataclass(frozen=True, slots=True)
class LoggedSignalEvent:
    """A stored signal event with its place in the log of every signal event (`stream_seq`), its place in its
    signal's own history (`index`), and the signal as it stands now."""

    stream_seq: int
    signal: Signal
    event: SignalEvent
    index: int


class SignalStore(Protocol):
    """The Signal Lab tables (storage.signals.SignalRepository). Failures of the store raise Unavailable."""

    async def save_batch(self, updates: Sequence[SignalUpdate], trades: Sequence[TradeRecord] = ()) -> None:
        """Atomically: the latest snapshot of each signal, every event not stored yet, the trades."""
        ...

    async def get(self, signal_id: str) -> Signal | None: ...

    async def find_by_key(self, key: str) -> Signal | None: ...

    async def live(self) -> list[Signal]: ...

    async def list(
        self,
        *,
        statuses: Iterable[SignalStatus] = (),
        contract_id: str = "",
        strategy: str = "",
        from_ns: int = 0,
        to_ns: int = 0,
        limit: int = 100,
    ) -> list[Signal]: ...

    async def last_event_seq(self) -> int:
        """The newest event's stream_seq (0: none yet)."""
        ...

    async def events_since(self, stream_seq: int, limit: int) -> builtins.list[LoggedSignalEvent]:
        """Up to `limit` events stored after `stream_seq`, in the order they were stored."""
        ...


class CandleStore(Protocol):
    """Stored candles (storage.candles.CandleRepository), to warm the history at start."""

    async def list_range(
        self, contract_id: str, timeframe: Timeframe, start_ns: int, end_ns: int, limit: int
    ) -> list[Candle]:
        """Candles starting in [start_ns, end_ns): the newest `limit` of them, oldest first."""
        ...
