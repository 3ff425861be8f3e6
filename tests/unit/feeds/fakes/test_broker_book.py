"""The fake brokers' shared order book keeps its open-order index right as orders close: a liquidation cancels
only the contract's working orders and closes the position, and an account's open orders are listed in the order
they were placed, across contracts, without the filled or cancelled ones."""

from __future__ import annotations

from decimal import Decimal

from core_server.feeds.fakes.broker_book import BrokerBook, FakeContract

D = Decimal


def book() -> BrokerBook:
    book = BrokerBook()
    book.add_contract(FakeContract("NQZ6", 1, D("0.25"), D(20), D(20000)))
    book.add_contract(FakeContract("ESZ6", 2, D("0.25"), D(50), D(14000)))
    book.add_account(7, "A7", D(1_000_000))
    book.add_account(8, "A8", D(1_000_000))
    book.set_market("NQZ6", D(20000), D("20000.25"))
    book.set_market("ESZ6", D(6000), D("6000.25"))
    return book


def test_a_liquidation_cancels_the_contracts_working_orders_and_closes_its_position_only() -> None:
    fake = book()
    fake.place(7, "NQZ6", "Buy", 2, "Market")  # filled at once
    nq_rest = fake.place(7, "NQZ6", "Buy", 1, "Limit", price=D(19000))
    es_rest = fake.place(7, "ESZ6", "Buy", 1, "Limit", price=D(5000))
    other = fake.place(8, "NQZ6", "Buy", 1, "Limit", price=D(19000))

    close = fake.liquidate(7, "NQZ6")

    assert close is not None and (close.action, close.qty, close.status) == ("Sell", 2, "Filled")
    assert nq_rest.status == "Canceled"
    assert es_rest.status == other.status == "Working"
    assert fake.positions[(7, "NQZ6")].net == 0
    assert fake.liquidate(7, "NQZ6") is None  # flat, nothing open: nothing to do


def test_open_orders_lists_working_orders_in_placement_order_across_contracts() -> None:
    fake = book()
    first = fake.place(7, "ESZ6", "Buy", 1, "Limit", price=D(5000))
    fake.place(7, "NQZ6", "Buy", 1, "Market")
    second = fake.place(7, "NQZ6", "Sell", 1, "Limit", price=D(21000))
    cancelled = fake.place(7, "ESZ6", "Sell", 1, "Limit", price=D(7000))
    fake.cancel(cancelled.id)
    third = fake.place(7, "ESZ6", "Buy", 1, "Limit", price=D(4000))
    fake.place(8, "ESZ6", "Buy", 1, "Limit", price=D(5000))

    assert [o.id for o in fake.open_orders(7)] == [first.id, second.id, third.id]
    fake.set_market("NQZ6", D(21000), D("21000.25"))  # the sell limit fills
    assert [o.id for o in fake.open_orders(7)] == [first.id, third.id]
