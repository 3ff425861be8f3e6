"""Live signals (pending, awaiting approval): one row per signal, cells updated in place, gone once settled."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from clients.sdk import Signal, SignalDirection, SignalStatus
from tui import formatting

COLUMNS = (
    ("id", "ID"),
    ("symbol", "Symbol"),
    ("direction", "Dir"),
    ("timeframe", "TF"),
    ("strategy", "Strategy"),
    ("status", "Status"),
    ("waiting_for", "Waiting for"),
    ("candles", "Bars"),
    ("received", "Received"),
    ("entry", "Entry"),
    ("stop", "Stop"),
    ("risk", "Risk"),
)
SETTLED_MEMORY = 1000  # settled ids remembered, so a late copy of a settled signal cannot bring its row back
DIRECTION_TEXT = {SignalDirection.BULLISH: ("bull", "green"), SignalDirection.BEARISH: ("bear", "red")}


def direction_text(direction: SignalDirection) -> Text:
    """Four letters, so the wide live table still fits beside the detail panel."""
    word, style = DIRECTION_TEXT.get(direction, (direction.value, ""))
    return Text(word, style=style)


class PendingSignalsTable(DataTable[str | Text]):
    """Rows keyed by signal id. `apply` adds a live signal, updates the cells that changed, or removes a
    signal that is no longer live."""

    BINDINGS = [  # noqa: RUF012  (Textual reads BINDINGS as a class attribute)
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.signals: dict[str, Signal] = {}
        self._shown: dict[str, list[str]] = {}
        self._settled: dict[str, None] = {}  # insertion-ordered set

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(label, key=key)

    @property
    def selected(self) -> Signal | None:
        if not self.signals or self.cursor_row < 0:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return self.signals.get(key) if key is not None else None

    def apply(self, signal: Signal) -> None:
        signal_id = signal.signal_id
        if not signal.status.is_live:
            self._settle(signal_id)
            return
        if signal_id in self._settled:
            return
        known = self.signals.get(signal_id)
        if known is not None and known.events and signal.events and len(signal.events) < len(known.events):
            return  # an older copy (a resync snapshot racing a newer event)
        self.signals[signal_id] = signal
        cells = self._cells(signal)
        plain = [cell.plain for cell in cells]
        shown = self._shown.get(signal_id)
        self._shown[signal_id] = plain
        if shown is None:
            self.add_row(*cells, key=signal_id)
            return
        for (column, _), cell, old, new in zip(COLUMNS, cells, shown, plain, strict=True):
            if old != new:
                self.update_cell(signal_id, column, cell, update_width=True)

    def keep_only(self, live: Iterable[Signal]) -> None:
        """Apply a full list of live signals: rows of signals missing from it are removed."""
        live = list(live)
        current = {s.signal_id for s in live}
        for signal_id in [k for k in self.signals if k not in current]:
            self._settle(signal_id)
        for signal in live:
            self.apply(signal)

    def _settle(self, signal_id: str) -> None:
        self._settled[signal_id] = None
        if len(self._settled) > SETTLED_MEMORY:
            del self._settled[next(iter(self._settled))]
        if signal_id in self.signals:
            del self.signals[signal_id]
            del self._shown[signal_id]
            self.remove_row(signal_id)

    def _cells(self, signal: Signal) -> list[Text]:
        awaiting = signal.status is SignalStatus.AWAITING_APPROVAL
        waiting = "approval" if awaiting else signal.waiting_for or formatting.BLANK
        return [
            Text(formatting.short_id(signal.signal_id), style="dim"),
            Text(signal.contract_id, style="bold"),
            direction_text(signal.direction),
            Text(signal.input.timeframe.value),
            Text(signal.input.strategy or formatting.BLANK),
            Text("approve?" if awaiting else signal.status.value, style="bold yellow" if awaiting else ""),
            Text(waiting),
            Text(f"{signal.candles_waited}/{signal.expires_after_candles}", justify="right"),
            Text(formatting.clock(signal.received_ns)),
            Text(formatting.price(signal.entry_price), justify="right"),
            Text(formatting.price(signal.stop_price), justify="right"),
            Text(formatting.price(signal.risk_points), justify="right"),
        ]
