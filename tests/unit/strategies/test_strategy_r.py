"""A strategy's P&L in R, live, per strategy and per version, through the kernel: the trade journal's R of the round
trips its orders opened (RoundTrip.result_r and open_r), updated on every fill and every trade print while a trade
is open, today's R reset by the CME day roll, and a rollback putting the figures back.

Hand-computed, ES (tick 0.25, $12.50 a tick, $50 a point):
- trade A, version 1: long 2 at 6000.00, stop 5995.00 (20 ticks: 1R = 20 ticks x 2 contracts = 40 tick-contracts),
  target 6010.00. Marked 6002.50: +10 ticks x 2 / 40 = +0.5R. The target fills 1 of 2 at 6010.00 (a partial fill):
  realised 40/40 = +1R, the other one open at 6010.00 also +1R; the second fills: realised +2R, flat.
- trade B, version 2: short 1 at 6010.00, stop 6012.50 (10 ticks: 1R = 10), target 6000.00. Marked 6011.25:
  -5/10 = -0.5R. Stopped at 6012.50: -1R.
- the strategy: +2R - 1R = +1R realised, today too; v1 +2R, v2 -1R.
- next CME trading day: trade C (v2) long 1 at 6000.00, stop 5997.50 (10 ticks); today's R is 0 for both versions
  until it closes; marked 6001.25: +5/10 = +0.5R open.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from core_server.api.strategies_convert import r_text
from core_server.execution.commands import SubmitBracket
from core_server.execution.fill_model import FillSettings
from core_server.execution.model import AccountId, OrderSide, OrderType
from core_server.model.instruments import Contract
from core_server.strategies.events import StrategyRecord, VersionPnl
from tests.kit.feeds import quote, trade
from tests.kit.strategies import StrategyRig
from tests.kit.time import ct

ES = Contract("ES", 2026, 12)
ACC = AccountId("acc-1")
D1 = ct(2026, 11, 18, 9, 0)  # Wednesday, regular session
D2 = ct(2026, 11, 19, 9, 0)  # Thursday: the next CME trading day
SEC = 1_000_000_000
DEFINITION = """
name = "s"
kind = "rules"
account = "acc-1"
instrument = "ES"
enabled = false
description = "{description}"

[rules]
timeframe = "5m"
stop = {{ ticks = 8 }}
target = {{ r = 2 }}

