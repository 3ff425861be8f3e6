"""The Market screen driven by Pilot against a real server, and with no server at all."""

from __future__ import annotations

from decimal import Decimal

import pytest
from textual import events

from clients.sdk import ConnectionState
from core_server.app import start
from core_server.model.clock import NS_PER_SECOND, TestClock
from core_server.model.market_data import Candle
from tests.kit.eventually import eventually
from tests.kit.server import server_config
from tests.kit.time import ct, running_clock
from tui import streams
from tui.app import VigilApp
from tui.screens.market import MarketScreen
from tui.widgets.candles_table import RECENT, RecentCandlesTable
from tui.widgets.forming_candle import FormingCandlePanel
from tui.widgets.price_chart import PriceChart
from tui.widgets.quotes_table import QuotesTable
from tui.widgets.status_header import StatusHeader

SIZE = (120, 40)
STREAMING = ("ESZ2026", "MESZ2026", "NQZ2026", "MNQZ2026")


def market(app: VigilApp) -> MarketScreen:
    screen = app.screen
    assert isinstance(screen, MarketScreen)
    return screen


def press(app: VigilApp, *keys: str) -> None:
    """Send keys without Pilot's wait-for-idle: the server shares this process and keeps it busy, so
    tests wait for the outcome they expect instead."""
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


async def select_root(app: VigilApp, root: str) -> None:
    """Move the cursor with the vi keys (j/k) to the row of `root`."""
    table = market(app).query_one(QuotesTable)
    roots = [i.root for i in table.instruments.values()]
    target = roots.index(root)
    moves = target - table.cursor_row
    press(app, *(["j"] * moves if moves > 0 else ["k"] * -moves))
    await eventually(lambda: table.selected is not None and table.selected.root == root)


async def test_the_quotes_table_fills_with_every_instrument_and_live_prices(vigil_server: str) -> None:
    app = VigilApp(vigil_server)
    async with app.run_test(size=SIZE):
        table = await eventually(lambda: market(app).query_one(QuotesTable))
        await eventually(lambda: table.row_count == 8)

        def priced() -> bool:
            return all(
                str(table.get_cell(cid, col)) != "—" for cid in STREAMING for col in ("bid", "ask", "last", "volume")
            )

        await eventually(priced)
        assert str(table.get_cell("YMZ2026", "bid")) == "—"  # listed, but no feed delivers it
        bid, ask = (float(str(table.get_cell("NQZ2026", c)).replace(",", "")) for c in ("bid", "ask"))
        assert ask > bid
        header = market(app).query_one(StatusHeader)
        await eventually(lambda: f"{vigil_server} connected" in header.plain and "streaming" in header.plain)
        assert "ticks/s" in header.plain and "last tick" in header.plain


async def test_selecting_an_instrument_and_timeframe_updates_the_candles_table_and_chart(
    vigil_server: str, seeded_nq_5m: list[Candle]
) -> None:
    app = VigilApp(vigil_server)
    async with app.run_test(size=SIZE):
        screen = await eventually(lambda: market(app))
        await eventually(lambda: screen.query_one(QuotesTable).row_count == 8)
        await select_root(app, "NQ")
        press(app, "2")
        await eventually(lambda: screen.timeframe.value == "5m")

        candles = screen.query_one(RecentCandlesTable)
        chart = screen.query_one(PriceChart)
        await eventually(lambda: candles.row_count == RECENT)
        assert screen.timeframe.value == "5m"
        assert candles.starts == [c.start_ns for c in seeded_nq_5m[-RECENT:]]
        newest = seeded_nq_5m[-1]
        assert str(candles.get_cell(str(newest.start_ns), "close")) == f"{newest.close * Decimal('0.25'):.2f}"
        assert chart.contract_id == "NQZ2026" and chart.timeframe.value == "5m"
        assert [c.start_ns for c in chart.closed] == [c.start_ns for c in seeded_nq_5m]
        await eventually(lambda: chart.forming is not None)  # the live 5m candle is the chart's last point
        panel = screen.query_one(FormingCandlePanel)  # it follows the selected timeframe
        await eventually(lambda: panel.candle is not None and panel.candle.contract_id == "NQZ2026")
        assert panel.candle is not None and panel.candle.timeframe.value == "5m"
        assert panel.border_title == "Forming 5m"

        press(app, "1")
        seeded_starts = {c.start_ns for c in seeded_nq_5m}
        await eventually(lambda: chart.timeframe.value == "1m" and seeded_starts.isdisjoint(candles.starts))
        await eventually(lambda: panel.candle is not None and panel.candle.timeframe.value == "1m")
        await select_root(app, "ES")
        await eventually(lambda: panel.candle is not None and panel.candle.contract_id == "ESZ2026")
        assert chart.contract_id == "ESZ2026"


