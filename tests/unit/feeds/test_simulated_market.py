"""SimulatedMarket: determinism, the tick grid, mirroring micros and the shape of the flow."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from itertools import pairwise

import pytest

from core_server.feeds.simulated_market import SimulatedMarket
from core_server.model.errors import InvalidArgument
from core_server.model.instruments import INSTRUMENTS, Contract
from core_server.model.market_data import Aggressor, Quote, Tick, Trade

ALL_ROOTS = ("NQ", "MNQ", "ES", "MES", "YM", "MYM", "RTY", "M2K")
CONTRACTS = [Contract(root, 2026, 12) for root in ALL_ROOTS]
MICRO_OF = {"MNQZ2026": "NQZ2026", "MESZ2026": "ESZ2026", "MYMZ2026": "YMZ2026", "M2KZ2026": "RTYZ2026"}


def run(market: SimulatedMarket, total: int, chunk: int = 100, step_ns: int = 10_000_000) -> list[Tick]:
    ticks: list[Tick] = []
    t = 0
    while len(ticks) < total:
        ticks.extend(market.next_ticks(chunk, t, t + step_ns))
        t += step_ns
    return ticks


def content(ticks: list[Tick]) -> list[tuple[object, ...]]:
    """What a tick says, without when it said it."""
    return [(type(t).__name__, t.contract_id, *t[3:]) for t in ticks]


def test_same_seed_gives_identical_ticks() -> None:
    assert run(SimulatedMarket(CONTRACTS, 42), 20_000) == run(SimulatedMarket(CONTRACTS, 42), 20_000)


def test_different_seed_gives_different_ticks() -> None:
    assert content(run(SimulatedMarket(CONTRACTS, 1), 2_000)) != content(run(SimulatedMarket(CONTRACTS, 2), 2_000))


def test_tick_content_does_not_depend_on_how_calls_slice_it() -> None:
    one_go = SimulatedMarket(CONTRACTS, 9).next_ticks(5_000, 0, 1_000)
    sliced = SimulatedMarket(CONTRACTS, 9)
    pieces: list[Tick] = []
    for size in [1, 2, 3, 997, 1, 4, 1_500, 2_492]:
        pieces.extend(sliced.next_ticks(size, 0, 1_000))
    assert content(pieces) == content(one_go)


def test_timestamps_spread_evenly_over_the_interval_ending_at_its_end() -> None:
    market = SimulatedMarket(CONTRACTS, 3)
    ticks = market.next_ticks(4, 1_000, 2_000, ts_init=5_000)
    assert [t.ts_event for t in ticks] == [1_250, 1_500, 1_750, 2_000]
    assert {t.ts_init for t in ticks} == {5_000}
    assert all(t.ts_init == t.ts_event for t in market.next_ticks(10, 2_000, 3_000))


def test_quotes_have_a_one_or_two_tick_spread_and_trades_print_at_the_touch_with_matching_aggressor() -> None:
    ticks = run(SimulatedMarket(CONTRACTS, 5), 60_000)
    book: dict[str, tuple[int, int]] = {}
    trades_checked = 0
    for tick in ticks:
        if type(tick) is Quote:
            assert tick.ask - tick.bid in (1, 2)
            assert tick.bid_size >= 1 and tick.ask_size >= 1
            book[tick.contract_id] = (tick.bid, tick.ask)
        else:
            assert type(tick) is Trade
            assert tick.size >= 1
            if tick.contract_id in book:
                bid, ask = book[tick.contract_id]
                expected = Aggressor.BUY if tick.price == ask else Aggressor.SELL
                assert tick.price in (bid, ask)
                assert tick.aggressor is expected
                trades_checked += 1
    assert trades_checked > 10_000


def test_micros_mirror_their_minis_prices_exactly() -> None:
    ticks = run(SimulatedMarket(CONTRACTS, 11), 60_000)
    book: dict[str, tuple[int, int]] = {}
    mirrored = 0
    for tick in ticks:
        mini = MICRO_OF.get(tick.contract_id)
        if type(tick) is Quote:
            book[tick.contract_id] = (tick.bid, tick.ask)
            if mini in book:
                assert (tick.bid, tick.ask) == book[mini]
                mirrored += 1
        elif type(tick) is Trade and mini in book:
            assert tick.price in book[mini]
    assert mirrored > 5_000


def test_about_three_quotes_per_trade() -> None:
    kinds = Counter(type(t) for t in run(SimulatedMarket(CONTRACTS, 8), 40_000))
    assert 2.5 < kinds[Quote] / kinds[Trade] < 3.5


def test_nq_spread_is_two_ticks_more_often_than_es() -> None:
    ticks = run(SimulatedMarket(CONTRACTS, 4, rate=2000.0), 200_000)

    def wide_share(contract_id: str) -> float:
        quotes = [t for t in ticks if type(t) is Quote and t.contract_id == contract_id]
        return sum(1 for q in quotes if q.ask - q.bid == 2) / len(quotes)

    assert wide_share("NQZ2026") > 2 * wide_share("ESZ2026")
    assert wide_share("ESZ2026") < 0.2


def test_es_book_is_deeper_than_nq_and_micros_look_smaller_than_minis() -> None:
    ticks = run(SimulatedMarket(CONTRACTS, 6), 60_000)

    def mean_book(contract_id: str) -> float:
        quotes = [t for t in ticks if type(t) is Quote and t.contract_id == contract_id]
        return sum(q.bid_size + q.ask_size for q in quotes) / (2 * len(quotes))

    assert mean_book("ESZ2026") > 2 * mean_book("NQZ2026")
    for micro, mini in MICRO_OF.items():
        assert mean_book(micro) < mean_book(mini)


def test_default_start_prices_and_micros_starting_at_their_mini() -> None:
    market = SimulatedMarket(CONTRACTS, 1)
    first: dict[str, int] = {}
    for tick in run(market, 5_000):
        if type(tick) is Quote:
            first.setdefault(tick.contract_id, tick.bid)
    expected = {"NQZ2026": "25340.00", "ESZ2026": "6775.00", "YMZ2026": "47000", "RTYZ2026": "2400.0"}
    for contract in CONTRACTS:
        mini_id = MICRO_OF.get(contract.id, contract.id)
        start = contract.spec.ticks_from_price(Decimal(expected[mini_id]))
        assert abs(first[contract.id] - start) <= 20


def test_start_prices_can_be_given_by_root_or_contract_id() -> None:
    contracts = [Contract("ES", 2026, 12), Contract("MES", 2026, 12), Contract("NQ", 2026, 12)]
    market = SimulatedMarket(contracts, 1, {"ES": Decimal("5000.25"), "NQZ2026": Decimal("20000")})
    quote = next(t for t in market.next_ticks(200, 0, 1) if type(t) is Quote and t.contract_id == "MESZ2026")
    assert abs(quote.bid - 20_001) <= 5


def test_start_price_off_the_grid_or_for_an_unsimulated_product_is_refused() -> None:
    with pytest.raises(InvalidArgument, match="tick"):
        SimulatedMarket(CONTRACTS, 1, {"ES": Decimal("6775.10")})
    with pytest.raises(InvalidArgument, match="GC"):
        SimulatedMarket([Contract("ES", 2026, 12)], 1, {"GC": Decimal("2000")})


def test_a_single_contract_with_a_low_rate_still_walks_on_its_grid() -> None:
    market = SimulatedMarket([Contract("RTY", 2026, 12)], 3, rate=5.0)
    ticks = run(market, 2_000)
    quotes = [t for t in ticks if type(t) is Quote]
    assert {t.contract_id for t in ticks} == {"RTYZ2026"}
    assert len({q.bid for q in quotes}) > 5


def test_bursts_come_and_go() -> None:
    market = SimulatedMarket(CONTRACTS, 2, rate=100.0)
    regimes = []
    for _ in range(2_000):
        market.next_ticks(100, 0, 1)
        regimes.append(market.in_burst)
    switches = sum(1 for a, b in pairwise(regimes) if a != b)
    assert switches >= 4
    assert 0.2 < sum(regimes) / len(regimes) < 0.6  # bursts are ~10% of time, but 5x as many ticks


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(InvalidArgument):
        SimulatedMarket([], 1)
    with pytest.raises(InvalidArgument):
        SimulatedMarket(CONTRACTS, 1, rate=50_000.0)
    market = SimulatedMarket(CONTRACTS, 1)
    with pytest.raises(InvalidArgument):
        market.next_ticks(-1, 0, 1)
    with pytest.raises(InvalidArgument):
        market.next_ticks(1, 10, 0)
    assert market.next_ticks(0, 0, 1) == []


def test_start_prices_for_a_mini_and_its_micro_start_their_shared_book_at_the_mini_price() -> None:
    nq, mnq = Contract("NQ", 2026, 12), Contract("MNQ", 2026, 12)
    market = SimulatedMarket([nq, mnq], 3, {nq.id: Decimal("30000.00"), mnq.id: Decimal("29990.00")})
    first = market.next_ticks(50, 0, 1_000_000_000)
    prices = [t.price if isinstance(t, Trade) else t.bid for t in first]
    assert all(abs(p - INSTRUMENTS["NQ"].ticks_from_price("30000.00")) < 200 for p in prices)
