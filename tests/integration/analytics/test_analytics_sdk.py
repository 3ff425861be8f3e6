"""The SDK's analytics calls, async and blocking, against a real server with two closed trades."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

from clients.sdk.analytics import AnalyticsFilter, GroupBy
from clients.sdk.client import VigilClient
from clients.sdk.sync import VigilSyncClient
from clients.sdk.trades import TradeDirection
from core_server.app import RunningServer
from vigil.v1 import trades_pb2 as tpb


async def test_async_client(server: RunningServer, two_trades: list[tpb.TrackedTrade]) -> None:
    async with VigilClient(server.address) as client:
        report = await client.get_statistics(AnalyticsFilter(account_ids=("paper",)), GroupBy.HOUR)
        s = report.overall
        assert (s.trades, s.losses, s.net_pnl, s.expectancy_r, s.profit_factor) == (
            2, 2, Decimal("-1020.00"), Decimal("-0.5"), Decimal(0)
        )  # fmt: skip
        assert s.win_rate == 0 and s.payoff_ratio is None and s.max_drawdown.amount == Decimal("1020.00")
        assert [label for label, _ in report.groups] == ["10"]  # 10:00 ET entries
        cal = await client.get_calendar(date(2026, 11, 1))
        assert [(d.date, d.net_pnl, d.trades) for d in cal.days] == [(date(2026, 11, 19), Decimal("-1020.00"), 2)]
        curve = await client.get_equity_curve("paper", "2026-11-19", "2026-11-20")
        assert [(d.date, d.end_balance) for d in curve.days] == [
            (date(2026, 11, 19), Decimal("48980.00")),
            (date(2026, 11, 20), Decimal("48980.00")),
        ]
        assert curve.max_drawdown == Decimal("1020.00")
        excursions = await client.get_excursions(AnalyticsFilter(direction=TradeDirection.LONG), limit=1)
        assert len(excursions.trades) == 1 and excursions.be_scratches == 1
        trade = await client.update_journal(two_trades[0].trade_id, ["scratch"], "ORB", "moved stop too soon", 3)
        assert (trade.tags, trade.setup, trade.notes, trade.rating) == (("scratch",), "ORB", "moved stop too soon", 3)


async def test_blocking_client(server: RunningServer, two_trades: list[tpb.TrackedTrade]) -> None:
    def run() -> None:
        with VigilSyncClient(server.address) as client:
            assert client.get_statistics().overall.trades == 2
            assert client.get_calendar("2026-11", "2026-12").total.trades == 2
            assert client.get_equity_curve("paper", date(2026, 11, 19), date(2026, 11, 19)).days[0].trades == 2
            assert client.get_excursions().be_scratches == 1
            assert client.update_journal(two_trades[1].trade_id, rating=1).rating == 1
            tagged = client.get_statistics(AnalyticsFilter(sources=("manual",), weekdays=(4,)))
            assert tagged.overall.trades == 2  # Thursday 2026-11-19

    await asyncio.to_thread(run)
