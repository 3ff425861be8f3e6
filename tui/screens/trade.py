"""The Trade screen: the paper account, its positions, working orders and fills, a manual trader, active trades."""

from __future__ import annotations

from collections.abc import Callable

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input

from clients.sdk import (
    Account,
    BracketResult,
    BracketSpec,
    ConnectionState,
    Instrument,
    OrderResult,
    OrderSide,
    OrderSpec,
    RiskStatus,
    VigilClient,
    VigilError,
)
from tui import formatting, risk_text
from tui.messages import ConnectionChanged, InstrumentsLoaded, QuotesChanged, StreamFailed
from tui.risk_messages import RiskAccountChosen, RiskSnapshot
from tui.screens.confirm import ConfirmScreen
from tui.trade_messages import (
    AccountChanged,
    AccountsLoaded,
    ActiveTradesChanged,
    OpenTradesLoaded,
    OrderEventArrived,
    OrdersLoaded,
)
from tui.trade_streams import TradeStreams
from tui.widgets.account_bar import AccountBar
from tui.widgets.active_trades import ActiveTradesTable
from tui.widgets.fills_table import FillsTable
from tui.widgets.order_ticket import OrderTicket
from tui.widgets.positions_table import PositionsTable
from tui.widgets.risk_banner import RiskBanner
from tui.widgets.working_orders import WorkingOrdersTable

DEFAULT_ACCOUNT = "paper"
DEFAULT_ROOT = "NQ"

MarketSelection = Callable[[], Instrument | None]


