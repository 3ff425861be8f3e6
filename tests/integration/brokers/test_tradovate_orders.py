"""Tradovate order routing against the fake: every order type and bracket round trip, rejects, lost acks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from core_server.brokers.model import BracketLeg, BrokerFill, BrokerOrderRequest, BrokerPosition
from core_server.brokers.tradovate import TradovateBroker
from core_server.feeds.fakes.tradovate_orders import DEFAULT_ACCOUNT, FakeTradovateBroker
from tests.kit.eventually import eventually

D = Decimal
ACCOUNT = DEFAULT_ACCOUNT


def request(cid: str, side: str = "Buy", qty: int = 1, kind: str = "Market", **prices: Any) -> BrokerOrderRequest:
    return BrokerOrderRequest(cid, "NQZ6", side, qty, kind, **prices)


async def test_market_order_fills_and_the_fill_arrives_once(
    fake_tradovate: FakeTradovateBroker, tradovate: tuple[TradovateBroker, list[BrokerFill]]
) -> None:
    broker, fills = tradovate
    fake_tradovate.duplicate_events(10)  # every event twice: still one fill
    placed = await broker.place(ACCOUNT, request("c-1"))
    assert placed.accepted and placed.order_id
    await eventually(lambda: len(fills) == 1)
    assert (fills[0].side, fills[0].quantity, fills[0].price, fills[0].symbol) == ("Buy", 1, D("25000.25"), "NQZ6")
    assert await broker.broker_positions(ACCOUNT) == (BrokerPosition("NQZ6", 1, D("25000.25")),)


async def test_resting_limit_fills_when_the_market_crosses_partially_then_fully(
    fake_tradovate: FakeTradovateBroker, tradovate: tuple[TradovateBroker, list[BrokerFill]]
) -> None:
    broker, fills = tradovate
    fake_tradovate.book.fill_size = 1
    placed = await broker.place(ACCOUNT, request("c-2", qty=2, kind="Limit", limit_price=D("24990.50")))
    assert placed.accepted
    (working,) = await broker.open_orders(ACCOUNT)
    assert (working.status, working.limit_price, working.quantity) == ("Working", D("24990.50"), 2)
    fake_tradovate.set_market("NQZ6", "24990.25", "24990.50")
    await eventually(lambda: len(fills) == 1)
    assert (await broker.open_orders(ACCOUNT))[0].filled_qty == 1
    fake_tradovate.set_market("NQZ6", "24990.00", "24990.25")
    await eventually(lambda: len(fills) == 2)
    assert [f.price for f in fills] == [D("24990.50"), D("24990.50")]
    assert await broker.open_orders(ACCOUNT) == ()


async def test_stop_and_stop_limit_trigger(
    fake_tradovate: FakeTradovateBroker, tradovate: tuple[TradovateBroker, list[BrokerFill]]
) -> None:
    broker, fills = tradovate
    assert (await broker.place(ACCOUNT, request("c-3", kind="Stop", stop_price=D("25010.00")))).accepted
    stop_limit = request("c-4", kind="StopLimit", stop_price=D("25010.00"), limit_price=D("25010.50"))
    assert (await broker.place(ACCOUNT, stop_limit)).accepted
    fake_tradovate.set_market("NQZ6", "25010.00", "25010.25")
    await eventually(lambda: len(fills) == 2)
    assert sorted(f.price for f in fills) == [D("25010.25"), D("25010.50")]


async def test_bracket_round_trip_take_profit_cancels_the_stop(
    fake_tradovate: FakeTradovateBroker, tradovate: tuple[TradovateBroker, list[BrokerFill]]
) -> None:
    broker, fills = tradovate
    bracket = request(
        "c-5", kind="Limit", limit_price=D("24995.00"), take_profit=D("25005.00"), stop_loss=D("24985.00")
    )
    placed = await broker.place(ACCOUNT, bracket)
    assert placed.accepted and len(placed.leg_ids) == 2
    statuses = {o.order_id: o.status for o in await broker.open_orders(ACCOUNT)}
    assert statuses == {placed.order_id: "Working", placed.leg_ids[0]: "Suspended", placed.leg_ids[1]: "Suspended"}
    fake_tradovate.set_market("NQZ6", "24994.75", "24995.00")  # entry fills; both legs work
    await eventually(lambda: len(fills) == 1)
    assert {o.status for o in await broker.open_orders(ACCOUNT)} == {"Working"}
    fake_tradovate.set_market("NQZ6", "25005.00", "25005.25")  # take profit fills, the stop is cancelled
    await eventually(lambda: len(fills) == 2)
    assert (fills[1].side, fills[1].price) == ("Sell", D("25005.00"))
    assert await broker.open_orders(ACCOUNT) == ()
    assert await broker.broker_positions(ACCOUNT) == ()
    assert fake_tradovate.book.accounts[25].cash.realized == D(10) * 20


async def test_oco_modify_and_cancel(
    fake_tradovate: FakeTradovateBroker, tradovate: tuple[TradovateBroker, list[BrokerFill]]
) -> None:
    broker, fills = tradovate
    oco = request("c-6", kind="Limit", limit_price=D("24980.00"), oco_with=BracketLeg("Stop", D("25020.00")))
    placed = await broker.place(ACCOUNT, oco)
    assert placed.accepted and len(placed.leg_ids) == 1
    moved = await broker.modify(ACCOUNT, placed.order_id, 1, D("24985.00"), None)
    assert moved.accepted
    by_id = {o.order_id: o for o in await broker.open_orders(ACCOUNT)}
    assert by_id[placed.order_id].limit_price == D("24985.00")
    assert (await broker.cancel(ACCOUNT, placed.leg_ids[0])).accepted
    assert [o.order_id for o in await broker.open_orders(ACCOUNT)] == [placed.order_id]
    refused = await broker.modify(ACCOUNT, placed.order_id, 1, D("24985.10"), None)
    assert not refused.accepted and "InvalidPrice" in refused.reason
    assert fills == []


async def test_rejections_margin_price_closed_and_scripted(
    fake_tradovate: FakeTradovateBroker, tradovate: tuple[TradovateBroker, list[BrokerFill]]
) -> None:
    broker, _ = tradovate
    margin = await broker.place(ACCOUNT, request("r-1", qty=3))  # 3 x 20,000 margin > 50,000 cash
    assert not margin.accepted and "Insufficient margin" in margin.reason
    price = await broker.place(ACCOUNT, request("r-2", kind="Limit", limit_price=D("24990.10")))
    assert not price.accepted and price.reason.startswith("InvalidPrice")
    fake_tradovate.reject_next("RiskCheckTimeout", "scripted")
    assert (await broker.place(ACCOUNT, request("r-3"))).reason == "RiskCheckTimeout: scripted"
    fake_tradovate.book.market_open = False
    assert (await broker.place(ACCOUNT, request("r-4"))).reason.startswith("SessionClosed")
    assert fake_tradovate.book.orders == {}


async def test_lost_ack_is_resolved_by_query_and_never_sent_twice(
    fake_tradovate: FakeTradovateBroker, tradovate: tuple[TradovateBroker, list[BrokerFill]]
) -> None:
    broker, _ = tradovate
    fake_tradovate.drop_after_send()
    first = await broker.place(ACCOUNT, request("lost-1", kind="Limit", limit_price=D("24900.00")))
    assert first.accepted and first.recovered
    again = await broker.place(ACCOUNT, request("lost-1", kind="Limit", limit_price=D("24900.00")))  # a retry
    assert again == first
    fake_tradovate.delay_ack(2.0)  # longer than the adapter's 0.5 s request timeout
    slow = await broker.place(ACCOUNT, request("lost-2", kind="Limit", limit_price=D("24900.00")))
    fake_tradovate.delay_ack(0)
    assert slow.accepted and slow.recovered
    assert fake_tradovate.book.placements == {"lost-1": 1, "lost-2": 1}
    assert len(await broker.open_orders(ACCOUNT)) == 2


async def test_flatten_cancels_and_liquidates_and_reports_what_the_broker_confirmed(
    fake_tradovate: FakeTradovateBroker, tradovate: tuple[TradovateBroker, list[BrokerFill]]
) -> None:
    broker, fills = tradovate
    await broker.place(ACCOUNT, request("f-1", qty=2, side="Sell"))
    await broker.place(ACCOUNT, request("f-2", kind="Limit", limit_price=D("24900.00")))
    await eventually(lambda: len(fills) == 1)
    report = await broker.flatten("A-1", ACCOUNT)
    assert len(report.cancelled) == 1 and report.closed == ("NQZ6",)
    assert report.remaining == () and report.errors == ()
    assert await broker.open_orders(ACCOUNT) == ()
