"""Tracked trades as the shell and the store see them: a trade's excursion, where it came from, its updates."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from core_server.excursions.model import ExcursionEvent, ExcursionSnapshot, TradeSpec, TradeStatus
from core_server.excursions.r_multiples import r_multiple


class TradeSource(StrEnum):
    SIGNAL = "signal"  # a confirmed signal's Signal Lab trade
    PAPER = "paper"  # a paper-execution position
    MANUAL = "manual"  # entered by hand
    STRATEGY = "strategy"  # placed by a strategy


@dataclass(frozen=True, slots=True)
class TrackedTrade:
    """One trade with its excursion (`excursion.events` is its history, empty where a listing leaves it out).

    `last_price` is the price it was last measured at (the last trade, or its exit side of the last quote) for
    a trade tracked in memory; None for a trade read back from the store or with no price yet.
    """

    excursion: ExcursionSnapshot
    source: TradeSource
    signal_id: str | None = None
    account_id: str | None = None
    last_price: int | None = None

    @property
    def trade_id(self) -> str:
        return self.excursion.spec.trade_id

    @property
    def spec(self) -> TradeSpec:
        return self.excursion.spec

    @property
    def status(self) -> TradeStatus:
        return self.excursion.status

    @property
    def is_open(self) -> bool:
        return self.excursion.status is TradeStatus.OPEN

    @property
    def current_r(self) -> Fraction | None:
        """R at `last_price` while the trade is open; None once it has ended or before any price."""
        spec = self.excursion.spec
        risk = spec.risk_ticks
        if not self.is_open or self.last_price is None or risk is None:
            return None
        return r_multiple((self.last_price - spec.entry) * spec.direction.sign, risk)


@dataclass(frozen=True, slots=True)
class TradeUpdate:
    """A stored change of a trade: the event that caused it (None when the trade has just opened, or for a snapshot
    sent to a new subscriber), with the trade as it stood right after it, without its history."""

    trade: TrackedTrade
    event: ExcursionEvent | None = None


@dataclass(frozen=True, slots=True)
class TradeWrite:
    """What one save stores for a trade: its row as it stands and the events from `stored_events` on."""

    trade: TrackedTrade
    stored_events: int

    @property
    def new_events(self) -> tuple[ExcursionEvent, ...]:
        return self.trade.excursion.events[self.stored_events :]
