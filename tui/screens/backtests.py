"""The Backtests screen: start a run (strategy or definition file, symbol, trade dates, parameters), watch its
progress, and read its results: the runs, the selected run's summary, equity curve and trades."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from decimal import Decimal

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, DataTable, Input, ProgressBar, Static
from textual.widgets.data_table import ColumnKey

from clients.sdk import VigilClient, VigilError
from clients.sdk.backtests import BacktestRun, BacktestSettings
from tui import formatting
from tui.widgets.backtest_equity import BacktestEquityChart
from tui.widgets.risk_banner import RiskBanner
from tui.widgets.status_header import StatusHeader
from tui.widgets.steady_footer import SteadyFooter

SUMMARY = (("Trades", "trades"), ("Win rate", "win_rate"), ("Net P&L", "net"), ("Gross", "gross"),
           ("Commissions", "commissions"), ("Profit factor", "profit_factor"), ("Expectancy", "expectancy"),
           ("Expectancy R", "expectancy_r"), ("Max drawdown", "max_drawdown"), ("Sharpe", "sharpe"),
           ("Streaks W/L", ""))  # fmt: skip
FIELDS = ("bt-strategy", "bt-symbol", "bt-from", "bt-to", "bt-params")


class BacktestsScreen(Screen[None]):
    DEFAULT_CSS = """
    #bt-form { height: 3; }
    #bt-form Input { width: 1fr; }
    #bt-strategy { width: 2fr; }
    #bt-params { width: 2fr; }
    #bt-run { width: 9; min-width: 9; }
    #bt-line { height: 1; }
    #bt-progress { width: 40; }
    #bt-status { width: 1fr; }
    #bt-body { height: 1fr; }
    #bt-runs { width: 1fr; }
    #bt-right { width: 1fr; }
    #bt-summary { height: auto; max-height: 13; }
    #bt-equity { height: 1fr; min-height: 6; }
    #bt-trades { height: 1fr; }
    """
    BINDINGS = [  # noqa: RUF012  (Textual reads BINDINGS as a class attribute)
        Binding("slash", "focus_form", "Form", key_display="/", tooltip="edit the run's settings"),
        Binding("ctrl+r", "start", "Run", tooltip="start a backtest with the settings above"),
        Binding("x", "cancel", "Cancel run", tooltip="cancel the selected run"),
    ]

    def __init__(self, client: VigilClient, today: str = "") -> None:
        super().__init__()
        self.client = client
        self.today = today
        self.runs: dict[str, BacktestRun] = {}
        self.selected = ""
        self._run_columns: list[ColumnKey] = []

    def compose(self) -> ComposeResult:
        yield StatusHeader(self.client.target, id="bt-header")
        yield RiskBanner(id="bt-risk")
        with Horizontal(id="bt-form"):
            yield Input("first-hour-breakout", placeholder="strategy or definition file", id="bt-strategy")
            yield Input("ES", placeholder="symbol", id="bt-symbol")
            yield Input(self.today, placeholder="from YYYY-MM-DD", id="bt-from")
            yield Input(self.today, placeholder="to YYYY-MM-DD", id="bt-to")
            yield Input(placeholder="params: name=value name=value", id="bt-params")
            yield Button("Run", id="bt-run", variant="primary")
        with Horizontal(id="bt-line"):
            yield ProgressBar(total=1, show_eta=False, id="bt-progress")
            yield Static("", id="bt-status")
        with Horizontal(id="bt-body"):
            yield DataTable(id="bt-runs", cursor_type="row")
            with Vertical(id="bt-right"):
                yield DataTable(id="bt-summary", cursor_type="none", show_header=False)
                yield BacktestEquityChart(id="bt-equity")
        yield DataTable(id="bt-trades", cursor_type="row")
        yield SteadyFooter(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#bt-runs").border_title = "Runs (Enter: results, x: cancel)"
        self.query_one("#bt-summary").border_title = "Summary"
        self.query_one("#bt-equity").border_title = "Equity after each trade"
        self.query_one("#bt-trades").border_title = "Trades"
        self._run_columns = self.query_one("#bt-runs", DataTable).add_columns(
            "run", "status", "strategy", "contract", "dates", "ticks", "net"
        )
        self.query_one("#bt-summary", DataTable).add_columns("figure", "value")
        self.query_one("#bt-trades", DataTable).add_columns(
            "entry (UTC)", "side", "qty", "entry", "exit", "reason", "net", "R", "MFE R", "MAE R"
        )
        self._load_runs()

    # -- starting -------------------------------------------------------------------------------------------

    def action_focus_form(self) -> None:
        self.query_one("#bt-strategy", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id in FIELDS:
            self.action_start()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "bt-run":
            self.action_start()

    def settings(self) -> BacktestSettings:
        value = {name: self.query_one(f"#{name}", Input).value.strip() for name in FIELDS}
        params = {}
        for pair in value["bt-params"].split():
            name, sep, text = pair.partition("=")
            if not sep:
                raise ValueError(f"parameter {pair!r}: use name=value")
            params[name] = text
        strategy, definition = value["bt-strategy"], ""
        if os.path.isfile(strategy):
            with open(strategy, encoding="utf-8") as file:
                strategy, definition = "", file.read()
        return BacktestSettings(value["bt-symbol"], value["bt-from"], value["bt-to"], strategy, params, definition)

    def action_start(self) -> None:
        try:
            settings = self.settings()
        except (ValueError, OSError) as error:
            self._status(str(error))
            return
        self._start(settings)

    @work(group="start")
    async def _start(self, settings: BacktestSettings) -> None:
        try:
            run = await self.client.start_backtest(settings)
        except VigilError as error:
            self._status(f"refused: {error}")
            return
        self.selected = run.run_id
        self._show_run(run)
        self._follow(run.run_id)

    @work(group="follow")
    async def _follow(self, run_id: str) -> None:
        try:
            async for run in self.client.stream_backtest_progress(run_id):
                self._show_run(run)
                if run.finished:
                    break
        except VigilError as error:
            self._status(f"progress lost: {error}")
            return
        if self.selected == run_id:
            self._load_result(run_id)

    def action_cancel(self) -> None:
        if self.selected:
            self._cancel(self.selected)

    @work(group="cancel")
    async def _cancel(self, run_id: str) -> None:
        try:
            self._show_run(await self.client.cancel_backtest(run_id))
        except VigilError as error:
            self._status(str(error))

    # -- showing --------------------------------------------------------------------------------------------

    @work(group="runs", exclusive=True)
    async def _load_runs(self) -> None:
        try:
            runs = await self.client.list_backtests(limit=50)
        except VigilError as error:
            self._status(f"runs: {error}")
            return
        for run in reversed(runs):
            self._show_run(run)
        if runs and not self.selected:
            self.selected = runs[0].run_id
            if runs[0].status == "done":
                self._load_result(runs[0].run_id)

    def _show_run(self, run: BacktestRun) -> None:
        table = self.query_one("#bt-runs", DataTable)
        cells = (run.run_id, run.status, run.settings.strategy or "(definition)", run.contract_id,
                 f"{run.settings.from_date}..{run.settings.to_date}", f"{run.ticks_done:,}",
                 run.summary.get("net", formatting.BLANK))  # fmt: skip
        if run.run_id in self.runs:
            for column, cell in zip(self._run_columns, cells, strict=True):
                table.update_cell(run.run_id, column, cell)
        else:
            table.add_row(*cells, key=run.run_id)
        self.runs[run.run_id] = run
        if run.run_id == self.selected:
            bar = self.query_one("#bt-progress", ProgressBar)
            bar.update(total=max(run.ticks_total, run.ticks_done, 1), progress=run.ticks_done)
            extra = f": {run.error}" if run.error and run.status != "cancelled" else ""
            self._status(f"{run.run_id} {run.status}{extra}")

    def _status(self, text: str) -> None:
        self.query_one("#bt-status", Static).update(text)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id != "bt-runs" or event.row_key.value is None:
            return
        self.selected = str(event.row_key.value)
        run = self.runs.get(self.selected)
        if run is not None:
            self._show_run(run)
            if run.status == "done":
                self._load_result(run.run_id)

    @work(group="result", exclusive=True)
    async def _load_result(self, run_id: str) -> None:
        try:
            result = await self.client.get_backtest_result(run_id)
            page = await self.client.list_backtest_trades(run_id, limit=1000)
        except VigilError as error:
            self._status(f"results: {error}")
            return
        summary = self.query_one("#bt-summary", DataTable)
        summary.clear()
        figures = result.run.summary
        for label, key in SUMMARY:
            value = (f"{figures.get('longest_win_streak', '')}/{figures.get('longest_loss_streak', '')}"
                     if not key else figures.get(key, "") or formatting.BLANK)  # fmt: skip
            summary.add_row(label, value)
        if result.failed_day:
            summary.add_row("Evaluation failed", result.failed_day)
        self.query_one(BacktestEquityChart).show_points(result.equity)
        trades = self.query_one("#bt-trades", DataTable)
        trades.clear()
        for t in page.trades:
            trades.add_row(
                _when(t.entry_ns), t.side,
                t.quantity, t.entry_price, t.exit_price if t.exit_price is not None else formatting.BLANK,
                t.exit_reason, t.net, _r(t.r), _r(t.mfe_r), _r(t.mae_r), key=t.trade_id,
            )  # fmt: skip
        self.query_one("#bt-trades").border_title = f"Trades ({page.total})"


def _when(ts_ns: int) -> str:
    return datetime.fromtimestamp(ts_ns // 1_000_000_000, UTC).strftime("%m-%d %H:%M")


def _r(value: Decimal | None) -> str:
    return formatting.BLANK if value is None else f"{value.quantize(Decimal('0.01'))}"
