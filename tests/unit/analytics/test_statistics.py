"""Every statistic against hand-computed cases: none, one, all wins, all losses, a mixed five, equal-P&L streaks."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from core_server.analytics.statistics import Bucket, compute_statistics, histogram, max_drawdown
from tests.unit.analytics.kit import DAY, MINUTE_NS, fact

D = Decimal
F = Fraction


def test_no_trades_gives_zero_counts_and_no_ratios() -> None:
    s = compute_statistics([])
    assert (s.trades, s.wins, s.losses, s.scratches, s.r_trades) == (0, 0, 0, 0, 0)
    assert s.net_pnl == s.gross_pnl == s.commissions == s.slippage == D(0)
    assert s.win_rate is None and s.average_win is None and s.average_loss is None
    assert s.profit_factor is None and s.payoff_ratio is None and s.expectancy is None and s.expectancy_r is None
    assert s.sqn is None and s.sharpe is None and s.sortino is None
    assert s.max_drawdown.amount == 0 and s.max_drawdown.trough_ns is None
    assert s.average_hold_ns is None and s.r_distribution == () and s.trading_days == 0
    assert (s.longest_win_streak, s.longest_loss_streak, s.be_scratches) == (0, 0, 0)


def test_single_winner() -> None:
    # gross $105 - $5 fees = $100 net; 20 ticks realised over 10 ticks risk = 2R
    s = compute_statistics([fact("105", realised=20, mfe=25, mae=-3, hold_minutes=4)])
    assert (s.trades, s.wins, s.losses) == (1, 1, 0)
    assert s.win_rate == 1 and s.net_pnl == D(100) and s.average_win == 100 and s.largest_win == D(100)
    assert s.profit_factor is None and s.payoff_ratio is None and s.largest_loss is None
    assert s.expectancy == 100 and s.expectancy_r == 2 and s.sqn is None  # SQN needs two trades
    assert s.average_hold_ns == 4 * MINUTE_NS and s.average_hold_win_ns == 4 * MINUTE_NS
    assert s.average_hold_loss_ns is None
    assert (s.longest_win_streak, s.longest_loss_streak) == (1, 0)
    assert s.max_drawdown.amount == 0 and s.trading_days == 1 and s.winning_days == 1
    assert s.sharpe is None  # one day


def test_all_winners_have_no_profit_factor() -> None:
    s = compute_statistics([fact("105", n=1, realised=10), fact("55", n=2, realised=10)])
    assert s.win_rate == 1 and s.gross_profit == D(150) and s.gross_loss == 0
    assert s.profit_factor is None and s.average_win == 75 and s.largest_win == D(100)
    assert s.longest_win_streak == 2 and s.max_drawdown.amount == 0
    assert s.sqn is None  # both 1R: no spread


def test_all_losers_have_zero_profit_factor_and_an_unrecovered_drawdown() -> None:
    s = compute_statistics([fact("-95", n=1, realised=-10), fact("-45", n=2, realised=-5)], starting_balance=D(50_000))
    assert s.win_rate == 0 and s.profit_factor == 0 and s.average_loss == -75 and s.largest_loss == D(-100)
    assert s.expectancy == -75 and s.expectancy_r == F(-3, 4) and s.longest_loss_streak == 2
    dd = s.max_drawdown
    assert dd.amount == D(150) and dd.percent == F(150, 50_000)
    assert dd.peak_ns is None and dd.trough_ns == 2 and dd.recovered_ns is None  # peak is the start
    # SQN: R = -1, -1/2; mean -3/4; sample variance 1/8; sqrt(2) x -0.75 / sqrt(0.125) = -3
    assert s.sqn == D("-3.0000")


def mixed() -> list:  # type: ignore[type-arg]
    day_a, day_b, day_c = DAY, DAY + timedelta(days=1), DAY + timedelta(days=2)
    return [
        fact("205", n=1, realised=20, mfe=25, mae=-3, hold_minutes=10, day=day_a),
        fact("-95", n=2, realised=-10, mfe=4, mae=-10, hold_minutes=2, day=day_a),
        fact("5", n=3, realised=1, mfe=12, mae=-2, hold_minutes=6, day=day_b, break_even=True),
        fact("-95", n=4, realised=-10, mfe=0, mae=-10, hold_minutes=4, day=day_c),
        fact("305", n=5, realised=30, mfe=30, mae=-5, hold_minutes=20, day=day_c),
    ]


def test_mixed_five_trades_every_figure() -> None:
    # nets +200, -100, 0, -100, +300 (each gross less $5); R 2, -1, 1/10, -1, 3
    s = compute_statistics(mixed(), starting_balance=D(10_000))
    assert (s.trades, s.wins, s.losses, s.scratches) == (5, 2, 2, 1)
    assert s.win_rate == F(1, 2)
    assert s.net_pnl == D(300) and s.gross_pnl == D(325) and s.commissions == D(25)
    assert s.gross_profit == D(500) and s.gross_loss == D(-200)
    assert s.average_win == 250 and s.average_loss == -100
    assert s.largest_win == D(300) and s.largest_loss == D(-100)
    assert s.profit_factor == F(5, 2) and s.payoff_ratio == F(5, 2)
    assert s.expectancy == 60 and s.r_trades == 5 and s.expectancy_r == F(31, 50)
    # deviations 1.38 -1.62 -0.52 -1.62 2.38; squares sum 13.088; /4 = 3.272; sqrt(5) x 0.62 / sqrt(3.272)
    assert s.sqn == D("0.7664")
    # streaks: W L S L W; the scratch ends the loss run
    assert (s.longest_win_streak, s.longest_loss_streak) == (1, 1)
    # cumulative 200, 100, 100, 0, 300: peak 200 after T1, bottom 0 after T4, back above after T5
    dd = s.max_drawdown
    assert dd.amount == D(200) and dd.percent == F(200, 10_200)
    assert (dd.peak_ns, dd.trough_ns, dd.recovered_ns) == (1, 4, 5)
    # holds 10, 2, 6, 4, 20 minutes: mean 8.4; winners 15; losers 3
    assert s.average_hold_ns == 8 * MINUTE_NS + 24 * 1_000_000_000
    assert s.average_hold_win_ns == 15 * MINUTE_NS and s.average_hold_loss_ns == 3 * MINUTE_NS
    # MFE 2.5 0.4 1.2 0 3 (mean 1.42); MAE -0.3 -1 -0.2 -1 -0.5 (mean -0.6)
    assert s.average_mfe_r == F(71, 50) and s.average_mae_r == F(-3, 5)
    assert s.average_mfe_r_losers == F(1, 5) and s.average_mae_r_winners == F(-2, 5)
    # T3 reached 1.2R and left at the break-even stop with 0.1R: a BE scratch giving up 1.1R
    assert s.be_scratches == 1 and s.be_scratch_r_given_up == F(11, 10)
    # MFE - R: 0.5 + 1.4 + 1.1 + 1 + 0 = 4R; dollars at MFE (x $5 a tick) - gross: 0, 115, 55, 95, 0
    assert s.left_on_table_r == 4 and s.left_on_table == D(265)
    assert (s.trading_days, s.winning_days, s.losing_days) == (3, 2, 0)


def test_distributions_use_half_r_buckets_with_open_ends() -> None:
    s = compute_statistics(mixed())
    counts = {(b.low, b.high): b.count for b in s.r_distribution if b.count}
    assert counts == {(F(-1), F(-1, 2)): 2, (F(0), F(1, 2)): 1, (F(2), F(5, 2)): 1, (F(3), F(7, 2)): 1}
    assert len(s.r_distribution) == 18 and s.r_distribution[0].low is None and s.r_distribution[-1].high is None
    assert sum(b.count for b in s.mfe_distribution) == 5
    assert histogram([F(-10), F(5), F(99)])[0] == Bucket(None, F(-3), 1)
    assert histogram([F(-10), F(5), F(99)])[-1] == Bucket(F(5), None, 2)


def test_sharpe_and_sortino_on_daily_dollars_and_returns() -> None:
    day2 = DAY + timedelta(days=1)
    trades = [fact("305", n=1, day=DAY), fact("-95", n=2, day=day2)]  # days +300, -100
    s = compute_statistics(trades)
    # mean 100, sample stdev sqrt(80000): 100/282.84 x sqrt(252) = sqrt(31.5)
    assert s.sharpe == D("5.6125")
    # downside deviation sqrt(100^2 / 2): 100 / 70.71 x sqrt(252) = sqrt(504)
    assert s.sortino == D("22.4499")
    # With a balance the returns are 300/10000 and -100/10300; a day without trades counts as 0.
    with_balance = compute_statistics(trades, starting_balance=D(10_000), days=[DAY, day2, DAY + timedelta(3)])
    assert with_balance.trading_days == 3 and with_balance.sharpe is not None
    r = [F(3, 100), F(-1, 103), F(0)]
    mean = sum(r, F(0)) / 3
    var = sum(((x - mean) ** 2 for x in r), F(0)) / 2
    stdev = (D(var.numerator) / D(var.denominator)).sqrt()
    expected = (D(mean.numerator) / D(mean.denominator)) * D(252).sqrt() / stdev
    assert with_balance.sharpe == expected.quantize(D("0.0001"))
    assert compute_statistics([fact("105", n=1), fact("105", n=2, day=day2)]).sortino is None  # no down day


def test_equal_pnl_streaks_and_ties_in_exit_time_follow_the_trade_id() -> None:
    trades = [fact("55", n=i, closed_ns=100) for i in range(1, 4)] + [fact("-45", n=i, closed_ns=100) for i in (4, 5)]
    s = compute_statistics(reversed(trades))
    assert (s.longest_win_streak, s.longest_loss_streak) == (3, 2)
    assert s.max_drawdown.amount == D(100) and s.max_drawdown.recovered_ns is None


def test_slippage_and_trades_without_r() -> None:
    no_r = fact("-45", n=1, risk=None, slippage=D("12.50"))
    s = compute_statistics([no_r, fact("105", n=2, realised=20, slippage=D("2.50"))])
    assert s.slippage == D(15) and s.r_trades == 1 and s.expectancy_r == 2 and s.trades == 2


def test_drawdown_percent_is_of_equity_at_the_peak() -> None:
    dd = max_drawdown([(1, D(500)), (2, D(-300)), (3, D(-300)), (4, D(700))], D(1000))
    assert dd.amount == D(600) and dd.percent == F(600, 1500)
    assert (dd.peak_ns, dd.trough_ns, dd.recovered_ns) == (1, 3, 4)


def test_week_days_count() -> None:
    s = compute_statistics([fact("105")], days=[date(2025, 3, 3), date(2025, 3, 4)])
    assert (s.trading_days, s.winning_days, s.losing_days) == (2, 1, 0)
