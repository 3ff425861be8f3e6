"""Every screen at 80x24 and 120x40 on the fake client: the footer, the header, the risk banner and the account bar
fit whole (wrapped, never cut), and the main panels are on screen."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from textual.widgets import Footer, HelpPanel
from textual.widgets._key_panel import BindingsTable

from tests.kit.eventually import eventually
from tests.tui.layout_kit import SCREENS, SIZES, fake_app, show
from tui.screens.trade import TradeScreen
from tui.widgets.account_bar import AccountBar
from tui.widgets.order_ticket import OrderTicket
from tui.widgets.packed_line import PackedLine
from tui.widgets.positions_table import PositionsTable
from tui.widgets.price_chart import PriceChart
from tui.widgets.quotes_table import QuotesTable
from tui.widgets.status_header import StatusHeader


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", SCREENS)
async def test_the_footer_and_the_status_lines_fit_the_width(name: str, size: tuple[int, int]) -> None:
    width, _ = size
    app = fake_app()
    async with app.run_test(size=size) as pilot:
        screen = await show(pilot, name)
        footer = screen.query_one(Footer)
        keys = list(footer.children)
        assert keys, "the footer shows keys"
        assert max(key.region.right for key in keys) <= width, "a footer key is cut off"
        assert footer.virtual_size.width <= width
        lines = list(screen.query(PackedLine))
        assert StatusHeader in {type(line) for line in lines}  # the header is on every screen
        for line in lines:
            assert line.region.right <= width
            assert line.size.height == line.plain.count("\n") + 1, f"{type(line).__name__} is cut off"
            assert all(len(row) <= line.content_size.width for row in line.plain.split("\n"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_trade_screen_shows_the_whole_account_bar_the_positions_and_the_ticket(size: tuple[int, int]) -> None:
    width, height = size
    app = fake_app()
    async with app.run_test(size=size) as pilot:
        screen = await show(pilot, "trade")
        assert isinstance(screen, TradeScreen)
        bar = screen.query_one(AccountBar)
        for figure in ("$50,245.00", "$50,411.00", "$250.00", "$166.00"):  # balance, equity, realised, unrealised
            assert figure in bar.plain
        if width >= 100:
            assert "Commissions $5.00" in bar.plain or "Comm $5.00" in bar.plain
        for widget in (screen.query_one(PositionsTable), screen.query_one(OrderTicket)):
            region = widget.region
            assert region.width > 0 and region.bottom <= height - 1 and region.right <= width  # above the footer


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_market_screen_shows_the_quotes_beside_the_chart(size: tuple[int, int]) -> None:
    width, height = size
    app = fake_app()
    async with app.run_test(size=size) as pilot:
        screen = await show(pilot, "market")
        quotes, chart = screen.query_one(QuotesTable), screen.query_one(PriceChart)
        assert quotes.region.right <= chart.region.x  # side by side, at both widths
        assert chart.region.right <= width and chart.region.height >= 12
        assert quotes.region.bottom <= height - 1
        assert len(chart.labels) >= 10  # candles drawn


async def test_question_mark_lists_every_key_of_the_screen_even_those_the_footer_leaves_out() -> None:
    app = fake_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await show(pilot, "trade")
        await pilot.press("question_mark")
        await eventually(lambda: screen.query(BindingsTable))
        console = Console(record=True, width=80, file=io.StringIO())
        for panel in screen.query(BindingsTable):
            console.print(panel.render_bindings_table())
        shown = console.export_text()
        assert "Reverse" in shown and "Tick+" in shown and "Account" in shown
        await pilot.press("question_mark")
        await eventually(lambda: not screen.query(HelpPanel))
