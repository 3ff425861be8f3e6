"""FakeVigilClient: the SDK client the TUI uses, answering from fixed values with no server (for layout tests).

A hand-written fake, not a mock: each call answers as the server would for the values in fake_data, streams send
their snapshot and then stay open, and commands are recorded in `calls` for the test to read.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable
from dataclasses import replace
from datetime import date
from decimal import Decimal

from clients.sdk import (
    Account,
    BracketResult,
    BracketSpec,
    Candle,
    CommissionRate,
    ConnectionState,
    CopyGroup,
    CopyOutcome,
    EmergencyStopResult,
    FeedStatusReport,
    Fill,
    Instrument,
    NotFoundError,
    Order,
    OrderEvent,
    OrderResult,
    OrderSpec,
    OrderStatus,
    QuoteBatch,
    QuoteSnapshot,
    RiskEventUpdate,
    RiskRules,
    RiskStatus,
    Signal,
    SignalStatus,
    SignalUpdate,
    Timeframe,
    TrackedTrade,
    TradeUpdate,
    VigilClient,
)
from clients.sdk.analytics import (
    AnalyticsFilter,
    EquityCurve,
    ExcursionReport,
    GroupBy,
    PnlCalendar,
    StatisticsReport,
)
from clients.sdk.brokers import AccountBinding
from tests.tui import fake_analytics, fake_copying
from tests.tui import fake_data as data


async def _stay_open() -> None:
    """A stream that has sent everything it has: it waits, as a live stream would, until cancelled."""
    await asyncio.Event().wait()


class FakeVigilClient(VigilClient):
    """Answers from fake_data; `calls` records every command as (method, args)."""

    def __init__(self, target: str = "fake:50051", *, api_key: str | None = None) -> None:
        super().__init__(target, api_key=api_key)
        self.calls: list[tuple[str, tuple[object, ...]]] = []
        self.orders: dict[str, Order] = {o.order_id: o for o in data.ORDERS}
        self.copy_groups: dict[str, CopyGroup] = {g.group_id: g for g in fake_copying.GROUPS}
        self.account_modes: list[AccountBinding] = []

    # -- connection -----------------------------------------------------------------------------------

    @property
    def connection_state(self) -> ConnectionState:
        return ConnectionState.CONNECTED

    async def _connected(self) -> AsyncIterator[ConnectionState]:
        yield ConnectionState.CONNECTED
        await _stay_open()

    def watch_connection(self) -> AsyncIterator[ConnectionState]:
        return self._connected()

    def add_state_listener(self, callback: Callable[[ConnectionState], None]) -> Callable[[], None]:
        return lambda: None

    async def reconnect(self) -> None:
        self.calls.append(("reconnect", ()))

    async def close(self) -> None:
        pass

    # -- market data ----------------------------------------------------------------------------------

    async def list_instruments(self) -> list[Instrument]:
        return list(data.INSTRUMENTS)

    async def list_candles(
        self,
        symbol: str,
        timeframe: Timeframe | str,
        start_ns: int = 0,
        end_ns: int = 0,
        limit: int = 500,
        include_forming: bool = False,
    ) -> list[Candle]:
        if symbol not in data.LAST:
            return []
        history = data.candles(symbol, Timeframe.parse(timeframe))
        return [c for c in history if include_forming or c.closed][-limit:]

    async def stream_feed_status(self, interval_ms: int = 1000) -> AsyncGenerator[FeedStatusReport, None]:
        yield data.FEED_REPORT
        await _stay_open()

    async def get_quote(self, symbol: str) -> QuoteSnapshot:
        if symbol not in data.LAST:
            raise NotFoundError(f"no quote for {symbol}")
        return QuoteSnapshot(data.quote(symbol), None, 0)

    async def stream_quotes(
        self, symbols: Iterable[str] = (), include_trades: bool = False, max_batch: int = 500
    ) -> AsyncGenerator[QuoteBatch, None]:
        wanted = [s for s in symbols if s in data.LAST] or list(data.LAST)
        yield QuoteBatch(tuple(data.quote(s) for s in wanted), (), 0)
        await _stay_open()

    async def stream_candles(
        self,
        symbol: str,
        timeframes: Iterable[Timeframe | str] = (),
        closed_only: bool = False,
        send_snapshot: bool = True,
    ) -> AsyncGenerator[list[Candle], None]:
        if symbol in data.LAST:
            yield [data.candles(symbol, Timeframe.parse(tf))[-1] for tf in timeframes or list(Timeframe)]
        await _stay_open()

    # -- execution ------------------------------------------------------------------------------------

    async def list_accounts(self) -> list[Account]:
        return list(data.ACCOUNTS)

    async def list_account_modes(self) -> list[AccountBinding]:
        return list(self.account_modes)  # none by default: the account bar shows no mode

    async def get_account(self, account_id: str) -> Account:
        return self._account(account_id)

    async def get_commission_rates(self, account_id: str) -> list[CommissionRate]:
        self._account(account_id)
        rates = {"ES": "2.88", "NQ": "2.88", "YM": "2.88", "RTY": "2.88", "MES": "0.72", "MNQ": "0.72"}
        rates |= {"MYM": "0.72", "M2K": "0.72"}
        return [CommissionRate(root, Decimal(rate), Decimal(rate), False) for root, rate in rates.items()]

    def _account(self, account_id: str) -> Account:
        found = next((a for a in data.ACCOUNTS if account_id in (a.account_id, a.name)), None)
        if found is None:
            raise NotFoundError(f"account {account_id!r} not found")
        return found

    async def stream_account(self, account_id: str, max_rate: int = 4) -> AsyncGenerator[Account, None]:
        yield self._account(account_id)
        await _stay_open()

    async def stream_order_events(self, account_id: str = "") -> AsyncGenerator[OrderEvent, None]:
        await _stay_open()
        yield  # pragma: no cover  (never reached: makes this an async generator)

    async def list_orders(
        self, account_id: str, open_only: bool = False, symbol: str = "", limit: int = 200
    ) -> list[Order]:
        return [o for o in self.orders.values() if o.account_id == account_id and (o.is_open or not open_only)]

    async def list_fills(self, account_id: str, from_ns: int = 0, to_ns: int = 0, limit: int = 200) -> list[Fill]:
        return [f for f in data.FILLS if f.account_id == account_id]

    async def submit_order(self, account_id: str, spec: OrderSpec) -> OrderResult:
        self.calls.append(("submit_order", (account_id, spec)))
        raise NotFoundError("the fake client takes no new orders")

    async def submit_bracket(self, account_id: str, bracket: BracketSpec) -> BracketResult:
        self.calls.append(("submit_bracket", (account_id, bracket)))
        raise NotFoundError("the fake client takes no new orders")

    async def modify_order(
        self,
        order_id: str,
        quantity: int = 0,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
    ) -> OrderResult:
        self.calls.append(("modify_order", (order_id, quantity, limit_price, stop_price)))
        order = self.orders[order_id]
        changed = replace(
            order,
            quantity=quantity or order.quantity,
            limit_price=limit_price if limit_price is not None else order.limit_price,
            stop_price=stop_price if stop_price is not None else order.stop_price,
            updated_ns=order.updated_ns + 1,
        )
        self.orders[order_id] = changed
        return OrderResult(changed, (OrderEvent("modified", changed, None, "", changed.updated_ns),))

    async def cancel_order(self, order_id: str) -> OrderResult:
        self.calls.append(("cancel_order", (order_id,)))
        cancelled = replace(self.orders[order_id], status=OrderStatus.CANCELLED, updated_ns=data.NOW_NS + 1)
        self.orders[order_id] = cancelled
        return OrderResult(cancelled, ())

    async def close_position(self, account_id: str, symbol: str) -> tuple[OrderEvent, ...]:
        self.calls.append(("close_position", (account_id, symbol)))
        return ()

    async def reverse_position(self, account_id: str, symbol: str) -> tuple[OrderEvent, ...]:
        self.calls.append(("reverse_position", (account_id, symbol)))
        return ()

    async def flatten_account(self, account_id: str) -> tuple[OrderEvent, ...]:
        self.calls.append(("flatten_account", (account_id,)))
        return ()

    # -- trades ---------------------------------------------------------------------------------------

    async def list_trades(
        self,
        open_only: bool = False,
        closed_only: bool = False,
        symbol: str = "",
        from_ns: int = 0,
        to_ns: int = 0,
        limit: int = 100,
    ) -> list[TrackedTrade]:
        trades = [data.OPEN_TRADE, *data.CLOSED_TRADES]
        chosen = [
            t
            for t in trades
            if (not open_only or t.is_open)
            and (not closed_only or not t.is_open)
            and t.opened_ns >= from_ns
            and (not to_ns or t.opened_ns < to_ns)
        ]
        return sorted(chosen, key=lambda t: t.opened_ns, reverse=True)[:limit]

    async def stream_trade_updates(self, send_open: bool = True) -> AsyncGenerator[TradeUpdate, None]:
        if send_open:
            yield TradeUpdate(data.OPEN_TRADE, None)
        await _stay_open()

    # -- signals --------------------------------------------------------------------------------------

    async def stream_signal_events(self, send_pending: bool = True) -> AsyncGenerator[SignalUpdate, None]:
        for signal in data.SIGNALS if send_pending else ():
            yield SignalUpdate(signal.events[-1], signal)
        await _stay_open()

    async def list_signals(
        self,
        statuses: Iterable[SignalStatus | str] = (),
        symbol: str = "",
        strategy: str = "",
        from_ns: int = 0,
        to_ns: int = 0,
        limit: int = 100,
    ) -> list[Signal]:
        return list(data.SIGNALS)

    # -- risk -----------------------------------------------------------------------------------------

    async def get_risk_status(self, account_id: str = "") -> list[RiskStatus]:
        return [data.risk_status(account_id or "paper")]

    async def get_rules(self, account_id: str) -> RiskRules:
        return data.RULES

    async def list_presets(self) -> list[RiskRules]:
        return [data.RULES]

    async def stream_risk_events(self, account_id: str = "", replay: int = 0) -> AsyncGenerator[RiskEventUpdate, None]:
        for event in data.RISK_EVENTS[-replay:] if replay else ():
            if account_id in ("", event.account_id):
                yield RiskEventUpdate(event, None)
        await _stay_open()

    # -- analytics ------------------------------------------------------------------------------------

    async def get_statistics(
        self, filter: AnalyticsFilter | None = None, group_by: GroupBy = GroupBy.NONE
    ) -> StatisticsReport:
        return fake_analytics.statistics(filter, group_by)

    async def get_calendar(
        self, from_month: date | str, to_month: date | str | None = None, filter: AnalyticsFilter | None = None
    ) -> PnlCalendar:
        month = from_month if isinstance(from_month, date) else date.fromisoformat(f"{from_month}-01")
        return fake_analytics.calendar(month)

    async def get_equity_curve(
        self, account_id: str, from_date: date | str | None = None, to_date: date | str | None = None
    ) -> EquityCurve:
        first = from_date if isinstance(from_date, date) else fake_analytics.DAYS[0]
        last = to_date if isinstance(to_date, date) else fake_analytics.LAST_DAY
        return fake_analytics.equity(first, last)

    async def get_excursions(self, filter: AnalyticsFilter | None = None, limit: int = 1000) -> ExcursionReport:
        return fake_analytics.excursions(filter, limit)

    async def list_copy_groups(self) -> list[CopyGroup]:
        return list(self.copy_groups.values())

    async def list_copy_outcomes(
        self, *, group: str = "", account_id: str = "", source_ref: str = "", limit: int = 100
    ) -> list[CopyOutcome]:
        return list(fake_copying.OUTCOMES)[:limit]

    async def stream_copy_outcomes(self, group: str = "") -> AsyncGenerator[CopyOutcome, None]:
        await _stay_open()
        yield fake_copying.OUTCOMES[0]

    async def pause_copy_group(self, group: str) -> CopyGroup:
        self.calls.append(("pause_copy_group", (group,)))
        self.copy_groups[group] = replace(self.copy_groups[group], paused=True)
        return self.copy_groups[group]

    async def resume_copy_group(self, group: str) -> CopyGroup:
        self.calls.append(("resume_copy_group", (group,)))
        self.copy_groups[group] = replace(self.copy_groups[group], paused=False)
        return self.copy_groups[group]

    async def emergency_stop(self, reason: str = "") -> EmergencyStopResult:
        self.calls.append(("emergency_stop", (reason,)))
        return EmergencyStopResult(0, 0, data.NOW_NS)
