"""The reference price an order's fills are measured against for slippage (issue 12 §1).

A market order records, when it is accepted, the opposite side of the book: the ask for a buy, the bid for a sell;
the last trade when there is no quote (trade-only data) or the quote is stale (a later trade printed outside it);
nothing when the contract has no market yet. A stop or stop-limit is measured against its stop price; a limit has
no reference (it fills at its price or better, so it cannot slip).
"""

from __future__ import annotations

from core_server.execution.commands import ClosePosition
from core_server.execution.model import OrderId, OrderType
from tests.unit.execution.execution_kit import ACC, BUY, ES, LMT, MS, NQ, SELL, STL, STP, T0, Rig, fills, ticks


def nq(price: str) -> int:
    return ticks(NQ, price)


def test_a_market_buy_records_the_ask_and_a_market_sell_the_bid_at_acceptance() -> None:
    rig = Rig()
    rig.quote(NQ, "24999.75", "25000.00", at=0)
    buy = rig.submit(NQ, BUY, 1, at=0)
    sell = rig.submit(NQ, SELL, 1, at=0)
    assert rig.engine.order(buy).reference_price == nq("25000.00")
    assert rig.engine.order(sell).reference_price == nq("24999.75")


def test_the_reference_stays_the_quote_at_acceptance_when_the_market_moves_before_arrival() -> None:
    rig = Rig()  # 100 ms latency
    rig.quote(NQ, "24999.75", "25000.00", at=0)
    buy = rig.submit(NQ, BUY, 1, at=0)
    rig.quote(NQ, "25000.25", "25000.50", at=50)  # before the order reaches the exchange
    assert fills(rig.quote(NQ, "25000.25", "25000.50", at=100)) == [(buy, 1, nq("25000.50"))]
    order = rig.engine.order(buy)
    assert order.reference_price == nq("25000.00") and order.slippage_reference == nq("25000.00")


def test_without_a_quote_the_last_trade_is_the_reference_and_without_any_market_there_is_none() -> None:
    rig = Rig()
    nothing = rig.submit(ES, BUY, 1, at=0)
    assert rig.engine.order(nothing).reference_price is None
    rig.trade(NQ, "25001.00", at=10)
    traded = rig.submit(NQ, SELL, 1, at=20)
    assert rig.engine.order(traded).reference_price == nq("25001.00")


def test_a_stale_quote_gives_way_to_the_last_trade() -> None:
    rig = Rig()
    rig.quote(NQ, "24999.75", "25000.00", at=0)
    rig.trade(NQ, "25003.00", at=10)  # printed above the ask: the quote is stale
    buy = rig.submit(NQ, BUY, 1, at=20)
    assert rig.engine.order(buy).reference_price == nq("25003.00")


def test_stops_are_measured_against_their_stop_and_limits_against_nothing() -> None:
    rig = Rig()
    rig.quote(NQ, "24999.75", "25000.00", at=0)
    stop = rig.submit(NQ, SELL, 1, STP, stop="24975.00", at=0)
    stop_limit = rig.submit(NQ, BUY, 1, STL, stop="25010.00", limit="25011.00", at=0)
    limit = rig.submit(NQ, BUY, 1, LMT, limit="24990.00", at=0)
    orders = [rig.engine.order(o) for o in (stop, stop_limit, limit)]
    assert [o.reference_price for o in orders] == [None, None, None]  # only a market order records a quote
    assert [o.slippage_reference for o in orders] == [nq("24975.00"), nq("25010.00"), None]


def test_a_market_bracket_entry_and_a_close_record_the_book_and_its_exits_do_not() -> None:
    rig = Rig()
    rig.quote(NQ, "24999.75", "25000.00", at=0)
    entry, sl, tp = rig.bracket(NQ, BUY, 2, OrderType.MARKET, None, "24975.00", "25050.00", at=0)
    assert [rig.engine.order(o).reference_price for o in (entry, sl, tp)] == [nq("25000.00"), None, None]
    rig.quote(NQ, "25004.75", "25005.00", at=100)  # the entry fills at 25005.00
    events = rig.engine.execute(ClosePosition(ACC, NQ), T0 + 200 * MS)
    close = next(e.order for e in events if type(e).__name__ == "OrderAccepted")  # type: ignore[attr-defined]
    assert close.order_type is OrderType.MARKET and close.reference_price == nq("25004.75")  # the bid: a sell


def test_a_close_made_because_the_stop_was_already_through_is_measured_against_that_stop() -> None:
    # A sell limit entry at 25010.00, its stop at 25020.00: the market gaps to 25030.00 in one quote, the entry
    # fills at its limit, the stop is already through, and a market buy closes at the 25030.25 ask. The stop the
    # trader set is what the close replaces: 41 ticks of slippage, not 0 against the ask it met.
    rig = Rig()
    rig.quote(NQ, "25000.00", "25000.25", at=0)
    entry, sl, _ = rig.bracket(NQ, SELL, 1, LMT, "25010.00", "25020.00", "24990.00", at=0)
    rig.quote(NQ, "25000.00", "25000.25", at=100)
    events = rig.quote(NQ, "25030.00", "25030.25", at=200)
    assert [f[2] for f in fills(events)] == [nq("25010.00"), nq("25030.25")]
    close = rig.engine.order(OrderId(fills(events)[1][0]))
    assert close.reference_price == nq("25020.00") and close.slippage_reference == nq("25020.00")
    assert close.order_id not in (entry, sl)
