"""A backtest's equity after each trade and its running peak (the gap between them is the drawdown). Floats
appear only here, for drawing."""

from __future__ import annotations

from collections.abc import Sequence

from textual_plotext import PlotextPlot

from clients.sdk.backtests import EquityPoint


class BacktestEquityChart(PlotextPlot):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.points: tuple[EquityPoint, ...] = ()

    def on_mount(self) -> None:
        self._draw()

    def show_points(self, points: Sequence[EquityPoint]) -> None:
        self.points = tuple(points)
        self._draw()

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        if not self.points:
            plt.title("no closed trades")
            self.refresh()
            return
        xs = list(range(1, len(self.points) + 1))
        plt.plot(xs, [float(p.equity) for p in self.points], color="cyan", label="equity")
        plt.plot(xs, [float(p.equity - p.drawdown) for p in self.points], color="green", label="peak")
        plt.xlabel("trade")
        self.refresh()
