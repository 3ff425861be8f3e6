"""The backtest report: trade by trade, per day, summary and equity curve, as plain JSON-able values.

Every amount is an exact decimal string (money to the cent as the kernel booked it, prices on the tick grid or
averages to the instrument's places + 4, R and ratios to 4 places half-even); times are UTC ns plus ISO text;
nothing depends on when or how fast the report was made, so the same run gives byte-identical JSON.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from enum import Enum
from fractions import Fraction
from typing import Any

from core_server.analytics.facts import facts_of
from core_server.analytics.slippage import trips_slippage
from core_server.analytics.statistics import compute_statistics
from core_server.backtest.config import BacktestConfig
from core_server.backtest.recorder import BacktestRecord
from core_server.calendar.trading_day import trading_day_of
from core_server.model.instruments import Contract
from core_server.model.symbols import parse_symbol
from core_server.risk.events import RiskEventKind, Rule
from core_server.trades.model import ExitReason, RoundTrip

REPORT_VERSION = 1
RATIO = Decimal("0.0001")
CENT = Decimal("0.01")


class ReportFormat(Enum):
    JSON = "json"  # the whole report
    CSV = "csv"  # the trades
    HTML = "html"  # a self-contained page


# The report's exit reasons (issue 11 §3): SL, TP, strategy exit, cancel/flatten, EOD (risk's flat-by; `risk` is a
# breach, a failure or the emergency stop), roll (closed at a continuous symbol's front-month roll, kernel.front_roll)
EXIT_LABELS = {
    ExitReason.STOP: "SL",
    ExitReason.TARGET: "TP",
    ExitReason.STRATEGY: "strategy",
    ExitReason.CLOSE: "flatten",
    ExitReason.REVERSE: "reverse",
    ExitReason.ORDER: "order",
    ExitReason.RISK: "risk",
    ExitReason.RECONCILED: "reconciled",
    ExitReason.ROLL: "roll",
}

TRADE_COLUMNS = (
    "trade_id", "strategy", "strategy_version", "contract", "side", "quantity", "entry_time", "entry_ns",
    "entry_price", "stop", "target", "exit_time", "exit_ns", "exit_price", "exit_reason", "points", "gross",
    "commission", "net", "r", "mfe_r", "mae_r", "mfe_points", "mae_points", "entry_day", "exit_day",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class RunInfo:
    """What identifies a run besides its config: the strategy and the code that ran."""

    strategy: str = ""
    strategy_version: int = 0
    code_version: str = ""


def ratio(value: Fraction | Decimal | None) -> str:
    if value is None:
        return ""
    exact = Decimal(value.numerator) / Decimal(value.denominator) if isinstance(value, Fraction) else value
    return str(exact.quantize(RATIO, rounding=ROUND_HALF_EVEN))


def money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_EVEN))


def iso(ts_ns: int | None) -> str:
    if ts_ns is None:
        return ""
    seconds, rest = divmod(ts_ns, 1_000_000_000)
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{rest:09d}Z"


def _price(contract: Contract, total: int, quantity: int) -> str:
    if not quantity:
        return ""
    spec = contract.spec
    if total % quantity == 0:
        return spec.format_ticks(total // quantity)
    return str(spec.average_price(total, quantity))


def _points(value: Fraction, places: int) -> str:
    """Points per contract: exact on the tick grid, else to the instrument's places + 4 (half-even)."""
    scale = 10 ** (places + 4)
    scaled = value * scale
    if (value * 10**places).denominator == 1:
        return f"{Decimal(value.numerator) / Decimal(value.denominator):.{places}f}"
    return str(Decimal(round(scaled)).scaleb(-(places + 4)))


def _eod_closes(record: BacktestRecord) -> dict[str, list[tuple[int, bool]]]:
    """Per account, risk's close-out actions in order: (instant, whether it was the flat-by)."""
    actions: dict[str, list[tuple[int, bool]]] = {}
    for event in record.risk:
        if event.account_id is not None and event.kind in _CLOSE_OUTS:
            actions.setdefault(event.account_id, []).append((event.ts_event, event.rule is Rule.FLAT_BY))
    return actions


_CLOSE_OUTS = (RiskEventKind.LOCKED, RiskEventKind.BREACH, RiskEventKind.FAILED, RiskEventKind.EMERGENCY_STOP)


