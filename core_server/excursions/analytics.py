"""Excursion analytics over ended trades (SPEC §4): R left on the table, break-even scratches, MFE/MAE by outcome.

Every figure is exact (Fraction R, Decimal points). Snapshots of trades still open are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from core_server.excursions.model import ExcursionSnapshot

SCRATCH_MIN_MFE_R = Fraction(1)


def _ended(results: Iterable[ExcursionSnapshot]) -> list[ExcursionSnapshot]:
    return [s for s in results if s.result_r is not None]


def _result(s: ExcursionSnapshot) -> Fraction:
    if s.result_r is None:
        raise ValueError(f"trade {s.trade_id!r} is still open")
    return s.result_r


def left_on_table_r(s: ExcursionSnapshot) -> Fraction:
    """MFE minus the realised R: how much of the best move the exit gave back (>= 0)."""
    return s.mfe_r - _result(s)


def left_on_table_points(s: ExcursionSnapshot) -> Decimal:
    """The same in points per contract (exact)."""
    if s.result_points is None:
        raise ValueError(f"trade {s.trade_id!r} is still open")
    return s.mfe_points - s.result_points


def is_break_even_scratch(s: ExcursionSnapshot, min_mfe_r: Fraction = SCRATCH_MIN_MFE_R) -> bool:
    """SPEC §4: a trade that reached `min_mfe_r` (default +1R) and ended at exactly 0R, however it ended. A
    break-even stop with an offset books the offset's R (+0.02R, -2/3R): a small win or loss, not a scratch."""
    return s.result_r == 0 and s.mfe_r >= min_mfe_r


def mfe_on_losers(results: Iterable[ExcursionSnapshot]) -> tuple[Fraction, ...]:
    """MFE of every ended trade with a negative result: how far losers went right before they failed."""
    return tuple(s.mfe_r for s in _ended(results) if _result(s) < 0)


def mae_on_winners(results: Iterable[ExcursionSnapshot]) -> tuple[Fraction, ...]:
    """MAE of every ended trade with a positive result: the heat winners took (<= 0)."""
    return tuple(s.mae_r for s in _ended(results) if _result(s) > 0)


def _mean(values: Sequence[Fraction]) -> Fraction | None:
    return sum(values, Fraction(0)) / len(values) if values else None


@dataclass(frozen=True, slots=True)
class ExcursionStats:
    """Totals over ended trades; means are None when there is nothing to average."""

    trades: int
    total_result_r: Fraction
    total_mfe_r: Fraction
    total_left_on_table_r: Fraction
    mean_left_on_table_r: Fraction | None
    break_even_scratches: int
    losers: int
    mean_mfe_on_losers_r: Fraction | None
    winners: int
    mean_mae_on_winners_r: Fraction | None


def excursion_stats(results: Iterable[ExcursionSnapshot], min_mfe_r: Fraction = SCRATCH_MIN_MFE_R) -> ExcursionStats:
    ended = _ended(results)
    left = [left_on_table_r(s) for s in ended]
    losers = mfe_on_losers(ended)
    winners = mae_on_winners(ended)
    return ExcursionStats(
        trades=len(ended),
        total_result_r=sum((_result(s) for s in ended), Fraction(0)),
        total_mfe_r=sum((s.mfe_r for s in ended), Fraction(0)),
        total_left_on_table_r=sum(left, Fraction(0)),
        mean_left_on_table_r=_mean(left),
        break_even_scratches=sum(1 for s in ended if is_break_even_scratch(s, min_mfe_r)),
        losers=len(losers),
        mean_mfe_on_losers_r=_mean(losers),
        winners=len(winners),
        mean_mae_on_winners_r=_mean(winners),
    )
