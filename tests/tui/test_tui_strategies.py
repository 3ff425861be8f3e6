"""The Strategies screen against a real server started with the example strategies: the list with status and
account, the selected strategy's findings and event log, and activate / deactivate / stop after a y/n question."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from core_server.app import RunningServer, start
from tests.kit.eventually import eventually
from tests.kit.server import server_config
from tests.tui.test_tui_trade_screen import press
from tui.app import VigilApp
from tui.screens.confirm import ConfirmScreen
from tui.screens.strategies import StrategiesScreen

EXAMPLES = Path(__file__).parents[2] / "strategies" / "examples"
SIZE = (140, 40)


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[RunningServer]:
    running = await start(server_config(database_url, strategy_dir=EXAMPLES))
    try:
        yield running
    finally:
        await running.stop()


def cell(table: DataTable[str], row: int, column: int) -> str:
    return str(table.get_row_at(row)[column])


async def answer(app: VigilApp, key: str) -> None:
    await eventually(lambda: isinstance(app.screen, ConfirmScreen))
    press(app, key)
    await eventually(lambda: isinstance(app.screen, StrategiesScreen))


async def test_list_events_and_lifecycle(server: RunningServer) -> None:
    app = VigilApp(server.address)
    async with app.run_test(size=SIZE):
        press(app, "S")
        screen = await eventually(lambda: app.screen if isinstance(app.screen, StrategiesScreen) else None)
        assert isinstance(screen, StrategiesScreen)
        await eventually(lambda: screen.query("#strategies-events"))  # composed
        table = screen.query_one("#strategies-table", DataTable)
        await eventually(lambda: table.row_count == 3)
        assert [cell(table, i, 0) for i in range(3)] == ["first-hour-breakout", "mean-reversion", "momentum"]
        assert {cell(table, i, 2) for i in range(3)} == {"inactive"}
        assert cell(table, 0, 3) == "paper" and cell(table, 0, 4).startswith("ES")
        assert [str(c.label) for c in table.columns.values()][8:11] == ["today R", "open R", "total R"]
        assert (cell(table, 0, 8), cell(table, 0, 9), cell(table, 0, 10)) == ("0.0000", "—", "0.0000")  # flat
        events = screen.query_one("#strategies-events", DataTable)
        await eventually(lambda: events.row_count >= 1)
        assert cell(events, 0, 2) == "loaded"
        assert "no findings" in str(screen.query_one("#strategies-findings", Static).render())
        # Activate the breakout (y), then say no to stopping it, then deactivate it.
        press(app, "a")
        await answer(app, "y")
        await eventually(lambda: cell(table, 0, 2) == "active")
        await eventually(lambda: cell(events, 0, 2) == "activated")
        press(app, "x")
        await answer(app, "n")
        assert cell(table, 0, 2) == "active"
        press(app, "d")
        await answer(app, "y")
        await eventually(lambda: cell(table, 0, 2) == "inactive")
        await eventually(lambda: cell(events, 0, 2) == "deactivated")
        # The momentum row: its findings carry the warning... none; its log starts with loaded.
        press(app, "down", "down")
        await eventually(lambda: screen.selected == "momentum")
        await eventually(lambda: events.row_count >= 1 and cell(events, 0, 2) == "loaded")
