"""The columnar statistics (numpy over integers) equal the per-trade ones, figure for figure, on the hand-computed
cases and on random trades."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest

from core_server.analytics.columns import Columns, TradeIndex, column_statistics
from core_server.analytics.facts import TradeFacts
from core_server.analytics.filters import EntryClock, GroupBy, TradeQuery, group, select
from core_server.analytics.statistics import compute_statistics
from core_server.calendar.windows import SessionWindows
from core_server.excursions.model import Direction
from tests.unit.analytics.kit import DAY, fact
from tests.unit.analytics.test_statistics import mixed

D = Decimal


def ordered(trades: list[TradeFacts]) -> list[TradeFacts]:
    return sorted(trades, key=lambda t: (t.closed_ns, t.trade_id))


def same(trades: list[TradeFacts], **options: object) -> None:
    trades = ordered(trades)
    columns = Columns.build(trades)
    assert columns is not None
    assert column_statistics(columns, **options) == compute_statistics(trades, **options)  # type: ignore[arg-type]


def test_hand_cases() -> None:
    same([])
    same([fact("105", realised=20, mfe=25, mae=-3)])
    same(mixed(), starting_balance=D(10_000))
    same([fact("-95", n=1, realised=-10), fact("-45", n=2, realised=-5)], starting_balance=D(50_000))
    same([fact("55", n=i, closed_ns=100) for i in range(1, 4)] + [fact("-45", n=i, closed_ns=100) for i in (4, 5)])
    same([fact("-45", n=1, risk=None, slippage=D("12.50")), fact("105", n=2, realised=20, slippage=D("2.50"))])


@pytest.mark.parametrize("seed", range(8))
def test_random_trades(seed: int) -> None:
    rng = random.Random(seed)
    trades = []
    for i in range(rng.randint(1, 400)):
        risk = rng.choice((None, 4, 10, 40, 80))
        realised = rng.randint(-120, 240)
        trades.append(
            fact(
                str(D(rng.randint(-50_000, 90_000)) / 100), str(D(rng.choice((0, 250, 500, 124))) / 100),
                n=i, closed_ns=rng.randint(1, 10**6), hold_minutes=rng.randint(0, 300),
                day=DAY + timedelta(days=rng.randint(0, 40)), risk=risk, realised=realised,
                mfe=max(realised, 0) + rng.randint(0, 50), mae=min(realised, 0) - rng.randint(0, 50),
                qty=rng.randint(1, 3), break_even=rng.random() < 0.1, slippage=D(rng.randint(0, 300)) / 100,
                excursion_known=rng.random() < 0.9,
            )
        )  # fmt: skip
    days = sorted({t.trade_date for t in trades} | {DAY + timedelta(days=k) for k in range(0, 41, 3)})
    same(trades)
    same(trades, starting_balance=D(25_000), days=days)


def test_amounts_with_more_than_four_decimals_stay_per_trade() -> None:
    assert Columns.build([fact("1.00001")]) is None


def test_take_selects_rows() -> None:
    trades = ordered(mixed())
    columns = Columns.build(trades)
    assert columns is not None
    picked = columns.take(np.array([0, 3]))
    assert column_statistics(picked) == compute_statistics([trades[0], trades[3]])
    assert date.fromordinal(int(picked.day[1])) == trades[3].trade_date


def test_the_index_selects_and_groups_as_the_filters_do() -> None:
    rng = random.Random(5)
    base = 1_740_000_000 * 10**9
    trades = ordered([
        fact(
            str(rng.randint(-300, 300)), n=i, closed_ns=base + i * 977 * 10**9, hold_minutes=rng.randint(1, 90),
            day=date(2025, 3, 3) + timedelta(days=i // 40), account_id=rng.choice(("a", "b")),
            contract_id=rng.choice(("NQH2025", "ESH2025")), direction=rng.choice((Direction.LONG, Direction.SHORT)),
            source=rng.choice(("manual", "imported")), tags=tuple(rng.sample(("x", "y", "z"), rng.randint(0, 2))),
            strategy_id=rng.choice((None, "s1")), strategy_version=rng.choice((None, 1, 2)),
            setup=rng.choice(("", "ORB")),
        )
        for i in range(300)
    ])  # fmt: skip
    windows = SessionWindows()
    columns = Columns.build(trades)
    assert columns is not None
    index = TradeIndex(trades, columns, EntryClock(windows))
    queries = [
        TradeQuery(),
        TradeQuery(account_ids=frozenset({"a"}), roots=frozenset({"NQ"})),
        TradeQuery(direction=Direction.SHORT, sources=frozenset({"imported"}), tags=frozenset({"x"})),
        TradeQuery(hours=frozenset({9, 10, 20}), weekdays=frozenset({0, 2})),
        TradeQuery(session_windows=frozenset({"Asia", "NY AM"}), from_date=date(2025, 3, 5), to_date=date(2025, 3, 8)),
        TradeQuery(strategy_id="s1", strategy_version=2, setup="ORB"),
    ]
    for q in queries:
        picked = index.select(q)
        assert [trades[i].trade_id for i in picked] == [t.trade_id for t in select(trades, q, windows)]
        for by in GroupBy:
            expected = {k: [t.trade_id for t in v] for k, v in group([trades[i] for i in picked], by, windows).items()}
            got = {k: [trades[i].trade_id for i in v] for k, v in index.groups(by, picked)}
            assert list(got) == list(expected) and got == expected
