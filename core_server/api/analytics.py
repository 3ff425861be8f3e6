"""AnalyticsService: thin translation between the wire and the AnalyticsDesk."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import grpc
from google.protobuf import json_format

from core_server.analytics.daily_report import report_html, report_text
from core_server.analytics.statistics import compute_statistics, is_be_scratch
from core_server.api import analytics_convert as convert
from core_server.api import arguments, enums
from core_server.api.errors import unary
from core_server.api.trades_convert import trade_to_proto
from core_server.live.analytics_desk import AnalyticsDesk
from core_server.model.decimal_text import parse_decimal
from core_server.model.errors import InvalidArgument
from core_server.trades.model import JournalNotes
from vigil.v1 import analytics_pb2 as pb
from vigil.v1 import analytics_pb2_grpc as pb_grpc

Ctx = grpc.aio.ServicerContext[Any, Any]

MAX_CALENDAR_MONTHS = 24
DEFAULT_EXCURSIONS = 1000
MAX_EXCURSIONS = 10_000
MAX_TAGS = 16
MAX_TAG_CHARS = 32
MAX_SETUP_CHARS = 64
MAX_NOTES_CHARS = 4000
MAX_IMPORT_CHARS = 3_500_000  # under gRPC's 4 MB message
MAX_FEE = Decimal(1000)
IMPORT_FORMATS = enums.IMPORT_FORMAT.from_proto


class AnalyticsServicer(pb_grpc.AnalyticsServiceServicer):
    def __init__(self, desk: AnalyticsDesk) -> None:
        self._desk = desk

    async def _query(self, request_filter: pb.AnalyticsFilter) -> Any:
        await self._desk.closed_trades()  # imported accounts resolve against the stored trades
        return convert.query_from_proto(request_filter, self._desk.resolve_account, self._desk.windows)

    @unary
    async def GetStatistics(self, request: pb.GetStatisticsRequest, context: Ctx) -> pb.GetStatisticsResponse:
        if request.group_by and request.group_by not in convert.GROUP_BY:
            raise InvalidArgument("group_by", f"unknown grouping {request.group_by}")
        query = await self._query(request.filter)
        result = await self._desk.statistics(query, convert.GROUP_BY.get(request.group_by))
        return pb.GetStatisticsResponse(
            overall=convert.statistics_to_proto(result.overall),
            groups=[pb.StatisticsGroup(label=k, statistics=convert.statistics_to_proto(s)) for k, s in result.groups],
        )

    @unary
    async def GetCalendar(self, request: pb.GetCalendarRequest, context: Ctx) -> pb.GetCalendarResponse:
        first, last = convert.month_range(request.from_month, request.to_month, MAX_CALENDAR_MONTHS)
        query = await self._query(request.filter)
        calendar = await self._desk.calendar(query, first, last)
        return pb.GetCalendarResponse(
            days=[convert.period_to_proto(d) for d in calendar.days],
            weeks=[convert.period_to_proto(w) for w in calendar.weeks],
            months=[convert.period_to_proto(m) for m in calendar.months],
            total=convert.period_to_proto(calendar.total),
        )

    @unary
    async def GetEquityCurve(self, request: pb.GetEquityCurveRequest, context: Ctx) -> pb.GetEquityCurveResponse:
        reference = arguments.identifier(request.account_id, "account_id")
        first = arguments.optional_date(arguments.text(request.from_date, "from_date", 32), "from_date")
        last = arguments.optional_date(arguments.text(request.to_date, "to_date", 32), "to_date")
        if first and last and first > last:
            raise InvalidArgument("from_date", "must not be after to_date")
        await self._desk.closed_trades()
        account_id = self._desk.resolve_account(reference)
        balance, days = await self._desk.equity(account_id, first, last)
        deepest = max((d.drawdown for d in days), default=None)
        return pb.GetEquityCurveResponse(
            starting_balance=convert.money_text(balance),
            days=[convert.equity_day_to_proto(d) for d in days],
            max_drawdown=convert.money_text(deepest),
        )

    @unary
    async def GetExcursions(self, request: pb.GetExcursionsRequest, context: Ctx) -> pb.GetExcursionsResponse:
        limit = arguments.bounded(request.limit, "limit", DEFAULT_EXCURSIONS, MAX_EXCURSIONS)
        query = await self._query(request.filter)
        chosen = await self._desk.select(query)
        s = compute_statistics(chosen)
        newest = sorted(chosen, key=lambda t: (t.closed_ns, t.trade_id), reverse=True)[:limit]
        f = convert.fraction_text
        return pb.GetExcursionsResponse(
            trades=[convert.excursion_to_proto(t, is_be_scratch(t)) for t in newest],
            r_distribution=convert.buckets_to_proto(s.r_distribution),
            mfe_distribution=convert.buckets_to_proto(s.mfe_distribution),
            mae_distribution=convert.buckets_to_proto(s.mae_distribution),
            average_mfe_r_losers=f(s.average_mfe_r_losers),
            average_mae_r_winners=f(s.average_mae_r_winners),
            be_scratches=s.be_scratches,
            be_scratch_r_given_up=f(s.be_scratch_r_given_up),
            left_on_table_r=f(s.left_on_table_r),
            left_on_table=convert.money_text(s.left_on_table),
        )

    @unary
    async def UpdateJournal(self, request: pb.UpdateJournalRequest, context: Ctx) -> pb.UpdateJournalResponse:
        trade_id = arguments.identifier(request.trade_id, "trade_id")
        notes = journal_notes(request)
        trip = await self._desk.update_journal(trade_id, notes)
        return pb.UpdateJournalResponse(trade=trade_to_proto(trip, with_events=False))

    @unary
    async def ImportTrades(self, request: pb.ImportTradesRequest, context: Ctx) -> pb.ImportTradesResponse:
        text = arguments.text(request.csv, "csv", MAX_IMPORT_CHARS)
        if not text.strip():
            raise InvalidArgument("csv", "the file is empty")
        if request.format and request.format not in IMPORT_FORMATS:
            raise InvalidArgument("format", f"unknown format {request.format}")
        account = arguments.text(request.account, "account", arguments.MAX_ID_CHARS).strip()
        zone_name = arguments.text(request.time_zone, "time_zone", 64).strip() or "America/Chicago"
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidArgument("time_zone", f"unknown time zone {zone_name!r}") from None
        fee = parse_decimal(
            arguments.text(request.commission_per_contract, "commission_per_contract", 32),
            "commission_per_contract", low=Decimal(0), high=MAX_FEE,
        ) or Decimal(0)  # fmt: skip
        summary = await self._desk.import_history(text, IMPORT_FORMATS.get(request.format), account, zone, fee)
        return pb.ImportTradesResponse(
            imported=len(summary.stored),
            trade_ids=summary.stored,
            duplicates=summary.duplicates,
            executions=summary.executions,
            open_at_end=summary.open_at_end,
        )

    @unary
    async def ExportTrades(self, request: pb.ExportTradesRequest, context: Ctx) -> pb.ExportTradesResponse:
        query = await self._query(request.filter)
        text, count = await self._desk.export_csv(query)
        return pb.ExportTradesResponse(csv=text, trades=count)

    @unary
    async def ExportStatistics(self, request: pb.ExportStatisticsRequest, context: Ctx) -> pb.ExportStatisticsResponse:
        selection = pb.GetStatisticsRequest(filter=request.filter, group_by=request.group_by)
        answer = await self.GetStatistics(selection, context)
        return pb.ExportStatisticsResponse(json=json_format.MessageToJson(answer, indent=2))

    @unary
    async def GetDailyReport(self, request: pb.GetDailyReportRequest, context: Ctx) -> pb.GetDailyReportResponse:
        reference = arguments.identifier(request.account_id, "account_id")
        day = arguments.optional_date(arguments.text(request.date, "date", 32), "date")
        if day is not None and not 1970 <= day.year <= 2200:
            raise InvalidArgument("date", "a trading day between 1970 and 2200")
        await self._desk.closed_trades()
        report = await self._desk.daily_report(self._desk.resolve_account(reference), day)
        usage = report.usage
        return pb.GetDailyReportResponse(
            date=report.day.isoformat(),
            net_pnl=convert.money_text(report.statistics.net_pnl),
            trades=report.statistics.trades,
            daily_loss_used=convert.money_text(usage.daily_loss_used),
            daily_loss_limit=convert.money_text(usage.daily_loss_limit),
            distance_to_floor=convert.money_text(usage.distance_to_floor),
            text=report_text(report),
            html=report_html(report),
        )


def journal_notes(request: pb.UpdateJournalRequest) -> JournalNotes:
    if len(request.tags) > MAX_TAGS:
        raise InvalidArgument("tags", f"at most {MAX_TAGS} tags")
    tags: list[str] = []
    for raw in request.tags:
        tag = arguments.text(raw, "tags", MAX_TAG_CHARS).strip()
        if not tag:
            raise InvalidArgument("tags", "a tag must not be empty")
        if tag not in tags:
            tags.append(tag)
    if not 0 <= request.rating <= 5:
        raise InvalidArgument("rating", "1 to 5, or 0 for no rating")
    return JournalNotes(
        tags=tuple(tags),
        setup=arguments.text(request.setup, "setup", MAX_SETUP_CHARS).strip(),
        notes=arguments.text(request.notes, "notes", MAX_NOTES_CHARS),
        rating=request.rating or None,
    )
