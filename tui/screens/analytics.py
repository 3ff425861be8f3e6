"""The Analytics screen: the month's P&L calendar, the statistics with a filter bar, the equity curve with its
drawdown under it, the R distribution, and the per-session and per-hour results."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Input, Static

from clients.sdk import VigilClient, VigilError
from clients.sdk.analytics import AnalyticsFilter, EquityCurve, GroupBy, PnlCalendar, Statistics, StatisticsReport
from tui import formatting
from tui.analytics_filter import FilterError, parse_filter
from tui.widgets.equity_chart import DistributionChart, EquityChart
from tui.widgets.pnl_month import MonthData, PnlMonth
from tui.widgets.risk_banner import RiskBanner
from tui.widgets.status_header import StatusHeader
from tui.widgets.steady_footer import SteadyFooter

EQUITY_DAYS = 365
DISTRIBUTIONS = (("R distribution", "r_distribution"), ("MFE distribution (R)", "mfe_distribution"),
                 ("MAE distribution (R)", "mae_distribution"))  # fmt: skip
DEFAULT_ACCOUNT = "paper"


CENTS = Decimal("0.01")


def _d(value: Decimal | None, suffix: str = "") -> str:
    """Money and ratios to cents, R to hundredths (the server's exact values carry more places)."""
    if value is None:
        return formatting.BLANK
    shown = value.quantize(CENTS) if value.as_tuple().exponent < -2 else value  # type: ignore[operator]
    return f"{shown}{suffix}"


def _pct(share: Decimal | None) -> str:
    if share is None:
        return formatting.BLANK
    return f"{(share * 100).quantize(Decimal('0.1'))}%"


def statistics_rows(s: Statistics) -> list[tuple[str, str]]:
    return [
        ("Trades", f"{s.trades}  {s.wins}W {s.losses}L {s.scratches}S"),
        ("Win rate", _pct(s.win_rate)),
        ("Net P&L", _d(s.net_pnl)),
        ("Commissions", _d(s.commissions)),
        ("Avg win / loss", f"{_d(s.average_win)} / {_d(s.average_loss)}"),
        ("Largest W / L", f"{_d(s.largest_win)} / {_d(s.largest_loss)}"),
        ("Profit factor", _d(s.profit_factor)),
        ("Payoff ratio", _d(s.payoff_ratio)),
        ("Expectancy", f"{_d(s.expectancy)}  {_d(s.expectancy_r, 'R')}"),
        ("SQN", _d(s.sqn)),
        ("Max drawdown", f"{s.max_drawdown.amount}  {_pct(s.max_drawdown.percent)}"),
        ("Sharpe / Sortino", f"{_d(s.sharpe)} / {_d(s.sortino)}"),
        ("Streaks W / L", f"{s.longest_win_streak} / {s.longest_loss_streak}"),
        ("MFE / MAE avg", f"{_d(s.average_mfe_r, 'R')} / {_d(s.average_mae_r, 'R')}"),
        ("MFE losers", _d(s.average_mfe_r_losers, "R")),
        ("MAE winners", _d(s.average_mae_r_winners, "R")),
        ("BE scratches", f"{s.be_scratches}  gave {_d(s.be_scratch_r_given_up, 'R')}"),
        ("Left on table", f"{_d(s.left_on_table_r, 'R')}  {_d(s.left_on_table)}"),
    ]


class DayTradesScreen(ModalScreen[None]):
    """One trading day's trades (Escape closes)."""

    BINDINGS = [Binding("escape", "dismiss", "Close")]  # noqa: RUF012

    def __init__(self, client: VigilClient, day: date, base: AnalyticsFilter) -> None:
        super().__init__()
        self.client, self.day, self.base = client, day, base

    def compose(self) -> ComposeResult:
        with Vertical(id="day-trades"):
            yield Static(f"Trades booked on {self.day.isoformat()}", id="day-title")
            yield DataTable(id="day-table", cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("exit (UTC)", "contract", "side", "net", "R", "MFE", "MAE")
        self._load()

    @work(exclusive=True)
    async def _load(self) -> None:
        table = self.query_one(DataTable)
        f = replace(self.base, from_date=self.day, to_date=self.day)
        try:
            report = await self.client.get_excursions(f, limit=500)
        except VigilError as error:
            self.query_one("#day-title", Static).update(f"Trades on {self.day}: {error}")
            return
        for t in report.trades:
            when = datetime.fromtimestamp(t.closed_ns / 1e9, tz=UTC).strftime("%H:%M:%S")
            scratch = " BE" if t.be_scratch else ""
            table.add_row(when, t.contract_id, t.direction.value, str(t.net_pnl), _d(t.result_r) + scratch,
                          _d(t.mfe_r), _d(t.mae_r))  # fmt: skip
        if not report.trades:
            self.query_one("#day-title", Static).update(f"No trades booked on {self.day.isoformat()}")


class AnalyticsScreen(Screen[None]):
    AUTO_FOCUS = "PnlMonth"  # focused as the screen opens (one focus change, so one footer update)
    BINDINGS = [  # noqa: RUF012  (Textual reads BINDINGS as a class attribute)
        Binding("slash", "focus_filter", "Filter", key_display="/"),
        Binding("escape", "focus_calendar", "Calendar", show=False),
        Binding("h", "next_distribution", "R/MFE/MAE", show=False, tooltip="show the R, MFE or MAE distribution"),
    ]

    def __init__(self, client: VigilClient, today: date) -> None:
        super().__init__()
        self.client = client
        self.today = today
        self.filter = AnalyticsFilter()
        self.report: StatisticsReport | None = None
        self.distribution = 0  # index into DISTRIBUTIONS

    def compose(self) -> ComposeResult:
        yield StatusHeader(self.client.target, id="analytics-status")
        yield RiskBanner(id="analytics-risk")
        yield Input(placeholder="filter: root=NQ session='NY AM' hour=9 tag=A+ from=2026-11-01  (/ to edit)",
                    id="analytics-filter")  # fmt: skip
        with VerticalScroll(id="analytics-body"), Horizontal(id="analytics-columns"):
            with Vertical(id="analytics-left"):
                yield PnlMonth(self.today, id="analytics-calendar")
                yield DataTable(id="analytics-stats", cursor_type="none", show_header=False)
                yield DataTable(id="analytics-groups", cursor_type="none")
            with Vertical(id="analytics-right"):
                yield EquityChart(id="analytics-equity")
                yield EquityChart(drawdown=True, id="analytics-drawdown")
                yield DistributionChart(id="analytics-r")
        yield SteadyFooter(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#analytics-calendar").border_title = "P&L calendar (arrows, [ ], Enter)"
        self.query_one("#analytics-stats").border_title = "Statistics"
        self.query_one("#analytics-equity").border_title = "Equity, high water, floor"
        self.query_one("#analytics-drawdown").border_title = "Drawdown"
        self.query_one("#analytics-r").border_title = "R distribution (h)"
        self.query_one("#analytics-groups").border_title = "By session and hour (ET)"
        stats = self.query_one("#analytics-stats", DataTable)
        stats.add_columns("figure", "value")
        self.query_one("#analytics-groups", DataTable).add_columns("group", "trades", "win", "net", "exp R")
        self.reload()

    @property
    def account(self) -> str:
        if self.filter.account_ids:
            return self.filter.account_ids[0]
        return str(getattr(self.app, "risk_account", DEFAULT_ACCOUNT) or DEFAULT_ACCOUNT)

    def action_focus_filter(self) -> None:
        self.query_one("#analytics-filter", Input).focus()

    def action_focus_calendar(self) -> None:
        self.query_one(PnlMonth).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        try:
            self.filter = parse_filter(event.value)
        except FilterError as error:
            self.notify(str(error), title="Filter", severity="warning")
            return
        self.query_one(PnlMonth).focus()
        self.reload()

    def on_pnl_month_month_changed(self, message: PnlMonth.MonthChanged) -> None:
        self._load_month(message.month)

    def on_pnl_month_day_opened(self, message: PnlMonth.DayOpened) -> None:
        self.app.push_screen(DayTradesScreen(self.client, message.day, self.filter))

    def reload(self) -> None:
        self._load_all(self.query_one(PnlMonth).month)

    @work(exclusive=True, group="analytics-all")
    async def _load_all(self, month: date) -> None:
        """The month, the statistics (per session and per hour) and the equity curve asked for together, and shown
        in one update (one layout and one paint instead of one per answer)."""
        f = self.filter
        month_result, session_result, hour_result, equity_result = await asyncio.gather(
            self.client.get_calendar(month, None, f),
            self.client.get_statistics(f, GroupBy.SESSION),
            self.client.get_statistics(f, GroupBy.HOUR),
            self.client.get_equity_curve(self.account, self.today - timedelta(days=EQUITY_DAYS), self.today),
            return_exceptions=True,
        )
        with self.app.batch_update():
            if isinstance(month_result, BaseException):
                self._failed("Calendar", month_result)
            else:
                self._show_month(month, month_result)
            if isinstance(session_result, BaseException) or isinstance(hour_result, BaseException):
                error = session_result if isinstance(session_result, BaseException) else hour_result
                self._failed("Statistics", error)  # type: ignore[arg-type]
            else:
                self._show_statistics(session_result, hour_result)
            self._show_equity(equity_result)

    def _failed(self, title: str, error: BaseException) -> None:
        if not isinstance(error, VigilError):
            raise error
        self.notify(str(error), title=title, severity="error")

    @work(exclusive=True, group="analytics-month")
    async def _load_month(self, month: date) -> None:
        try:
            cal = await self.client.get_calendar(month, None, self.filter)
        except VigilError as error:
            self.notify(str(error), title="Calendar", severity="error")
            return
        self._show_month(month, cal)

    def _show_month(self, month: date, cal: PnlCalendar) -> None:
        calendar = self.query_one(PnlMonth)
        if calendar.month != month:  # the cursor moved on to another month meanwhile: its own answer is coming
            return
        data = MonthData(
            {d.date: d for d in cal.days}, {w.date: w for w in cal.weeks}, cal.months[0] if cal.months else None
        )
        calendar.show(data)

    def _show_statistics(self, by_session: StatisticsReport, by_hour: StatisticsReport) -> None:
        self.report = by_session
        stats = self.query_one("#analytics-stats", DataTable)
        stats.clear()
        stats.add_rows(statistics_rows(by_session.overall))
        groups = self.query_one("#analytics-groups", DataTable)
        groups.clear()
        groups.add_rows(
            (label, str(s.trades), _pct(s.win_rate), _d(s.net_pnl), _d(s.expectancy_r))
            for label, s in (*by_session.groups, *((f"{h}:00", s) for h, s in by_hour.groups))
        )
        self._show_distribution()

    def action_next_distribution(self) -> None:
        self.distribution = (self.distribution + 1) % len(DISTRIBUTIONS)
        self._show_distribution()

    def _show_distribution(self) -> None:
        title, field = DISTRIBUTIONS[self.distribution]
        chart = self.query_one(DistributionChart)
        chart.border_title = f"{title} (h)"
        if self.report is not None:
            chart.show_buckets(getattr(self.report.overall, field))

    def _show_equity(self, curve: EquityCurve | BaseException) -> None:
        equity = self.query_one("#analytics-equity", EquityChart)
        if isinstance(curve, BaseException):
            if not isinstance(curve, VigilError):
                raise curve
            equity.show_days(())
            equity.border_subtitle = str(curve)[:60]
            return
        equity.show_days(curve.days)
        self.query_one("#analytics-drawdown", EquityChart).show_days(curve.days)
        equity.border_subtitle = f"{self.account}  max DD {_d(curve.max_drawdown)}"
