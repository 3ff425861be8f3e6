"""The SDK's backtest calls, async and blocking, against a real server with stored ticks: typed runs, progress to
the end, results with Decimal money, trades paged, reports, a sweep; errors as typed exceptions."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from clients.sdk import VigilClient
from clients.sdk.backtests import BacktestSettings
from clients.sdk.errors import InvalidArgumentError, NotFoundError
from clients.sdk.sync import VigilSyncClient
from core_server.app import RunningServer
from tests.integration.backtests.test_backtest_service import stub  # noqa: F401  (fixture: stores the tape)

SETTINGS = BacktestSettings(
    "ESZ2026", "2026-11-16", "2026-11-18", "bracket-a-day", {"distance_ticks": "8"}, commission=Decimal("2.50")
)


@pytest.mark.usefixtures("stub")
async def test_async_calls_run_a_backtest_to_its_results(running_server: RunningServer) -> None:
    async with VigilClient(running_server.address) as client:
        run = await client.start_backtest(SETTINGS)
        assert run.status == "queued" and run.settings == SETTINGS
        seen = [r async for r in client.stream_backtest_progress(run.run_id)]
        assert seen[-1].status == "done" and seen[-1].progress == 1.0
        result = await client.get_backtest_result(run.run_id)
        assert [d.date for d in result.days] == ["2026-11-16", "2026-11-17", "2026-11-18"]
        page = await client.list_backtest_trades(run.run_id, limit=2)
        assert page.total == 3 and len(page.trades) == 2
        trade = page.trades[0]
        assert trade.side == "long" and trade.gross == Decimal("100.00") and trade.net == Decimal("95.00")
        assert result.equity[0].equity == Decimal(50_000) + trade.net
        html = await client.get_backtest_report(run.run_id, "html")
        assert html.filename.endswith(".html")
        with pytest.raises(NotFoundError):
            await client.get_backtest_result("bt-nope")
        with pytest.raises(InvalidArgumentError) as bad:
            await client.start_backtest(BacktestSettings("ES", "2026-11-16", "x", "bracket-a-day"))
        assert bad.value.field == "settings.to_date"


@pytest.mark.usefixtures("stub")
async def test_the_blocking_client_mirrors_them(running_server: RunningServer) -> None:
    def blocking() -> None:
        with VigilSyncClient(running_server.address) as client:
            sweep_id, runs = client.start_sweep(SETTINGS, {"distance_ticks": ["4", "8"]})
            for run in runs:
                assert list(client.stream_backtest_progress(run.run_id))[-1].status == "done"
            table = client.get_sweep(sweep_id, "net")
            assert (table.done, table.total) == (2, 2)
            assert [r.params["distance_ticks"] for r in table.rows] in (["4", "8"], ["8", "4"])
            assert len(client.list_backtests(sweep_id)) == 2
            assert client.list_backtest_trades(runs[0].run_id).total == 3
            assert client.get_backtest_report(runs[0].run_id, "csv").content.startswith("trade_id,")

    await asyncio.to_thread(blocking)
