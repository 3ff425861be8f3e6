"""A 1d candle is labelled with its CME trading day: the one that opens at 17:00 CT on 12-03 is 12-04's."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from textual.app import App, ComposeResult

from clients.sdk import Candle, Timeframe
from tui import formatting
from tui.widgets.candles_table import RecentCandlesTable
from tui.widgets.forming_candle import FormingCandlePanel
from tui.widgets.price_chart import PriceChart


def ns(*parts: int) -> int:
    return int(datetime(*parts, tzinfo=UTC).timestamp()) * 1_000_000_000


# 17:00 CST on Thursday 2026-12-03 is 23:00 UTC: the open of trading day Friday 2026-12-04.
DAY_OPEN_NS = ns(2026, 12, 3, 23, 0)
DAY_CLOSE_NS = ns(2026, 12, 4, 23, 0)


def day_candle(start_ns: int = DAY_OPEN_NS, end_ns: int = DAY_CLOSE_NS, *, closed: bool = True) -> Candle:
    price = Decimal("25340.25")
    return Candle(
        "NQZ2026", Timeframe.D1, start_ns, end_ns, price, price + 10, price - 10, price + 5, 900, 300, closed, True
    )


class Panels(App[None]):
    def compose(self) -> ComposeResult:
        yield RecentCandlesTable(id="candles")
        yield FormingCandlePanel(id="forming")
        yield PriceChart(id="chart")


def test_the_trading_day_of_an_instant_rolls_at_17_00_chicago() -> None:
    assert formatting.trading_day(DAY_OPEN_NS).isoformat() == "2026-12-04"
    assert formatting.trading_day(DAY_OPEN_NS - 1).isoformat() == "2026-12-03"
    # Summer time: 17:00 CDT is 22:00 UTC.
    assert formatting.trading_day(ns(2026, 7, 14, 22, 0)).isoformat() == "2026-07-15"
    assert formatting.trading_day(ns(2026, 7, 14, 21, 59)).isoformat() == "2026-07-14"
    # Sunday's 17:00 CT open starts Monday's trading day.
    assert formatting.trading_day(ns(2026, 12, 6, 23, 0)).isoformat() == "2026-12-07"


async def test_the_recent_candles_table_labels_a_1d_candle_with_its_trading_day() -> None:
    app = Panels()
    async with app.run_test(size=(100, 30)):
        table = app.query_one(RecentCandlesTable)
        table.add(day_candle())
        assert str(table.get_cell(str(DAY_OPEN_NS), "time")) == "12-04"


async def test_the_forming_panel_and_the_chart_label_a_1d_candle_with_its_trading_day() -> None:
    app = Panels()
    async with app.run_test(size=(100, 30)):
        panel = app.query_one(FormingCandlePanel)
        panel.show(day_candle(closed=False))
        assert "trading day 2026-12-04" in panel.plain
        chart = app.query_one(PriceChart)
        previous = day_candle(DAY_OPEN_NS - 86_400_000_000_000, DAY_OPEN_NS)
        chart.load("NQZ2026", Timeframe.D1, [previous, day_candle()])
        assert chart.labels == ["12-03", "12-04"]
