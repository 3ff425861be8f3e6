"""Candlestick chart of the selected instrument and timeframe, with the account's entry, stop and target levels."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from rich.markup import escape
from textual.app import RenderResult
from textual.geometry import Size
from textual.timer import Timer
from textual_plotext import PlotextPlot

from clients.sdk import Candle, Timeframe
from tui import formatting
from tui.account_marks import Mark

MAX_CANDLES = 120
Y_AXIS_COLUMNS = 11  # the price labels and the axis line
COLUMNS_PER_CANDLE = 2  # a body and a gap
LABEL_COLUMNS = 14  # between x labels
MARK_COLOUR = {"entry": "cyan", "stop": "red", "target": "green", "exit": "magenta", "order": "yellow"}
FORMING_REDRAW_S = 0.5  # drawing a chart costs tens of ms: the forming candle redraws twice a second at most
MARK_REACH = 1  # marks within this many candle ranges beyond the candles stretch the axis; farther ones are listed


class PriceChart(PlotextPlot):
    """Closed candles plus the forming one, as many as the width holds. Floats appear only here, for drawing."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.contract_id = ""
        self.timeframe = Timeframe.M1
        self.closed: list[Candle] = []
        self.forming: Candle | None = None
        self.marks: tuple[Mark, ...] = ()
        self.labels: list[str] = []  # the x labels of the candles drawn, oldest first
        self.drawn_marks: list[Mark] = []  # the marks inside the drawn price range
        self._built_for = -1  # the width the figure was built for
        self._version = 0  # counts builds, so the rendering is redone only after one
        self._rendered: tuple[tuple[int, Size], RenderResult] | None = None
        self._forming_timer: Timer | None = None  # a redraw for the forming candle, at most every FORMING_REDRAW_S

    def on_mount(self) -> None:
        self._draw()

    def render(self) -> RenderResult:
        """The figure as text; plotext's drawing (and its ANSI decoding) is costly, so it is kept until the
        candles, the marks or the size change."""
        if self.size.width != self._built_for:  # resized since the figure was built: fit the candles again
            self._build()
        key = (self._version, self.size)
        if self._rendered is None or self._rendered[0] != key:
            self._rendered = (key, super().render())
        return self._rendered[1]

    def load(self, contract_id: str, timeframe: Timeframe, candles: Sequence[Candle]) -> None:
        self.contract_id, self.timeframe = contract_id, timeframe
        self.closed = [c for c in candles if c.closed][-MAX_CANDLES:]
        self.forming = None
        self._draw()

    def add_closed(self, candle: Candle) -> None:
        if self.closed and candle.start_ns <= self.closed[-1].start_ns:
            if candle.start_ns == self.closed[-1].start_ns:
                self.closed[-1] = candle
            return
        self.closed = [*self.closed, candle][-MAX_CANDLES:]
        if self.forming is not None and self.forming.start_ns <= candle.start_ns:
            self.forming = None
        self._draw()

    def set_forming(self, candle: Candle) -> None:
        """The forming candle changes with every tick; the chart follows it at most every FORMING_REDRAW_S."""
        if self.closed and candle.start_ns <= self.closed[-1].start_ns:
            return
        if self.forming == candle:
            return
        first = self.forming is None or self.forming.start_ns != candle.start_ns
        self.forming = candle
        if first:
            self._draw()
        elif self._forming_timer is None:
            self._forming_timer = self.set_timer(FORMING_REDRAW_S, self._forming_due)

    def _forming_due(self) -> None:
        self._forming_timer = None
        self._draw()

    def set_marks(self, marks: Sequence[Mark]) -> None:
        if tuple(marks) == self.marks:
            return
        self.marks = tuple(marks)
        self._draw()

    @property
    def points(self) -> list[Candle]:
        return self.closed + ([self.forming] if self.forming is not None else [])

    @property
    def capacity(self) -> int:
        """How many candles the width holds (all of them before the first layout)."""
        width = self.size.width
        return max(5, (width - Y_AXIS_COLUMNS) // COLUMNS_PER_CANDLE) if width else MAX_CANDLES

    def _draw(self) -> None:
        self._build()
        self.refresh()

    def _build(self) -> None:
        """Set up the figure for the current width: as many candles as fit, the marks, the axes, the legend."""
        self._built_for = self.size.width
        self._version += 1
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        candles = self.points[-self.capacity :]
        self.labels = [formatting.candle_label(c) for c in candles]
        self.drawn_marks = []
        if not candles:
            plt.title("waiting for candles")
            self._legend([])
            return
        xs = list(range(len(candles)))
        plt.candlestick(
            xs,
            {
                "Open": [float(c.open) for c in candles],
                "Close": [float(c.close) for c in candles],
                "High": [float(c.high) for c in candles],
                "Low": [float(c.low) for c in candles],
            },
        )
        low, high = min(c.low for c in candles), max(c.high for c in candles)
        reach = max(high - low, Decimal("0.01")) * MARK_REACH
        self.drawn_marks = [m for m in self.marks if low - reach <= m.price <= high + reach]
        levels = [low, high, *(m.price for m in self.drawn_marks)]
        bottom, top = min(levels), max(levels)
        margin = max((top - bottom) / 20, Decimal("0.01"))
        plt.ylim(float(bottom - margin), float(top + margin))
        plt.xlim(-0.5, len(candles) - 0.5)  # explicit: plotext's own limits vary with the hash seed (it uses sets)
        levels = price_levels(bottom - margin, top + margin, max(2, self.size.height // 4))
        exponent = min(c.close.as_tuple().exponent for c in candles)  # show prices as the feed quotes them
        places = Decimal(1).scaleb(int(exponent)) if isinstance(exponent, int) else Decimal("0.01")
        plt.yticks([float(v) for v in levels], [str(v.quantize(places)) for v in levels])
        for mark in self.drawn_marks:
            plt.hline(float(mark.price), MARK_COLOUR.get(mark.kind, "white"))
        # Labels far enough apart that plotext never shifts one to dodge another (its dodging is not repeatable).
        step = LABEL_COLUMNS // COLUMNS_PER_CANDLE
        ticks = xs[len(xs) - 1 :: -step][::-1]  # the newest candle always labelled
        plt.xticks(ticks, [self.labels[i] for i in ticks])
        self._legend(candles)

    def _legend(self, candles: list[Candle]) -> None:
        """The border's subtitle names each mark in its line's colour; a mark beyond the drawn range gets an arrow."""
        parts = []
        top = max((c.high for c in candles), default=None)
        for mark in self.marks:
            colour = MARK_COLOUR.get(mark.kind, "white")
            arrow = "" if mark in self.drawn_marks else (" ↑" if top is not None and mark.price > top else " ↓")
            parts.append(f"[{colour}]{escape(mark.label)}{arrow}[/]")
        self.border_subtitle = "  ".join(parts)


NICE_STEPS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5))


def price_levels(bottom: Decimal, top: Decimal, count: int) -> list[Decimal]:
    """About `count` round prices between bottom and top for the axis: multiples of 1, 2, 2.5 or 5 times a power
    of ten (so an NQ axis reads 25330, 25335, 25340, not 25331.37)."""
    rough = (top - bottom) / count
    if rough <= 0:
        return [bottom]
    power = Decimal(1).scaleb(rough.adjusted())
    step = next((n * power for n in NICE_STEPS if n * power >= rough), 10 * power)
    first = (bottom / step).to_integral_value(rounding="ROUND_CEILING") * step
    levels = []
    level = first
    while level <= top:
        levels.append(level)
        level += step
    return levels
