"""The forming 1m candle of the selected instrument."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from clients.sdk import Candle
from tui import formatting


class FormingCandlePanel(Static):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.candle: Candle | None = None

    def on_mount(self) -> None:
        self.border_title = "Forming 1m"
        self.show(None)

    def show(self, candle: Candle | None, note: str = "waiting for data") -> None:
        self.candle = candle
        if candle is None:
            self.update(Text(note, style="dim"))
            return
        text = Text()
        text.append(f"{candle.contract_id} {candle.time:%H:%M} UTC", style="bold")
        text.append("   volume ", style="dim")
        text.append(formatting.volume(candle.volume))
        text.append("   ticks ", style="dim")
        text.append(formatting.volume(candle.tick_count))
        if not candle.complete:
            text.append("   incomplete", style="yellow")
        text.append("\n")
        for label, value in (("O", candle.open), ("H", candle.high), ("L", candle.low), ("C", candle.close)):
            text.append(f"{label} ", style="dim")
            text.append(f"{formatting.price(value)}   ")
        self.update(text)
