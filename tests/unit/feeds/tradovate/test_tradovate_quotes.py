"""Quote events to ticks: partial updates merged, prints found from Trade and TotalTradeVolume, exact prices."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from core_server.feeds.tradovate.framing import loads
from core_server.feeds.tradovate.messages import QuoteParser, iso_from_ns, timestamp_ns
from core_server.model.clock import TestClock
from core_server.model.instruments import Contract
from core_server.model.market_data import Aggressor, Quote, Tick, Trade
from tests.kit.time import utc

NQ = Contract("NQ", 2026, 12)
RTY = Contract("RTY", 2026, 12)
YM = Contract("YM", 2026, 12)
NQ_ID, RTY_ID, YM_ID = 101, 202, 303
TS = "2026-11-17T14:30:01.123Z"
TS_NS = utc(2026, 11, 17, 14, 30, 1) + 123_000_000


def parser() -> QuoteParser:
    p = QuoteParser(TestClock(TS_NS + 5))
    p.add_contract(NQ_ID, NQ)
    p.add_contract(RTY_ID, RTY)
    p.add_contract(YM_ID, YM)
    return p


def md(entries: str, contract_id: int = NQ_ID, ts: str = TS) -> Any:
    return loads(f'{{"quotes":[{{"timestamp":"{ts}","contractId":{contract_id},"entries":{entries}}}]}}')


def parse(p: QuoteParser, entries: str, contract_id: int = NQ_ID) -> list[Tick]:
    out: list[Tick] = []
    assert p.parse(md(entries, contract_id), out) == []
    return out


def nq(price: str) -> int:
    return NQ.spec.ticks_from_price(price)


SNAPSHOT = (
    '{"Bid":{"price":25329.0,"size":7},"Offer":{"price":25329.25,"size":4},'
    '"Trade":{"price":25329.25,"size":1},"TotalTradeVolume":{"size":412345}}'
)


def test_the_first_message_after_subscribing_gives_a_quote_but_its_old_print_is_not_a_trade() -> None:
    ticks = parse(parser(), SNAPSHOT)
    assert ticks == [Quote(NQ.id, TS_NS, TS_NS + 5, nq("25329"), nq("25329.25"), 7, 4)]


def test_a_resent_snapshot_with_unchanged_volume_is_not_a_new_print() -> None:
    p = parser()
    parse(p, SNAPSHOT)
    assert [type(t) for t in parse(p, SNAPSHOT)] == [Quote]


def test_volume_growth_with_a_trade_entry_is_a_print_of_the_trade_size() -> None:
    p = parser()
    parse(p, SNAPSHOT)
    ticks = parse(p, '{"Trade":{"price":25341.25,"size":2},"TotalTradeVolume":{"size":412347}}')
    assert ticks == [Trade(NQ.id, TS_NS, TS_NS + 5, 101365, 2, Aggressor.NONE)]
    assert p.coalesced_prints == 0


def test_volume_growing_by_more_than_the_trade_size_counts_a_coalesced_print() -> None:
    p = parser()
    parse(p, SNAPSHOT)
    (trade,) = parse(p, '{"Trade":{"price":25329.5,"size":1},"TotalTradeVolume":{"size":412350}}')
    assert isinstance(trade, Trade) and trade.size == 1
    assert p.coalesced_prints == 1


def test_a_trade_entry_without_size_takes_the_volume_delta() -> None:
    p = parser()
    parse(p, SNAPSHOT)
    (trade,) = parse(p, '{"Trade":{"price":25329.5},"TotalTradeVolume":{"size":412348}}')
    assert isinstance(trade, Trade) and (trade.price, trade.size) == (nq("25329.5"), 3)


def test_volume_growth_without_a_trade_entry_repeats_the_last_price() -> None:
    p = parser()
    parse(p, SNAPSHOT)
    (trade,) = parse(p, '{"TotalTradeVolume":{"size":412349}}')
    assert isinstance(trade, Trade) and (trade.price, trade.size) == (nq("25329.25"), 4)


def test_without_volume_entries_each_trade_entry_is_a_print() -> None:
    p = parser()
    parse(p, '{"Bid":{"price":25329.0,"size":7},"Offer":{"price":25329.25,"size":4}}')
    (trade,) = parse(p, '{"Trade":{"price":25329.25,"size":3}}')
    assert isinstance(trade, Trade) and trade.size == 3
    (again,) = parse(p, '{"Trade":{"price":25329.5}}')  # size unchanged, so absent
    assert isinstance(again, Trade) and (again.price, again.size) == (nq("25329.5"), 3)


def test_a_volume_drop_is_a_new_session_and_its_trade_counts() -> None:
    p = parser()
    parse(p, SNAPSHOT)
    (trade,) = parse(p, '{"Trade":{"price":25330.0,"size":2},"TotalTradeVolume":{"size":2}}')
    assert isinstance(trade, Trade) and trade.size == 2


def test_partial_quote_updates_merge_with_the_last_known_book() -> None:
    p = parser()
    parse(p, SNAPSHOT)
    (quote,) = parse(p, '{"Offer":{"size":9}}')
    assert quote == Quote(NQ.id, TS_NS, TS_NS + 5, nq("25329"), nq("25329.25"), 7, 9)
    (quote,) = parse(p, '{"Bid":{"price":25329.25}}')
    assert isinstance(quote, Quote) and (quote.bid, quote.bid_size) == (nq("25329.25"), 7)


def test_an_empty_book_clears_the_quote_until_both_sides_return() -> None:
    p = parser()
    parse(p, SNAPSHOT)
    assert parse(p, '{"EmptyBook":{}}') == []
    assert parse(p, '{"Bid":{"price":25329.0,"size":1}}') == []
    assert len(parse(p, '{"Offer":{"price":25329.5,"size":1}}')) == 1


def test_prices_of_every_tick_size_convert_exactly() -> None:
    p = parser()
    (quote,) = parse(p, '{"Bid":{"price":2123.3,"size":1},"Offer":{"price":2123.4,"size":2}}', RTY_ID)
    assert isinstance(quote, Quote) and (quote.bid, quote.ask) == (21233, 21234)
    (quote,) = parse(p, '{"Bid":{"price":47001,"size":1},"Offer":{"price":47002,"size":2}}', YM_ID)
    assert isinstance(quote, Quote) and (quote.bid, quote.ask) == (47001, 47002)
    assert RTY.spec.price_from_ticks(21233) == Decimal("2123.3")


def test_fractional_sizes_round_to_whole_contracts() -> None:
    (quote,) = parse(parser(), '{"Bid":{"price":25329.0,"size":7.6},"Offer":{"price":25329.25,"size":0.2}}')
    assert isinstance(quote, Quote) and (quote.bid_size, quote.ask_size) == (8, 0)


def test_a_malformed_quote_is_reported_and_changes_nothing() -> None:
    p = parser()
    parse(p, SNAPSHOT)
    for bad in (
        '{"Bid":{"price":25329.1,"size":7}}',  # off the tick grid
        '{"Bid":{"price":"25329","size":7}}',  # price as a string
        '{"Bid":{"price":25329.0,"size":-1}}',
        '{"Bid":[1,2]}',
        "[]",
    ):
        out: list[Tick] = []
        errors = p.parse(md(bad), out)
        assert len(errors) == 1 and out == []
    (quote,) = parse(p, '{"Offer":{"size":5}}')
    assert isinstance(quote, Quote) and quote.bid == nq("25329")


def test_a_bad_timestamp_is_malformed() -> None:
    out: list[Tick] = []
    assert len(parser().parse(md(SNAPSHOT, ts="2026-11-17 14:30"), out)) == 1


def test_quotes_for_contracts_we_did_not_ask_for_are_ignored() -> None:
    p = parser()
    assert parse(p, SNAPSHOT, contract_id=999) == []
    assert p.unknown_contract_events == 1


def test_timestamps_parse_to_utc_nanoseconds() -> None:
    base = utc(2026, 11, 17, 14, 30, 1)
    assert timestamp_ns("2026-11-17T14:30:01Z") == base
    assert timestamp_ns("2026-11-17T14:30:01.5Z") == base + 500_000_000
    assert timestamp_ns("2026-11-17T14:30:01.123456789Z") == base + 123_456_789
    assert timestamp_ns("2026-11-17T14:30:01.123+00:00") == base + 123_000_000
    assert iso_from_ns(base + 123_000_000) == "2026-11-17T14:30:01.123Z"
