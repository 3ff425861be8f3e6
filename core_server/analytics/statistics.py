"""Trading statistics of a list of closed trades (SPEC §8), exact: money in Decimal, ratios and R in Fraction.

`compute_statistics` works trade by trade; it is what the daily report, backtest reports (analytics.round_trips)
and any caller use, and the reference the server's columnar path (analytics.columns, numpy over integers, for
100,000 trades) is tested against. Every figure's one-line definition is in the README (Analytics). Conventions:
- A win has net P&L (gross - commissions) > 0, a loss < 0, a scratch exactly 0. Win rate leaves scratches out.
- Trades are taken in exit order (closed_ns, then id) for streaks and the trade-by-trade drawdown.
- R figures use only the trades with a known initial stop (`r_trades` of them).
- Square roots (SQN, Sharpe, Sortino) cannot be exact: SQN is computed from exact sums at 40 digits, Sharpe and
  Sortino from daily returns at 50 significant digits, and all three are rounded half-even to 4 places. Sharpe
  and Sortino use daily returns over the given trading days, a risk-free rate of 0 and annualise by sqrt(252).
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
RISK_FREE_RATE_DECIMAL = Decimal(0)
RETURN_DIGITS = 50
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
    presorted: bool = False,
) -> Statistics:
    """Statistics of the closed `trades`. `starting_balance` gives drawdown % and turns daily P&L into returns
    (P&L / equity at the day's start; without it Sharpe/Sortino use daily dollars). `days` are the trading days to
    count (days without a trade count as 0 P&L); None: only the days that have trades. `presorted`: the trades
    already come in exit order (closed_ns, then id).

    One pass over the trades: money in Decimal, and each R as an integer numerator over its denominator, summed
    per denominator (R denominators repeat), so 100,000 trades cost a few integer additions each."""
    ordered = list(trades) if presorted else sorted(trades, key=lambda t: (t.closed_ns, t.trade_id))
    a = _Pass(starting_balance)
    for t in ordered:
        a.add(t)
    wanted_days = sorted(set(days) if days is not None else set(a.day_pnl))
    sharpe, sortino = _sharpe_sortino(a.day_pnl, wanted_days, starting_balance)
    n, wins, losses, r_count = len(ordered), a.wins, a.losses, a.r_count
    average_win = _mean_money(a.gross_profit, wins)
    average_loss = _mean_money(a.gross_loss, losses)
    result_sum = _dsum(a.result_sums)
    return Statistics(
        trades=n,
        wins=wins,
        losses=losses,
        scratches=n - wins - losses,
        win_rate=Fraction(wins, wins + losses) if wins + losses else None,
        net_pnl=a.gross_profit + a.gross_loss,
        gross_pnl=a.gross,
        gross_profit=a.gross_profit,
        gross_loss=a.gross_loss,
        average_win=average_win,
        average_loss=average_loss,
        largest_win=a.largest_win,
        largest_loss=a.largest_loss,
        profit_factor=Fraction(a.gross_profit) / Fraction(-a.gross_loss) if a.gross_loss else None,
        payoff_ratio=average_win / -average_loss if average_win is not None and average_loss is not None else None,
        expectancy=_mean_money(a.gross_profit + a.gross_loss, n),
        r_trades=r_count,
        expectancy_r=result_sum / r_count if r_count else None,
        sqn=_sqn(r_count, result_sum, _dsum(a.result_squares)),
        max_drawdown=a.drawdown(),
        trading_days=len(wanted_days),
        winning_days=sum(1 for d in wanted_days if a.day_pnl.get(d, _ZERO) > 0),
        losing_days=sum(1 for d in wanted_days if a.day_pnl.get(d, _ZERO) < 0),
        sharpe=sharpe,
        sortino=sortino,
        longest_win_streak=a.best_win_streak,
        longest_loss_streak=a.best_loss_streak,
        commissions=a.commissions,
        slippage=a.slippage,
        average_hold_ns=a.hold // n if n else None,
        average_hold_win_ns=a.hold_win // wins if wins else None,
        average_hold_loss_ns=a.hold_loss // losses if losses else None,
        average_mfe_r=_dsum(a.mfe_sums) / r_count if r_count else None,
        average_mae_r=_dsum(a.mae_sums) / r_count if r_count else None,
        average_mfe_r_losers=_dsum(a.mfe_loser_sums) / a.r_losers if a.r_losers else None,
        average_mae_r_winners=_dsum(a.mae_winner_sums) / a.r_winners if a.r_winners else None,
        be_scratches=a.be_count,
        be_scratch_r_given_up=_dsum(a.be_mfe_sums) - _dsum(a.be_result_sums),
        left_on_table_r=_dsum(a.mfe_sums) - result_sum,
        left_on_table=a.left_on_table,
        r_distribution=a.results.buckets() if r_count else (),
        mfe_distribution=a.mfes.buckets() if r_count else (),
        mae_distribution=a.maes.buckets() if r_count else (),
    )


class _Buckets:
    """Half-R histogram counts of n/d values, in integer arithmetic (see `histogram`)."""

    def __init__(self, width: Fraction = R_BUCKET_WIDTH, low: Fraction = R_BUCKET_LOW, high: Fraction = R_BUCKET_HIGH):
        self.width, self.low, self.high = width, low, high
        self.inner = int((high - low) / width)
        self.counts = [0] * (self.inner + 2)
        self._ln, self._ld, self._hn, self._hd = low.numerator, low.denominator, high.numerator, high.denominator
        self._wn, self._wd = width.numerator, width.denominator

    def add(self, num: int, den: int) -> None:
        if num * self._ld < self._ln * den:
            self.counts[0] += 1
        elif num * self._hd >= self._hn * den:
            self.counts[-1] += 1
        else:
            self.counts[1 + ((num * self._ld - self._ln * den) * self._wd) // (den * self._ld * self._wn)] += 1

    def buckets(self) -> tuple[Bucket, ...]:
        low, width, counts = self.low, self.width, self.counts
        out = [Bucket(None, low, counts[0])]
        out += [Bucket(low + k * width, low + (k + 1) * width, counts[k + 1]) for k in range(self.inner)]
        out.append(Bucket(self.high, None, counts[-1]))
        return tuple(out)


class _Pass:
    """Everything compute_statistics needs, gathered in one pass over trades in exit order."""

    def __init__(self, starting_balance: Decimal | None) -> None:
        self.starting_balance = starting_balance
        self.wins = self.losses = self.r_count = self.r_winners = self.r_losers = self.be_count = 0
        self.gross = self.gross_profit = self.gross_loss = _ZERO
        self.commissions = self.slippage = self.left_on_table = _ZERO
        self.largest_win: Decimal | None = None
        self.largest_loss: Decimal | None = None
        self.hold = self.hold_win = self.hold_loss = 0
        self.win_streak = self.loss_streak = self.best_win_streak = self.best_loss_streak = 0
        self.day_pnl: dict[date, Decimal] = {}
        self.result_sums: dict[int, int] = defaultdict(int)  # denominator -> sum of numerators
        self.result_squares: dict[int, int] = defaultdict(int)
        self.mfe_sums: dict[int, int] = defaultdict(int)
        self.mae_sums: dict[int, int] = defaultdict(int)
        self.mfe_loser_sums: dict[int, int] = defaultdict(int)
        self.mae_winner_sums: dict[int, int] = defaultdict(int)
        self.be_mfe_sums: dict[int, int] = defaultdict(int)
        self.be_result_sums: dict[int, int] = defaultdict(int)
        self.results, self.mfes, self.maes = _Buckets(), _Buckets(), _Buckets()
        self.curve: list[tuple[int, Decimal]] = []

    def add(self, t: TradeFacts) -> None:
        gross = t.gross
        net = gross - t.commissions
        hold = t.closed_ns - t.opened_ns
        self.gross += gross
        self.commissions += t.commissions
        self.slippage += t.slippage
        self.hold += hold
        if net > 0:
            self.wins += 1
            self.gross_profit += net
            self.hold_win += hold
            if self.largest_win is None or net > self.largest_win:
                self.largest_win = net
            self.win_streak += 1
            self.loss_streak = 0
            self.best_win_streak = max(self.best_win_streak, self.win_streak)
        elif net < 0:
            self.losses += 1
            self.gross_loss += net
            self.hold_loss += hold
            if self.largest_loss is None or net < self.largest_loss:
                self.largest_loss = net
            self.loss_streak += 1
            self.win_streak = 0
            self.best_loss_streak = max(self.best_loss_streak, self.loss_streak)
        else:
            self.win_streak = self.loss_streak = 0
        day = t.trade_date
        self.day_pnl[day] = self.day_pnl.get(day, _ZERO) + net
        self.curve.append((t.closed_ns, net))
        if t.excursion_known:
            best = t.mfe_ticks * t.tick_value * t.quantity - gross
            if best > 0:
                self.left_on_table += best
        risk = t.risk_ticks
        if risk is None or not t.quantity:
            return
        self.r_count += 1
        den = risk * t.quantity
        realised, mfe, mae = t.realised_ticks, t.mfe_ticks, t.mae_ticks
        self.result_sums[den] += realised
        self.result_squares[den * den] += realised * realised
        self.mfe_sums[risk] += mfe
        self.mae_sums[risk] += mae
        self.results.add(realised, den)
        self.mfes.add(mfe, risk)
        self.maes.add(mae, risk)
        if net < 0:
            self.r_losers += 1
            self.mfe_loser_sums[risk] += mfe
        elif net > 0:
            self.r_winners += 1
            self.mae_winner_sums[risk] += mae
        if mfe >= risk and (t.break_even_exit or realised == 0):
            self.be_count += 1
            self.be_mfe_sums[risk] += mfe
            self.be_result_sums[den] += realised

    def drawdown(self) -> Drawdown:
        return max_drawdown(self.curve, self.starting_balance)


def _dsum(by_denominator: dict[int, int]) -> Fraction:
    """Sum of numerator / denominator over a denominator -> numerator-sum map."""
    return sum((Fraction(num, den) for den, num in by_denominator.items()), Fraction(0))


def daily_pnl(trades: Sequence[TradeFacts], nets: Sequence[Decimal] | None = None) -> dict[date, Decimal]:
    """Net P&L per booked trading day (`nets`: the trades' nets, when already computed)."""
    days: dict[date, Decimal] = defaultdict(lambda: _ZERO)
    for t, net in zip(trades, nets if nets is not None else [t.net for t in trades], strict=True):
        days[t.trade_date] += net
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


def _mean_money(total: Decimal, count: int) -> Fraction | None:
    return Fraction(total) / count if count else None


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


def _sqn(count: int, total: Fraction, squares: Fraction) -> Decimal | None:
    """Van Tharp's System Quality Number: sqrt(N) x mean(R) / sample stdev(R); None under 2 trades or no spread.
    The variance is (sum of R^2 - (sum of R)^2 / N) / (N - 1), exact."""
    if count < 2:
        return None
    variance = (squares - total * total / count) / (count - 1)
    if not variance:
        return None
    return _ratio(total / count, variance, count)


def daily_returns(
    day_pnl: dict[date, Decimal], days: Sequence[date], starting_balance: Decimal | None
) -> list[Decimal]:
    """Each day's P&L over the equity at its start (days in order; a day without trades is 0), to RETURN_DIGITS
    significant digits (exact ratios of 250 different equities would carry thousand-digit denominators for a
    figure shown to 4 places); without a starting balance, each day's P&L in dollars, exact."""
    returns: list[Decimal] = []
    equity = starting_balance
    with localcontext() as ctx:
        ctx.prec = RETURN_DIGITS
        for day in days:
            pnl = day_pnl.get(day, _ZERO)
            if equity is None:
                returns.append(pnl)
            else:
                returns.append(pnl / equity if equity > 0 else _ZERO)
                equity += pnl
    return returns


def _sharpe_sortino(
    day_pnl: dict[date, Decimal], days: Sequence[date], starting_balance: Decimal | None
) -> tuple[Decimal | None, Decimal | None]:
    """Annualised Sharpe (mean excess return / sample stdev) and Sortino (mean excess return / downside
    deviation, sqrt of the mean squared negative return over all days), with the risk-free rate 0; computed at
    RETURN_DIGITS significant digits and rounded half-even to 4 places."""
    returns = daily_returns(day_pnl, days, starting_balance)
    count = len(returns)
    if count < 2:
        return None, None
    with localcontext() as ctx:
        ctx.prec = RETURN_DIGITS
        mean = sum(returns, _ZERO) / count
        excess = mean - RISK_FREE_RATE_DECIMAL
        variance = sum(((r - mean) ** 2 for r in returns), _ZERO) / (count - 1)
        downside = sum((r * r for r in returns if r < 0), _ZERO) / count
        scale = Decimal(TRADING_DAYS_PER_YEAR).sqrt()
        sharpe = (excess / variance.sqrt() * scale).quantize(ROOT_PLACES, ROUND_HALF_EVEN) if variance else None
        sortino = (excess / downside.sqrt() * scale).quantize(ROOT_PLACES, ROUND_HALF_EVEN) if downside else None
    return sharpe, sortino
