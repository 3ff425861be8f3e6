"""The last closed candles of the selected instrument and timeframe, newest at the bottom."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable

from clients.sdk import Candle
from tui import formatting

RECENT = 20
COLUMNS = (
    ("time", "UTC"),  # the start; a 1d candle's trading day
    ("open", "Open"),
    ("high", "High"),
    ("low", "Low"),
    ("close", "Close"),
    ("volume", "Volume"),
    ("flags", ""),
)


class RecentCandlesTable(DataTable[str | Text]):
    """Rows keyed by candle start; a closed candle that arrives twice replaces its row's cells."""

    can_focus = False

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="none", zebra_stripes=True)
        self.starts: list[int] = []

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(label, key=key)

    def load(self, candles: Sequence[Candle]) -> None:
        """Show the last RECENT closed candles (a new selection, so the rows are rebuilt)."""
        self.clear()
        self.starts = []
        for candle in [c for c in candles if c.closed][-RECENT:]:
            self.add(candle)

    def add(self, candle: Candle) -> None:
        key = str(candle.start_ns)
        cells = self._cells(candle)
        if candle.start_ns in self.starts:
            for (column, _), cell in zip(COLUMNS, cells, strict=True):
                self.update_cell(key, column, cell)
            return
        if self.starts and candle.start_ns < self.starts[-1]:
            return  # older than what is shown: history already covered it
        self.add_row(*cells, key=key)
        self.starts.append(candle.start_ns)
        while len(self.starts) > RECENT:
            self.remove_row(str(self.starts.pop(0)))
        # After the refresh that measures the new row (DataTable sizes rows when idle); scrolling now could stop short.
        self.call_after_refresh(self.scroll_end, animate=False)

    def _cells(self, candle: Candle) -> list[str | Text]:
        rising = candle.close >= candle.open
        return [
            formatting.candle_label(candle, with_day=True),  # a 1d candle shows its trading day
            Text(formatting.price(candle.open), justify="right"),
            Text(formatting.price(candle.high), justify="right"),
            Text(formatting.price(candle.low), justify="right"),
            Text(formatting.price(candle.close), style="green" if rising else "red", justify="right"),
            Text(formatting.volume(candle.volume), justify="right"),
            Text("" if candle.complete else "gap", style="yellow"),
        ]
