"""`vigil stats`, `vigil calendar`, `vigil equity`, `vigil journal` against a real server with two closed trades."""

from __future__ import annotations

import asyncio
import io
import json

from clients.cli import exit_codes
from clients.cli.main import main
from core_server.app import RunningServer
from vigil.v1 import trades_pb2 as tpb


async def vigil(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = await asyncio.to_thread(main, list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


async def test_stats_text_groups_and_json(server: RunningServer, two_trades: list[tpb.TrackedTrade]) -> None:
    code, out, _ = await vigil("--target", server.address, "stats", "--account", "paper", "--by", "session")
    assert code == exit_codes.OK
    assert "trades              2 (0 W / 2 L / 0 scratch)" in out
    assert "net P&L             -1020.00" in out and "BE scratches        1 (gave up 1R)" in out
    assert "NY AM    2       0.0 %     -1020.00  0   -0.5" in out
    code, out, _ = await vigil("--target", server.address, "--json", "stats", "--root", "NQ", "--hour", "10")
    assert code == exit_codes.OK and json.loads(out)["overall"]["trades"] == 2


async def test_calendar_grid_with_week_totals(server: RunningServer, two_trades: list[tpb.TrackedTrade]) -> None:
    code, out, _ = await vigil("--target", server.address, "calendar", "2026-11")
    assert code == exit_codes.OK
    lines = out.splitlines()
    assert lines[0].strip() == "November 2026"
    week = next(line for line in lines if "19 -1020.00" in line)
    assert week.rstrip().endswith("-1020.00") and week.count("-1020.00") == 2  # the day and the week total
    assert "month: -1020.00 net, 2 trades, win rate 0.0 %, commissions 20.00" in out


async def test_equity_journal_and_errors(server: RunningServer, two_trades: list[tpb.TrackedTrade]) -> None:
    code, out, _ = await vigil("--target", server.address, "equity", "paper", "--from", "2026-11-19")
    assert code == exit_codes.OK and "2026-11-19  50000  48980.00  -1020.00" in out
    code, out, _ = await vigil(
        "--target", server.address, "journal", two_trades[0].trade_id, "--tag", "a", "--tag", "b", "--rating", "4"
    )
    assert code == exit_codes.OK and "tags a, b" in out and "rating 4" in out
    code, _, err = await vigil("--target", server.address, "stats", "--root", "ZZ")
    assert code == exit_codes.INVALID_ARGUMENT and "filter.roots" in err
    code, _, err = await vigil("--target", server.address, "equity", "nobody")
    assert code == exit_codes.NOT_FOUND
