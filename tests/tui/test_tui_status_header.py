"""The connection and feed header on every screen, and a refused API key shown as refused, against real servers."""

from __future__ import annotations

from textual.screen import Screen

from core_server.app import start
from tests.kit.eventually import eventually
from tests.kit.server import server_config
from tests.tui.test_tui_market_screen import press
from tui.app import VigilApp
from tui.screens.market import MarketScreen
from tui.screens.risk import RiskScreen
from tui.screens.signals import SignalsScreen
from tui.screens.trade import TradeScreen
from tui.widgets.status_header import StatusHeader

SIZE = (120, 40)


def header_text(app: VigilApp) -> str:
    """The shown screen's header text; "" while the screen has none (or is still being composed)."""
    shown = app.screen.query(StatusHeader)
    return shown.first().plain if shown else ""


async def test_every_screen_shows_the_connection_and_the_feed(vigil_server: str) -> None:
    app = VigilApp(vigil_server)
    async with app.run_test(size=SIZE):
        await eventually(lambda: isinstance(app.screen, MarketScreen))
        screens: tuple[tuple[str, type[Screen[None]]], ...] = (
            ("t", TradeScreen),
            ("g", SignalsScreen),
            ("R", RiskScreen),
            ("m", MarketScreen),
        )
        for key, kind in screens:
            press(app, key)
            await eventually(lambda: isinstance(app.screen, kind))  # noqa: B023  (awaited within this iteration)
            await eventually(
                lambda: f"{vigil_server} connected" in header_text(app) and "streaming" in header_text(app)
            )
            assert "ticks/s" in header_text(app)


async def test_a_wrong_api_key_shows_refused_not_connected(database_url: str) -> None:
    running = await start(server_config(database_url, api_keys=("the-right-key",)))
    try:
        app = VigilApp(running.address, api_key="a-wrong-key")
        async with app.run_test(size=SIZE):
            await eventually(lambda: "refused: bad API key" in header_text(app))
            assert "connected" not in header_text(app)
            press(app, "t")
            await eventually(lambda: isinstance(app.screen, TradeScreen))
            await eventually(lambda: "refused: bad API key" in header_text(app))
    finally:
        await running.stop()


async def test_no_api_key_for_a_server_that_wants_one_says_so(database_url: str) -> None:
    running = await start(server_config(database_url, api_keys=("the-right-key",)))
    try:
        app = VigilApp(running.address, api_key="")
        async with app.run_test(size=SIZE):
            await eventually(lambda: "refused: no API key (set VIGIL_API_KEY)" in header_text(app))
    finally:
        await running.stop()
