"""vigil.v1 backtests messages <-> SDK models."""

from __future__ import annotations

from decimal import Decimal

from clients.sdk import enums
from clients.sdk.backtests import (
    BacktestDay,
    BacktestResult,
    BacktestRun,
    BacktestSettings,
    BacktestStatus,
    BacktestTrade,
    EquityPoint,
    FillMode,
    ReportFormat,
    StrategyNote,
    Sweep,
    SweepRow,
)
from clients.sdk.convert import decimal_from_wire, optional_decimal_from_wire
from clients.sdk.errors import InvalidArgumentError
from vigil.v1 import backtests_pb2 as pb


def report_format_to_pb(value: ReportFormat | str) -> pb.ReportFormat.ValueType:
    try:
        return enums.REPORT_FORMAT.to_proto[ReportFormat(value)]
    except ValueError:
        raise InvalidArgumentError("format", "use json, csv or html") from None


def settings_to_pb(s: BacktestSettings) -> pb.BacktestSettings:
    try:
        fill = FillMode(s.fill)
    except ValueError:
        raise InvalidArgumentError("fill", "use 'through' or 'touch'") from None
    return pb.BacktestSettings(
        symbol=s.symbol, from_date=s.from_date, to_date=s.to_date, strategy=s.strategy, params=s.params,
        definition=s.definition, fill=enums.FILL_MODE.to_proto[fill],
        slippage_ticks=s.slippage_ticks, latency_min_ms=s.latency_ms[0], latency_max_ms=s.latency_ms[1],
        preset=s.preset, seed=s.seed, starting_balance=str(s.starting_balance or ""),
        commission="" if s.commission is None else str(s.commission),
    )  # fmt: skip


def settings_from_pb(m: pb.BacktestSettings) -> BacktestSettings:
    return BacktestSettings(
        m.symbol, m.from_date, m.to_date, m.strategy, dict(m.params), m.definition,
        enums.FILL_MODE.from_proto.get(m.fill, FillMode.THROUGH), m.slippage_ticks,
        (m.latency_min_ms, m.latency_max_ms), m.preset, m.seed, optional_decimal_from_wire(m.starting_balance),
        optional_decimal_from_wire(m.commission),
    )  # fmt: skip


def run_from_pb(m: pb.BacktestRun) -> BacktestRun:
    status = enums.BACKTEST_STATUS.from_proto.get(m.status, BacktestStatus.UNKNOWN)
    return BacktestRun(
        m.run_id, m.sweep_id, status, settings_from_pb(m.settings), m.contract_id,
        m.ticks_done, m.ticks_total, m.reached_ns, m.created_ns, m.started_ns, m.finished_ns, m.error,
        dict(m.summary),
    )  # fmt: skip


def _opt(text: str) -> Decimal | None:
    return optional_decimal_from_wire(text)


def trade_from_pb(m: pb.BacktestTrade) -> BacktestTrade:
    return BacktestTrade(
        m.trade_id, m.strategy, m.strategy_version, m.contract, m.side, int(m.quantity or 0), m.entry_ns,
        decimal_from_wire(m.entry_price), _opt(m.stop), _opt(m.target), m.exit_ns, _opt(m.exit_price),
        m.exit_reason, _opt(m.points), decimal_from_wire(m.gross), decimal_from_wire(m.commission),
        decimal_from_wire(m.net), _opt(m.r), _opt(m.mfe_r), _opt(m.mae_r), decimal_from_wire(m.mfe_points),
        decimal_from_wire(m.mae_points), m.entry_day, m.exit_day,
    )  # fmt: skip


def result_from_pb(m: pb.GetBacktestResultResponse) -> BacktestResult:
    days = tuple(
        BacktestDay(d.date, d.orders_placed, d.orders_filled, d.orders_cancelled, d.orders_denied, d.trades,
                    decimal_from_wire(d.net), tuple(StrategyNote(n.ts_ns, n.kind, n.message) for n in d.notes))
        for d in m.days
    )  # fmt: skip
    equity = tuple(
        EquityPoint(p.ts_ns, p.trade_id, decimal_from_wire(p.equity), decimal_from_wire(p.drawdown)) for p in m.equity
    )
    return BacktestResult(run_from_pb(m.run), days, equity, m.failed_day, m.failed_reason, m.ticks)


def sweep_from_pb(m: pb.GetSweepResponse) -> Sweep:
    rows = tuple(SweepRow(dict(r.params), run_from_pb(r.run)) for r in m.rows)
    return Sweep(m.sweep_id, rows, m.done, m.total)
