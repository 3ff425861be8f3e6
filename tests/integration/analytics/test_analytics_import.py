"""Importing broker history over a real server and PostgreSQL: stored once (a re-import stores nothing new), as
"imported" trades that join statistics, calendar and exports but never the paper accounts' risk."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

import grpc
import pytest

from clients.cli import exit_codes
from clients.cli.main import main
from clients.sdk.analytics import AnalyticsFilter, ImportFormat
from clients.sdk.client import VigilClient
from core_server.app import RunningServer
from tests.integration.api.test_trade_service import bad_field
from vigil.v1 import analytics_pb2 as pb
from vigil.v1 import analytics_pb2_grpc as pb_grpc

FILES = Path(__file__).parents[2] / "unit" / "analytics" / "files"


async def test_import_twice_then_statistics_calendar_and_exports(server: RunningServer) -> None:
    async with VigilClient(server.address) as client:
        before = await client.get_risk_status("paper")
        text = (FILES / "tradovate_fills.csv").read_text()
        first = await client.import_trades(text)
        assert (first.imported, first.duplicates, first.executions, first.open_at_end) == (2, 0, 5, 0)
        again = await client.import_trades(text, ImportFormat.TRADOVATE_FILLS)
        assert (again.imported, again.duplicates) == (0, 2)

        stats = (await client.get_statistics(AnalyticsFilter(account_ids=("DEMO12345",)))).overall
        # $350 - $7.50 and $200 - $5.00
        assert (stats.trades, stats.wins, str(stats.net_pnl), stats.r_trades) == (2, 2, "537.50", 0)
        assert stats.left_on_table == 0  # no excursion was observed for imported trades
        imported = (await client.get_statistics(AnalyticsFilter(sources=("imported",)))).overall
        assert imported.trades == 2
        cal = await client.get_calendar("2025-09")
        # the short covered at 17:01 CT on 09-15 is booked on the 09-16 trading day
        assert [(d.date.isoformat(), str(d.net_pnl)) for d in cal.days] == [
            ("2025-09-15", "342.50"),
            ("2025-09-16", "195.00"),
        ]
        trade = await client.get_trade(first.trade_ids[0])
        assert (trade.source, trade.account_id, trade.result_r) == ("imported", "DEMO12345", None)

        exported = await client.export_trades(AnalyticsFilter(sources=("imported",)))
        rows = list(csv.DictReader(io.StringIO(exported)))
        assert [(r["contract"], r["direction"], r["net"], r["trading_day"]) for r in rows] == [
            ("ESZ2025", "long", "342.50", "2025-09-15"),
            ("ESZ2025", "short", "195.00", "2025-09-16"),
        ]
        assert json.loads(await client.export_statistics())["overall"]["trades"] == 2

        after = await client.get_risk_status("paper")
        assert after == before  # the paper account's risk never sees imported trades


async def test_imports_over_the_cli(server: RunningServer, tmp_path: Path) -> None:
    def vigil(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        return main(["--target", server.address, *argv], stdout=out, stderr=err), out.getvalue(), err.getvalue()

    file = str(FILES / "ninjatrader_executions.csv")
    code, out, _ = await asyncio.to_thread(
        vigil, "import-trades", file, "--time-zone", "America/New_York", "--account", "apex"
    )
    assert code == exit_codes.OK and out.startswith("imported 2 trades from 5 executions; 0 already imported; 1 ")
    target = tmp_path / "trades.csv"
    code, out, _ = await asyncio.to_thread(vigil, "export", "trades", "--account", "apex", "-o", str(target))
    assert code == exit_codes.OK and len(target.read_text().splitlines()) == 3
    code, out, _ = await asyncio.to_thread(vigil, "export", "stats", "--account", "apex")
    assert code == exit_codes.OK and json.loads(out)["overall"]["netPnl"] == "-162.14"  # 52.00 - 210.00 - 4.14
    code, _, err = await asyncio.to_thread(vigil, "import-trades", str(tmp_path / "missing.csv"))
    assert code == exit_codes.USAGE and "cannot read" in err


async def test_bad_imports(server: RunningServer) -> None:
    async with grpc.aio.insecure_channel(server.address) as channel:
        stub = pb_grpc.AnalyticsServiceStub(channel)
        text = (FILES / "tradovate_performance.csv").read_text()
        for request, field in (
            (pb.ImportTradesRequest(csv=""), "csv"),
            (pb.ImportTradesRequest(csv="a,b\n1,2\n"), "csv"),
            (pb.ImportTradesRequest(csv=text, time_zone="Mars/Olympus"), "time_zone"),
            (pb.ImportTradesRequest(csv=text, commission_per_contract="-1"), "commission_per_contract"),
            (pb.ImportTradesRequest(csv=text, format=9), "format"),  # type: ignore[arg-type]
        ):
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.ImportTrades(request)
            assert bad_field(caught.value) == field
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.ImportTrades(pb.ImportTradesRequest(csv=text, account="paper"))
        assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert (await stub.GetStatistics(pb.GetStatisticsRequest())).overall.trades == 0  # nothing was stored
