"""ExcursionBook: ticks reach only their contract's trades, ended trades leave the tick path, lookups."""

from __future__ import annotations

from fractions import Fraction

import pytest

from core_server.excursions.book import NO_TRADE_EVENTS, ExcursionBook
from core_server.excursions.model import Direction, ExcursionEventKind, TradeStatus
from core_server.excursions.settings import ExcursionSettings, PriceSource
from core_server.excursions.tracker import ExcursionTracker
from core_server.model.errors import InvalidArgument, NotFound
from tests.unit.excursions.excursion_kit import quote, spec, ticks, tracker, trade

LONG, SHORT = Direction.LONG, Direction.SHORT
ES = "ESZ2026"
BID_ASK = ExcursionSettings(price_source=PriceSource.BID_ASK)


def kinds(result: tuple[tuple[str, tuple[object, ...]], ...]) -> list[tuple[str, list[str]]]:
    return [(trade_id, [e.kind.value for e in events]) for trade_id, events in result]  # type: ignore[attr-defined]


def test_a_tick_only_reaches_trades_on_its_contract() -> None:
    book = ExcursionBook()
    book.add(tracker(LONG, "25000.00", "24975.00", trade_id="nq"))
    book.add(tracker(LONG, "6000.00", "5990.00", contract_id=ES, trade_id="es"))

    assert kinds(book.on_tick(trade("25010.00", 1))) == [("nq", ["new_high"])]
    assert kinds(book.on_tick(trade("5995.00", 2, ES))) == [("es", ["new_low"])]
    assert book.on_tick(trade("25000.00", 3, "MNQZ2026")) is NO_TRADE_EVENTS
    es = book.get("es")
    assert es is not None and es.snapshot().mfe_r == 0


def test_one_tick_reports_every_trade_it_moved_longs_and_shorts() -> None:
    book = ExcursionBook()
    book.add(tracker(LONG, "25000.00", "24975.00", trade_id="long"))
    book.add(tracker(SHORT, "25000.00", "25025.00", trade_id="short"))
    assert kinds(book.on_tick(trade("25025.00", 1))) == [
        ("long", ["new_high", "break_even_triggered"]),
        ("short", ["new_low", "stop_hit"]),
    ]


def test_quiet_ticks_return_the_shared_empty_tuple() -> None:
    book = ExcursionBook()
    book.add(tracker(LONG, "25000.00", "24975.00"))
    assert book.on_tick(trade("25000.00", 1)) is NO_TRADE_EVENTS
    assert book.on_tick(quote("24900.00", "24900.25", 1)) is NO_TRADE_EVENTS  # last-price trade: quotes don't count
    assert book.on_tick(trade("24900.00", 2), anomalous=True) is NO_TRADE_EVENTS


def test_quotes_reach_bid_ask_trades_with_the_bid_for_longs_and_the_ask_for_shorts() -> None:
    book = ExcursionBook()
    book.add(tracker(LONG, "25000.00", "24975.00", BID_ASK, trade_id="long"))
    book.add(tracker(SHORT, "25000.00", "25025.00", BID_ASK, trade_id="short"))
    result = book.on_tick(quote("25005.00", "25005.25", 1))
    assert [(tid, [(e.kind, e.r) for e in ev]) for tid, ev in result] == [
        ("long", [(ExcursionEventKind.NEW_HIGH, Fraction(1, 5))]),
        ("short", [(ExcursionEventKind.NEW_LOW, Fraction(-21, 100))]),
    ]
    assert book.on_tick(trade("26000.00", 2)) is NO_TRADE_EVENTS


def test_an_ended_trade_leaves_the_tick_path_but_stays_readable_until_removed() -> None:
    book = ExcursionBook()
    book.add(tracker(LONG, "25000.00", "24975.00", trade_id="a"))
    book.add(tracker(LONG, "25000.00", "24990.00", trade_id="b"))

    assert kinds(book.on_tick(trade("24990.00", 1))) == [("a", ["new_low"]), ("b", ["new_low", "stop_hit"])]
    assert kinds(book.on_tick(trade("24980.00", 2))) == [("a", ["new_low"])]
    b = book.get("b")
    assert b is not None and b.status is TradeStatus.STOPPED_OUT
    assert book.remove("b") is b
    assert "b" not in book and len(book) == 1


def test_close_through_the_book_books_the_r_and_stops_further_events() -> None:
    book = ExcursionBook()
    book.add(tracker(LONG, "25000.00", "24975.00", trade_id="a"))
    events = book.close("a", ticks("25010.00"), 5)
    assert [e.kind for e in events] == [ExcursionEventKind.NEW_HIGH, ExcursionEventKind.CLOSED]
    assert book.on_tick(trade("24900.00", 6)) is NO_TRADE_EVENTS


def test_duplicate_and_unknown_trade_ids_are_refused() -> None:
    book = ExcursionBook()
    book.add(tracker(LONG, "25000.00", "24975.00", trade_id="a"))
    with pytest.raises(InvalidArgument):
        book.add(tracker(LONG, "25000.00", "24975.00", trade_id="a"))
    with pytest.raises(NotFound):
        book.remove("zzz")
    with pytest.raises(NotFound):
        book.close("zzz", 1, 1)
    assert book.get("zzz") is None


def test_removing_the_last_trade_of_a_contract_forgets_the_contract() -> None:
    book = ExcursionBook()
    book.add(ExcursionTracker(spec(LONG, "25000.00", "24975.00", trade_id="a")))
    book.remove("a")
    assert book.on_tick(trade("24900.00", 1)) is NO_TRADE_EVENTS
    assert list(book) == []
