"""Fill rules: market at ask/bid plus seeded slippage, latency, limits through vs touch, stops, partials, expiry."""

from __future__ import annotations

from core_server.execution.events import OrderExpired, OrderFilled, OrderRejected, OrderTriggered, OrderWorking
from core_server.execution.exchange import NO_EVENTS
from core_server.execution.model import Liquidity, OrderStatus, TimeInForce
from tests.kit.time import ct
from tests.unit.execution.execution_kit import (
    BUY,
    ES,
    LMT,
    MES,
    MS,
    NQ,
    SELL,
    STL,
    STP,
    T0,
    Rig,
    fills,
    kinds,
    ticks,
)


def es(price: str) -> int:
    return ticks(ES, price)


def test_market_buy_fills_at_the_ask_and_market_sell_at_the_bid() -> None:
    rig = Rig()
    rig.quote(ES, "6000.00", "6000.25", at=0)
    buy = rig.submit(ES, BUY, 1, at=0)
    events = rig.quote(ES, "6000.00", "6000.25", at=100)
    assert kinds(events) == ["OrderWorking", "OrderFilled", "PositionChanged", "AccountBalanceChanged"]
    assert fills(events) == [(buy, 1, es("6000.25"))]
    filled = events[1]
    assert isinstance(filled, OrderFilled) and filled.fill.liquidity is Liquidity.TAKER
    sell = rig.submit(NQ, SELL, 2, at=200)
    rig.quote(NQ, "21000.00", "21000.25", at=250)
    assert fills(rig.quote(NQ, "21000.50", "21000.75", at=300)) == [(sell, 2, ticks(NQ, "21000.50"))]


def test_market_fills_slip_adversely_by_the_seeded_ticks() -> None:
    # seed 1 draws 2, 1, 2 for the first fills of O-1, O-2, O-3 (BLAKE2b keyed "slippage:1" of "O-n:0", mod 3)
    rig = Rig(fill={"seed": 1, "max_slippage_ticks": 2})
    rig.quote(ES, "6000.00", "6000.25", at=0)
    first = rig.submit(ES, BUY, 1, at=0)
    second = rig.submit(ES, SELL, 1, at=0)
    third = rig.submit(ES, BUY, 1, at=1)
    events = rig.quote(ES, "6000.00", "6000.25", at=101)
    assert fills(events) == [(first, 1, es("6000.75")), (second, 1, es("5999.75")), (third, 1, es("6000.75"))]


def test_an_order_is_not_filled_before_its_seeded_arrival_but_is_by_the_next_tick_after_it() -> None:
    # Random("latency:1").randint(50 ms, 200 ms) draws 87_716_323 ns first.
    rig = Rig(fill={"seed": 1, "latency_min_ns": 50 * MS, "latency_max_ns": 200 * MS})
    rig.quote(NQ, "21000.00", "21000.25", at=0)
    order = rig.submit(NQ, BUY, 1, at=0)
    assert rig.engine.order(order).arrival_ns == T0 + 87_716_323
    assert rig.quote(NQ, "21000.00", "21000.25", at=10) is NO_EVENTS
    assert rig.quote(NQ, "21000.00", "21000.25", at=87) is NO_EVENTS
    events = rig.quote(NQ, "21001.00", "21001.25", at=88)
    assert isinstance(events[0], OrderWorking) and events[0].ts_event == T0 + 87_716_323
    assert fills(events) == [(order, 1, ticks(NQ, "21001.25"))]


def test_default_latency_is_between_50_and_200_ms_for_every_seed() -> None:
    for seed in range(40):
        rig = Rig(fill={"seed": seed, "latency_min_ns": 50 * MS, "latency_max_ns": 200 * MS})
        order = rig.engine.order(rig.submit(ES, BUY, 1, at=0))
        assert 50 * MS <= order.arrival_ns - order.submitted_ns <= 200 * MS


def test_market_order_arriving_without_any_market_is_rejected() -> None:
    rig = Rig()
    order = rig.submit(ES, BUY, 1, at=0)
    events = rig.engine.advance_to(T0 + 100 * MS)
    assert kinds(events) == ["OrderWorking", "OrderRejected"]
    assert isinstance(events[1], OrderRejected) and "no market" in events[1].reason
    assert rig.engine.order(order).status is OrderStatus.REJECTED