def _exit_label(trip: RoundTrip, eod: dict[str, list[tuple[int, bool]]]) -> str:
    if trip.exit_reason is None:
        return "open"
    if trip.exit_reason is ExitReason.RISK and trip.account_id is not None and trip.closed_ns is not None:
        # The risk action that closed it is the last one at or before the close: EOD when it was the flat-by.
        before = [flat_by for ts, flat_by in eod.get(trip.account_id, []) if ts <= trip.closed_ns]
        if before and before[-1]:
            return "EOD"
    return EXIT_LABELS.get(trip.exit_reason, "open")


def trade_row(
    trip: RoundTrip,
    contracts: dict[str, Contract],
    info: RunInfo | None = None,
    eod: dict[str, list[tuple[int, bool]]] | None = None,
) -> dict[str, str]:
    contract = contracts.get(trip.contract_id) or parse_symbol(trip.contract_id, trip.opened_ns)
    spec = contract.spec
    ex = trip.excursion
    points = ""
    if trip.exit_qty:
        exact = Fraction(trip.realised_ticks, trip.exit_qty) * Fraction(spec.tick_size)
        points = _points(exact, spec.price_places)
    return {
        "trade_id": trip.trade_id,
        "strategy": trip.strategy_id or "",
        "strategy_version": str(
            info.strategy_version
            if info is not None and info.strategy_version and trip.strategy_id == info.strategy
            else trip.strategy_version or ""
        ),
        "contract": trip.contract_id,
        "side": "long" if trip.direction.sign > 0 else "short",
        "quantity": str(trip.max_qty),
        "entry_time": iso(trip.opened_ns),
        "entry_ns": str(trip.opened_ns),
        "entry_price": _price(contract, trip.entry_cost, trip.entry_qty),
        "stop": spec.format_ticks(trip.initial_stop) if trip.initial_stop is not None else "",
        "target": spec.format_ticks(trip.target) if trip.target is not None else "",
        "exit_time": iso(trip.closed_ns),
        "exit_ns": str(trip.closed_ns) if trip.closed_ns is not None else "",
        "exit_price": _price(contract, trip.exit_cost, trip.exit_qty),
        "exit_reason": _exit_label(trip, eod or {}),
        "points": points,
        "gross": money(trip.gross),
        "commission": money(trip.commissions),
        "net": money(trip.net),
        "r": ratio(trip.result_r),
        "mfe_r": ratio(ex.mfe_r),
        "mae_r": ratio(ex.mae_r),
        "mfe_points": format(ex.mfe_points, "f"),
        "mae_points": format(ex.mae_points, "f"),
        "entry_day": trading_day_of(trip.opened_ns).isoformat(),
        "exit_day": trading_day_of(trip.closed_ns).isoformat() if trip.closed_ns is not None else "",
    }


def _cents(value: Fraction | Decimal | None) -> str:
    if value is None:
        return ""
    exact = Decimal(value.numerator) / Decimal(value.denominator) if isinstance(value, Fraction) else value
    return money(exact)


def summary(trips: list[RoundTrip], balance: Decimal, slippage: dict[str, Decimal] | None = None) -> dict[str, str]:
    """The statistics of SPEC §8 over the closed trades, from analytics.statistics (the one implementation the
    AnalyticsService uses too), as exact decimal strings ("" where a figure does not exist). `slippage`: dollars
    per trade id (analytics.slippage.trips_slippage of the run's orders and fills)."""
    paid = slippage or {}
    zero = Decimal(0)
    stats = compute_statistics(
        [facts_of(t, slippage=paid.get(t.trade_id, zero)) for t in trips], starting_balance=balance
    )
    dd = stats.max_drawdown

    def opt(value: Decimal | None) -> str:
        return "" if value is None else str(value)

    return {
        "trades": str(stats.trades),
        "wins": str(stats.wins),
        "losses": str(stats.losses),
        "scratches": str(stats.scratches),
        "win_rate": ratio(stats.win_rate),
        "gross": money(stats.gross_pnl),
        "commissions": money(stats.commissions),
        "slippage": money(stats.slippage),
        "net": money(stats.net_pnl),
        "average_win": _cents(stats.average_win),
        "average_loss": _cents(stats.average_loss),
        "largest_win": _cents(stats.largest_win),
        "largest_loss": _cents(stats.largest_loss),
        "profit_factor": ratio(stats.profit_factor),
        "payoff_ratio": ratio(stats.payoff_ratio),
        "expectancy": _cents(stats.expectancy),
        "expectancy_r": ratio(stats.expectancy_r),
        "sqn": opt(stats.sqn),
        "max_drawdown": money(dd.amount),
        "max_drawdown_percent": ratio(dd.percent * 100 if dd.percent is not None else None),
        "sharpe": opt(stats.sharpe),
        "sortino": opt(stats.sortino),
        "trading_days": str(stats.trading_days),
        "winning_days": str(stats.winning_days),
        "losing_days": str(stats.losing_days),
        "longest_win_streak": str(stats.longest_win_streak),
        "longest_loss_streak": str(stats.longest_loss_streak),
        "average_mfe_r": ratio(stats.average_mfe_r),
        "average_mae_r": ratio(stats.average_mae_r),
        "starting_balance": money(balance),
        "ending_balance": money(balance + stats.net_pnl),
    }