async def test_r_reconnects_and_q_quits(vigil_server: str) -> None:
    app = VigilApp(vigil_server)
    async with app.run_test(size=SIZE) as pilot:
        table = await eventually(lambda: market(app).query_one(QuotesTable))
        await eventually(lambda: table.row_count == 8 and str(table.get_cell("ESZ2026", "bid")) != "—")
        states: list[ConnectionState] = []
        app.client.add_state_listener(states.append)
        press(app, "r")
        await eventually(lambda: states[-2:] == [ConnectionState.RECONNECTING, ConnectionState.CONNECTED])
        header = market(app).query_one(StatusHeader)
        await eventually(lambda: f"{vigil_server} connected" in header.plain and "streaming" in header.plain)
        await pilot.press("q")
        await eventually(lambda: not app.is_running)
    assert app.return_code == 0
    assert app.client.connection_state is ConnectionState.CLOSED


async def test_without_a_server_the_header_shows_disconnected_retrying_and_the_app_keeps_running(
    unused_address: str,
) -> None:
    app = VigilApp(unused_address)
    async with app.run_test(size=SIZE) as pilot:
        header = await eventually(lambda: market(app).query_one(StatusHeader))
        await eventually(lambda: "disconnected, retrying" in header.plain)
        await pilot.press("down", "2", "r")
        assert market(app).timeframe.value == "5m"
        await eventually(lambda: "disconnected, retrying" in header.plain)
        assert app.is_running
        assert market(app).query_one(QuotesTable).row_count == 0
        await pilot.press("q")
    assert app.return_code == 0


async def test_the_screen_fills_in_once_a_server_appears(database_url: str, unused_address: str) -> None:
    app = VigilApp(unused_address)
    async with app.run_test(size=SIZE):
        header = await eventually(lambda: market(app).query_one(StatusHeader))
        await eventually(lambda: "disconnected, retrying" in header.plain)
        running = await start(server_config(database_url, listen=unused_address))
        try:
            table = market(app).query_one(QuotesTable)
            await eventually(lambda: table.row_count == 8, timeout=30)
            await eventually(lambda: str(table.get_cell("NQZ2026", "bid")) != "—")
            await eventually(lambda: f"{unused_address} connected" in header.plain and "streaming" in header.plain)
        finally:
            await running.stop()


async def test_header_shows_feed_health_and_store_state(vigil_server: str) -> None:
    app = VigilApp(vigil_server)
    async with app.run_test(size=(160, 40)):
        header = app.screen.query_one(StatusHeader)
        await eventually(lambda: "reconnects 0" in header.plain and "ticks written" in header.plain, timeout=15)
        assert "latency p50" in header.plain and "malformed 0" in header.plain and "gaps 0 filled" in header.plain


async def test_the_quotes_table_follows_a_front_month_roll_while_it_runs(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server rolls NQ at 17:00 CT while the TUI runs: the NQ row keeps its place under NQH2027, priced from
    the new month's quotes (the instruments are listed again every INSTRUMENTS_RECHECK_S)."""
    monkeypatch.setattr(streams, "INSTRUMENTS_RECHECK_S", 0.2)
    roll = ct(2026, 12, 9, 17, 0)
    clock = TestClock(roll - 3 * NS_PER_SECOND)
    running = await start(server_config(database_url, symbols=("NQ1!",)), clock=clock)
    try:
        app = VigilApp(running.address)
        async with app.run_test(size=SIZE), running_clock(clock, step_ms=20):
            table = await eventually(lambda: market(app).query_one(QuotesTable))
            await eventually(lambda: str(table.get_cell("NQZ2026", "bid")) != "—")
            row = list(table.instruments).index("NQZ2026")

            await eventually(lambda: "NQH2027" in table.instruments, timeout=20)
            assert "NQZ2026" not in table.instruments
            assert list(table.instruments).index("NQH2027") == row
            await eventually(lambda: str(table.get_cell("NQH2027", "bid")) != "—")
    finally:
        await running.stop()
