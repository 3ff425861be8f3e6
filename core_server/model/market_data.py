"""Market data values: quotes, trades, candles and timeframes. Prices are integer ticks."""

from __future__ import annotations

from enum import Enum, IntEnum
from typing import NamedTuple

from core_server.model.clock import NS_PER_DAY, NS_PER_HOUR, NS_PER_MINUTE
from core_server.model.errors import InvalidArgument


class Aggressor(IntEnum):
    NONE = 0
    BUY = 1
    SELL = 2


class Quote(NamedTuple):
    """Top of book. `bid`/`ask` are whole ticks of the contract's instrument."""

    contract_id: str
    ts_event: int  # when it happened at the source, UTC ns
    ts_init: int  # when Vigil created it, UTC ns
    bid: int
    ask: int
    bid_size: int
    ask_size: int


class Trade(NamedTuple):
    """A print. `price` is whole ticks."""

    contract_id: str
    ts_event: int
    ts_init: int
    price: int
    size: int
    aggressor: Aggressor


Tick = Quote | Trade


class Timeframe(Enum):
    M1 = ("1m", NS_PER_MINUTE)
    M5 = ("5m", 5 * NS_PER_MINUTE)
    M15 = ("15m", 15 * NS_PER_MINUTE)
    H1 = ("1h", NS_PER_HOUR)
    H4 = ("4h", 4 * NS_PER_HOUR)
    D1 = ("1d", NS_PER_DAY)

    def __init__(self, label: str, duration_ns: int) -> None:
        self.label = label
        self.duration_ns = duration_ns

    @classmethod
    def parse(cls, text: str, field: str = "timeframe") -> Timeframe:
        for tf in cls:
            if tf.label == text.strip().lower():
                return tf
        raise InvalidArgument(field, f"unknown timeframe {text!r}; use one of {', '.join(t.label for t in cls)}")


ALL_TIMEFRAMES: tuple[Timeframe, ...] = tuple(Timeframe)


class Candle(NamedTuple):
    """An OHLC bar over [start_ns, end_ns). `closed`: no more ticks will change it. `complete`: no
    feed gap overlapped it, so it saw every tick."""

    contract_id: str
    timeframe: Timeframe
    start_ns: int
    end_ns: int
    open: int
    high: int
    low: int
    close: int
    volume: int
    tick_count: int
    closed: bool
    complete: bool


class FeedGap(NamedTuple):
    """A period in which a feed may have missed ticks for `contract_id` (all contracts when empty)."""

    contract_id: str
    start_ns: int
    end_ns: int
    filled: bool
    backfilled_ticks: int = 0  # prints the backfill delivered for it (history not delivered before)
    pages: int = 0  # history requests it took
