"""Line chart of closes for the selected instrument and timeframe (textual-plotext)."""

from __future__ import annotations

from collections.abc import Sequence

from textual_plotext import PlotextPlot

from clients.sdk import Candle, Timeframe

MAX_POINTS = 120


class PriceChart(PlotextPlot):
    """Closed candles plus the forming one as the last point. Floats appear only here, for drawing."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.contract_id = ""
        self.timeframe = Timeframe.M1
        self.closed: list[Candle] = []
        self.forming: Candle | None = None

    def on_mount(self) -> None:
        self._draw()

    def load(self, contract_id: str, timeframe: Timeframe, candles: Sequence[Candle]) -> None:
        self.contract_id, self.timeframe = contract_id, timeframe
        self.closed = [c for c in candles if c.closed][-MAX_POINTS:]
        self.forming = None
        self._draw()

    def add_closed(self, candle: Candle) -> None:
        if self.closed and candle.start_ns <= self.closed[-1].start_ns:
            if candle.start_ns == self.closed[-1].start_ns:
                self.closed[-1] = candle
            return
        self.closed = [*self.closed, candle][-MAX_POINTS:]
        if self.forming is not None and self.forming.start_ns <= candle.start_ns:
            self.forming = None
        self._draw()

    def set_forming(self, candle: Candle) -> None:
        if self.closed and candle.start_ns <= self.closed[-1].start_ns:
            return
        if self.forming is not None and self.forming.close == candle.close and self.forming.start_ns == candle.start_ns:
            return
        self.forming = candle
        self._draw()

    @property
    def points(self) -> list[Candle]:
        return self.closed + ([self.forming] if self.forming is not None else [])

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        candles = self.points
        title = f"{self.contract_id} {self.timeframe.value} closes" if self.contract_id else "closes"
        plt.title(title)
        if candles:
            xs = [float(i) for i in range(len(candles))]
            closes = [float(c.close) for c in candles]
            plt.plot(xs, closes, marker="braille")
            if min(closes) == max(closes):  # a flat or one-point line: give the axis some height
                plt.ylim(closes[0] - 1, closes[0] + 1)
            step = max(1, len(candles) // 5)
            fmt = "%m-%d" if self.timeframe is Timeframe.D1 else "%H:%M"
            ticks = xs[::step]
            plt.xticks(ticks, [candles[int(i)].time.strftime(fmt) for i in ticks])
        self.refresh()
