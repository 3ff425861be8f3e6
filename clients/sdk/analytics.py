"""Analytics values: statistics, P&L calendar periods, equity days and excursions, with exact Decimal money and R.

A figure the server leaves empty (a profit factor without a loss, a win rate without a decided trade) is None.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from clients.sdk.trades import TradeDirection


class GroupBy(StrEnum):
    NONE = ""
    STRATEGY = "strategy"
    ROOT = "root"
    SESSION = "session"
    HOUR = "hour"
    WEEKDAY = "weekday"
    DAY = "day"


@dataclass(frozen=True, slots=True)
class AnalyticsFilter:
    """Every set field narrows the selection; see the README's Analytics section."""

    account_ids: tuple[str, ...] = ()
    strategy_id: str = ""
    strategy_version: int = 0
    roots: tuple[str, ...] = ()
    direction: TradeDirection | None = None
    session_windows: tuple[str, ...] = ()
    hours: tuple[int, ...] = ()  # US Eastern hour of the entry
    weekdays: tuple[int, ...] = ()  # 1 Monday .. 7 Sunday, of the booked trading day
    from_date: date | None = None
    to_date: date | None = None
    sources: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    setup: str = ""


@dataclass(frozen=True, slots=True)
class RBucket:
    low: Decimal | None  # None: open below
    high: Decimal | None  # None: open above
    count: int


@dataclass(frozen=True, slots=True)
class DrawdownFigure:
    amount: Decimal
    percent: Decimal | None
    peak_ns: int
    trough_ns: int
    recovered_ns: int


@dataclass(frozen=True, slots=True)
class Statistics:
    trades: int
    wins: int
    losses: int
    scratches: int
    win_rate: Decimal | None
    net_pnl: Decimal | None
    gross_pnl: Decimal | None
    gross_profit: Decimal | None
    gross_loss: Decimal | None
    average_win: Decimal | None
    average_loss: Decimal | None
    largest_win: Decimal | None
    largest_loss: Decimal | None
    profit_factor: Decimal | None
    payoff_ratio: Decimal | None
    expectancy: Decimal | None
    r_trades: int
    expectancy_r: Decimal | None
    sqn: Decimal | None
    max_drawdown: DrawdownFigure
    trading_days: int
    winning_days: int
    losing_days: int
    sharpe: Decimal | None
    sortino: Decimal | None
    longest_win_streak: int
    longest_loss_streak: int
    commissions: Decimal | None
    slippage: Decimal | None
    average_hold_ns: int
    average_hold_win_ns: int
    average_hold_loss_ns: int
    average_mfe_r: Decimal | None
    average_mae_r: Decimal | None
    average_mfe_r_losers: Decimal | None
    average_mae_r_winners: Decimal | None
    be_scratches: int
    be_scratch_r_given_up: Decimal | None
    left_on_table_r: Decimal | None
    left_on_table: Decimal | None
    r_distribution: tuple[RBucket, ...]
    mfe_distribution: tuple[RBucket, ...]
    mae_distribution: tuple[RBucket, ...]


@dataclass(frozen=True, slots=True)
class StatisticsReport:
    overall: Statistics
    groups: tuple[tuple[str, Statistics], ...]  # (label, statistics) in the server's order


@dataclass(frozen=True, slots=True)
class PnlPeriod:
    date: date
    net_pnl: Decimal
    gross_pnl: Decimal
    commissions: Decimal
    trades: int
    wins: int
    losses: int
    win_rate: Decimal | None


@dataclass(frozen=True, slots=True)
class PnlCalendar:
    days: tuple[PnlPeriod, ...]
    weeks: tuple[PnlPeriod, ...]
    months: tuple[PnlPeriod, ...]
    total: PnlPeriod


@dataclass(frozen=True, slots=True)
class EquityDay:
    date: date
    start_balance: Decimal
    end_balance: Decimal
    net_pnl: Decimal
    high_water: Decimal
    floor: Decimal | None
    drawdown: Decimal
    trades: int


@dataclass(frozen=True, slots=True)
class EquityCurve:
    starting_balance: Decimal
    days: tuple[EquityDay, ...]
    max_drawdown: Decimal | None


@dataclass(frozen=True, slots=True)
class ExcursionPoint:
    trade_id: str
    contract_id: str
    direction: TradeDirection
    result_r: Decimal | None
    mfe_r: Decimal | None
    mae_r: Decimal | None
    net_pnl: Decimal
    closed_ns: int
    be_scratch: bool


@dataclass(frozen=True, slots=True)
class ExcursionReport:
    trades: tuple[ExcursionPoint, ...]
    r_distribution: tuple[RBucket, ...]
    mfe_distribution: tuple[RBucket, ...]
    mae_distribution: tuple[RBucket, ...]
    average_mfe_r_losers: Decimal | None
    average_mae_r_winners: Decimal | None
    be_scratches: int
    be_scratch_r_given_up: Decimal | None
    left_on_table_r: Decimal | None
    left_on_table: Decimal | None


class ImportFormat(StrEnum):
    AUTO = ""
    TRADOVATE_PERFORMANCE = "tradovate_performance"
    TRADOVATE_FILLS = "tradovate_fills"
    NINJATRADER_EXECUTIONS = "ninjatrader_executions"


@dataclass(frozen=True, slots=True)
class ImportSummary:
    imported: int  # round trips newly stored
    trade_ids: tuple[str, ...]
    duplicates: int  # already stored by an earlier import
    executions: int
    open_at_end: int  # positions still open at the end of the file: left out


@dataclass(frozen=True, slots=True)
class DailyReport:
    date: date
    net_pnl: Decimal
    trades: int
    daily_loss_used: Decimal
    daily_loss_limit: Decimal | None
    distance_to_floor: Decimal | None
    text: str
    html: str  # a self-contained HTML file with charts
