"""Trading statistics of a list of closed trades (SPEC §8), exact: money in Decimal, ratios and R in Fraction.

One function, `compute_statistics`, used by the AnalyticsService, the daily report and backtest reports alike. Every
figure's one-line definition is in the README ("Analytics: what each number means"). Conventions:
- A win has net P&L (gross - commissions) > 0, a loss < 0, a scratch exactly 0. Win rate leaves scratches out.
- Trades are taken in exit order (closed_ns, then id) for streaks and the trade-by-trade drawdown.
- R figures use only the trades with a known initial stop (`r_trades` of them).
- Square roots (SQN, Sharpe, Sortino) cannot be exact: they are computed at 40 digits and rounded half-even to
  4 places. Sharpe and Sortino use daily returns over the given trading days, a risk-free rate of 0 and
  annualise by sqrt(252).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction

from core_server.analytics.facts import TradeFacts

_ZERO = Decimal(0)
TRADING_DAYS_PER_YEAR = 252
RISK_FREE_RATE = Fraction(0)
ROOT_PLACES = Decimal("0.0001")
# R histograms: half-R buckets from -3R to +5R, with an open bucket below and above.
R_BUCKET_WIDTH = Fraction(1, 2)
R_BUCKET_LOW = Fraction(-3)
R_BUCKET_HIGH = Fraction(5)


@dataclass(frozen=True, slots=True)
class Drawdown:
    """The deepest fall of cumulative net P&L below its running peak (the peak starts at 0 before any trade)."""

    amount: Decimal  # >= 0
    percent: Fraction | None  # of the equity at the peak (starting balance + peak P&L); None without a balance
    peak_ns: int | None  # exit of the trade that set the peak; None: the start
    trough_ns: int | None  # exit of the trade at the bottom; None: no drawdown
    recovered_ns: int | None  # exit of the first trade back at or above the peak; None: not recovered


NO_DRAWDOWN = Drawdown(_ZERO, None, None, None, None)


@dataclass(frozen=True, slots=True)
class Bucket:
    """Trades with low <= value < high; None is an open end."""

    low: Fraction | None
    high: Fraction | None
    count: int


@dataclass(frozen=True, slots=True)
class Statistics:
    trades: int
    wins: int
    losses: int
    scratches: int
    win_rate: Fraction | None  # wins / (wins + losses)
    net_pnl: Decimal
    gross_pnl: Decimal
    gross_profit: Decimal  # sum of winners' net
    gross_loss: Decimal  # sum of losers' net (<= 0)
    average_win: Fraction | None
    average_loss: Fraction | None  # negative
    largest_win: Decimal | None
    largest_loss: Decimal | None  # negative
    profit_factor: Fraction | None  # gross profit / |gross loss|
    payoff_ratio: Fraction | None  # average win / |average loss|
    expectancy: Fraction | None  # net P&L / trades
    r_trades: int
    expectancy_r: Fraction | None  # mean R
    sqn: Decimal | None  # sqrt(N) x mean R / sample stdev R
    max_drawdown: Drawdown
    trading_days: int
    winning_days: int
    losing_days: int
    sharpe: Decimal | None
    sortino: Decimal | None
    longest_win_streak: int
    longest_loss_streak: int
    commissions: Decimal
    slippage: Decimal
    average_hold_ns: int | None
    average_hold_win_ns: int | None
    average_hold_loss_ns: int | None
    average_mfe_r: Fraction | None
    average_mae_r: Fraction | None
    average_mfe_r_losers: Fraction | None  # how far losers went in favour first
    average_mae_r_winners: Fraction | None  # how much heat winners took
    be_scratches: int  # closed at break-even (0R or the BE stop) after MFE >= 1R
    be_scratch_r_given_up: Fraction  # sum of MFE - result R over those
    left_on_table_r: Fraction  # sum of MFE - result R over every R trade
    left_on_table: Decimal  # sum of max(0, MFE dollars - gross) over every trade
    r_distribution: tuple[Bucket, ...]
    mfe_distribution: tuple[Bucket, ...]
    mae_distribution: tuple[Bucket, ...]


def compute_statistics(
    trades: Iterable[TradeFacts],
    *,
    starting_balance: Decimal | None = None,
    days: Sequence[date] | None = None,
) -> Statistics:
    """Statistics of the closed `trades`. `starting_balance` gives drawdown % and turns daily P&L into returns
    (P&L / equity at the day's start; without it Sharpe/Sortino use daily dollars). `days` are the trading days to
    count (days without a trade count as 0 P&L); None: only the days that have trades."""
    ordered = sorted(trades, key=lambda t: (t.closed_ns, t.trade_id))
    n = len(ordered)
    nets = [t.net for t in ordered]
    win_nets = [x for x in nets if x > 0]
    loss_nets = [x for x in nets if x < 0]
    wins, losses = len(win_nets), len(loss_nets)
    gross_profit = sum(win_nets, _ZERO)
    gross_loss = sum(loss_nets, _ZERO)
    net_pnl = sum(nets, _ZERO)
    average_win = _mean_money(gross_profit, wins)
    average_loss = _mean_money(gross_loss, losses)

    r_values = [r for r in (t.result_r for t in ordered) if r is not None]
    r_trades = [t for t in ordered if t.risk_ticks is not None and t.quantity]
    winners = [t for t in ordered if t.net > 0]
    losers = [t for t in ordered if t.net < 0]
    be = [t for t in r_trades if is_be_scratch(t)]

    day_pnl = daily_pnl(ordered)
    wanted_days = sorted(set(days) if days is not None else set(day_pnl))
    sharpe, sortino = _sharpe_sortino(day_pnl, wanted_days, starting_balance)
    win_streak, loss_streak = _streaks(nets)
    return Statistics(
        trades=n,
        wins=wins,
        losses=losses,
        scratches=n - wins - losses,
        win_rate=Fraction(wins, wins + losses) if wins + losses else None,
        net_pnl=net_pnl,
        gross_pnl=sum((t.gross for t in ordered), _ZERO),
        gross_profit=gross_profit,
        gross_loss=gross_loss,
        average_win=average_win,
        average_loss=average_loss,
        largest_win=max(win_nets) if win_nets else None,
        largest_loss=min(loss_nets) if loss_nets else None,
        profit_factor=Fraction(gross_profit) / Fraction(-gross_loss) if gross_loss else None,
        payoff_ratio=average_win / -average_loss if average_win is not None and average_loss is not None else None,
        expectancy=_mean_money(net_pnl, n),
        r_trades=len(r_values),
        expectancy_r=_mean(r_values),
        sqn=_sqn(r_values),
        max_drawdown=max_drawdown([(t.closed_ns, t.net) for t in ordered], starting_balance),
        trading_days=len(wanted_days),
        winning_days=sum(1 for d in wanted_days if day_pnl.get(d, _ZERO) > 0),
        losing_days=sum(1 for d in wanted_days if day_pnl.get(d, _ZERO) < 0),
        sharpe=sharpe,
        sortino=sortino,
        longest_win_streak=win_streak,
        longest_loss_streak=loss_streak,
        commissions=sum((t.commissions for t in ordered), _ZERO),
        slippage=sum((t.slippage for t in ordered), _ZERO),
        average_hold_ns=_mean_ns([t.hold_ns for t in ordered]),
        average_hold_win_ns=_mean_ns([t.hold_ns for t in winners]),
        average_hold_loss_ns=_mean_ns([t.hold_ns for t in losers]),
        average_mfe_r=_mean([_r(t.mfe_ticks, t) for t in r_trades]),
        average_mae_r=_mean([_r(t.mae_ticks, t) for t in r_trades]),
        average_mfe_r_losers=_mean([_r(t.mfe_ticks, t) for t in r_trades if t.net < 0]),
        average_mae_r_winners=_mean([_r(t.mae_ticks, t) for t in r_trades if t.net > 0]),
        be_scratches=len(be),
        be_scratch_r_given_up=_fsum(_given_up(t) for t in be),
        left_on_table_r=_fsum(_given_up(t) for t in r_trades),
        left_on_table=sum((max(_ZERO, t.mfe_dollars - t.gross) for t in ordered), _ZERO),
        r_distribution=histogram(r_values),
        mfe_distribution=histogram([_r(t.mfe_ticks, t) for t in r_trades]),
        mae_distribution=histogram([_r(t.mae_ticks, t) for t in r_trades]),
    )


def daily_pnl(trades: Iterable[TradeFacts]) -> dict[date, Decimal]:
    """Net P&L per booked trading day."""
    days: dict[date, Decimal] = defaultdict(lambda: _ZERO)
    for t in trades:
        days[t.trade_date] += t.net
    return dict(days)


def max_drawdown(curve: Sequence[tuple[int, Decimal]], starting_balance: Decimal | None = None) -> Drawdown:
    """The deepest drawdown of cumulative P&L over (ns, change) steps in time order (peak starts at 0)."""
    cumulative = peak = best_peak = _ZERO
    peak_ns: int | None = None
    best = NO_DRAWDOWN
    for ts, change in curve:
        cumulative += change
        if best.trough_ns is not None and best.recovered_ns is None and cumulative >= best_peak:
            best = replace(best, recovered_ns=ts)
        if cumulative > peak:
            peak, peak_ns = cumulative, ts
        elif peak - cumulative > best.amount:
            depth = peak - cumulative
            base = None if starting_balance is None else starting_balance + peak
            percent = Fraction(depth) / Fraction(base) if base else None
            best = Drawdown(depth, percent, peak_ns, ts, None)
            best_peak = peak
    return best


def histogram(
    values: Sequence[Fraction],
    width: Fraction = R_BUCKET_WIDTH,
    low: Fraction = R_BUCKET_LOW,
    high: Fraction = R_BUCKET_HIGH,
) -> tuple[Bucket, ...]:
    """Counts in [low + k*width, low + (k+1)*width) buckets, with open buckets below `low` and at or above `high`;
    empty when there are no values."""
    if not values:
        return ()
    inner = int((high - low) / width)
    counts = [0] * (inner + 2)
    for v in values:
        if v < low:
            counts[0] += 1
        elif v >= high:
            counts[-1] += 1
        else:
            counts[1 + int((v - low) // width)] += 1
    buckets = [Bucket(None, low, counts[0])]
    buckets += [Bucket(low + k * width, low + (k + 1) * width, counts[k + 1]) for k in range(inner)]
    buckets.append(Bucket(high, None, counts[-1]))
    return tuple(buckets)


def is_be_scratch(t: TradeFacts) -> bool:
    """MFE reached 1R and the trade closed at the break-even stop or at 0 ticks."""
    risk = t.risk_ticks
    if risk is None:
        return False
    reached_1r = t.mfe_ticks >= risk
    return reached_1r and (t.break_even_exit or t.realised_ticks == 0)


def _r(ticks: int, t: TradeFacts) -> Fraction:
    assert t.risk_ticks is not None
    return Fraction(ticks, t.risk_ticks)


def _given_up(t: TradeFacts) -> Fraction:
    result = t.result_r
    assert result is not None and t.risk_ticks is not None
    return Fraction(t.mfe_ticks, t.risk_ticks) - result


def _streaks(nets: Sequence[Decimal]) -> tuple[int, int]:
    """Longest runs of consecutive wins and of consecutive losses; a scratch ends both."""
    best_win = best_loss = win = loss = 0
    for x in nets:
        win = win + 1 if x > 0 else 0
        loss = loss + 1 if x < 0 else 0
        best_win, best_loss = max(best_win, win), max(best_loss, loss)
    return best_win, best_loss


def _fsum(values: Iterable[Fraction]) -> Fraction:
    """Exact sum, grouping numerators by denominator first (R denominators repeat, so this stays fast)."""
    by_denominator: dict[int, int] = defaultdict(int)
    for v in values:
        by_denominator[v.denominator] += v.numerator
    return sum((Fraction(num, den) for den, num in by_denominator.items()), Fraction(0))


def _mean(values: Sequence[Fraction]) -> Fraction | None:
    return _fsum(values) / len(values) if values else None


def _mean_money(total: Decimal, count: int) -> Fraction | None:
    return Fraction(total) / count if count else None


def _mean_ns(values: Sequence[int]) -> int | None:
    """Mean in whole nanoseconds (rounded down)."""
    return sum(values) // len(values) if values else None


def _variance(values: Sequence[Fraction], mean: Fraction, ddof: int) -> Fraction:
    return _fsum((v - mean) ** 2 for v in values) / (len(values) - ddof)


def _sqrt(value: Fraction) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 40
        return (Decimal(value.numerator) / Decimal(value.denominator)).sqrt()


def _ratio(numerator: Fraction, denominator_squared: Fraction, scale: int) -> Decimal:
    """numerator x sqrt(scale) / sqrt(denominator_squared), rounded half-even to 4 places."""
    with localcontext() as ctx:
        ctx.prec = 40
        value = Decimal(numerator.numerator) / Decimal(numerator.denominator) * _sqrt(Fraction(scale))
        value /= _sqrt(denominator_squared)
        return value.quantize(ROOT_PLACES, rounding=ROUND_HALF_EVEN)


def _sqn(r_values: Sequence[Fraction]) -> Decimal | None:
    """Van Tharp's System Quality Number: sqrt(N) x mean(R) / sample stdev(R); None under 2 trades or no spread."""
    if len(r_values) < 2:
        return None
    mean = _mean(r_values)
    assert mean is not None
    variance = _variance(r_values, mean, 1)
    if not variance:
        return None
    return _ratio(mean, variance, len(r_values))


def daily_returns(
    day_pnl: dict[date, Decimal], days: Sequence[date], starting_balance: Decimal | None
) -> list[Fraction]:
    """Each day's P&L over the equity at its start (days in order; a day without trades is 0); without a starting
    balance, each day's P&L in dollars."""
    returns: list[Fraction] = []
    equity = starting_balance
    for day in days:
        pnl = day_pnl.get(day, _ZERO)
        if equity is None:
            returns.append(Fraction(pnl))
        else:
            returns.append(Fraction(pnl) / Fraction(equity) if equity > 0 else Fraction(0))
            equity += pnl
    return returns


def _sharpe_sortino(
    day_pnl: dict[date, Decimal], days: Sequence[date], starting_balance: Decimal | None
) -> tuple[Decimal | None, Decimal | None]:
    """Annualised Sharpe (mean excess return / sample stdev) and Sortino (mean excess return / downside
    deviation, sqrt of the mean squared negative return over all days), with the risk-free rate 0."""
    returns = daily_returns(day_pnl, days, starting_balance)
    if len(returns) < 2:
        return None, None
    mean = _fsum(returns) / len(returns)
    excess = mean - RISK_FREE_RATE
    variance = _variance(returns, mean, 1)
    sharpe = _ratio(excess, variance, TRADING_DAYS_PER_YEAR) if variance else None
    downside = _fsum(r * r for r in returns if r < 0) / len(returns)
    sortino = _ratio(excess, downside, TRADING_DAYS_PER_YEAR) if downside else None
    return sharpe, sortino
