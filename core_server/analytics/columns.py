"""The same statistics as statistics.compute_statistics, over columns of integers (numpy), for 100,000 trades.

Exactness is kept by integers only: money in units of 1/10,000 dollar (every amount a trade carries has at most
4 decimals, or `Columns.build` returns None and the caller uses the per-trade code), R as numerator over
denominator summed per denominator, times in ns. numpy never sees a float here. tests/unit/analytics compares both
paths on random trades and the hand-computed cases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from core_server.analytics.facts import TradeFacts
from core_server.analytics.filters import (
    NO_WINDOW,
    EntryClock,
    GroupBy,
    TradeQuery,
    entry_hour_at,
    group_key,
    label_order,
)
from core_server.analytics.statistics import (
    NO_DRAWDOWN,
    R_BUCKET_HIGH,
    R_BUCKET_LOW,
    R_BUCKET_WIDTH,
    Bucket,
    Drawdown,
    Statistics,
    _mean_money,
    _sharpe_sortino,
    _sqn,
)

SCALE = 10_000  # money units per dollar
_DSCALE = Decimal(SCALE)
Ints = npt.NDArray[np.int64]
MAX_UNITS = 2**62 // 200_000  # far from overflow when 100,000 of them are summed twice


def _units(value: Decimal) -> int | None:
    scaled = value * SCALE
    if scaled != scaled.to_integral_value():
        return None
    units = int(scaled)
    return units if abs(units) <= MAX_UNITS else None


@dataclass(frozen=True, slots=True)
class Columns:
    """Per-trade integer columns, in the order of the facts given (exit order)."""

    facts: tuple[TradeFacts, ...]
    closed_ns: Ints
    hold_ns: Ints
    net: Ints  # units
    gross: Ints
    commissions: Ints
    slippage: Ints
    left: Ints  # max(0, MFE dollars - gross) in units, 0 when no excursion was observed
    risk: Ints  # 0: no R
    den: Ints  # risk x quantity (1 where no R, masked out)
    realised: Ints
    mfe: Ints
    mae: Ints
    be: npt.NDArray[np.bool_]
    day: Ints  # ordinal of the booked trading day
    places: int = 2  # decimals money is shown with: the most any trade's amounts carry

    @classmethod
    def build(cls, facts: Sequence[TradeFacts]) -> Columns | None:
        n = len(facts)
        rows = np.zeros((13, n), dtype=np.int64)
        be = np.zeros(n, dtype=np.bool_)
        places = 0
        for i, t in enumerate(facts):
            for amount in (t.gross, t.commissions, t.slippage):
                exponent = amount.as_tuple().exponent
                if isinstance(exponent, int) and -exponent > places:
                    places = -exponent
            net, gross, fees, slip = _units(t.net), _units(t.gross), _units(t.commissions), _units(t.slippage)
            if net is None or gross is None or fees is None or slip is None:
                return None
            left = 0
            if t.excursion_known:
                best = _units(t.mfe_ticks * t.tick_value * t.quantity)
                if best is None:
                    return None
                left = max(0, best - gross)
            risk = t.risk_ticks if t.risk_ticks is not None and t.quantity else 0
            rows[:, i] = (
                t.closed_ns, t.closed_ns - t.opened_ns, net, gross, fees, slip, left, risk,
                risk * t.quantity if risk else 1, t.realised_ticks, t.mfe_ticks, t.mae_ticks, t.trade_date.toordinal(),
            )  # fmt: skip
            be[i] = bool(risk) and t.mfe_ticks >= risk and (t.break_even_exit or t.realised_ticks == 0)
        named: dict[str, Any] = dict(zip(_ARRAYS[:12], rows[:12], strict=True))
        return cls(tuple(facts), **named, be=be, day=rows[12], places=min(places, 4))

    def extend(self, more: Columns) -> Columns:
        """These trades followed by `more` (which come after them in exit order)."""
        joined: dict[str, Any] = {name: np.concatenate((getattr(self, name), getattr(more, name))) for name in _ARRAYS}
        return Columns((*self.facts, *more.facts), **joined, places=max(self.places, more.places))

    def take(self, index: npt.NDArray[np.intp]) -> Columns:
        picked: dict[str, Any] = {name: getattr(self, name)[index] for name in _ARRAYS}
        return Columns(tuple(self.facts[i] for i in index), **picked, places=self.places)


_BY_TIME = frozenset({"hour", "group:hour", "window", "group:session"})
_ARRAYS = ("closed_ns", "hold_ns", "net", "gross", "commissions", "slippage", "left", "risk", "den", "realised",
           "mfe", "mae", "be", "day")  # fmt: skip


def _money(units: int, places: int) -> Decimal:
    """Units as dollars with `places` decimals (exact: every amount summed had at most that many)."""
    return (Decimal(units) / _DSCALE).quantize(Decimal(1).scaleb(-places))


def _sum_by(numerators: Ints, denominators: Ints) -> Fraction:
    """Σ numerator / denominator, exact: integer sums per distinct denominator."""
    if not len(numerators):
        return Fraction(0)
    order = np.argsort(denominators, kind="stable")
    dens = denominators[order]
    starts = np.flatnonzero(np.r_[True, dens[1:] != dens[:-1]])
    sums = np.add.reduceat(numerators[order], starts)
    return sum((Fraction(int(s), int(d)) for s, d in zip(sums, dens[starts], strict=True)), Fraction(0))


def _histogram(num: Ints, den: Ints) -> tuple[Bucket, ...]:
    if not len(num):
        return ()
    low, high, width = R_BUCKET_LOW, R_BUCKET_HIGH, R_BUCKET_WIDTH
    inner = int((high - low) / width)
    ln, ld, hn, hd = low.numerator, low.denominator, high.numerator, high.denominator
    wn, wd = width.numerator, width.denominator
    under = num * ld < ln * den
    over = num * hd >= hn * den
    middle = ~(under | over)
    k = ((num[middle] * ld - ln * den[middle]) * wd) // (den[middle] * ld * wn)
    counts = np.bincount(k, minlength=inner)
    buckets = [Bucket(None, low, int(under.sum()))]
    buckets += [Bucket(low + i * width, low + (i + 1) * width, int(counts[i])) for i in range(inner)]
    buckets.append(Bucket(high, None, int(over.sum())))
    return tuple(buckets)


def _streaks(sign: Ints) -> tuple[int, int]:
    """Longest runs of +1 and of -1 in `sign` (0 ends both)."""
    if not len(sign):
        return 0, 0
    change = np.flatnonzero(np.r_[True, sign[1:] != sign[:-1], True])
    lengths = np.diff(change)
    values = sign[change[:-1]]
    wins = lengths[values > 0]
    losses = lengths[values < 0]
    return int(wins.max()) if len(wins) else 0, int(losses.max()) if len(losses) else 0


def _drawdown(c: Columns, starting_balance: Decimal | None) -> Drawdown:
    if not len(c.net):
        return NO_DRAWDOWN
    cumulative = np.cumsum(c.net)
    peak = np.maximum.accumulate(np.maximum(cumulative, 0))
    depth = peak - cumulative
    trough = int(np.argmax(depth))
    amount = int(depth[trough])
    if amount <= 0:
        return NO_DRAWDOWN
    top = int(peak[trough])
    reached = np.flatnonzero(cumulative[: trough + 1] == top) if top > 0 else np.array([], dtype=np.intp)
    peak_ns = int(c.closed_ns[reached[0]]) if len(reached) else None
    after = np.flatnonzero(cumulative[trough + 1 :] >= top)
    recovered = int(c.closed_ns[trough + 1 + after[0]]) if len(after) else None
    depth_money = _money(amount, c.places)
    base = None if starting_balance is None else starting_balance + _money(top, c.places)
    percent = Fraction(depth_money) / Fraction(base) if base else None
    return Drawdown(depth_money, percent, peak_ns, int(c.closed_ns[trough]), recovered)


def column_statistics(
    c: Columns, *, starting_balance: Decimal | None = None, days: Sequence[date] | None = None
) -> Statistics:
    """compute_statistics of the trades in `c` (already in exit order)."""
    n = len(c.net)
    net = c.net
    won, lost = net > 0, net < 0
    wins, losses = int(won.sum()), int(lost.sum())
    gross_profit, gross_loss = _money(int(net[won].sum()), c.places), _money(int(net[lost].sum()), c.places)
    average_win, average_loss = _mean_money(gross_profit, wins), _mean_money(gross_loss, losses)
    has_r = c.risk > 0
    r_count = int(has_r.sum())
    realised, den, risk = c.realised[has_r], c.den[has_r], c.risk[has_r]
    mfe, mae = c.mfe[has_r], c.mae[has_r]
    result_sum = _sum_by(realised, den)
    mfe_sum = _sum_by(mfe, risk)
    if n:
        first_day = int(c.day.min())
        ordinals = c.day - first_day
        per_day = np.bincount(ordinals, weights=None, minlength=0)  # which days have trades
        sums = np.zeros(len(per_day), dtype=np.int64)
        np.add.at(sums, ordinals, net)
        day_pnl = {
            date.fromordinal(first_day + int(i)): _money(int(sums[i]), c.places) for i in np.flatnonzero(per_day)
        }
    else:
        day_pnl = {}
    wanted_days = sorted(set(days) if days is not None else set(day_pnl))
    sharpe, sortino = _sharpe_sortino(day_pnl, wanted_days, starting_balance)
    win_streak, loss_streak = _streaks(np.sign(net))
    holds = c.hold_ns
    r_won, r_lost = won[has_r], lost[has_r]
    be = c.be
    return Statistics(
        trades=n,
        wins=wins,
        losses=losses,
        scratches=n - wins - losses,
        win_rate=Fraction(wins, wins + losses) if wins + losses else None,
        net_pnl=gross_profit + gross_loss,
        gross_pnl=_money(int(c.gross.sum()), c.places),
        gross_profit=gross_profit,
        gross_loss=gross_loss,
        average_win=average_win,
        average_loss=average_loss,
        largest_win=_money(int(net[won].max()), c.places) if wins else None,
        largest_loss=_money(int(net[lost].min()), c.places) if losses else None,
        profit_factor=Fraction(gross_profit) / Fraction(-gross_loss) if gross_loss else None,
        payoff_ratio=average_win / -average_loss if average_win is not None and average_loss is not None else None,
        expectancy=_mean_money(gross_profit + gross_loss, n),
        r_trades=r_count,
        expectancy_r=result_sum / r_count if r_count else None,
        sqn=_sqn(r_count, result_sum, _sum_by(realised * realised, den * den)),
        max_drawdown=_drawdown(c, starting_balance),
        trading_days=len(wanted_days),
        winning_days=sum(1 for d in wanted_days if day_pnl.get(d, Decimal(0)) > 0),
        losing_days=sum(1 for d in wanted_days if day_pnl.get(d, Decimal(0)) < 0),
        sharpe=sharpe,
        sortino=sortino,
        longest_win_streak=win_streak,
        longest_loss_streak=loss_streak,
        commissions=_money(int(c.commissions.sum()), c.places),
        slippage=_money(int(c.slippage.sum()), c.places),
        average_hold_ns=_mean_ns(holds) if n else None,
        average_hold_win_ns=_mean_ns(holds[won]) if wins else None,
        average_hold_loss_ns=_mean_ns(holds[lost]) if losses else None,
        average_mfe_r=mfe_sum / r_count if r_count else None,
        average_mae_r=_sum_by(mae, risk) / r_count if r_count else None,
        average_mfe_r_losers=_sum_by(mfe[r_lost], risk[r_lost]) / int(r_lost.sum()) if r_lost.any() else None,
        average_mae_r_winners=_sum_by(mae[r_won], risk[r_won]) / int(r_won.sum()) if r_won.any() else None,
        be_scratches=int(be.sum()),
        be_scratch_r_given_up=_sum_by(c.mfe[be], c.risk[be]) - _sum_by(c.realised[be], c.den[be]),
        left_on_table_r=mfe_sum - result_sum,
        left_on_table=_money(int(c.left.sum()), c.places),
        r_distribution=_histogram(realised, den),
        mfe_distribution=_histogram(mfe, risk),
        mae_distribution=_histogram(mae, risk),
    )


def _mean_ns(holds: Ints) -> int:
    """Mean in whole ns, rounded down, summed in seconds and remainders so no int64 overflows."""
    seconds, rest = np.divmod(holds, 1_000_000_000)
    total = int(seconds.sum()) * 1_000_000_000 + int(rest.sum())
    return total // len(holds)


class TradeIndex:
    """Filters and groups over the facts as integer codes, so a query over 100,000 trades is a few vector
    comparisons. Codes are built on first use of a dimension and kept (the desk builds a new index on reload)."""

    def __init__(self, facts: Sequence[TradeFacts], columns: Columns, clock: EntryClock) -> None:
        self.facts = facts
        self.columns = columns
        self.clock = clock
        self._codes: dict[str, tuple[dict[object, int], Ints]] = {}

    def build_codes(self) -> None:
        """Build now (not on first use) the codes the first queries need: entry hour and session window, account,
        root and source. A desk calls it off the event loop after reading the trades."""
        self._time_codes()
        self._coded("account", lambda t: t.account_id)
        self._coded("root", lambda t: t.root)
        self._coded("source", lambda t: t.source)

    def _coded(self, name: str, key: Callable[[TradeFacts], object]) -> tuple[dict[object, int], Ints]:
        found = self._codes.get(name)
        if found is None and name in _BY_TIME:
            self._time_codes()
            found = self._codes[name]
        if found is None:
            mapping: dict[object, int] = {}
            codes = np.fromiter(
                (mapping.setdefault(key(t), len(mapping)) for t in self.facts), np.int64, len(self.facts)
            )
            found = self._codes[name] = (mapping, codes)
        return found

    def _time_codes(self) -> None:
        """Entry hour (US Eastern) and session window codes, from each distinct UTC minute of the entries: both are
        constant within a UTC minute (window bounds are whole minutes, zone offsets whole hours or halves)."""
        opened = self.columns.closed_ns - self.columns.hold_ns
        minutes, inverse = np.unique(opened // 60_000_000_000, return_inverse=True)
        clock = self.clock
        hours = [entry_hour_at(int(m) * 60_000_000_000) for m in minutes]
        windows = [clock.windows.window_at(int(m) * 60_000_000_000) or NO_WINDOW for m in minutes]
        for name, values, label in (
            ("hour", hours, lambda h: h), ("group:hour", hours, lambda h: f"{h:02d}"),
            ("window", windows, lambda w: w), ("group:session", windows, lambda w: w),
        ):  # fmt: skip
            mapping: dict[object, int] = {}
            per_minute = np.array([mapping.setdefault(label(v), len(mapping)) for v in values], dtype=np.int64)
            self._codes[name] = (mapping, per_minute[inverse])

    def _isin(self, name: str, key: Callable[[TradeFacts], object], wanted: Iterable[object]) -> npt.NDArray[np.bool_]:
        mapping, codes = self._coded(name, key)
        chosen = [mapping[w] for w in wanted if w in mapping]
        return np.isin(codes, np.array(chosen, dtype=np.int64))

    def select(self, q: TradeQuery) -> npt.NDArray[np.intp]:
        """Positions (in exit order) of the trades the query selects."""
        mask = np.ones(len(self.facts), dtype=np.bool_)
        if q.account_ids:
            mask &= self._isin("account", lambda t: t.account_id, q.account_ids)
        if q.strategy_id:
            mask &= self._isin("strategy", lambda t: t.strategy_id, (q.strategy_id,))
        if q.strategy_version is not None:
            mask &= self._isin("version", lambda t: t.strategy_version, (q.strategy_version,))
        if q.roots:
            mask &= self._isin("root", lambda t: t.root, q.roots)
        if q.direction is not None:
            mask &= self._isin("direction", lambda t: t.direction, (q.direction,))
        if q.sources:
            mask &= self._isin("source", lambda t: t.source, q.sources)
        if q.setup:
            mask &= self._isin("setup", lambda t: t.setup, (q.setup,))
        day = self.columns.day
        if q.from_date is not None:
            mask &= day >= q.from_date.toordinal()
        if q.to_date is not None:
            mask &= day <= q.to_date.toordinal()
        if q.weekdays:
            mask &= np.isin((day - 1) % 7, np.array(sorted(q.weekdays), dtype=np.int64))
        if q.hours:
            mask &= self._isin("hour", self.clock.hour, q.hours)
        if q.session_windows:
            mask &= self._isin("window", self.clock.window, q.session_windows)
        if q.tags:
            for i in np.flatnonzero(mask):
                if not q.tags.issubset(self.facts[int(i)].tags):
                    mask[i] = False
        return np.flatnonzero(mask)

    def groups(self, by: GroupBy, positions: npt.NDArray[np.intp]) -> list[tuple[str, npt.NDArray[np.intp]]]:
        """(label, positions) per group of the selected positions, labels in display order."""
        key = group_key(by, self.clock)
        mapping, codes = self._coded(f"group:{by.value}", key)
        labels = {code: label for label, code in mapping.items()}
        chosen = codes[positions]
        found = {str(labels[int(code)]): positions[chosen == code] for code in np.unique(chosen)}
        return [(label, found[label]) for label in label_order(by, found, self.clock)]
