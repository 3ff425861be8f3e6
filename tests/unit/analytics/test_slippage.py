"""Slippage of a fill: (fill price - the order's reference price), signed against the trader, in ticks per contract
and in dollars (x the tick value x the fill's quantity), exact Decimal. Hand-computed on NQ: 0.25 a tick, $5 a tick
($20 a point)."""

from __future__ import annotations

from decimal import Decimal

from core_server.analytics.slippage import Slippage, fill_slippage
from core_server.execution.model import (
    AccountId,
    Fill,
    FillId,
    Liquidity,
    Order,
    OrderId,
    OrderRole,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from core_server.model.instruments import INSTRUMENTS

NQ = "NQZ2026"
SPEC = INSTRUMENTS["NQ"]


def px(text: str) -> int:
    return SPEC.ticks_from_price(Decimal(text))


def order(side: OrderSide, kind: OrderType, *, reference: str | None = None, stop: str | None = None,
          limit: str | None = None, qty: int = 1) -> Order:  # fmt: skip
    return Order(
        OrderId("O-1"), AccountId("paper"), NQ, side, kind, qty, TimeInForce.DAY, OrderStatus.FILLED,
        OrderRole.STANDALONE, 0, 0, 0, limit_price=px(limit) if limit else None, stop_price=px(stop) if stop else None,
        reference_price=px(reference) if reference else None,
    )  # fmt: skip


def fill(o: Order, price: str, qty: int) -> Fill:
    fee = Decimal("2.50")
    return Fill(FillId("F-1"), o.order_id, o.account_id, NQ, o.side, qty, px(price), fee, Liquidity.TAKER, 1)


def test_a_buy_market_at_an_ask_of_25000_filled_at_25000_50_paid_2_ticks_10_dollars_a_contract() -> None:
    buy = order(OrderSide.BUY, OrderType.MARKET, reference="25000.00", qty=3)
    assert fill_slippage(buy, fill(buy, "25000.50", 1)) == Slippage(2, Decimal("10.00"))
    assert fill_slippage(buy, fill(buy, "25000.50", 3)) == Slippage(2, Decimal("30.00"))


def test_a_sell_filled_better_than_its_reference_is_negative_slippage() -> None:
    sell = order(OrderSide.SELL, OrderType.MARKET, reference="25000.00", qty=2)
    assert fill_slippage(sell, fill(sell, "25000.25", 2)) == Slippage(-1, Decimal("-10.00"))  # price improvement
    assert fill_slippage(sell, fill(sell, "24999.50", 2)) == Slippage(2, Decimal("20.00"))  # sold 2 ticks lower


def test_a_stop_slips_from_its_stop_price() -> None:
    # A sell stop at 24975.00 gapped through to 24970.00: 5 points = 20 ticks, 2 contracts x $5 = $200.
    stop = order(OrderSide.SELL, OrderType.STOP, stop="24975.00", qty=2)
    assert fill_slippage(stop, fill(stop, "24970.00", 2)) == Slippage(20, Decimal("200.00"))
    stop_limit = order(OrderSide.BUY, OrderType.STOP_LIMIT, stop="25010.00", limit="25011.00")
    assert fill_slippage(stop_limit, fill(stop_limit, "25010.75", 1)) == Slippage(3, Decimal("15.00"))


def test_limits_and_market_orders_without_a_reference_have_no_slippage() -> None:
    limit = order(OrderSide.BUY, OrderType.LIMIT, limit="24990.00")
    assert fill_slippage(limit, fill(limit, "24989.00", 1)) is None
    blind = order(OrderSide.BUY, OrderType.MARKET)  # accepted before the contract had any market
    assert fill_slippage(blind, fill(blind, "25000.00", 1)) is None
