"""The Accounts screen: every account's mode (PAPER, BOUND, LIVE) and broker binding, each broker's connection state,
and the admin's switches: live routing on (after a y/n question naming the account) or off, and reconcile now."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from clients.sdk import VigilClient, VigilError
from clients.sdk.brokers import AccountBinding, AccountMode, BrokerState
from tui.screens.confirm import ConfirmScreen
from tui.widgets.status_header import StatusHeader
from tui.widgets.steady_footer import SteadyFooter

REFRESH_S = 3.0
ACCOUNT_COLUMNS = ("account", "name", "mode", "broker", "environment", "broker account", "live set by")
BROKER_COLUMNS = ("broker", "environment", "credentials", "state", "accounts", "detail")
MODE_MARKS = {AccountMode.PAPER: "PAPER", AccountMode.BOUND: "BOUND (nothing sent)", AccountMode.LIVE: "● LIVE"}


def account_row(b: AccountBinding) -> tuple[str, ...]:
    return (b.account_id, b.name, MODE_MARKS[b.mode], b.broker.value if b.broker else "", b.environment,
            b.broker_account, b.live_changed_by if b.is_live else "")  # fmt: skip


def broker_row(b: BrokerState) -> tuple[str, ...]:
    return (b.broker.value, b.environment, "set" if b.configured else "missing", b.state, ",".join(b.account_ids),
            b.detail)  # fmt: skip


class AccountsScreen(Screen[None]):
    BINDINGS = [  # noqa: RUF012  (Textual reads BINDINGS as a class attribute)
        Binding("L", "live_on", "Live on", tooltip="route the selected account's orders to its broker (y/n)"),
        Binding("o", "live_off", "Live off"),
        Binding("c", "reconcile", "Reconcile", tooltip="compare with the broker now; the broker wins"),
        Binding("r", "reload", "Refresh"),
    ]

    def __init__(self, client: VigilClient) -> None:
        super().__init__()
        self.client = client
        self.accounts: dict[str, AccountBinding] = {}
        self.selected = ""

    def compose(self) -> ComposeResult:
        yield StatusHeader(self.client.target, id="accounts-status")
        yield DataTable(id="accounts-table", cursor_type="row", zebra_stripes=True)
        yield DataTable(id="brokers-table", cursor_type="none")
        yield Static("", id="accounts-note")
        yield SteadyFooter(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one("#accounts-table", DataTable)
        table.border_title = "Accounts (L live on, o live off, c reconcile)"
        table.add_columns(*ACCOUNT_COLUMNS)
        brokers = self.query_one("#brokers-table", DataTable)
        brokers.border_title = "Brokers"
        brokers.add_columns(*BROKER_COLUMNS)
        table.focus()
        self.action_reload()
        self.set_interval(REFRESH_S, self.action_reload)

    @work(exclusive=True, group="accounts-list")
    async def action_reload(self) -> None:
        try:
            accounts = await self.client.list_account_modes()
            brokers = await self.client.list_brokers()
        except VigilError as error:
            self.query_one("#accounts-note", Static).update(f"accounts: {error}")
            return
        self.show(accounts, brokers)

    def show(self, accounts: list[AccountBinding], brokers: list[BrokerState]) -> None:
        table = self.query_one("#accounts-table", DataTable)
        self.accounts = {a.account_id: a for a in accounts}
        keys = {str(k.value) for k in table.rows}
        for a in accounts:
            row = account_row(a)
            if a.account_id in keys:
                for column, value in zip(table.columns, row, strict=True):
                    table.update_cell(a.account_id, column, value)
            else:
                table.add_row(*row, key=a.account_id)
        for gone in keys - set(self.accounts):
            table.remove_row(gone)
        if self.selected not in self.accounts and accounts:
            self.selected = accounts[0].account_id
        broker_table = self.query_one("#brokers-table", DataTable)
        broker_table.clear()
        for b in brokers:
            broker_table.add_row(*broker_row(b))

    def on_data_table_row_highlighted(self, message: DataTable.RowHighlighted) -> None:
        if message.data_table.id == "accounts-table" and message.row_key.value is not None:
            self.selected = str(message.row_key.value)

    def action_live_on(self) -> None:
        account = self.accounts.get(self.selected)
        if account is None or account.broker is None:
            self.notify("bind the account to a broker first (vigil accounts bind)", severity="warning", timeout=5)
            return
        question = (f"Route {account.name}'s orders LIVE to {account.broker.value} {account.environment} account "
                    f"{account.broker_account}? Real orders, real money.")  # fmt: skip

        def answered(yes: bool | None) -> None:
            if yes:
                self._set_live(account.account_id, True)

        self.app.push_screen(ConfirmScreen(question), answered)

    def action_live_off(self) -> None:
        if self.selected in self.accounts:
            self._set_live(self.selected, False)

    @work(exclusive=False, group="accounts-switch")
    async def _set_live(self, account_id: str, enabled: bool) -> None:
        try:
            binding = await self.client.set_live_routing(account_id, enabled, confirm=account_id)
        except VigilError as error:
            self.notify(f"{account_id}: {error}", severity="error", timeout=6)
            return
        self.notify(f"{binding.name}: {binding.mode.value}", timeout=4)
        self.action_reload()

    @work(exclusive=False, group="accounts-reconcile")
    async def action_reconcile(self) -> None:
        account_id = self.selected
        try:
            result = await self.client.reconcile(account_id)
        except VigilError as error:
            self.notify(f"{account_id}: {error}", severity="error", timeout=6)
            return
        lines = [f"{account_id}: {len(result.positions)} position(s), {len(result.open_orders)} open order(s)"]
        lines += [f"  {p.symbol} {p.net_qty:+d} @ {p.avg_price}" for p in result.positions]
        lines += [f"  DIFFERENCE {d.kind} {d.symbol}: vigil {d.vigil}, broker {d.broker}" for d in result.differences]
        self.query_one("#accounts-note", Static).update("\n".join(lines))