def test_on_trade_only_data_a_market_order_fills_at_the_last_trade_plus_slippage() -> None:
    rig = Rig(fill={"max_slippage_ticks": 0})
    order = rig.submit(ES, BUY, 1, at=0)
    events = rig.trade(ES, "6000.00", at=100)  # no quote was ever seen: the trade is the market
    assert kinds(events)[:2] == ["OrderWorking", "OrderFilled"]
    fill = next(e for e in events if isinstance(e, OrderFilled)).fill
    assert fill.price == ticks(ES, "6000.00")
    assert rig.engine.order(order).status is OrderStatus.FILLED


def test_resting_buy_limit_fills_only_when_the_market_trades_through_it() -> None:
    rig = Rig()
    rig.quote(ES, "6000.00", "6000.25", at=0)
    order = rig.submit(ES, BUY, 1, LMT, limit="5990.00", at=0)
    assert kinds(rig.quote(ES, "6000.00", "6000.25", at=100)) == ["OrderWorking"]
    assert rig.trade(ES, "5990.00", at=200) is NO_EVENTS
    assert rig.quote(ES, "5989.75", "5990.00", at=300) is NO_EVENTS
    events = rig.trade(ES, "5989.75", at=400)
    assert fills(events) == [(order, 1, es("5990.00"))]
    assert isinstance(events[0], OrderFilled) and events[0].fill.liquidity is Liquidity.MAKER


def test_resting_buy_limit_fills_at_its_limit_when_the_ask_drops_below_it() -> None:
    rig = Rig()
    rig.quote(ES, "6000.00", "6000.25", at=0)
    order = rig.submit(ES, BUY, 1, LMT, limit="5990.00", at=0)
    rig.quote(ES, "6000.00", "6000.25", at=100)
    assert fills(rig.quote(ES, "5989.25", "5989.50", at=200)) == [(order, 1, es("5990.00"))]


def test_resting_sell_limit_fills_on_a_bid_above_it_or_a_trade_above_it_not_at_it() -> None:
    rig = Rig()
    rig.quote(MES, "6000.00", "6000.25", at=0)
    first = rig.submit(MES, SELL, 1, LMT, limit="6010.00", at=0)
    second = rig.submit(MES, SELL, 1, LMT, limit="6012.00", at=0)
    rig.quote(MES, "6000.00", "6000.25", at=100)
    assert rig.trade(MES, "6010.00", at=200) is NO_EVENTS
    assert fills(rig.quote(MES, "6010.25", "6010.50", at=300)) == [(first, 1, ticks(MES, "6010.00"))]
    assert fills(rig.trade(MES, "6012.25", at=400)) == [(second, 1, ticks(MES, "6012.00"))]


def test_limits_fill_on_touch_when_configured() -> None:
    rig = Rig(fill={"fill_limits_on_touch": True})
    rig.quote(ES, "6000.00", "6000.25", at=0)
    buy = rig.submit(ES, BUY, 1, LMT, limit="5990.00", at=0)
    sell = rig.submit(ES, SELL, 1, LMT, limit="6010.00", at=0)
    rig.quote(ES, "6000.00", "6000.25", at=100)
    assert fills(rig.trade(ES, "5990.00", at=200)) == [(buy, 1, es("5990.00"))]
    assert fills(rig.quote(ES, "6010.00", "6010.25", at=300)) == [(sell, 1, es("6010.00"))]


def test_marketable_limit_fills_on_arrival_at_the_better_of_quote_and_limit_as_taker() -> None:
    rig = Rig(fill={"seed": 7, "max_slippage_ticks": 2})  # limits never slip
    rig.quote(ES, "6000.00", "6000.25", at=0)
    buy = rig.submit(ES, BUY, 1, LMT, limit="6001.00", at=0)
    sell = rig.submit(ES, SELL, 1, LMT, limit="5999.00", at=0)
    events = rig.quote(ES, "6000.00", "6000.25", at=100)
    assert fills(events) == [(buy, 1, es("6000.25")), (sell, 1, es("6000.00"))]
    assert all(e.fill.liquidity is Liquidity.TAKER for e in events if isinstance(e, OrderFilled))


