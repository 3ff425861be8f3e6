"""The Signals screen: live signals, a feed of decisions as they happen, and the selected signal in full."""

from __future__ import annotations

from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable

from clients.sdk import Signal, SignalStatus, VigilClient, VigilError
from tui import formatting
from tui.link_status import is_refusal
from tui.messages import LiveSignalsLoaded, SignalUpdated, StreamFailed
from tui.screens.confirm import ConfirmScreen
from tui.signal_streams import SignalStreams
from tui.widgets.pending_signals import PendingSignalsTable
from tui.widgets.risk_banner import RiskBanner
from tui.widgets.signal_detail import SignalDetail
from tui.widgets.signal_feed import SignalFeed
from tui.widgets.status_header import StatusHeader
from tui.widgets.steady_footer import SteadyFooter

CANCEL_REASON = "cancelled from the TUI"


class SignalsScreen(SignalStreams, Screen[None]):
    BINDINGS = [  # noqa: RUF012  (Textual reads BINDINGS as a class attribute)
        Binding("a", "approve", "Approve"),
        Binding("c", "cancel_signal", "Cancel signal"),
    ]

    def __init__(self, client: VigilClient) -> None:
        super().__init__()
        self.client = client

    def compose(self) -> ComposeResult:
        yield StatusHeader(self.client.target, id="signals-status")
        yield RiskBanner(id="signals-risk")
        with Horizontal(id="signals-body"):
            with Vertical(id="signals-left"):
                yield PendingSignalsTable(id="live-signals")
                yield SignalFeed(id="signal-feed")
            with VerticalScroll(id="signal-detail-box"):
                yield SignalDetail(id="signal-detail")
        yield SteadyFooter(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(PendingSignalsTable).border_title = "Live signals"
        self.query_one(SignalFeed).border_title = "Decisions (newest first)"
        self.query_one("#signal-detail-box").border_title = "Signal"
        self.query_one(PendingSignalsTable).focus()
        self.run_signal_events()

    # -- selection: the detail follows the highlighted row of the focused table ----------------------

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.has_focus:
            self._sync_detail()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._sync_detail()

    def _sync_detail(self, updated: Signal | None = None) -> None:
        feed = self.query_one(SignalFeed)
        chosen = feed.selected if feed.has_focus else self.query_one(PendingSignalsTable).selected
        detail = self.query_one(SignalDetail)
        if chosen is not None:
            detail.show(chosen)
        elif updated is not None and detail.signal is not None and detail.signal.signal_id == updated.signal_id:
            detail.show(updated)  # the shown signal settled and left the live table: show how it ended

    # -- actions --------------------------------------------------------------------------------------

    def _target(self) -> Signal | None:
        """The latest copy of the signal in the detail panel, if it is still live."""
        shown = self.query_one(SignalDetail).signal
        if shown is None:
            self.notify("no signal selected", severity="warning", timeout=3)
            return None
        live = self.query_one(PendingSignalsTable).signals.get(shown.signal_id)
        if live is None:
            self.notify(f"{formatting.short_id(shown.signal_id)} is no longer live", severity="warning", timeout=4)
        return live

    def action_approve(self) -> None:
        signal = self._target()
        if signal is None:
            return
        if signal.status is not SignalStatus.AWAITING_APPROVAL:
            self.notify(
                f"{formatting.short_id(signal.signal_id)} is {signal.status.value}, not awaiting approval",
                severity="warning",
                timeout=4,
            )
            return
        self._approve(signal.signal_id)

    def action_cancel_signal(self) -> None:
        signal = self._target()
        if signal is None:
            return
        question = (
            f"Cancel {formatting.short_id(signal.signal_id)} {signal.contract_id} {signal.direction.value} "
            f"{signal.input.timeframe.value} ({signal.status.value})?"
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._cancel(signal.signal_id)

        self.app.push_screen(ConfirmScreen(question), answered)

    @work(group="signal-actions")
    async def _approve(self, signal_id: str) -> None:
        try:
            signal = await self.client.approve_signal(signal_id)
        except VigilError as error:
            self.notify(f"approve {formatting.short_id(signal_id)}: {error}", severity="error", timeout=8)
            return
        self._apply(signal)
        self.notify(f"{formatting.short_id(signal_id)} approved: {signal.status.value}", timeout=3)

    @work(group="signal-actions")
    async def _cancel(self, signal_id: str) -> None:
        try:
            signal = await self.client.cancel_signal(signal_id, CANCEL_REASON)
        except VigilError as error:
            self.notify(f"cancel {formatting.short_id(signal_id)}: {error}", severity="error", timeout=8)
            return
        self._apply(signal)

    # -- messages from the stream workers -------------------------------------------------------------

    def on_signal_updated(self, message: SignalUpdated) -> None:
        update = message.update
        self.query_one(SignalFeed).add(update)
        if update.signal is not None:
            self._apply(update.signal)

    def on_live_signals_loaded(self, message: LiveSignalsLoaded) -> None:
        self.query_one(PendingSignalsTable).keep_only(message.signals)
        self._sync_detail()

    def on_stream_failed(self, message: StreamFailed) -> None:
        if not is_refusal(message.error):  # the header already says the server refuses us
            self.notify(f"{message.stream}: {message.error}", title="Vigil", severity="error", timeout=8)

    def _apply(self, signal: Signal) -> None:
        self.query_one(PendingSignalsTable).apply(signal)
        self._sync_detail(signal)
