"""The Backtests screen (B) on the fake client, whose backtest is a real driver run (bracket-a-day on a three-day
tape) sent through the server's and the SDK's wire conversions: start from the form, progress to done, the
summary, the equity chart and the trades; a refused start shows why."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from dataclasses import replace

from textual.widgets import DataTable, Input, ProgressBar, Static

from clients.sdk import convert_backtests as sdk
from clients.sdk.backtests import BacktestResult, BacktestRun, BacktestSettings, TradePage
from clients.sdk.errors import InvalidArgumentError
from core_server.api import backtests as wire
from core_server.backtest.source import TickList
from core_server.backtest_jobs.settings import RunSettings
from core_server.backtest_jobs.worker import run_backtest
from core_server.storage.backtests import RunRow
from tests.integration.backtests.test_backtest_service import tape
from tests.kit.eventually import eventually
from tests.tui import fake_data
from tests.tui.fake_client import FakeVigilClient
from tui.app import VigilApp
from tui.screens.backtests import BacktestsScreen
from tui.widgets.backtest_equity import BacktestEquityChart
from vigil.v1 import backtests_pb2 as pb

SETTINGS = RunSettings("ESZ2026", "2026-11-16", "2026-11-18", "bracket-a-day", {"distance_ticks": "8"})
REPORT, _ = run_backtest(SETTINGS, lambda config: TickList(tape()))


class BacktestFake(FakeVigilClient):
    def __init__(self) -> None:
        super().__init__()
        self.started: list[BacktestSettings] = []

    def _run(self, status: str, done: int) -> BacktestRun:
        row = replace(_row(), status=status, ticks_done=done, summary=REPORT["summary"] if status == "done" else {})
        return sdk.run_from_pb(wire.run_to_proto(row))

    async def start_backtest(self, settings: BacktestSettings) -> BacktestRun:
        if settings.from_date == "bad":
            raise InvalidArgumentError("settings.from_date", "'bad' is not a date YYYY-MM-DD")
        self.started.append(settings)
        return self._run("queued", 0)

    async def stream_backtest_progress(self, run_id: str) -> AsyncGenerator[BacktestRun, None]:
        for status, done in (("running", 9_720), ("done", 19_440)):
            yield self._run(status, done)

    async def list_backtests(self, sweep_id: str = "", limit: int = 0) -> list[BacktestRun]:
        return []

    async def get_backtest_result(self, run_id: str) -> BacktestResult:
        response = pb.GetBacktestResultResponse(
            run=wire.run_to_proto(replace(_row(), status="done")),
            days=[wire.day_to_proto(d) for d in REPORT["days"]],
            equity=[
                pb.EquityPoint(
                    ts_ns=int(p["ts_ns"]), trade_id=p["trade_id"], equity=p["equity"], drawdown=p["drawdown"]
                )
                for p in REPORT["equity"]
            ],
            ticks=19_440,
        )
        return sdk.result_from_pb(response)

    async def list_backtest_trades(self, run_id: str, offset: int = 0, limit: int = 0) -> TradePage:
        trades = [sdk.trade_from_pb(wire.trade_to_proto(t)) for t in REPORT["trades"]]
        return TradePage(tuple(trades), len(trades))


def _row() -> RunRow:
    settings = json.loads(SETTINGS.to_json())
    return RunRow("bt-1", "", "done", settings, {}, "ESZ2026", 1, ticks_done=19_440, ticks_total=19_440,
                  summary=REPORT["summary"])  # fmt: skip


async def test_start_a_backtest_from_the_form_and_read_its_results() -> None:
    client = BacktestFake()
    app = VigilApp(client=client, clock=lambda: fake_data.NOW_NS)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("B")
        screen = await eventually(lambda: app.screen if isinstance(app.screen, BacktestsScreen) else None)
        screen.query_one("#bt-strategy", Input).value = "bracket-a-day"
        screen.query_one("#bt-symbol", Input).value = "ESZ2026"
        screen.query_one("#bt-from", Input).value = "2026-11-16"
        screen.query_one("#bt-to", Input).value = "2026-11-18"
        screen.query_one("#bt-params", Input).value = "distance_ticks=8"
        screen.query_one("#bt-params", Input).focus()
        await pilot.press("enter")
        trades = screen.query_one("#bt-trades", DataTable)
        await eventually(lambda: trades.row_count == 3)
        assert client.started == [BacktestSettings("ESZ2026", "2026-11-16", "2026-11-18", "bracket-a-day",
                                                   {"distance_ticks": "8"})]  # fmt: skip
        bar = screen.query_one("#bt-progress", ProgressBar)
        assert (bar.progress, bar.total) == (19_440, 19_440)
        assert "bt-1 done" in str(screen.query_one("#bt-status", Static).render())
        summary = screen.query_one("#bt-summary", DataTable)
        rows = {str(summary.get_row_at(i)[0]): str(summary.get_row_at(i)[1]) for i in range(summary.row_count)}
        assert rows["Net P&L"] == REPORT["summary"]["net"] and rows["Trades"] == "3"
        first = trades.get_row_at(0)
        assert (first[1], str(first[6])) == ("long", REPORT["trades"][0]["net"])
        assert len(screen.query_one(BacktestEquityChart).points) == 3
        runs = screen.query_one("#bt-runs", DataTable)
        assert runs.row_count == 1 and str(runs.get_row_at(0)[1]) == "done"


async def test_a_refused_start_shows_the_reason() -> None:
    app = VigilApp(client=BacktestFake(), clock=lambda: fake_data.NOW_NS)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("B")
        screen = await eventually(lambda: app.screen if isinstance(app.screen, BacktestsScreen) else None)
        screen.query_one("#bt-from", Input).value = "bad"
        screen.action_start()
        status = screen.query_one("#bt-status", Static)
        await eventually(lambda: "settings.from_date" in str(status.render()))
