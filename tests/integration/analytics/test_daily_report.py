"""The daily report over a real server: the day's two trades, P&L, rule usage, text and self-contained HTML."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from clients.cli import exit_codes
from clients.cli.main import main
from clients.sdk.client import VigilClient
from core_server.app import RunningServer
from vigil.v1 import trades_pb2 as tpb


async def test_the_days_report(server: RunningServer, two_trades: list[tpb.TrackedTrade], tmp_path: Path) -> None:
    async with VigilClient(server.address) as client:
        report = await client.get_daily_report("paper")
        empty = await client.get_daily_report("paper", "2026-11-18")
    assert (report.date.isoformat(), str(report.net_pnl), report.trades) == ("2026-11-19", "-1020.00", 2)
    assert str(report.daily_loss_used) == "1020.00"
    assert "Vigil daily report: paper, trading day 2026-11-19" in report.text
    assert "Net P&L             -$1,020.00" in report.text and "Trades              2 (0 won, 2 lost" in report.text
    assert report.html.startswith("<!DOCTYPE html>") and "<svg" in report.html and "-$1,010.00" in report.html
    assert "http" not in report.html.replace("http://www.w3.org/2000/svg", "")  # nothing fetched
    assert (empty.trades, "No trades closed this trading day." in empty.text) == (0, True)

    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "report.html"
    argv = ["--target", server.address, "report", "paper", "--date", "2026-11-19", "--html", str(target)]
    code = await asyncio.to_thread(main, argv, stdout=out, stderr=err)
    assert code == exit_codes.OK and out.getvalue().startswith("Vigil daily report: paper")
    assert target.read_text().startswith("<!DOCTYPE html>")
