"""The Trade screen's account bar shows what the shown account pays per contract per side on the ticket's
instrument (issue 13 §5), and an account's own rate is marked as such."""

from __future__ import annotations

from clients.sdk import VigilClient
from tests.kit.eventually import eventually
from tests.tui.test_tui_trade_screen import SIZE, open_trade, press
from tui.app import VigilApp
from tui.widgets.account_bar import AccountBar


async def test_the_account_bar_shows_the_fee_per_side_of_the_tickets_instrument(vigil_server: str) -> None:
    async with VigilClient(vigil_server) as client:
        await client.set_commission_rates("paper", {"NQ": "3.05"})
    app = VigilApp(vigil_server)
    async with app.run_test(size=SIZE):
        screen = await open_trade(app, "NQ")
        bar = screen.query_one(AccountBar)
        await eventually(lambda: "Fee NQ $3.05/side (own)" in bar.plain)
        press(app, "i")  # the next instrument: its own (server) rate
        await eventually(lambda: "Fee NQ" not in bar.plain and "/side" in bar.plain and "(own)" not in bar.plain)