def test_buy_stop_triggers_when_the_ask_reaches_it_and_fills_at_the_ask_plus_slippage() -> None:
    rig = Rig(fill={"seed": 0, "max_slippage_ticks": 2})  # O-1's first fill slips 0 ticks
    rig.quote(ES, "6000.00", "6000.25", at=0)
    stop = rig.submit(ES, BUY, 1, STP, stop="6005.00", at=0)
    rig.quote(ES, "6000.00", "6000.25", at=100)
    assert rig.quote(ES, "6004.50", "6004.75", at=200) is NO_EVENTS
    events = rig.quote(ES, "6005.25", "6005.50", at=300)
    assert kinds(events)[:2] == ["OrderTriggered", "OrderFilled"]
    assert isinstance(events[0], OrderTriggered) and events[0].trigger_price == es("6005.50")
    assert fills(events) == [(stop, 1, es("6005.50"))]  # slippage 0
    assert rig.engine.order(stop).status is OrderStatus.FILLED and rig.engine.order(stop).triggered


def test_sell_stop_triggered_by_a_trade_never_fills_better_than_its_stop() -> None:
    rig = Rig(fill={"seed": 27, "max_slippage_ticks": 2})  # O-1's first fill slips 0 ticks, O-2's 2
    rig.quote(NQ, "21000.00", "21000.25", at=0)
    stop = rig.submit(NQ, SELL, 2, STP, stop="20990.00", at=0)
    rig.quote(NQ, "21000.00", "21000.25", at=100)
    events = rig.trade(NQ, "20990.00", at=200)  # printed below the bid: that quote is stale
    assert kinds(events) == ["OrderTriggered"]
    events = rig.quote(NQ, "20990.25", "20990.50", at=250)  # bounced above the stop
    assert fills(events) == [(stop, 2, ticks(NQ, "20990.00"))]  # min(bid, stop) - 0
    rig.quote(NQ, "20989.00", "20989.25", at=300)
    again = rig.submit(NQ, SELL, 1, STP, stop="20980.00", at=300)
    rig.quote(NQ, "20989.00", "20989.25", at=400)
    assert fills(rig.quote(NQ, "20979.50", "20979.75", at=500)) == [(again, 1, ticks(NQ, "20979.00"))]  # 2 ticks


def test_stop_limit_becomes_a_limit_at_trigger_and_fills_at_once_when_marketable() -> None:
    rig = Rig()
    rig.quote(ES, "6000.00", "6000.25", at=0)
    order = rig.submit(ES, BUY, 1, STL, stop="6005.00", limit="6005.50", at=0)
    rig.quote(ES, "6000.00", "6000.25", at=100)
    events = rig.quote(ES, "6005.00", "6005.25", at=200)
    assert kinds(events)[:2] == ["OrderTriggered", "OrderFilled"]
    assert fills(events) == [(order, 1, es("6005.25"))]


def test_stop_limit_rests_as_a_limit_when_the_market_gaps_past_it() -> None:
    rig = Rig()
    rig.quote(ES, "6000.00", "6000.25", at=0)
    order = rig.submit(ES, SELL, 1, STL, stop="5995.00", limit="5994.75", at=0)
    rig.quote(ES, "6000.00", "6000.25", at=100)
    events = rig.quote(ES, "5994.00", "5994.25", at=200)
    assert kinds(events) == ["OrderTriggered"]
    assert rig.engine.order(order).status is OrderStatus.TRIGGERED
    assert rig.trade(ES, "5994.75", at=300) is NO_EVENTS
    events = rig.trade(ES, "5995.00", at=400)
    assert fills(events) == [(order, 1, es("5994.75"))]
    assert isinstance(events[0], OrderFilled) and events[0].fill.liquidity is Liquidity.MAKER


def test_partial_fills_take_at_most_the_displayed_size_and_the_rest_waits() -> None:
    rig = Rig(fill={"partial_fills": True})
    rig.quote(ES, "6000.00", "6000.25", at=0, ask_size=2)
    order = rig.submit(ES, BUY, 5, at=0)
    events = rig.quote(ES, "6000.00", "6000.25", at=100, ask_size=2)
    assert fills(events) == [(order, 2, es("6000.25"))]
    assert isinstance(events[1], OrderFilled) and events[1].leaves_qty == 3 and events[1].is_partial
    assert rig.engine.order(order).status is OrderStatus.PARTIALLY_FILLED
    assert fills(rig.trade(ES, "6000.25", at=150, size=50)) == []  # market orders wait for quotes
    assert fills(rig.quote(ES, "6000.25", "6000.50", at=200, ask_size=1)) == [(order, 1, es("6000.50"))]
    assert fills(rig.quote(ES, "6000.25", "6000.50", at=300, ask_size=9)) == [(order, 2, es("6000.50"))]
    assert rig.engine.position("acc-1", ES).net_qty == 5  # type: ignore[arg-type]
    assert rig.engine.order(order).filled_cost == 2 * es("6000.25") + 3 * es("6000.50")


