"""BacktestRecord: what a backtest keeps of the kernel's output: orders, fills, round trips, risk and strategy events.

The driver drains the kernel after every batch of ticks and every command; the recorder keeps the trading
records (in the order the kernel decided them) and drops the market data (ticks, candles) it does not report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from core_server.calendar.trading_day import trading_day_of
from core_server.execution.events import (
    OrderAccepted,
    OrderCancelled,
    OrderDenied,
    OrderExpired,
    OrderFilled,
    OrderRejected,
)
from core_server.execution.model import Fill, Order
from core_server.kernel.output import KernelOutput, StageFailure
from core_server.risk.events import RiskEvent, RiskEventKind
from core_server.trades.model import RoundTrip, TradeChange


@dataclass(slots=True)
class DayCounts:
    placed: int = 0
    filled: int = 0  # orders completely filled
    cancelled: int = 0  # cancelled or expired
    denied: int = 0  # refused by risk or the simulated exchange


@dataclass(slots=True)
class BacktestRecord:
    orders: list[Order] = field(default_factory=list)  # in acceptance order; as they finally stood once run
    _order_index: dict[str, int] = field(default_factory=dict, repr=False)

    def final_orders(self, current: Callable[[str], Order | None]) -> None:
        """Replace each order by its final state (status, prices set on activation, fills), where known."""
        self.orders = [current(o.order_id) or o for o in self.orders]

    fills: list[Fill] = field(default_factory=list)
    trips: dict[str, RoundTrip] = field(default_factory=dict)  # latest state, by trade id, in opening order
    risk: list[RiskEvent] = field(default_factory=list)  # breaches, failures, locks (not per-order approvals)
    strategy_events: list[object] = field(default_factory=list)
    failures: list[StageFailure] = field(default_factory=list)
    days: dict[date, DayCounts] = field(default_factory=dict)
    order_outcomes: Counter[str] = field(default_factory=Counter)
    ticks: int = 0  # ticks the kernel ran (after the anomaly filter)
    anomalies: int = 0
    candles: int = 0
    first_ns: int = 0
    last_ns: int = 0
    failed_day: date | None = None  # the trading day the risk preset's evaluation failed, if it did
    failed_reason: str = ""

    def day(self, ts_ns: int) -> DayCounts:
        key = trading_day_of(ts_ns)
        counts = self.days.get(key)
        if counts is None:
            counts = self.days[key] = DayCounts()
        return counts

    def add(self, out: KernelOutput) -> None:
        count = out.tick_count()
        if count:
            self.ticks += count
            if not self.first_ns:
                self.first_ns = out.first_tick_ns() or 0
            self.last_ns = out.last_tick_ns() or 0
        self.anomalies += len(out.anomalies)
        self.candles += len(out.candles)
        for step in out.execution:
            for step_event in step.events:
                self._execution(step_event)
        for change in out.trades:
            if isinstance(change, TradeChange):
                self.trips[change.trip.trade_id] = change.trip
        for event in out.risk:
            if event.kind in (RiskEventKind.ORDER_ALLOWED, RiskEventKind.ORDER_DENIED):
                continue
            self.risk.append(event)
            if event.kind is RiskEventKind.FAILED and self.failed_day is None:
                self.failed_day = trading_day_of(event.ts_event)
                self.failed_reason = event.reason
        self.strategy_events.extend(out.strategies)
        self.failures.extend(out.failures)

    def _execution(self, event: object) -> None:
        kind = type(event)
        if kind is OrderFilled:
            filled: OrderFilled = event  # type: ignore[assignment]
            self.fills.append(filled.fill)
            if not filled.leaves_qty:
                self.day(filled.fill.ts_event).filled += 1
                self.order_outcomes["filled"] += 1
        elif kind is OrderAccepted:
            accepted: OrderAccepted = event  # type: ignore[assignment]
            self._order_index[accepted.order.order_id] = len(self.orders)
            self.orders.append(accepted.order)
            self.day(accepted.ts_event).placed += 1
        elif kind is OrderCancelled or kind is OrderExpired:
            self.day(event.ts_event).cancelled += 1  # type: ignore[attr-defined]
            self.order_outcomes["cancelled" if kind is OrderCancelled else "expired"] += 1
        elif kind is OrderDenied or kind is OrderRejected:
            self.day(event.ts_event).denied += 1  # type: ignore[attr-defined]
            self.order_outcomes["denied" if kind is OrderDenied else "rejected"] += 1

    def closed_trips(self) -> list[RoundTrip]:
        """Closed round trips in the order they closed (ties: the order they opened)."""
        closed = [t for t in self.trips.values() if t.closed_ns is not None]
        return sorted(closed, key=lambda t: t.closed_ns or 0)
