"""TradeFacts: what analytics needs of one closed round trip, whatever produced it (paper, live, import, backtest).

Money is exact Decimal dollars; excursions are whole ticks so every R is an exact Fraction. `trade_date` is the CME
trading day the trade is booked on (the day of its exit fill); the caller decides it with the CME calendar, so this
package stays free of it. Times are UTC nanoseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from core_server.calendar.sessions import TradingCalendar
from core_server.calendar.trading_day import trading_day_of
from core_server.excursions.model import Direction, TradeStatus
from core_server.model.instruments import INSTRUMENTS
from core_server.trades.model import RoundTrip


@dataclass(frozen=True, slots=True)
class TradeFacts:
    trade_id: str
    account_id: str
    contract_id: str  # root, month code, year: NQZ2025
    direction: Direction
    source: str  # paper, manual, strategy, signal, imported, or backtest
    opened_ns: int
    closed_ns: int
    trade_date: date  # CME trading day of the exit fill
    quantity: int  # contracts entered over the trip
    gross: Decimal
    commissions: Decimal
    slippage: Decimal = Decimal(0)  # dollars paid to slippage (fills vs their orders' reference prices); < 0 gained
    risk_ticks: int | None = None  # 1R per contract in ticks; None without an initial stop
    realised_ticks: int = 0  # sum over contracts of (exit - entry) x direction, in ticks
    mfe_ticks: int = 0  # per contract, from the entry, favourable positive
    mae_ticks: int = 0  # per contract, adverse negative (or 0)
    tick_value: Decimal = Decimal(0)
    break_even_exit: bool = False  # the stop moved to break-even was what closed it
    excursion_known: bool = True  # False for imported trades: no MFE/MAE was observed
    strategy_id: str | None = None
    strategy_version: int | None = None
    tags: tuple[str, ...] = ()
    setup: str = ""
    rating: int | None = None
    notes: str = ""

    @property
    def root(self) -> str:
        return self.contract_id[:-5]

    @property
    def net(self) -> Decimal:
        return self.gross - self.commissions

    @property
    def hold_ns(self) -> int:
        return self.closed_ns - self.opened_ns

    @property
    def result_r(self) -> Fraction | None:
        """Realised R: realised ticks over the risk of every contract that entered."""
        if self.risk_ticks is None or not self.quantity:
            return None
        return Fraction(self.realised_ticks, self.risk_ticks * self.quantity)

    @property
    def mfe_r(self) -> Fraction | None:
        return None if self.risk_ticks is None else Fraction(self.mfe_ticks, self.risk_ticks)

    @property
    def mae_r(self) -> Fraction | None:
        return None if self.risk_ticks is None else Fraction(self.mae_ticks, self.risk_ticks)

    @property
    def mfe_dollars(self) -> Decimal:
        """What the trade was worth at its best: MFE ticks x tick value x contracts."""
        return self.mfe_ticks * self.tick_value * self.quantity


def facts_of(
    trip: RoundTrip,
    book: Callable[[int], date] = trading_day_of,
    source: str | None = None,
    slippage: Decimal = Decimal(0),
) -> TradeFacts:
    """The facts of a closed round trip (a backtest passes source="backtest"); `book` gives the exit's trading
    day (the CME calendar's trade date; the pure 17:00 CT rule by default); `slippage` the dollars its fills paid
    (analytics.slippage.trips_slippage)."""
    if trip.closed_ns is None or trip.account_id is None:
        raise ValueError(f"trade {trip.trade_id} is open or was never executed")
    root = trip.contract_id[:-5]
    snapshot = trip.excursion
    return TradeFacts(
        trade_id=trip.trade_id,
        account_id=trip.account_id,
        contract_id=trip.contract_id,
        direction=trip.direction,
        source=source or trip.source.value,
        opened_ns=trip.opened_ns,
        closed_ns=trip.closed_ns,
        trade_date=book(trip.closed_ns),
        quantity=trip.entry_qty,
        gross=trip.gross,
        commissions=trip.commissions,
        slippage=slippage,
        risk_ticks=trip.risk_ticks,
        realised_ticks=trip.realised_ticks,
        mfe_ticks=snapshot.mfe_ticks,
        mae_ticks=snapshot.mae_ticks,
        tick_value=INSTRUMENTS[root].tick_value,
        break_even_exit=snapshot.status is TradeStatus.BREAK_EVEN,
        strategy_id=trip.strategy_id,
        strategy_version=trip.strategy_version,
        tags=trip.journal.tags,
        setup=trip.journal.setup,
        rating=trip.journal.rating,
        notes=trip.journal.notes,
    )


def cme_booking(calendar: TradingCalendar) -> Callable[[int], date]:
    """Book on the CME trade date of the exit (weekends toward Monday, a holiday's trading toward the next trade
    date); outside the session table, the pure 17:00 CT rule."""

    def book(ts_ns: int) -> date:
        if calendar.covers(ts_ns):
            return calendar.trade_date_bounds(ts_ns)[0]
        return trading_day_of(ts_ns)

    return book
