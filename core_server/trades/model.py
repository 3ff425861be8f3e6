"""Round trips: every flat -> position -> flat of one account and contract, with its fills, money and excursion.

A round trip is what a trader calls a trade. It opens with the fill that takes the position off zero and closes
with the fill that brings it back (a fill through zero closes one trip and opens the next at the same price).
Prices are ticks, money exact Decimal, R exact Fraction (None when no initial stop was known).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from core_server.excursions.model import Direction, ExcursionEvent, ExcursionSnapshot
from core_server.excursions.tracked import TradeSource


class ExitReason(StrEnum):
    STOP = "stop"  # a protective stop filled
    TARGET = "target"  # a take-profit filled
    CLOSE = "close"  # close position or flatten account
    REVERSE = "reverse"
    ORDER = "order"  # another opposite order
    RISK = "risk"  # a risk action (breach, flat-by, emergency stop)
    STRATEGY = "strategy"  # a strategy's exit
    RECONCILED = "reconciled"  # the position was found flat after a restart
    ROLL = "roll"  # closed at the front-month roll of a backtest on a continuous symbol (kernel.front_roll)


@dataclass(frozen=True, slots=True)
class JournalNotes:
    """What the trader adds to a trade in the journal; never touched by trading."""

    tags: tuple[str, ...] = ()
    setup: str = ""
    notes: str = ""
    rating: int | None = None  # 1 to 5


NO_NOTES = JournalNotes()


@dataclass(frozen=True, slots=True)
class RoundTrip:
    """One round trip as it stands (open while `closed_ns` is None)."""

    trade_id: str
    account_id: str | None  # None: a signal's trade tracked from its own entry, never executed
    contract_id: str
    direction: Direction
    source: TradeSource
    signal_id: str | None
    strategy_id: str | None
    strategy_version: int | None
    opened_ns: int
    closed_ns: int | None
    open_qty: int  # contracts still open
    max_qty: int
    entry_qty: int  # contracts bought for a long (sold for a short), over every entry fill
    entry_cost: int  # sum of entry fill price ticks x quantity
    exit_qty: int
    exit_cost: int
    realised_ticks: int  # FIFO: sum of (exit - entry) x quantity x direction, in ticks
    gross: Decimal  # realised dollars before commissions
    commissions: Decimal  # every fill's, entry and exit
    initial_stop: int | None  # the first protective stop working when the position opened (ticks)
    target: int | None
    exit_reason: ExitReason | None
    excursion: ExcursionSnapshot
    journal: JournalNotes = NO_NOTES
    open_order: str | None = None  # the order whose fill opened it: its bracket's exits are the trade's own

    @property
    def is_open(self) -> bool:
        return self.closed_ns is None

    @property
    def net(self) -> Decimal:
        return self.gross - self.commissions

    @property
    def avg_entry_ticks(self) -> Fraction | None:
        return Fraction(self.entry_cost, self.entry_qty) if self.entry_qty else None

    @property
    def avg_exit_ticks(self) -> Fraction | None:
        return Fraction(self.exit_cost, self.exit_qty) if self.exit_qty else None

    @property
    def risk_ticks(self) -> int | None:
        """1R in ticks: from the entry the excursion is measured from to the initial stop."""
        return self.excursion.spec.risk_ticks if self.initial_stop is not None else None

    @property
    def result_r(self) -> Fraction | None:
        """Realised R of what has closed: realised ticks over the risk of the quantity that opened (a signal's
        trade that was never executed: the R its excursion booked)."""
        if self.account_id is None:
            return self.excursion.result_r
        risk = self.risk_ticks
        if risk is None or not self.exit_qty:
            return None
        return Fraction(self.realised_ticks, risk * self.entry_qty)

    @property
    def open_cost(self) -> int:
        """Entry price ticks x contracts of the quantity still open (FIFO: what the exits closed is taken out)."""
        return self.entry_cost - self.exit_cost + self.direction.sign * self.realised_ticks

    def open_r(self, price: int) -> Fraction | None:
        """Unrealised R of the open quantity marked at `price` (ticks), on the risk `result_r` divides by: so
        `result_r` + `open_r(exit price)` is the trade's R once that exit closes it. None without a known stop."""
        risk = self.risk_ticks
        if risk is None or self.account_id is None:
            return None
        return Fraction(self.direction.sign * (price * self.open_qty - self.open_cost), risk * self.entry_qty)


@dataclass(frozen=True, slots=True)
class TradeChange:
    """A round trip after a change, and the excursion events that change added (the store appends them)."""

    trip: RoundTrip
    events: tuple[ExcursionEvent, ...] = ()
    opened: bool = False
    first_seq: int = 0  # the position of `events[0]` in the trade's whole history
