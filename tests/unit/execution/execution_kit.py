"""Test kit for the paper engine: a rig with readable prices, fixed latency and no slippage unless asked."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from core_server.execution.commands import ExitLevel, ExitOffset, OffsetUnit, OpenAccount, SubmitBracket, SubmitOrder
from core_server.execution.engine import PaperExecutionEngine
from core_server.execution.events import ExecutionEvent, OrderFilled
from core_server.execution.fill_model import FillSettings
from core_server.execution.model import AccountId, OrderId, OrderSide, OrderType, TimeInForce
from core_server.model.clock import NS_PER_MS
from core_server.model.instruments import INSTRUMENTS
from core_server.model.market_data import Aggressor, Quote, Trade
from tests.kit.time import ct

ES, NQ, MES = "ESM2026", "NQM2026", "MESM2026"
ACC = AccountId("acc-1")
T0 = ct(2026, 3, 10, 9, 0)  # Tuesday 09:00 CT
MS = NS_PER_MS
LATENCY = 100 * MS
BUY, SELL = OrderSide.BUY, OrderSide.SELL
MKT, LMT, STP, STL = OrderType.MARKET, OrderType.LIMIT, OrderType.STOP, OrderType.STOP_LIMIT


def ticks(contract_id: str, price: str) -> int:
    return INSTRUMENTS[contract_id[:-5]].ticks_from_price(Decimal(price))


def D(text: str) -> Decimal:
    return Decimal(text)


def TICKS(n: int | str) -> ExitOffset:
    """A bracket exit `n` ticks from the entry's average fill."""
    return ExitOffset(Decimal(n), OffsetUnit.TICKS)


def POINTS(text: str) -> ExitOffset:
    return ExitOffset(Decimal(text), OffsetUnit.POINTS)


def R(text: str) -> ExitOffset:
    return ExitOffset(Decimal(text), OffsetUnit.R)


def level(value: str | ExitOffset) -> ExitLevel:
    return D(value) if isinstance(value, str) else value


class Rig:
    """An engine with one $50,000 account; `at` is milliseconds after T0."""

    def __init__(self, **settings: Any) -> None:
        defaults: dict[str, Any] = {"latency_min_ns": LATENCY, "latency_max_ns": LATENCY, "max_slippage_ticks": 0}
        defaults.update(settings.pop("fill", {}))
        self.engine = PaperExecutionEngine(fill_settings=FillSettings(**defaults), **settings)
        self.engine.execute(OpenAccount(ACC, D("50000")), T0)

    def quote(
        self, contract: str, bid: str, ask: str, at: int, bid_size: int = 10, ask_size: int = 10
    ) -> tuple[ExecutionEvent, ...]:
        ts = T0 + at * MS
        return self.engine.on_quote(
            Quote(contract, ts, ts, ticks(contract, bid), ticks(contract, ask), bid_size, ask_size)
        )

    def trade(self, contract: str, price: str, at: int, size: int = 1) -> tuple[ExecutionEvent, ...]:
        ts = T0 + at * MS
        return self.engine.on_trade(Trade(contract, ts, ts, ticks(contract, price), size, Aggressor.NONE))

    def submit(
        self,
        contract: str,
        side: OrderSide,
        qty: int | Decimal,
        order_type: OrderType = MKT,
        *,
        at: int = 0,
        limit: str | None = None,
        stop: str | None = None,
        tif: TimeInForce = TimeInForce.DAY,
        account: AccountId = ACC,
        reduce_only: bool = False,
    ) -> OrderId:
        cmd = SubmitOrder(
            account, contract, side, qty, order_type, tif, D(limit) if limit else None, D(stop) if stop else None,
            reduce_only=reduce_only,
        )  # fmt: skip
        events = self.engine.execute(cmd, T0 + at * MS)
        return events[0].order.order_id  # type: ignore[union-attr]

    def bracket(
        self, contract: str, side: OrderSide, qty: int, entry_type: OrderType, entry: str | None,
        sl: str | ExitOffset, tp: str | ExitOffset, at: int = 0,
    ) -> tuple[OrderId, OrderId, OrderId]:  # fmt: skip
        cmd = SubmitBracket(ACC, contract, side, qty, entry_type, level(sl), level(tp), D(entry) if entry else None)
        events = self.engine.execute(cmd, T0 + at * MS)
        return tuple(e.order.order_id for e in events)  # type: ignore[return-value,union-attr]

    def balance(self) -> Decimal:
        return self.engine.account(ACC).balance


def fills(events: tuple[ExecutionEvent, ...]) -> list[tuple[str, int, int]]:
    """(order id, quantity, price ticks) of each fill."""
    return [(e.fill.order_id, e.fill.quantity, e.fill.price) for e in events if isinstance(e, OrderFilled)]


def kinds(events: tuple[ExecutionEvent, ...]) -> list[str]:
    return [type(e).__name__ for e in events]
