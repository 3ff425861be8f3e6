"""The account bar says where orders placed from the Trade screen go: PAPER, BOUND (nothing is sent) or LIVE."""

from __future__ import annotations

from textual.app import App, ComposeResult

from clients.sdk import VigilClient
from clients.sdk.brokers import AccountMode, Broker
from tests.kit.eventually import eventually
from tests.tui import fake_data
from tests.tui.test_tui_trade_screen import SIZE, open_trade
from tui.app import VigilApp
from tui.widgets.account_bar import AccountBar


async def test_a_paper_account_is_marked_paper_and_a_bound_one_bound(vigil_server: str) -> None:
    app = VigilApp(vigil_server)
    async with app.run_test(size=SIZE):
        screen = await open_trade(app, "NQ")
        bar = screen.query_one(AccountBar)
        await eventually(lambda: " PAPER " in bar.plain)
        async with VigilClient(vigil_server) as client:
            await client.bind_account("paper", Broker.TRADOVATE, "DEMO12345", "demo")
        screen.run_account_mode("paper")
        await eventually(lambda: " BOUND " in bar.plain and "tradovate" in bar.plain)


async def test_a_live_account_is_marked_live_in_red() -> None:
    class BarApp(App[None]):
        def compose(self) -> ComposeResult:
            yield AccountBar()

    app = BarApp()
    async with app.run_test(size=(160, 10)):
        bar = app.query_one(AccountBar)
        bar.show(fake_data.ACCOUNTS[0])
        bar.show_mode(AccountMode.LIVE.value, Broker.TRADOVATE.value)
        assert " LIVE " in bar.plain and "tradovate" in bar.plain
        head = bar.segments(narrow=False)[0]
        assert head is not None
        assert any(str(span.style) == "bold white on red" for span in head.spans)
        bar.show(fake_data.ACCOUNTS[1])  # another account: no mode until its own is loaded
        assert "LIVE" not in bar.plain