class TradeScreen(TradeStreams, Screen[None]):
    BINDINGS = [  # noqa: RUF012  (Textual reads BINDINGS as a class attribute)
        Binding("b", "submit('buy')", "Buy"),
        Binding("s", "submit('sell')", "Sell"),
        Binding("o", "toggle_type", "Mkt/Lmt"),
        Binding("i", "next_instrument", "Instrument"),
        Binding("plus", "size(1)", "Size+", key_display="+"),
        Binding("minus", "size(-1)", "Size-", key_display="-"),
        Binding("x", "cancel_order", "Cancel order"),
        Binding("F", "flatten", "Flatten"),
        Binding("A", "next_account", "Account"),
        Binding("escape", "leave_input", "Tables", show=False),
    ]

    def __init__(self, client: VigilClient, market_selection: MarketSelection = lambda: None) -> None:
        super().__init__()
        self.client = client
        self.market_selection = market_selection
        self.accounts: tuple[Account, ...] = ()
        self.account_id = ""
        self.instruments: tuple[Instrument, ...] = ()
        self._followed: Instrument | None = None  # the Market selection last adopted
        self._was_disconnected = False
        self.risk: RiskSnapshot | None = None  # the app's risk account's, which follows this screen's account

    def compose(self) -> ComposeResult:
        yield AccountBar(id="account-bar")
        yield RiskBanner(id="trade-risk")
        with Horizontal(id="trade-body"):
            with Vertical(id="trade-left"):
                yield PositionsTable(id="positions")
                yield WorkingOrdersTable(id="working-orders")
                yield FillsTable(id="fills")
                yield ActiveTradesTable(id="trade-active-trades")
            yield OrderTicket(id="ticket")
        yield Footer()

    def on_mount(self) -> None:
        for widget_id, title in (
            ("#positions", "Positions"),
            ("#working-orders", "Working orders (x cancels)"),
            ("#fills", "Fills (newest first)"),
            ("#trade-active-trades", "Active trades"),
        ):
            self.query_one(widget_id).border_title = title
        self.query_one(WorkingOrdersTable).focus()
        if hasattr(self.app, "risk"):
            self.watch(self.app, "risk", self._follow_risk)
        self.run_connection()
        self.run_accounts(DEFAULT_ACCOUNT)
        self.run_instruments()
        self.run_active_trades()
        self.run_active_trades_resync()

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

    def action_submit(self, side: str) -> None:
        if not self.account_id:
            self.notify("no account loaded yet", severity="warning", timeout=3)
            return
        try:
            spec = self.ticket.order(OrderSide.parse(side))
        except VigilError as error:
            self.notify(str(error), title="Order not sent", severity="error", timeout=6)
            return
        account_id = self.account_id
        question = risk_text.order_question(self._risk_status(account_id), describe(spec))
        if question is None:  # LOCKED and FAILED go too: the server is the authority, and its denial says why
            self._submit(account_id, spec)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._submit(account_id, spec)

        self.app.push_screen(ConfirmScreen(question), answered)

    def _follow_risk(self, snapshot: RiskSnapshot) -> None:
        self.risk = snapshot

    def _risk_status(self, account_id: str) -> RiskStatus | None:
        risk = self.risk
        return risk.status if risk is not None and risk.account_id == account_id else None

    @work(group="trade-actions")
    async def _submit(self, account_id: str, spec: OrderSpec | BracketSpec) -> None:
        try:
            if isinstance(spec, BracketSpec):
                result: OrderResult | BracketResult = await self.client.submit_bracket(account_id, spec)
            else:
                result = await self.client.submit_order(account_id, spec)
        except VigilError as error:
            self.notify(str(error), title="Order refused", severity="error", timeout=8)
            return
        self._report(spec, result)

    def _report(self, spec: OrderSpec | BracketSpec, result: OrderResult | BracketResult) -> None:
        what = describe(spec)
        orders = result.orders if isinstance(result, BracketResult) else (result.order,)
        if result.denied:
            reason = next((o.reason for o in orders if o.reason), "no reason given")
            self.notify(f"{what}: {reason}", title="Order denied", severity="error", timeout=8)
            return
        ids = ", ".join(formatting.short_id(o.order_id) for o in orders)
        kind = "bracket" if isinstance(result, BracketResult) else "order"
        self.notify(f"{what}: {kind} {ids} {orders[0].status.value}", title="Order sent", timeout=4)

    # -- orders and the account -----------------------------------------------------------------------

    def action_cancel_order(self) -> None:
        order = self.query_one(WorkingOrdersTable).selected
        if order is None:
            self.notify("no working order selected", severity="warning", timeout=3)
            return
        self._cancel(order.order_id)

    @work(group="trade-actions")
    async def _cancel(self, order_id: str) -> None:
        try:
            result = await self.client.cancel_order(order_id)
        except VigilError as error:
            self.notify(f"cancel {formatting.short_id(order_id)}: {error}", severity="error", timeout=8)
            return
        self.query_one(WorkingOrdersTable).apply(result.order)
        self.notify(f"{formatting.short_id(order_id)} {result.order.status.value}", timeout=3)

    def action_flatten(self) -> None:
        account = self._account()
        if account is None:
            self.notify("no account loaded yet", severity="warning", timeout=3)
            return
        question = f"Flatten {account.name}: cancel every order and close every position at market?"

        def answered(yes: bool | None) -> None:
            if yes:
                self._flatten(account.account_id)

        self.app.push_screen(ConfirmScreen(question), answered)

    @work(group="trade-actions")
    async def _flatten(self, account_id: str) -> None:
        try:
            events = await self.client.flatten_account(account_id)
        except VigilError as error:
            self.notify(f"flatten: {error}", severity="error", timeout=8)
            return
        self.notify(f"flatten: {len(events)} order events", title="Flattened", timeout=4)

    def action_next_account(self) -> None:
        self.run_accounts(None)  # listed afresh, so accounts created meanwhile join the cycle

    def _account(self) -> Account | None:
        return next((a for a in self.accounts if a.account_id == self.account_id), None)

    def _show_account(self, account_id: str) -> None:
        if account_id == self.account_id:
            return
        self.account_id = account_id
        self.post_message(RiskAccountChosen(account_id))  # the risk banners follow the account shown here
        self.query_one(WorkingOrdersTable).clear_orders()
        self.query_one(FillsTable).clear_fills()
        self.query_one(PositionsTable).drop_all_but(())
        self._render_account(self._account())
        self.run_account(account_id)
        self.run_orders(account_id)

    def _render_account(self, account: Account | None) -> None:
        ids = [a.account_id for a in self.accounts]
        index = ids.index(account.account_id) if account is not None and account.account_id in ids else 0
        self.query_one(AccountBar).show(account, index, len(ids))

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
        self.run_quotes((instrument.front_contract.contract_id,))

    # -- messages from the stream workers -------------------------------------------------------------

    def on_connection_changed(self, message: ConnectionChanged) -> None:
        if message.state is ConnectionState.RECONNECTING:
            self._was_disconnected = True
        elif message.state is ConnectionState.CONNECTED and self._was_disconnected:
            self._was_disconnected = False
            if self.account_id:
                self.run_orders_resync(self.account_id)  # events of the outage are not replayed

    def on_instruments_loaded(self, message: InstrumentsLoaded) -> None:
        self.instruments = message.instruments
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

    def on_open_trades_loaded(self, message: OpenTradesLoaded) -> None:
        self.query_one(ActiveTradesTable).keep_only(message.trades)

    def on_stream_failed(self, message: StreamFailed) -> None:
        self.notify(f"{message.stream}: {message.error}", title="Vigil", severity="error", timeout=8)


def describe(spec: OrderSpec | BracketSpec) -> str:
    """`buy 1 MNQZ2026 market`: the entry order in a few words."""
    entry = spec.entry if isinstance(spec, BracketSpec) else spec
    return f"{entry.side.value} {entry.quantity} {entry.symbol} {entry.order_type.value}"
