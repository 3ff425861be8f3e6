"""Conversions between the AnalyticsService messages and the SDK's analytics values."""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from typing import Any

from clients.sdk import enums
from clients.sdk.analytics import (
    AnalyticsFilter,
    DrawdownFigure,
    EquityCurve,
    EquityDay,
    ExcursionPoint,
    ExcursionReport,
    PnlCalendar,
    PnlPeriod,
    RBucket,
    Statistics,
    StatisticsReport,
)
from clients.sdk.convert import decimal_from_wire, optional_decimal_from_wire
from clients.sdk.convert_trades import _DIRECTION_FROM_PB
from clients.sdk.trades import TradeDirection
from vigil.v1 import analytics_pb2 as pb
from vigil.v1 import trades_pb2

GROUP_BY_TO_PB = enums.GROUP_BY.to_proto
_DIRECTION_TO_PB = {
    TradeDirection.LONG: trades_pb2.TRADE_DIRECTION_LONG,
    TradeDirection.SHORT: trades_pb2.TRADE_DIRECTION_SHORT,
}
_BUCKETS = ("r_distribution", "mfe_distribution", "mae_distribution")


def filter_to_pb(f: AnalyticsFilter | None) -> pb.AnalyticsFilter:
    if f is None:
        return pb.AnalyticsFilter()
    return pb.AnalyticsFilter(
        account_ids=f.account_ids,
        strategy_id=f.strategy_id,
        strategy_version=f.strategy_version,
        roots=f.roots,
        direction=_DIRECTION_TO_PB.get(f.direction, trades_pb2.TRADE_DIRECTION_UNSPECIFIED)
        if f.direction is not None
        else trades_pb2.TRADE_DIRECTION_UNSPECIFIED,
        session_windows=f.session_windows,
        hours=f.hours,
        weekdays=f.weekdays,
        from_date=f.from_date.isoformat() if f.from_date else "",
        to_date=f.to_date.isoformat() if f.to_date else "",
        sources=f.sources,
        tags=f.tags,
        setup=f.setup,
    )


def buckets_from_pb(items: Any) -> tuple[RBucket, ...]:
    return tuple(RBucket(optional_decimal_from_wire(b.low), optional_decimal_from_wire(b.high), b.count) for b in items)


def statistics_from_pb(msg: pb.Statistics) -> Statistics:
    values: dict[str, Any] = {}
    for f in fields(Statistics):
        raw = getattr(msg, f.name)
        if f.name in _BUCKETS:
            values[f.name] = buckets_from_pb(raw)
        elif f.name == "max_drawdown":
            values[f.name] = DrawdownFigure(
                decimal_from_wire(raw.amount), optional_decimal_from_wire(raw.percent), raw.peak_ns, raw.trough_ns,
                raw.recovered_ns,
            )  # fmt: skip
        elif isinstance(raw, str):
            values[f.name] = optional_decimal_from_wire(raw)
        else:
            values[f.name] = raw
    return Statistics(**values)


def report_from_pb(msg: pb.GetStatisticsResponse) -> StatisticsReport:
    return StatisticsReport(
        statistics_from_pb(msg.overall), tuple((g.label, statistics_from_pb(g.statistics)) for g in msg.groups)
    )


def period_from_pb(msg: pb.PnlPeriod) -> PnlPeriod:
    return PnlPeriod(
        date=date.fromisoformat(msg.date) if msg.date and msg.date != "0001-01-01" else date.min,
        net_pnl=decimal_from_wire(msg.net_pnl),
        gross_pnl=decimal_from_wire(msg.gross_pnl),
        commissions=decimal_from_wire(msg.commissions),
        trades=msg.trades,
        wins=msg.wins,
        losses=msg.losses,
        win_rate=optional_decimal_from_wire(msg.win_rate),
    )


def calendar_from_pb(msg: pb.GetCalendarResponse) -> PnlCalendar:
    return PnlCalendar(
        tuple(period_from_pb(d) for d in msg.days),
        tuple(period_from_pb(w) for w in msg.weeks),
        tuple(period_from_pb(m) for m in msg.months),
        period_from_pb(msg.total),
    )


def equity_from_pb(msg: pb.GetEquityCurveResponse) -> EquityCurve:
    days = tuple(
        EquityDay(
            date=date.fromisoformat(d.date),
            start_balance=decimal_from_wire(d.start_balance),
            end_balance=decimal_from_wire(d.end_balance),
            net_pnl=decimal_from_wire(d.net_pnl),
            high_water=decimal_from_wire(d.high_water),
            floor=optional_decimal_from_wire(d.floor),
            drawdown=decimal_from_wire(d.drawdown),
            trades=d.trades,
        )
        for d in msg.days
    )
    return EquityCurve(decimal_from_wire(msg.starting_balance), days, optional_decimal_from_wire(msg.max_drawdown))


def excursions_from_pb(msg: pb.GetExcursionsResponse) -> ExcursionReport:
    points = tuple(
        ExcursionPoint(
            trade_id=t.trade_id,
            contract_id=t.contract_id,
            direction=_DIRECTION_FROM_PB.get(t.direction, TradeDirection.UNKNOWN),
            result_r=optional_decimal_from_wire(t.result_r),
            mfe_r=optional_decimal_from_wire(t.mfe_r),
            mae_r=optional_decimal_from_wire(t.mae_r),
            net_pnl=decimal_from_wire(t.net_pnl),
            closed_ns=t.closed_ns,
            be_scratch=t.be_scratch,
        )
        for t in msg.trades
    )
    return ExcursionReport(
        trades=points,
        r_distribution=buckets_from_pb(msg.r_distribution),
        mfe_distribution=buckets_from_pb(msg.mfe_distribution),
        mae_distribution=buckets_from_pb(msg.mae_distribution),
        average_mfe_r_losers=optional_decimal_from_wire(msg.average_mfe_r_losers),
        average_mae_r_winners=optional_decimal_from_wire(msg.average_mae_r_winners),
        be_scratches=msg.be_scratches,
        be_scratch_r_given_up=optional_decimal_from_wire(msg.be_scratch_r_given_up),
        left_on_table_r=optional_decimal_from_wire(msg.left_on_table_r),
        left_on_table=optional_decimal_from_wire(msg.left_on_table),
    )
