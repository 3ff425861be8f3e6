"""The equity curve (end-of-day balance, high-water mark, trailing floor) and, under it, the drawdown; and a bar
chart of a distribution. Floats appear only here, for drawing."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import RenderResult
from textual.geometry import Size
from textual_plotext import PlotextPlot

from clients.sdk.analytics import EquityDay, RBucket

LABELS = 5
# A year's drawdown as one bar a day was 258 bars for ~40 columns (50-100 ms of plotext per drawing); the deepest
# drawdown of each run of days as one bar draws the same picture at this width.
MAX_BARS = 64
LOADING = "loading…"


def _ticks(count: int) -> list[int]:
    if count <= LABELS:
        return list(range(count))
    step = max(1, (count - 1) // (LABELS - 1))
    ticks = list(range(0, count, step))
    if ticks[-1] != count - 1:
        ticks[-1] = count - 1
    return ticks


class DataPlot(PlotextPlot):
    """A plot drawn from data that arrives after it is mounted: until the first data it shows a plain "loading"
    line (no plotext drawing), and plotext's drawing (tens of ms, with its ANSI decoding) is done once per data
    change and size, not on every repaint."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.loaded = False
        self._version = 0  # counts data changes, so the rendering is redone only after one
        self._rendered: tuple[tuple[int, Size, str], RenderResult] | None = None

    def render(self) -> RenderResult:
        if not self.loaded:
            return Text(LOADING, style="dim")
        key = (self._version, self.size, self.app.theme)
        if self._rendered is None or self._rendered[0] != key:
            self._rendered = (key, super().render())
        return self._rendered[1]

    def _draw(self) -> None:
        self.loaded = True
        self._version += 1
        self._build()
        self.refresh()

    def _build(self) -> None:
        raise NotImplementedError


class EquityChart(DataPlot):
    def __init__(self, *, drawdown: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.drawdown = drawdown
        self.days: tuple[EquityDay, ...] = ()

    def show_days(self, days: Sequence[EquityDay]) -> None:
        self.days = tuple(days)
        self._draw()

    def _build(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        days = self.days
        if not days:
            plt.title("no trading days yet")
            return
        xs = list(range(len(days)))
        if self.drawdown:
            depths = [-float(d.drawdown) for d in days]
            step = -(-len(days) // MAX_BARS)  # days per bar: plotext's cost grows with the bars, not the width
            starts = range(0, len(days), step)
            plt.bar([i + (min(step, len(days) - i) - 1) / 2 for i in starts],
                    [min(depths[i:i + step]) for i in starts], color="red", width=0.8 * step)  # fmt: skip
            plt.ylim(min([*depths, -1.0]) * 1.1, 0)
        else:
            plt.plot(xs, [float(d.end_balance) for d in days], color="cyan", label="balance")
            plt.plot(xs, [float(d.high_water) for d in days], color="green", label="high water")
            floors = [d.floor for d in days]
            if all(f is not None for f in floors):
                plt.plot(xs, [float(f) for f in floors if f is not None], color="red", label="floor")
        plt.xlim(-0.5, len(days) - 0.5)
        ticks = _ticks(len(days))
        plt.xticks([float(t) for t in ticks], [days[i].date.strftime("%m-%d") for i in ticks])


class DistributionChart(DataPlot):
    """Counts per R bucket (open buckets labelled <low and >=high)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.buckets: tuple[RBucket, ...] = ()

    def show_buckets(self, buckets: Sequence[RBucket]) -> None:
        self.buckets = tuple(buckets)
        self._draw()

    def _build(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        if not self.buckets:
            plt.title("no trades with R")
            return
        labels = [_bucket_label(b) for b in self.buckets]
        xs = list(range(len(labels)))
        plt.bar(xs, [b.count for b in self.buckets], color="cyan", width=0.8)
        plt.xlim(-0.5, len(xs) - 0.5)
        ticks = xs[::3]
        plt.xticks([float(t) for t in ticks], [labels[i] for i in ticks])


def _bucket_label(b: RBucket) -> str:
    if b.low is None:
        return f"<{b.high}"
    if b.high is None:
        return f">={b.low}"
    return str(b.low)
