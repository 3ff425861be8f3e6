"""The Strategies screen: every strategy with its status, account, today's P&L in $ and R and trades; the selected
one's validation findings, R per version and event log; activate, deactivate and emergency-stop it, each after a
y/n question."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from clients.sdk import StrategyEventInfo, StrategyInfo, VigilClient, VigilError
from tui import formatting
from tui.screens.confirm import ConfirmScreen
from tui.widgets.status_header import StatusHeader

REFRESH_S = 2.0  # P&L and positions move with the market: the list is read again this often
EVENTS_SHOWN = 200
# R: the trade journal's (a trade's P&L over its initial risk); "open R" is blank when flat, before a print, or
# while an open trade has no known stop (no R; its dollars still show in "open $")
COLUMNS = ("strategy", "ver", "status", "account", "contract", "pos", "today $", "open $", "today R", "open R",
           "total R", "trades", "errors")  # fmt: skip


def _or_blank(value: object | None) -> str:
    return formatting.BLANK if value is None else str(value)


def strategy_row(s: StrategyInfo) -> tuple[str, ...]:
    return (s.strategy_id, str(s.version), s.status.value, s.account_id, s.contract_id, f"{s.position:+d}",
            str(s.realised_today), _or_blank(s.unrealised), str(s.realised_r_today), _or_blank(s.unrealised_r),
            str(s.realised_r), str(s.trades_today), str(s.errors))  # fmt: skip


def version_r_text(s: StrategyInfo) -> str:
    """Its R per version that traded: total, today, open (live, as the list's columns)."""
    return "\n".join(
        f"v{v.version}: {v.realised_r}R total, {v.realised_r_today}R today, "
        f"open {formatting.BLANK if v.unrealised_r is None else f'{v.unrealised_r}R'} "
        f"({v.open_qty} open; {v.trades} trades, {v.r_trades} with R)"
        for v in s.version_pnl
    )


def event_row(e: StrategyEventInfo) -> tuple[str, ...]:
    return (formatting.clock(e.ts_ns), f"v{e.version}", e.kind, e.message)


def findings_text(s: StrategyInfo) -> str:
    lines = [f"{f.severity}: {f.path}: {f.message}" for f in s.findings]
    if s.last_error:
        lines.append(f"last error: {s.last_error}")
    text = "\n".join(lines) or "no findings"
    by_version = version_r_text(s)
    return f"{text}\n\nR per version:\n{by_version}" if by_version else text


class StrategiesScreen(Screen[None]):
    BINDINGS = [  # noqa: RUF012  (Textual reads BINDINGS as a class attribute)
        Binding("a", "activate", "Activate"),
        Binding("d", "deactivate", "Deactivate"),
        Binding("x", "stop_strategy", "Stop strategy", tooltip="cancel its orders and close its position (y/n)"),
        Binding("r", "reload", "Refresh"),
    ]

    def __init__(self, client: VigilClient) -> None:
        super().__init__()
        self.client = client
        self.strategies: dict[str, StrategyInfo] = {}
        self.selected = ""
        self.events: dict[int, StrategyEventInfo] = {}  # the selected strategy's, by seq

    def compose(self) -> ComposeResult:
        yield StatusHeader(self.client.target, id="strategies-status")
        with Horizontal(id="strategies-body"):
            yield DataTable(id="strategies-table", cursor_type="row", zebra_stripes=True)
            with Vertical(id="strategies-right"):
                yield Static("", id="strategies-findings")
                yield DataTable(id="strategies-events", cursor_type="none")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one("#strategies-table", DataTable)
        table.border_title = "Strategies (a activate, d deactivate, x stop)"
        table.add_columns(*COLUMNS)
        self.query_one("#strategies-findings", Static).border_title = "Findings"
        events = self.query_one("#strategies-events", DataTable)
        events.border_title = "Event log"
        events.add_columns("time", "ver", "kind", "message")
        table.focus()
        self._load()
        self._follow_events()
        self.set_interval(REFRESH_S, self._load)

    # -- the list ---------------------------------------------------------------------------------------

    @work(exclusive=True, group="strategies-list")
    async def _load(self) -> None:
        try:
            strategies = await self.client.list_strategies()
        except VigilError as error:
            self.query_one("#strategies-findings", Static).update(f"strategies: {error}")
            return
        self.show(strategies)

    def show(self, strategies: list[StrategyInfo]) -> None:
        table = self.query_one("#strategies-table", DataTable)
        self.strategies = {s.strategy_id: s for s in strategies}
        keys = {str(k.value) for k in table.rows}
        for s in strategies:
            row = strategy_row(s)
            if s.strategy_id in keys:
                for column, value in zip(table.columns, row, strict=True):
                    table.update_cell(s.strategy_id, column, value)
            else:
                table.add_row(*row, key=s.strategy_id)
        for gone in keys - set(self.strategies):
            table.remove_row(gone)
        if not self.selected and strategies:
            self._select(strategies[0].strategy_id)
        elif self.selected in self.strategies:
            self.query_one("#strategies-findings", Static).update(findings_text(self.strategies[self.selected]))

    def on_data_table_row_highlighted(self, message: DataTable.RowHighlighted) -> None:
        if message.data_table.id == "strategies-table" and message.row_key.value is not None:
            self._select(str(message.row_key.value))

    def _select(self, strategy_id: str) -> None:
        if strategy_id == self.selected:
            return
        self.selected = strategy_id
        strategy = self.strategies.get(strategy_id)
        self.query_one("#strategies-findings", Static).update(findings_text(strategy) if strategy else "")
        self.events = {}
        self._show_events()
        self._load_events(strategy_id)

    def _show_events(self) -> None:
        """The selected strategy's log, newest first."""
        table = self.query_one("#strategies-events", DataTable)
        table.clear()
        for seq in sorted(self.events, reverse=True)[:EVENTS_SHOWN]:
            table.add_row(*event_row(self.events[seq]), key=str(seq))

    @work(exclusive=True, group="strategies-events")
    async def _load_events(self, strategy_id: str) -> None:
        try:
            detail = await self.client.get_strategy(strategy_id, events=50)
        except VigilError as error:
            self.notify(f"{strategy_id}: {error}", severity="error", timeout=6)
            return
        if strategy_id != self.selected:
            return
        self.events.update((e.seq, e) for e in detail.events)
        self._show_events()

    @work(exclusive=True, group="strategies-stream")
    async def _follow_events(self) -> None:
        """New events of every strategy as they are stored; the selected one's go on top of its log."""
        try:
            async for update in self.client.stream_strategy_events(include_updates=True):
                event, strategy = update.event, update.strategy
                if event is not None and event.strategy_id == self.selected and event.seq not in self.events:
                    self.events[event.seq] = event
                    self._show_events()
                if strategy is not None:
                    known = strategy.strategy_id in self.strategies
                    self.strategies[strategy.strategy_id] = strategy
                    if known:
                        self.show(list(self.strategies.values()))
                    else:
                        self._load()  # a new strategy: the list in the server's order
        except VigilError as error:
            self.notify(f"strategy events: {error}", severity="error", timeout=8)

    # -- actions, each after a question -----------------------------------------------------------------

    def _ask(self, question: str, run: str) -> None:
        strategy_id = self.selected
        if not strategy_id:
            self.notify("no strategy selected", severity="warning", timeout=3)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._change(run, strategy_id)

        self.app.push_screen(ConfirmScreen(question.format(strategy_id)), answered)

    def action_activate(self) -> None:
        self._ask("Activate strategy {}? It trades its account from the next tick.", "activate_strategy")

    def action_deactivate(self) -> None:
        self._ask("Deactivate strategy {}? No new entries; its unfilled entries are cancelled.", "deactivate_strategy")

    def action_stop_strategy(self) -> None:
        self._ask(
            "EMERGENCY STOP strategy {}: cancel its orders and close its position at market now?",
            "emergency_stop_strategy",
        )

    def action_reload(self) -> None:
        self._load()
        if self.selected:
            self._load_events(self.selected)

    @work(group="strategies-actions")
    async def _change(self, call: str, strategy_id: str) -> None:
        try:
            strategy: StrategyInfo = await getattr(self.client, call)(strategy_id)
        except VigilError as error:
            self.notify(str(error), title=f"{strategy_id} not changed", severity="error", timeout=10)
            return
        self.notify(f"{strategy_id} is {strategy.status.value}", title="Strategy", timeout=5)
        self._load()