[[rules.entry]]
side = "buy"
order = {{ type = "market" }}
when = {{ all = [ {{ left = {{ field = "close" }}, op = ">", right = 100000 }} ] }}
"""


def rig() -> StrategyRig:
    fill = FillSettings(seed=1, latency_min_ns=0, latency_max_ns=0, max_slippage_ticks=0, partial_fills=True)
    r = StrategyRig([ES], t0=D1, fill=fill)
    r.load(DEFINITION.format(description="v1"), D1)
    return r


def bracket(side: OrderSide, qty: int, stop: str, target: str, version: int) -> SubmitBracket:
    tag = f"strategy:s@{version}"
    return SubmitBracket(ACC, ES.id, side, qty, OrderType.MARKET, Decimal(stop), Decimal(target), tag=tag)


def last(r: StrategyRig) -> StrategyRecord:
    return r.records()[-1]


def pnl(record: StrategyRecord, version: int) -> VersionPnl:
    return next(v for v in record.versions if v.version == version)


def trade_a(r: StrategyRig) -> None:
    r.ticks(quote(ES, D1 + SEC, "5999.75", "6000.00", 10, 10))
    r.run(bracket(OrderSide.BUY, 2, "5995.00", "6010.00", 1), D1 + 2 * SEC)


def test_a_winner_marked_partly_filled_and_closed_at_plus_two_r() -> None:
    r = rig()
    trade_a(r)
    opened = last(r)
    assert opened.position == 2 and pnl(opened, 1).open_qty == 2 and pnl(opened, 1).trades == 1
    assert opened.realised_r == 0
    r.ticks(trade(ES, D1 + 3 * SEC, "6002.50"))
    marked = last(r)
    assert marked.mark == 24_010 and marked.unrealised_r == Fraction(1, 2)
    assert pnl(marked, 1).unrealised_r == Fraction(1, 2)
    r.ticks(trade(ES, D1 + 4 * SEC, "6010.25", size=1))  # the target fills 1 of 2
    partial = last(r)
    assert partial.position == 1
    assert partial.realised_r == 1 and partial.realised_r_today == 1
    assert partial.unrealised_r == Fraction(41, 40)  # the other one marked at 6010.25: 41 ticks / 40
    r.ticks(trade(ES, D1 + 5 * SEC, "6010.25", size=1))  # the rest
    done = last(r)
    assert done.position == 0 and done.realised_r == 2 and done.realised_r_today == 2
    assert done.unrealised_r is None and pnl(done, 1) == VersionPnl(1, Fraction(2), Fraction(2), None, 0, 1, 1)
    trip = next(iter(r.trips().values()))
    assert trip.result_r == 2  # the journal's R of the same trade


def two_trades() -> StrategyRig:
    r = rig()
    trade_a(r)
    r.ticks(trade(ES, D1 + 4 * SEC, "6010.25", size=1), trade(ES, D1 + 5 * SEC, "6010.25", size=1))
    r.load(DEFINITION.format(description="v2"), D1 + 6 * SEC)  # version 2
    r.ticks(quote(ES, D1 + 7 * SEC, "6010.00", "6010.25", 10, 10))
    r.run(bracket(OrderSide.SELL, 1, "6012.50", "6000.00", 2), D1 + 8 * SEC)
    return r


def test_a_loser_of_the_next_version_at_minus_one_r_and_the_totals_per_version() -> None:
    r = two_trades()
    r.ticks(trade(ES, D1 + 9 * SEC, "6011.25"))
    marked = last(r)
    assert marked.version == 2 and marked.realised_r == 2
    assert pnl(marked, 2).unrealised_r == Fraction(-1, 2) and marked.unrealised_r == Fraction(-1, 2)
    assert pnl(marked, 1).unrealised_r is None  # version 1 is flat
    r.ticks(quote(ES, D1 + 10 * SEC, "6012.25", "6012.50", 10, 10))  # stopped: bought at 6012.50
    done = last(r)
    assert done.position == 0 and done.realised == Decimal("860.00")  # $990 - $130, commissions included
    assert done.versions == (
        VersionPnl(1, Fraction(2), Fraction(2), None, 0, 1, 1),
        VersionPnl(2, Fraction(-1), Fraction(-1), None, 0, 1, 1),
    )
    assert (done.realised_r, done.realised_r_today, done.unrealised_r) == (1, 1, None)
    assert sorted(t.result_r for t in r.trips().values()) == [-1, 2]  # the journal's R, trade by trade
    assert (r_text(done.realised_r), r_text(Fraction(2, 3)), r_text(None)) == ("1.0000", "0.6667", "")


def test_the_next_trading_day_starts_today_at_zero_r() -> None:
    r = two_trades()
    r.ticks(quote(ES, D1 + 10 * SEC, "6012.25", "6012.50", 10, 10))
    r.ticks(quote(ES, D2, "5999.75", "6000.00", 10, 10))
    r.run(bracket(OrderSide.BUY, 1, "5997.50", "6010.00", 2), D2 + SEC)
    opened = last(r)
    assert opened.trade_date == "2026-11-19"
    assert [(v.version, v.realised_r, v.realised_r_today) for v in opened.versions] == [(1, 2, 0), (2, -1, 0)]
    assert (opened.realised_r, opened.realised_r_today) == (1, 0)
    r.ticks(trade(ES, D2 + 2 * SEC, "6001.25"))
    assert last(r).unrealised_r == Fraction(1, 2) and pnl(last(r), 2).trades == 2


def test_a_trade_without_a_stop_has_no_r_but_keeps_its_dollars() -> None:
    from core_server.execution.commands import SubmitOrder

    r = rig()
    r.ticks(quote(ES, D1 + SEC, "5999.75", "6000.00", 10, 10))
    r.run(SubmitOrder(ACC, ES.id, OrderSide.BUY, 1, OrderType.MARKET, tag="strategy:s@1"), D1 + 2 * SEC)
    r.ticks(trade(ES, D1 + 3 * SEC, "6002.50"))
    record = last(r)
    assert record.position == 1 and record.unrealised_r is None
    assert pnl(record, 1) == VersionPnl(1, Fraction(0), Fraction(0), None, 1, 1, 0)


def test_a_flat_strategy_is_not_marked() -> None:
    r = rig()
    assert not r.host.marked
    trade_a(r)
    assert set(r.host.marked) == {ES.id}
    r.ticks(trade(ES, D1 + 3 * SEC, "6002.50"))
    before = len(r.records())
    r.ticks(trade(ES, D1 + 3 * SEC + 1, "6002.50"))  # the price it is marked at already: nothing new
    assert len(r.records()) == before
    r.ticks(trade(ES, D1 + 4 * SEC, "6010.25", size=1), trade(ES, D1 + 5 * SEC, "6010.25", size=1))
    assert not r.host.marked


def test_marks_go_out_at_most_four_times_a_second_and_reads_are_exact_at_every_print() -> None:
    r = rig()
    trade_a(r)
    r.ticks(trade(ES, D1 + 3 * SEC, "6002.50"))
    before = len(r.records())
    r.ticks(trade(ES, D1 + 3 * SEC + 100_000_000, "6005.00"))  # 0.1 s later: figures exact, no record yet
    assert len(r.records()) == before
    (runtime,) = r.host.strategies().values()
    assert runtime.mark == 24_020  # 6005.00: +20 ticks x 2 / 40 = +1R open, read straight from the runtime
    r.ticks(trade(ES, D1 + 3 * SEC + 250_000_000, "6007.50"))  # a quarter second after the last record
    assert len(r.records()) == before + 1
    assert last(r).mark == 24_030 and last(r).unrealised_r == Fraction(3, 2)


def test_a_rollback_puts_the_r_figures_back() -> None:
    r = rig()
    trade_a(r)
    point = r.kernel.rollback_point()
    r.ticks(trade(ES, D1 + 4 * SEC, "6010.25", size=1))
    assert r.host.get("s").record().realised_r == 1
    r.kernel.restore(point)
    rt = r.host.get("s")
    assert rt.record().realised_r == 0 and rt.record().versions[0].open_qty == 2
    assert set(r.host.marked) == {ES.id}
