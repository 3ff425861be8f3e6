"""Signal decisions as they happen, newest on top, bounded; each row keeps the signal as it stood then."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from clients.sdk import CheckOutcome, Signal, SignalAction, SignalUpdate
from tui import formatting
from tui.widgets.pending_signals import direction_text

FEED_ROWS = 200
COLUMNS = (
    ("time", "UTC"),
    ("id", "ID"),
    ("symbol", "Symbol"),
    ("direction", "Dir"),
    ("kind", "Event"),
    ("reason", "Reason"),
)
KIND_STYLE = {
    "rejected": "red",
    "pending": "cyan",
    "awaiting_approval": "bold yellow",
    "confirmed": "bold green",
    "trade_created": "green",
    "expired": "dim",
    "invalidated": "magenta",
    "cancelled": "yellow",
    "executed": "bold green",  # an exit or cancel acted
    "no_op": "yellow",  # an exit or cancel found nothing to act on
    "position_closed": "yellow",  # an entry closed the opposite position first
    "order_refused": "red",
}


class _Stamp(Text):
    """The time cell; it carries the arrival order, by which the rows are sorted newest first."""

    def __init__(self, text: str, order: int) -> None:
        super().__init__(text)
        self.order = order


def _order(cell: object) -> int:
    return cell.order if isinstance(cell, _Stamp) else -1


def reason_of(update: SignalUpdate) -> str:
    """The event's detail; for a rejection without one, the failed check's name and numbers."""
    event, signal = update.event, update.signal
    if event.detail:
        return event.detail
    if signal is None:
        return ""
    if event.kind == "rejected":
        failed = next((c for c in signal.checks if c.outcome is CheckOutcome.FAILED), None)
        return f"{failed.name}: {failed.detail}" if failed is not None else ""
    if event.kind == "pending":
        return f"waiting for {signal.waiting_for}" if signal.waiting_for else ""
    if event.kind == "awaiting_approval":
        return f"entry {formatting.price(signal.entry_price)} stop {formatting.price(signal.stop_price)}"
    return ""


def side_text(signal: Signal) -> Text:
    """The direction of an entry; an exit, cancel or add by its action (TradersPost semantics)."""
    if signal.action is SignalAction.ENTRY:
        return direction_text(signal.direction)
    return Text(signal.action.value, style="bold")


class SignalFeed(DataTable[str | Text]):
    """Rows keyed by signal id, event kind and time, so an event delivered twice (a resync snapshot) shows once."""

    BINDINGS = [  # noqa: RUF012  (Textual reads BINDINGS as a class attribute)
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, *, id: str | None = None, limit: int = FEED_ROWS) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.limit = limit
        self.rows_in_order: list[str] = []  # row keys, oldest first
        self.signals: dict[str, Signal | None] = {}
        self._count = 0

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(label, key=key)

    @property
    def selected(self) -> Signal | None:
        if not self.rows_in_order or self.cursor_row < 0:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return self.signals.get(key) if key is not None else None

    def kinds_of(self, signal_id: str) -> list[str]:
        """The event kinds shown for one signal, newest first."""
        return [
            str(self.get_cell(key, "kind")) for key in reversed(self.rows_in_order) if key.startswith(signal_id + "|")
        ]

    def add(self, update: SignalUpdate) -> None:
        event = update.event
        key = f"{event.signal_id}|{event.kind}|{event.ts_ns}"
        if key in self.signals:
            return
        signal = update.signal
        self._count += 1
        kept = self._highlighted_key()
        self.add_row(
            _Stamp(formatting.clock(event.ts_ns), self._count),
            Text(formatting.short_id(event.signal_id), style="dim"),
            Text(signal.contract_id if signal is not None else formatting.BLANK, style="bold"),
            side_text(signal) if signal is not None else Text(formatting.BLANK),
            Text(event.kind, style=KIND_STYLE.get(event.kind, "")),
            Text(reason_of(update)),
            key=key,
        )
        self.rows_in_order.append(key)
        self.signals[key] = signal
        while len(self.rows_in_order) > self.limit:
            oldest = self.rows_in_order.pop(0)
            del self.signals[oldest]
            self.remove_row(oldest)
        self.sort("time", key=_order, reverse=True)
        if kept is not None and kept in self.signals and self.has_focus:
            self.move_cursor(row=self.get_row_index(kept), scroll=False)

    def _highlighted_key(self) -> str | None:
        if not self.rows_in_order or self.cursor_row < 0:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