def test_partial_fills_share_one_ticks_size_between_resting_limits_in_priority_order() -> None:
    rig = Rig(fill={"partial_fills": True})
    rig.quote(ES, "6000.00", "6000.25", at=0)
    first = rig.submit(ES, BUY, 2, LMT, limit="5990.00", at=0)
    second = rig.submit(ES, BUY, 2, LMT, limit="5990.00", at=1)
    third = rig.submit(ES, BUY, 2, LMT, limit="5989.50", at=2)
    rig.quote(ES, "6000.00", "6000.25", at=200)
    assert fills(rig.quote(ES, "5989.00", "5989.25", at=300, ask_size=3)) == [
        (first, 2, es("5990.00")),
        (second, 1, es("5990.00")),
    ]
    assert fills(rig.trade(ES, "5989.25", at=400, size=2)) == [(second, 1, es("5990.00")), (third, 1, es("5989.50"))]
    assert rig.engine.order(third).leaves_qty == 1


def test_day_orders_expire_at_17_00_chicago_and_gtc_orders_do_not() -> None:
    rig = Rig()
    rig.quote(ES, "6000.00", "6000.25", at=0)
    day = rig.submit(ES, BUY, 1, LMT, limit="5990.00", at=0)
    gtc = rig.submit(ES, BUY, 1, LMT, limit="5980.00", at=0, tif=TimeInForce.GTC)
    rig.quote(ES, "6000.00", "6000.25", at=100)
    close = ct(2026, 3, 10, 17, 0)
    assert rig.engine.order(day).expire_ns == close and rig.engine.order(gtc).expire_ns == 0
    assert rig.engine.advance_to(close - 1) is NO_EVENTS
    events = rig.trade(ES, "5979.75", at=(close - T0) // MS)  # through both limits, at the close
    assert isinstance(events[0], OrderExpired) and events[0].order_id == day and events[0].ts_event == close
    assert fills(events) == [(gtc, 1, es("5980.00"))]
    assert rig.engine.order(day).status is OrderStatus.EXPIRED


def test_advance_to_expires_day_orders_without_a_tick() -> None:
    rig = Rig()
    day = rig.submit(ES, SELL, 1, LMT, limit="6100.00", at=0)
    events = rig.engine.advance_to(ct(2026, 3, 10, 17, 0, 1))
    assert [type(e) for e in events] == [OrderExpired] and events[0].order_id == day  # type: ignore[union-attr]


def test_a_market_order_waits_for_a_fresh_quote_when_a_later_trade_printed_outside_the_quote() -> None:
    rig = Rig()
    rig.quote(ES, "6000.00", "6000.25", at=0)
    order = rig.submit(ES, BUY, 1, at=0)
    events = rig.trade(ES, "6003.00", at=100)  # above the ask: the quote is stale
    assert kinds(events) == ["OrderWorking"]
    assert fills(rig.quote(ES, "6002.75", "6003.00", at=150)) == [(order, 1, es("6003.00"))]


def test_a_days_filled_orders_leave_the_expiry_heap_and_a_resting_day_order_still_expires() -> None:
    rig = Rig(fill={"latency_min_ns": 0, "latency_max_ns": 0})
    rig.quote(ES, "6000.00", "6000.25", at=0)
    resting = rig.submit(ES, BUY, 1, LMT, limit="5990.00", at=0)
    for i in range(300):  # a busy day of DAY market orders, each filled at once
        rig.submit(ES, BUY if i % 2 == 0 else SELL, 1, at=1 + i)
        rig.quote(ES, "6000.00", "6000.25", at=2 + i)
    exchange = rig.engine._x
    assert len(exchange.expiries) <= 2 * len(exchange.open_ids) + 65  # not one entry per order of the day
    assert any(e[2] == resting for e in exchange.expiries)
    events = rig.engine.advance_to(ct(2026, 3, 10, 17, 0))
    assert [type(e) for e in events] == [OrderExpired] and events[0].order_id == resting  # type: ignore[union-attr]
