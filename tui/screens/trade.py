"""The Trade screen: the paper account, its positions, working orders and fills, a manual trader, today's closed
trades and the active ones."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Input

from clients.sdk import Account, ConnectionState, Instrument, RiskStatus, VigilClient
from tui import formatting
from tui.link_status import is_refusal
from tui.messages import ConnectionChanged, InstrumentsLoaded, QuotesChanged, StreamFailed
from tui.risk_messages import RiskAccountChosen, RiskSnapshot
from tui.screens.trade_actions import TradeActions
from tui.trade_messages import (
    AccountChanged,
    AccountModeLoaded,
    AccountsLoaded,
    ActiveTradesChanged,
    ClosedTradesLoaded,
    CommissionRatesLoaded,
    OpenTradesLoaded,
    OrderEventArrived,
    OrdersLoaded,
)
from tui.trade_streams import TradeStreams
from tui.widgets.account_bar import AccountBar
from tui.widgets.active_trades import ActiveTradesTable
from tui.widgets.closed_trades import ClosedTradesTable
from tui.widgets.fills_table import FillsTable
from tui.widgets.order_ticket import OrderTicket
from tui.widgets.positions_table import PositionsTable
from tui.widgets.risk_banner import RiskBanner
from tui.widgets.status_header import StatusHeader
from tui.widgets.steady_footer import SteadyFooter
from tui.widgets.working_orders import WorkingOrdersTable

DEFAULT_ACCOUNT = "paper"
DEFAULT_ROOT = "NQ"
DAY_CHECK_SECONDS = 30.0  # how often the screen looks whether the trading day rolled (17:00 CT)

MarketSelection = Callable[[], Instrument | None]


class TradeScreen(TradeActions, TradeStreams, Screen[None]):
    BINDINGS = [  # noqa: RUF012  (Textual reads BINDINGS as a class attribute)
        # The footer fits 80 columns: the rest show under `?` and in the tables' titles.
        Binding("b", "submit('buy')", "Buy"),
        Binding("s", "submit('sell')", "Sell"),
        Binding("o", "toggle_type", "Mkt/Lmt", show=False, tooltip="market or limit"),
        Binding("i", "next_instrument", "Instrument", show=False, tooltip="the next instrument"),
        Binding("plus", "size(1)", "Size+", key_display="+", show=False),
        Binding("minus", "size(-1)", "Size-", key_display="-", show=False),
        Binding("e", "modify_order", "Edit", tooltip="change the selected order's size or prices"),
        Binding("left_square_bracket", "nudge(-1)", "Tick-", key_display="[", show=False, tooltip="move it down"),
        Binding("right_square_bracket", "nudge(1)", "Tick+", key_display="]", show=False, tooltip="move it up"),
        Binding("x", "cancel_order", "Cancel", tooltip="cancel the selected order"),
        Binding("c", "close_position", "Close", tooltip="close the selected position (after y/n)"),
        Binding("v", "reverse_position", "Reverse", show=False, tooltip="reverse the selected position (after y/n)"),
        Binding("F", "flatten", "Flat", tooltip="flatten the account (after y/n)"),
        Binding("A", "next_account", "Account", show=False, tooltip="the next account"),
        Binding("escape", "leave_input", "Tables", show=False),
    ]

    def __init__(
        self,
        client: VigilClient,
        market_selection: MarketSelection = lambda: None,
        *,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        super().__init__()
        self.client = client
        self.market_selection = market_selection
        self.clock = clock
        self.accounts: tuple[Account, ...] = ()
        self.account_id = ""
        self.instruments: tuple[Instrument, ...] = ()
        self.trading_day = formatting.trading_day(clock())
        self._followed: Instrument | None = None  # the Market selection last adopted
        self._was_disconnected = False
        self.risk: RiskSnapshot | None = None  # the app's risk account's, which follows this screen's account
        self._nudged: dict[str, tuple[Decimal | None, Decimal | None]] = {}
        self._in_flight: dict[str, int] = {}

    def compose(self) -> ComposeResult:
        yield StatusHeader(self.client.target, id="trade-status")
        yield AccountBar(id="account-bar")
        yield RiskBanner(id="trade-risk")
        # Wide: positions beside the ticket, the tables below. Narrow: one scrolling stack (app.tcss).
        with Vertical(id="trade-body"):
            with Horizontal(id="trade-top"):
                yield PositionsTable(id="positions")
                yield OrderTicket(id="ticket")
            yield WorkingOrdersTable(id="working-orders")
            yield ClosedTradesTable(id="closed-trades")
            yield ActiveTradesTable(id="trade-active-trades")
            yield FillsTable(id="fills")
        yield SteadyFooter(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        for widget_id, title in (
            ("#positions", "Positions (c close, v reverse)"),
            ("#working-orders", "Working orders (e edit, [ ] tick, x cancel)"),
            ("#fills", "Fills (newest first)"),
            ("#trade-active-trades", "Active trades"),
        ):
            self.query_one(widget_id).border_title = title
        self.set_focus(self.query_one(WorkingOrdersTable), scroll_visible=False)  # narrow: the top stays in view
        if hasattr(self.app, "risk"):
            self.watch(self.app, "risk", self._follow_risk)
        self.run_connection()
        self.run_accounts(DEFAULT_ACCOUNT)
        self.run_instruments()
        self.run_active_trades()
        self._start_day()
        self.set_interval(DAY_CHECK_SECONDS, self._check_day)

    def on_screen_resume(self) -> None:
        self._follow_market()

    # -- the manual trader ----------------------------------------------------------------------------

    @property
    def ticket(self) -> OrderTicket:
        return self.query_one(OrderTicket)

    def action_size(self, step: int) -> None:
        self.ticket.change_size(step)

    def action_toggle_type(self) -> None:
        self.ticket.toggle_type()

    def action_next_instrument(self) -> None:
        choices = [i for i in self.instruments if i.streaming] or list(self.instruments)
        if not choices:
            self.notify("no instruments loaded yet", severity="warning", timeout=3)
            return
        current = self.ticket.instrument
        roots = [i.root for i in choices]
        index = roots.index(current.root) + 1 if current is not None and current.root in roots else 0
        self._show_instrument(choices[index % len(choices)])

    def action_leave_input(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one(WorkingOrdersTable).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(WorkingOrdersTable).focus()  # Enter leaves the field, so the trade keys work again

    def _follow_risk(self, snapshot: RiskSnapshot) -> None:
        self.risk = snapshot

    def _risk_status(self, account_id: str) -> RiskStatus | None:
        risk = self.risk
        return risk.status if risk is not None and risk.account_id == account_id else None

    # -- the account ----------------------------------------------------------------------------------

    def action_next_account(self) -> None:
        self.run_accounts(None)  # listed afresh, so accounts created meanwhile join the cycle

    def _account(self) -> Account | None:
        return next((a for a in self.accounts if a.account_id == self.account_id), None)

    def _show_account(self, account_id: str) -> None:
        if account_id == self.account_id:
            return
        self.account_id = account_id
        self.post_message(RiskAccountChosen(account_id))  # the risk banners and the chart's levels follow it
        self.query_one(WorkingOrdersTable).clear_orders()
        self.query_one(FillsTable).clear_fills()
        self.query_one(PositionsTable).drop_all_but(())
        self._render_account(self._account())
        self.run_account(account_id)
        self.run_orders(account_id)
        self.run_commissions(account_id)
        self.run_account_mode(account_id)

    def _render_account(self, account: Account | None) -> None:
        ids = [a.account_id for a in self.accounts]
        index = ids.index(account.account_id) if account is not None and account.account_id in ids else 0
        self.query_one(AccountBar).show(account, index, len(ids))

    # -- today's closed trades ------------------------------------------------------------------------

    def _start_day(self) -> None:
        since = formatting.trading_day_start_ns(self.trading_day)
        self.query_one(ClosedTradesTable).start_day(since)
        self.run_closed_trades(since)

    def _check_day(self) -> None:
        today = formatting.trading_day(self.clock())
        if today != self.trading_day:
            self.trading_day = today
            self._start_day()

    # -- instruments ----------------------------------------------------------------------------------

    def _follow_market(self) -> None:
        """Adopt the Market screen's selection when it changed since last adopted; else keep the ticket's."""
        if not self.instruments:
            return
        selected = self.market_selection()
        if selected is not None and selected != self._followed:
            self._followed = selected
            self._show_instrument(selected)
        elif self.ticket.instrument is None:
            default = next((i for i in self.instruments if i.root == DEFAULT_ROOT), self.instruments[0])
            self._show_instrument(default)

    def _show_instrument(self, instrument: Instrument) -> None:
        ticket = self.ticket
        if ticket.instrument is not None and ticket.instrument.front_contract == instrument.front_contract:
            return
        ticket.instrument = instrument
        self.query_one(AccountBar).show_root(instrument.root)
        self.run_quotes((instrument.front_contract.contract_id,))

    # -- messages from the stream workers -------------------------------------------------------------

    def on_connection_changed(self, message: ConnectionChanged) -> None:
        if message.state is ConnectionState.RECONNECTING:
            self._was_disconnected = True
        elif message.state is ConnectionState.CONNECTED and self._was_disconnected:
            self._was_disconnected = False
            # Order events and trade updates of the outage are replayed by their resumed streams (since_seq).
            self.run_closed_trades(formatting.trading_day_start_ns(self.trading_day))

    def on_instruments_loaded(self, message: InstrumentsLoaded) -> None:
        self.instruments = message.instruments
        self.query_one(ClosedTradesTable).set_point_values({i.root: i.point_value for i in message.instruments})
        self._follow_market()

    def on_quotes_changed(self, message: QuotesChanged) -> None:
        for quote in message.quotes.values():
            self.ticket.set_quote(quote)

    def on_accounts_loaded(self, message: AccountsLoaded) -> None:
        self.accounts = message.accounts
        if not self.accounts:
            self.notify("the server has no paper account", severity="warning", timeout=5)
            return
        ids = [a.account_id for a in self.accounts]
        if message.select is not None:
            chosen = next((a.account_id for a in self.accounts if message.select in (a.account_id, a.name)), ids[0])
        else:  # `A`: the next account after the shown one
            chosen = ids[(ids.index(self.account_id) + 1) % len(ids)] if self.account_id in ids else ids[0]
        self._show_account(chosen)
        self._render_account(self._account())

    def on_commission_rates_loaded(self, message: CommissionRatesLoaded) -> None:
        if message.account_id == self.account_id:
            self.query_one(AccountBar).show_rates(message.rates)

    def on_account_mode_loaded(self, message: AccountModeLoaded) -> None:
        if message.account_id == self.account_id:
            self.query_one(AccountBar).show_mode(message.mode, message.broker)

    def on_account_changed(self, message: AccountChanged) -> None:
        account = message.account
        if account.account_id != self.account_id:
            return
        self.accounts = tuple(account if a.account_id == account.account_id else a for a in self.accounts)
        self._render_account(account)
        self.query_one(PositionsTable).apply(account)

    def on_order_event_arrived(self, message: OrderEventArrived) -> None:
        event = message.event
        if event.order is not None and event.order.account_id == self.account_id:
            self.query_one(WorkingOrdersTable).apply(event.order)
        if event.fill is not None and event.fill.account_id == self.account_id:
            self.query_one(FillsTable).add((event.fill,))

    def on_orders_loaded(self, message: OrdersLoaded) -> None:
        if message.account_id != self.account_id:
            return
        orders = self.query_one(WorkingOrdersTable)
        if message.resync:
            orders.resync(message.orders)
        else:
            for order in message.orders:
                orders.apply(order)
        self.query_one(FillsTable).add(message.fills)

    def on_active_trades_changed(self, message: ActiveTradesChanged) -> None:
        self.query_one(ActiveTradesTable).apply(message.trades)
        self.query_one(ClosedTradesTable).apply(message.trades)  # a trade that just ended joins today's list

    def on_open_trades_loaded(self, message: OpenTradesLoaded) -> None:
        self.query_one(ActiveTradesTable).keep_only(message.trades)

    def on_closed_trades_loaded(self, message: ClosedTradesLoaded) -> None:
        table = self.query_one(ClosedTradesTable)
        if message.since_ns == table.since_ns:
            table.apply(message.trades)

    def on_stream_failed(self, message: StreamFailed) -> None:
        if not is_refusal(message.error):  # the header already says the server refuses us
            self.notify(f"{message.stream}: {message.error}", title="Vigil", severity="error", timeout=8)
