"""The fake client's analytics: a year of deterministic trades run through the server's own analytics code and
both wire conversions, so the Analytics screen shows what a server would send."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from clients.sdk import convert_analytics as sdk
from clients.sdk.analytics import AnalyticsFilter, EquityCurve, ExcursionReport, GroupBy, PnlCalendar, StatisticsReport
from core_server.analytics.facts import TradeFacts
from core_server.analytics.filters import GroupBy as ServerGroupBy
from core_server.analytics.filters import group
from core_server.analytics.pnl_calendar import equity_history, pnl_calendar, trading_dates
from core_server.analytics.statistics import compute_statistics, is_be_scratch
from core_server.api import analytics_convert as wire
from core_server.calendar.windows import SessionWindows
from core_server.excursions.model import Direction
from core_server.model.clock import ns_from_datetime
from core_server.risk.rules import DrawdownMode, RuleSet
from vigil.v1 import analytics_pb2 as pb

LAST_DAY = date(2026, 12, 4)
DAYS = trading_dates(LAST_DAY - timedelta(days=365), LAST_DAY)
BALANCE = Decimal(50_000)
RULES = RuleSet(max_drawdown=Decimal(2000), drawdown_mode=DrawdownMode.END_OF_DAY, drawdown_lock_offset=Decimal(100))
WINDOWS = SessionWindows()
# (gross, realised ticks, MFE ticks, MAE ticks) per trade; risk 40 ticks (10 NQ points), two contracts.
PATTERN = ((810, 80, 100, -10), (-410, -80, 12, -80), (-10, 0, 44, -20), (1210, 120, 130, -30), (-410, -80, 0, -80))


def _facts() -> list[TradeFacts]:
    facts = []
    for i, day in enumerate(DAYS):
        for k in range(1 + i % 2):
            gross, realised, mfe, mae = PATTERN[(i + k) % len(PATTERN)]
            opened = ns_from_datetime(datetime.combine(day, time(14, 35 + 20 * k), UTC))
            facts.append(
                TradeFacts(
                    trade_id=f"T-{i}-{k}", account_id="paper", contract_id="NQZ2026",
                    direction=Direction.LONG if k == 0 else Direction.SHORT, source="manual",
                    opened_ns=opened, closed_ns=opened + 600 * 10**9, trade_date=day, quantity=2,
                    gross=Decimal(gross), commissions=Decimal(10), risk_ticks=40, realised_ticks=realised * 2 // 2,
                    mfe_ticks=mfe, mae_ticks=mae, tick_value=Decimal(5), break_even_exit=gross == -10,
                )
            )  # fmt: skip
    return facts


FACTS = _facts()
_GROUPS = {GroupBy.SESSION: ServerGroupBy.SESSION, GroupBy.HOUR: ServerGroupBy.HOUR}


def statistics(f: AnalyticsFilter | None, by: GroupBy) -> StatisticsReport:
    chosen = _select(f)
    overall = compute_statistics(chosen, starting_balance=BALANCE, days=DAYS)
    message = pb.GetStatisticsResponse(overall=wire.statistics_to_proto(overall))
    if by in _GROUPS:
        for label, trades in group(chosen, _GROUPS[by], WINDOWS).items():
            message.groups.add(label=label, statistics=wire.statistics_to_proto(compute_statistics(trades)))
    return sdk.report_from_pb(message)


def calendar(month: date) -> PnlCalendar:
    first = month.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    cal = pnl_calendar(FACTS, first, last)
    message = pb.GetCalendarResponse(
        days=[wire.period_to_proto(d) for d in cal.days],
        weeks=[wire.period_to_proto(w) for w in cal.weeks],
        months=[wire.period_to_proto(m) for m in cal.months],
        total=wire.period_to_proto(cal.total),
    )
    return sdk.calendar_from_pb(message)


def equity(first: date, last: date) -> EquityCurve:
    days = [d for d in DAYS if first <= d <= last]
    history = equity_history(FACTS, BALANCE, days, RULES)
    message = pb.GetEquityCurveResponse(
        starting_balance=str(BALANCE),
        days=[wire.equity_day_to_proto(d) for d in history],
        max_drawdown=wire.money_text(max((d.drawdown for d in history), default=None)),
    )
    return sdk.equity_from_pb(message)


def excursions(f: AnalyticsFilter | None, limit: int) -> ExcursionReport:
    chosen = sorted(_select(f), key=lambda t: t.closed_ns, reverse=True)[:limit]
    message = pb.GetExcursionsResponse(trades=[wire.excursion_to_proto(t, is_be_scratch(t)) for t in chosen])
    return sdk.excursions_from_pb(message)


def _select(f: AnalyticsFilter | None) -> list[TradeFacts]:
    if f is None:
        return FACTS
    return [
        t
        for t in FACTS
        if (f.from_date is None or t.trade_date >= f.from_date) and (f.to_date is None or t.trade_date <= f.to_date)
    ]
