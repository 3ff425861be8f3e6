"""Backtests (BacktestService): settings, runs and their progress, results, trades, sweeps. Money and prices are
exact Decimal (None where the report has no value, e.g. the R of a trade without a stop)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class BacktestStatus(StrEnum):
    """A run's state; a str, so `run.status == "done"` holds as before."""

    UNKNOWN = "unknown"  # a status this SDK does not know
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class FillMode(StrEnum):
    """When a resting limit fills in a backtest (the plain strings "through" and "touch" are accepted too)."""

    THROUGH = "through"  # only when the market trades (or quotes) through it
    TOUCH = "touch"  # when the market touches it


class ReportFormat(StrEnum):
    """A backtest report's format (the plain strings "json", "csv" and "html" are accepted too)."""

    JSON = "json"  # the whole report, exact decimal strings
    CSV = "csv"  # the trades
    HTML = "html"  # a self-contained page


FINISHED = (BacktestStatus.DONE, BacktestStatus.FAILED, BacktestStatus.CANCELLED)


@dataclass(frozen=True, slots=True)
class BacktestSettings:
    symbol: str  # ES (each day's front month, across rolls) or ESZ2025
    from_date: str  # CME trade dates YYYY-MM-DD, both included
    to_date: str
    strategy: str = ""  # a built-in (bracket-a-day, first-hour-breakout) ...
    params: dict[str, str] = field(default_factory=dict)
    definition: str = ""  # ... or a strategy definition (TOML or JSON text)
    fill: FillMode | str = FillMode.THROUGH  # or FillMode.TOUCH ("touch"): when a resting limit fills
    slippage_ticks: int = 0
    latency_ms: tuple[int, int] = (0, 0)
    preset: str = ""  # a prop-firm preset: the report names the day the evaluation would have failed
    seed: int = 1
    starting_balance: Decimal | None = None
    commission: Decimal | None = None  # dollars per contract per side (None: the server's rate for the root)


@dataclass(frozen=True, slots=True)
class BacktestRun:
    run_id: str
    sweep_id: str
    status: BacktestStatus
    settings: BacktestSettings
    contract_id: str
    ticks_done: int
    ticks_total: int  # 0 while unknown
    reached_ns: int
    created_ns: int
    started_ns: int
    finished_ns: int
    error: str
    summary: dict[str, str]  # figure -> exact decimal text, once done

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def progress(self) -> float | None:
        """Share of the ticks done (0..1), None while the total is unknown."""
        return min(1.0, self.ticks_done / self.ticks_total) if self.ticks_total else None


@dataclass(frozen=True, slots=True)
class BacktestTrade:
    trade_id: str
    strategy: str
    strategy_version: str
    contract: str
    side: str  # long or short
    quantity: int
    entry_ns: int
    entry_price: Decimal
    stop: Decimal | None
    target: Decimal | None
    exit_ns: int
    exit_price: Decimal | None
    exit_reason: str  # SL, TP, strategy, flatten, reverse, order, EOD (flat-by), risk, roll (front-month roll)
    points: Decimal | None
    gross: Decimal
    commission: Decimal
    net: Decimal
    r: Decimal | None
    mfe_r: Decimal | None
    mae_r: Decimal | None
    mfe_points: Decimal
    mae_points: Decimal
    entry_day: str
    exit_day: str


@dataclass(frozen=True, slots=True)
class StrategyNote:
    ts_ns: int
    kind: str
    message: str


@dataclass(frozen=True, slots=True)
class BacktestDay:
    date: str
    orders_placed: int
    orders_filled: int
    orders_cancelled: int
    orders_denied: int
    trades: int
    net: Decimal
    notes: tuple[StrategyNote, ...]


@dataclass(frozen=True, slots=True)
class EquityPoint:
    ts_ns: int
    trade_id: str
    equity: Decimal
    drawdown: Decimal  # <= 0


@dataclass(frozen=True, slots=True)
class BacktestResult:
    run: BacktestRun
    days: tuple[BacktestDay, ...]
    equity: tuple[EquityPoint, ...]
    failed_day: str  # "" when the preset's evaluation did not fail
    failed_reason: str
    ticks: int


@dataclass(frozen=True, slots=True)
class TradePage:
    trades: tuple[BacktestTrade, ...]
    total: int


@dataclass(frozen=True, slots=True)
class Report:
    content: str
    filename: str


@dataclass(frozen=True, slots=True)
class SweepRow:
    params: dict[str, str]
    run: BacktestRun


@dataclass(frozen=True, slots=True)
class Sweep:
    sweep_id: str
    rows: tuple[SweepRow, ...]
    done: int
    total: int
