"""The forming candle of the selected instrument and timeframe."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.widgets import Static

from clients.sdk import Candle, Timeframe
from tui import formatting
from tui.widgets.packed_line import NARROW_BELOW


class FormingCandlePanel(Static):
    """Two lines when wide (what and when, then OHLC); three narrow ones beside the chart when narrow."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.candle: Candle | None = None
        self.timeframe = Timeframe.M1
        self.note = "waiting for data"
        self.plain = ""  # the text as shown, for tests

    def on_mount(self) -> None:
        self.follow(self.timeframe)

    def on_resize(self, event: events.Resize) -> None:
        self._render_candle()

    def follow(self, timeframe: Timeframe, note: str = "waiting for data") -> None:
        """Show `timeframe`'s forming candle from now on; until one arrives, `note`."""
        self.timeframe = timeframe
        self.border_title = f"Forming {timeframe.value}"
        self.show(None, note)

    def show(self, candle: Candle | None, note: str = "waiting for data") -> None:
        self.candle, self.note = candle, note
        self._render_candle()

    def _render_candle(self) -> None:
        candle = self.candle
        narrow = self.is_mounted and self.app.size.width < NARROW_BELOW
        if candle is None:
            text = Text(self.note, style="dim")
        else:
            text = Text()
            if candle.timeframe is Timeframe.D1:
                day = formatting.trading_day(candle.start_ns)
                when = f"day {day:%m-%d}" if narrow else f"trading day {day.isoformat()}"
            else:
                when = f"{candle.time:%H:%M} UTC"
            text.append(when if narrow else f"{candle.contract_id} {when}", style="bold")
            text.append("  vol ", style="dim").append(formatting.volume(candle.volume))
            if not narrow:
                text.append("  ticks ", style="dim").append(formatting.volume(candle.tick_count))
            if not candle.complete:
                text.append("  gap", style="yellow")
            pairs = (("O", candle.open), ("H", candle.high), ("L", candle.low), ("C", candle.close))
            for i, (label, value) in enumerate(pairs):
                text.append("\n" if i == 0 or (narrow and i == 2) else "  ")
                text.append(f"{label} ", style="dim").append(formatting.price(value))
        self.plain = text.plain
        self.update(text)
