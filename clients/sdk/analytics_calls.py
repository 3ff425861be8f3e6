"""AnalyticsCalls: VigilClient's AnalyticsService methods (statistics, P&L calendar, equity, excursions, journal)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from clients.sdk import convert_analytics, convert_trades, enums
from clients.sdk.analytics import (
    AnalyticsFilter,
    DailyReport,
    EquityCurve,
    ExcursionReport,
    GroupBy,
    ImportFormat,
    ImportSummary,
    PnlCalendar,
    StatisticsReport,
)
from clients.sdk.convert import decimal_from_wire, decimal_to_wire, optional_decimal_from_wire
from clients.sdk.trades import TrackedTrade
from clients.sdk.transport import Transport
from vigil.v1 import analytics_pb2, analytics_pb2_grpc

_IMPORT_FORMATS = enums.IMPORT_FORMAT.to_proto


def _month(value: date | str) -> str:
    return value.strftime("%Y-%m") if isinstance(value, date) else value


def _day(value: date | str | None) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else value


class AnalyticsCalls(Transport):
    """One method per AnalyticsService RPC."""

    async def get_statistics(
        self, filter: AnalyticsFilter | None = None, group_by: GroupBy = GroupBy.NONE
    ) -> StatisticsReport:
        """Statistics of the closed trades the filter selects, overall and per group."""
        request = analytics_pb2.GetStatisticsRequest(
            filter=convert_analytics.filter_to_pb(filter), group_by=convert_analytics.GROUP_BY_TO_PB[group_by]
        )
        return convert_analytics.report_from_pb(await self._unary(self._analytics_stub().GetStatistics, request))

    async def get_calendar(
        self, from_month: date | str, to_month: date | str | None = None, filter: AnalyticsFilter | None = None
    ) -> PnlCalendar:
        """Net P&L per CME trading day, week and month over the months (YYYY-MM or a date in the month)."""
        request = analytics_pb2.GetCalendarRequest(
            filter=convert_analytics.filter_to_pb(filter),
            from_month=_month(from_month),
            to_month=_month(to_month) if to_month is not None else "",
        )
        return convert_analytics.calendar_from_pb(await self._unary(self._analytics_stub().GetCalendar, request))

    async def get_equity_curve(
        self, account_id: str, from_date: date | str | None = None, to_date: date | str | None = None
    ) -> EquityCurve:
        """One account's daily equity with its high-water mark, drawdown and trailing floor."""
        request = analytics_pb2.GetEquityCurveRequest(
            account_id=account_id, from_date=_day(from_date), to_date=_day(to_date)
        )
        return convert_analytics.equity_from_pb(await self._unary(self._analytics_stub().GetEquityCurve, request))

    async def get_excursions(self, filter: AnalyticsFilter | None = None, limit: int = 1000) -> ExcursionReport:
        """Result, MFE and MAE in R of each trade with a stop (newest first), and their distributions."""
        request = analytics_pb2.GetExcursionsRequest(filter=convert_analytics.filter_to_pb(filter), limit=limit)
        return convert_analytics.excursions_from_pb(await self._unary(self._analytics_stub().GetExcursions, request))

    async def update_journal(
        self, trade_id: str, tags: Iterable[str] = (), setup: str = "", notes: str = "", rating: int = 0
    ) -> TrackedTrade:
        """Replace a trade's journal fields (rating 1-5, 0 clears)."""
        request = analytics_pb2.UpdateJournalRequest(
            trade_id=trade_id, tags=list(tags), setup=setup, notes=notes, rating=rating
        )
        response = await self._unary(self._analytics_stub().UpdateJournal, request)
        return convert_trades.tracked_trade_from_pb(response.trade)

    async def import_trades(
        self,
        csv_text: str,
        format: ImportFormat = ImportFormat.AUTO,
        account: str = "",
        time_zone: str = "",
        commission_per_contract: Decimal | None = None,
    ) -> ImportSummary:
        """Import a broker export (Tradovate Performance or Fills, NinjaTrader executions) into the journal."""
        request = analytics_pb2.ImportTradesRequest(
            csv=csv_text,
            format=_IMPORT_FORMATS[format],
            account=account,
            time_zone=time_zone,
            commission_per_contract=""
            if commission_per_contract is None
            else decimal_to_wire(commission_per_contract, "commission_per_contract"),
        )
        r = await self._unary(self._analytics_stub().ImportTrades, request)
        return ImportSummary(r.imported, tuple(r.trade_ids), r.duplicates, r.executions, r.open_at_end)

    async def export_trades(self, filter: AnalyticsFilter | None = None) -> str:
        """The selected closed trades as CSV text."""
        request = analytics_pb2.ExportTradesRequest(filter=convert_analytics.filter_to_pb(filter))
        return (await self._unary(self._analytics_stub().ExportTrades, request)).csv

    async def export_statistics(self, filter: AnalyticsFilter | None = None, group_by: GroupBy = GroupBy.NONE) -> str:
        """The statistics as JSON text."""
        request = analytics_pb2.ExportStatisticsRequest(
            filter=convert_analytics.filter_to_pb(filter), group_by=convert_analytics.GROUP_BY_TO_PB[group_by]
        )
        return (await self._unary(self._analytics_stub().ExportStatistics, request)).json

    async def get_daily_report(self, account_id: str, day: date | str | None = None) -> DailyReport:
        """An account's report for a trading day (default: the current one), as text and HTML."""
        request = analytics_pb2.GetDailyReportRequest(account_id=account_id, date=_day(day))
        r = await self._unary(self._analytics_stub().GetDailyReport, request)
        return DailyReport(
            date=date.fromisoformat(r.date),
            net_pnl=decimal_from_wire(r.net_pnl),
            trades=r.trades,
            daily_loss_used=decimal_from_wire(r.daily_loss_used),
            daily_loss_limit=optional_decimal_from_wire(r.daily_loss_limit),
            distance_to_floor=optional_decimal_from_wire(r.distance_to_floor),
            text=r.text,
            html=r.html,
        )

    def _analytics_stub(self) -> analytics_pb2_grpc.AnalyticsServiceAsyncStub:
        return analytics_pb2_grpc.AnalyticsServiceStub(self._channel())