def equity_curve(trips: list[RoundTrip], balance: Decimal) -> list[dict[str, str]]:
    points = []
    equity = peak = balance
    for trip in trips:
        equity += trip.net
        peak = max(peak, equity)
        points.append({"ts_ns": str(trip.closed_ns), "trade_id": trip.trade_id, "equity": money(equity),
                       "drawdown": money(equity - peak)})  # fmt: skip
    return points


def day_rows(record: BacktestRecord, trips: list[RoundTrip]) -> list[dict[str, Any]]:
    by_day: dict[date, dict[str, Any]] = {}

    def row(day: date) -> dict[str, Any]:
        found = by_day.get(day)
        if found is None:
            found = by_day[day] = {"date": day.isoformat(), "orders_placed": 0, "orders_filled": 0,
                                   "orders_cancelled": 0, "orders_denied": 0, "trades": 0, "net": Decimal(0),
                                   "strategy_events": []}  # fmt: skip
        return found

    for day, counts in record.days.items():
        r = row(day)
        r["orders_placed"], r["orders_filled"] = counts.placed, counts.filled
        r["orders_cancelled"], r["orders_denied"] = counts.cancelled, counts.denied
    for trip in trips:
        r = row(trading_day_of(trip.closed_ns or trip.opened_ns))
        r["trades"] += 1
        r["net"] += trip.net
    for event in record.strategy_events:
        ts = getattr(event, "ts_ns", None)
        if isinstance(ts, int):
            row(trading_day_of(ts))["strategy_events"].append(
                {
                    "ts_ns": str(ts),
                    "kind": str(getattr(event, "kind", "")),
                    "message": str(getattr(event, "message", "")),
                }
            )
    out = []
    for day in sorted(by_day):
        r = by_day[day]
        out.append({**r, "net": money(r["net"]), "orders_placed": str(r["orders_placed"]),
                    "orders_filled": str(r["orders_filled"]), "orders_cancelled": str(r["orders_cancelled"]),
                    "orders_denied": str(r["orders_denied"]), "trades": str(r["trades"])})  # fmt: skip
    return out


def build_report(config: BacktestConfig, record: BacktestRecord, info: RunInfo = RunInfo()) -> dict[str, Any]:
    contracts = {c.id: c for c in config.contracts}
    trips = record.closed_trips()
    eod = _eod_closes(record)
    balance = config.balance
    return {
        "report_version": REPORT_VERSION,
        "run": {
            "strategy": info.strategy,
            "strategy_version": info.strategy_version,
            "code_version": info.code_version,
            "contracts": [c.id for c in config.contracts],
            "from": iso(config.start_ns),
            "to": iso(config.end_ns),
            "fill_model": config.fill.label,
            "seed": config.seed,
            "preset": config.preset,
            "commission_per_side": money(config.commission),
            "starting_balance": money(balance),
        },
        "data": {
            "ticks": record.ticks,
            "anomalies": record.anomalies,
            "candles": record.candles,
            "first": iso(record.first_ns or None),
            "last": iso(record.last_ns or None),
        },
        "risk": {
            "failed_day": record.failed_day.isoformat() if record.failed_day else "",
            "failed_reason": record.failed_reason,
            "events": [
                {"ts_ns": str(e.ts_event), "kind": e.kind.label, "rule": e.rule.name.lower(), "reason": e.reason}
                for e in record.risk
            ],
        },
        "summary": summary(trips, balance, trips_slippage(trips, record.orders, record.fills)),
        "trades": [trade_row(t, contracts, info, eod) for t in trips],
        "open_trades": [trade_row(t, contracts, info, eod) for t in record.trips.values() if t.closed_ns is None],
        "days": day_rows(record, trips),
        "equity": equity_curve(trips, balance),
        "failures": [{"stage": f.stage.value, "ts_ns": str(f.ts_ns), "error": f.error} for f in record.failures],
    }


def to_json(report: dict[str, Any]) -> str:
    return json.dumps(report, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def trades_csv(report: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=TRADE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in report["trades"]:
        writer.writerow(row)
    return buffer.getvalue()
