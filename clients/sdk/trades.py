"""Tracked-trade values the SDK returns: trades with exact R multiples, their excursion events and updates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum

from clients.sdk.models import datetime_from_ns, parse_enum


class TradeDirection(Enum):
    UNKNOWN = "unknown"  # the server sent a direction this SDK does not know
    LONG = "long"
    SHORT = "short"

    @classmethod
    def parse(cls, value: TradeDirection | str, field: str = "direction") -> TradeDirection:
        """long/buy/bullish or short/sell/bearish in any case."""
        return parse_enum(cls, value, field, "trade direction", _DIRECTION_WORDS)

    def __str__(self) -> str:
        return self.value


_DIRECTION_WORDS = {
    "buy": TradeDirection.LONG,
    "bullish": TradeDirection.LONG,
    "sell": TradeDirection.SHORT,
    "bearish": TradeDirection.SHORT,
}


class TradeStatus(Enum):
    UNKNOWN = "unknown"  # the server sent a status this SDK does not know
    OPEN = "open"
    STOPPED_OUT = "stopped_out"  # the initial stop was hit: -1R
    BREAK_EVEN = "break_even"  # the stop, moved to entry (plus any offset), was hit
    TARGET_HIT = "target_hit"
    CLOSED = "closed"  # closed by hand or by the position closing

    @classmethod
    def parse(cls, value: TradeStatus | str, field: str = "status") -> TradeStatus:
        return parse_enum(cls, value, field, "trade status")

    @property
    def is_open(self) -> bool:
        return self is TradeStatus.OPEN

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class TradeEvent:
    """One excursion event: new_high, new_low, break_even_triggered, stop_hit, target_hit, closed."""

    kind: str
    ts_ns: int
    price: Decimal
    r: Decimal  # the trade's R at this event

    @property
    def time(self) -> datetime:
        return datetime_from_ns(self.ts_ns)


@dataclass(frozen=True, slots=True)
class TrackedTrade:
    """A trade tracked tick by tick from entry to exit (a market-data `Trade` is a print, not this).

    R multiples and points are exact Decimals; fields that do not apply yet are None.
    """

    trade_id: str
    signal_id: str  # the signal that created it, if any
    account_id: str  # the paper account it trades on, if any
    contract_id: str
    direction: TradeDirection
    quantity: int
    entry_price: Decimal
    initial_stop: Decimal
    current_stop: Decimal
    target_price: Decimal | None  # None when there is no target
    status: TradeStatus
    mfe_r: Decimal  # maximum favourable excursion, in R
    mae_r: Decimal  # maximum adverse excursion, in R
    mfe_points: Decimal
    mae_points: Decimal
    result_r: Decimal | None  # R at the exit; None while open
    exit_price: Decimal | None  # None while open
    current_r: Decimal | None  # the R of an open trade now; None once closed
    opened_ns: int
    closed_ns: int  # 0 while open
    events: tuple[TradeEvent, ...]
    # Round-trip figures (account trades; zero or empty for a signal's trade that never traded an account):
    source: str = ""  # "manual", "signal", "strategy", "imported", "backtest"
    strategy_id: str = ""
    strategy_version: int = 0
    open_quantity: int = 0  # contracts still open
    entry_quantity: int = 0  # contracts bought (long) or sold (short) in all
    exit_quantity: int = 0
    avg_entry_price: Decimal | None = None
    avg_exit_price: Decimal | None = None
    gross_pnl: Decimal = Decimal(0)  # realised $, before commissions
    commissions: Decimal = Decimal(0)  # $ paid on every fill of the trade
    net_pnl: Decimal = Decimal(0)  # gross - commissions
    unrealised_pnl: Decimal = Decimal(0)  # $ on the open contracts at the last price
    exit_reason: str = ""
    result_points: Decimal | None = None
    tags: tuple[str, ...] = ()
    setup: str = ""
    notes: str = ""
    rating: int = 0

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    @property
    def time(self) -> datetime:
        """When it opened."""
        return datetime_from_ns(self.opened_ns)


@dataclass(frozen=True, slots=True)
class TradeUpdate:
    """One StreamTradeUpdates message: the trade as it stands, and the event behind it (None for a snapshot)."""

    trade: TrackedTrade
    event: TradeEvent | None
    seq: int = 0  # its place in the server's trade update log (0 for a snapshot)
