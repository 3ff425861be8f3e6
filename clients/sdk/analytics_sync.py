"""The blocking mirror of AnalyticsCalls, mixed into VigilSyncClient."""

from __future__ import annotations

from collections.abc import Coroutine, Iterable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

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
from clients.sdk.trades import TrackedTrade

if TYPE_CHECKING:
    from clients.sdk.client import VigilClient

_T = TypeVar("_T")


class AnalyticsSyncCalls:
    _client: VigilClient

    def _run(self, coro: Coroutine[Any, Any, _T]) -> _T:
        raise NotImplementedError

    def get_statistics(
        self, filter: AnalyticsFilter | None = None, group_by: GroupBy = GroupBy.NONE
    ) -> StatisticsReport:
        return self._run(self._client.get_statistics(filter, group_by))

    def get_calendar(
        self, from_month: date | str, to_month: date | str | None = None, filter: AnalyticsFilter | None = None
    ) -> PnlCalendar:
        return self._run(self._client.get_calendar(from_month, to_month, filter))

    def get_equity_curve(
        self, account_id: str, from_date: date | str | None = None, to_date: date | str | None = None
    ) -> EquityCurve:
        return self._run(self._client.get_equity_curve(account_id, from_date, to_date))

    def get_excursions(self, filter: AnalyticsFilter | None = None, limit: int = 1000) -> ExcursionReport:
        return self._run(self._client.get_excursions(filter, limit))

    def update_journal(
        self, trade_id: str, tags: Iterable[str] = (), setup: str = "", notes: str = "", rating: int = 0
    ) -> TrackedTrade:
        return self._run(self._client.update_journal(trade_id, tags, setup, notes, rating))

    def import_trades(
        self,
        csv_text: str,
        format: ImportFormat = ImportFormat.AUTO,
        account: str = "",
        time_zone: str = "",
        commission_per_contract: Decimal | None = None,
    ) -> ImportSummary:
        return self._run(self._client.import_trades(csv_text, format, account, time_zone, commission_per_contract))

    def export_trades(self, filter: AnalyticsFilter | None = None) -> str:
        return self._run(self._client.export_trades(filter))

    def export_statistics(self, filter: AnalyticsFilter | None = None, group_by: GroupBy = GroupBy.NONE) -> str:
        return self._run(self._client.export_statistics(filter, group_by))

    def get_daily_report(self, account_id: str, day: date | str | None = None) -> DailyReport:
        return self._run(self._client.get_daily_report(account_id, day))
