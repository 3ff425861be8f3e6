"""Shared by the layout and snapshot tests: the app on the fake client, and waiting until a screen has settled."""

from __future__ import annotations

from textual.app import App
from textual.css.query import NoMatches
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable

from tests.kit.eventually import eventually
from tests.tui import fake_data
from tests.tui.fake_client import FakeVigilClient
from tui import formatting
from tui.app import VigilApp
from tui.screens.analytics import AnalyticsScreen
from tui.screens.copying import CopyScreen
from tui.screens.market import MarketScreen
from tui.screens.risk import RiskScreen
from tui.screens.signals import SignalsScreen
from tui.screens.trade import TradeScreen
from tui.widgets.account_bar import AccountBar
from tui.widgets.active_trades import ActiveTradesTable
from tui.widgets.candles_table import RecentCandlesTable
from tui.widgets.closed_trades import ClosedTradesTable
from tui.widgets.equity_chart import EquityChart
from tui.widgets.fills_table import FillsTable
from tui.widgets.forming_candle import FormingCandlePanel
from tui.widgets.order_ticket import OrderTicket
from tui.widgets.pending_signals import PendingSignalsTable
from tui.widgets.pnl_month import PnlMonth
from tui.widgets.positions_table import PositionsTable
from tui.widgets.price_chart import PriceChart
from tui.widgets.quotes_table import QuotesTable
from tui.widgets.risk_banner import RiskBanner
from tui.widgets.risk_tables import RiskEventLog, RuleUsageTable
from tui.widgets.status_header import StatusHeader
from tui.widgets.working_orders import WorkingOrdersTable

SIZES = ((80, 24), (120, 40))
SCREENS: dict[str, tuple[str, type[Screen[None]]]] = {  # name: (key, screen class)
    "market": ("m", MarketScreen),
    "trade": ("t", TradeScreen),
    "signals": ("g", SignalsScreen),
    "risk": ("R", RiskScreen),
    "analytics": ("J", AnalyticsScreen),
    "copy": ("C", CopyScreen),
}


def fake_app() -> VigilApp:
    """The app on the fake client, with its clock at the fake data's moment (for "today")."""
    return VigilApp(client=FakeVigilClient(), clock=lambda: fake_data.NOW_NS)


def _settled(screen: Screen[None]) -> bool:
    """Every panel of the screen shows the fake data (the streams' first messages have all arrived)."""
    try:
        return _shows_everything(screen)
    except NoMatches:  # still being composed
        return False


def _shows_everything(screen: Screen[None]) -> bool:
    header = screen.query_one(StatusHeader)
    banner = screen.query_one(RiskBanner)
    ready = "streaming" in header.plain and "SAFE" in banner.plain
    if isinstance(screen, MarketScreen):
        table, chart = screen.query_one(QuotesTable), screen.query_one(PriceChart)
        streaming = [i.front_contract.contract_id for i in fake_data.INSTRUMENTS if i.streaming]
        ready = ready and table.row_count == len(fake_data.INSTRUMENTS)
        # Quotes and the day's candles arrive on separate streams (the day bars through a pacer): wait for both.
        blank = formatting.BLANK
        ready = ready and all(table.text(c, k) != blank for c in streaming for k in ("bid", "ask", "last", "change"))
        ready = ready and chart.forming is not None and len(chart.closed) > 0 and bool(chart.marks)
        recent = screen.query_one(RecentCandlesTable)
        ready = ready and bool(recent.starts) and recent.starts[-1] == chart.closed[-1].start_ns
        ready = ready and screen.query_one(FormingCandlePanel).candle is not None
        ready = ready and screen.query_one(ActiveTradesTable).row_count == 1
    elif isinstance(screen, TradeScreen):
        ticket = screen.query_one(OrderTicket)
        ready = ready and ticket.quote is not None and screen.query_one(PositionsTable).row_count == 2
        ready = ready and screen.query_one(WorkingOrdersTable).row_count == len(fake_data.ORDERS)
        ready = ready and screen.query_one(FillsTable).row_count == len(fake_data.FILLS)
        ready = ready and screen.query_one(ClosedTradesTable).row_count == len(fake_data.CLOSED_TRADES)
        bar = screen.query_one(AccountBar)  # the account, and its commission rates on their own call
        ready = ready and bar.account is not None and bool(bar.rates) and bool(bar.root)
        ready = ready and screen.query_one(ActiveTradesTable).row_count == 1
    elif isinstance(screen, SignalsScreen):
        ready = ready and screen.query_one(PendingSignalsTable).row_count == len(fake_data.SIGNALS)
    elif isinstance(screen, RiskScreen):
        ready = ready and screen.query_one(RuleUsageTable).row_count > 0
        ready = ready and screen.query_one(RiskEventLog).row_count == len(fake_data.RISK_EVENTS)
    elif isinstance(screen, CopyScreen):
        ready = ready and screen.loaded and screen.query_one("#copy-followers", DataTable).row_count == 3
    elif isinstance(screen, AnalyticsScreen):
        ready = ready and screen.query_one("#analytics-stats", DataTable).row_count > 0
        ready = ready and screen.query_one(PnlMonth).data.month is not None
        ready = ready and len(screen.query_one("#analytics-equity", EquityChart).days) > 0
    return ready


async def show(pilot: Pilot[None], name: str) -> Screen[None]:
    """Switch to the named screen and wait until it has settled."""
    app: App[None] = pilot.app
    key, kind = SCREENS[name]
    market = await eventually(lambda: app.screen if isinstance(app.screen, MarketScreen) else None)
    # The Trade screen's ticket starts on the Market screen's selection: let the Market screen settle first.
    await eventually(lambda: _settled(market))
    if name != "market":
        await pilot.press(key)
    screen = await eventually(lambda: app.screen if isinstance(app.screen, kind) else None)
    await eventually(lambda: _settled(screen))
    await _still(pilot)
    return screen


async def _still(pilot: Pilot[None], tries: int = 40) -> None:
    """Wait until two screenshots 50 ms apart are the same: tables size their columns to new rows on a later
    refresh, so a screen whose data has all arrived can still change once."""
    app: App[None] = pilot.app
    await eventually(lambda: not any(_sizing(table) for table in app.screen.query(DataTable)))
    await pilot.pause()
    shot = app.export_screenshot()
    for _ in range(tries):
        await pilot.pause(0.05)
        again = app.export_screenshot()
        if again == shot:
            return
        shot = again


def _sizing(table: DataTable[object]) -> bool:
    """The table has rows or cells whose sizes it has not measured yet (it does so when its queue is idle)."""
    return bool(table._require_update_dimensions or table._updated_cells)  # private: no public flag
