"""The Analytics screen on the fake client (a year of trades through the server's analytics code): the calendar's
cursor and months, a day's trades, the filter bar, the statistics and the charts."""

from __future__ import annotations

from datetime import date

import pytest
from textual.widgets import DataTable, Input
from textual.widgets._footer import FooterKey

from tests.kit.eventually import eventually
from tests.tui.layout_kit import fake_app, show
from tui.analytics_filter import FilterError, parse_filter
from tui.screens.analytics import AnalyticsScreen, DayTradesScreen
from tui.widgets.equity_chart import DistributionChart, EquityChart
from tui.widgets.pnl_month import PnlMonth, add_months
from tui.widgets.steady_footer import SteadyFooter


async def test_arrows_move_the_day_brackets_the_month_and_enter_opens_the_day() -> None:
    app = fake_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await show(pilot, "analytics")
        month = screen.query_one(PnlMonth)
        assert month.cursor == date(2026, 12, 4) and month.has_focus  # Friday, the fake clock's trading day
        await pilot.press("right")
        assert month.cursor == date(2026, 12, 7)  # over the weekend to Monday
        await pilot.press("up", "left")
        assert month.cursor == date(2026, 11, 27)  # a week back, then Friday before: November
        await eventually(lambda: month.data.month is not None and month.data.month.date == date(2026, 11, 1))
        await pilot.press("left_square_bracket")
        assert month.month == date(2026, 10, 1)
        await eventually(lambda: month.data.month is not None and month.data.month.date == date(2026, 10, 1))
        assert "October 2026" in month.render().plain
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert month.cursor == date(2026, 12, 28)  # Nov 27 + 1 month is a Sunday: the Monday after
        await pilot.press("up", "up", "up", "left")
        assert month.cursor == date(2026, 12, 4)
        await pilot.press("enter")
        modal = await eventually(lambda: app.screen if isinstance(app.screen, DayTradesScreen) else None)
        table = modal.query_one(DataTable)
        await eventually(lambda: table.row_count == 2)  # two trades booked that Friday
        await pilot.press("escape")
        await eventually(lambda: isinstance(app.screen, AnalyticsScreen))


async def test_statistics_charts_and_groups_are_shown() -> None:
    app = fake_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await show(pilot, "analytics")
        stats = screen.query_one("#analytics-stats", DataTable)
        rows = {str(stats.get_row_at(i)[0]): str(stats.get_row_at(i)[1]) for i in range(stats.row_count)}
        assert rows["Trades"].startswith("393") and rows["Profit factor"] == "2.32"
        assert len(screen.query_one("#analytics-equity", EquityChart).days) > 250  # a year of trading days
        groups = screen.query_one("#analytics-groups", DataTable)
        assert [str(groups.get_row_at(i)[0]) for i in range(groups.row_count)] == ["NY AM", "09:00", "10:00"]


async def test_the_filter_bar_applies_a_filter_and_refuses_a_bad_one() -> None:
    app = fake_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await show(pilot, "analytics")
        assert isinstance(screen, AnalyticsScreen)
        await pilot.press("slash")
        bar = screen.query_one("#analytics-filter", Input)
        assert bar.has_focus
        bar.value = "from=2026-12-01"
        await pilot.press("enter")
        assert screen.filter.from_date == date(2026, 12, 1) and screen.query_one(PnlMonth).has_focus
        stats = screen.query_one("#analytics-stats", DataTable)
        await eventually(lambda: str(stats.get_row_at(0)[1]).startswith("6 "))  # December's six trades
        await pilot.press("slash")
        bar.value = "colour=red"
        await pilot.press("enter")
        assert screen.filter.from_date == date(2026, 12, 1)  # unchanged


def test_parse_filter() -> None:
    f = parse_filter("root=nq session='NY AM' hour=9 hour=10 weekday=1 tag=A+ from=2026-11-01 direction=short")
    assert f.roots == ("NQ",) and f.session_windows == ("NY AM",) and f.hours == (9, 10) and f.weekdays == (1,)
    assert f.tags == ("A+",) and f.from_date == date(2026, 11, 1) and f.direction is not None
    assert parse_filter("") == parse_filter("  ")
    for bad in ("hour=x", "from=11/01/2026", "direction=up", "colour=red", "root", "session='NY"):
        with pytest.raises(FilterError):
            parse_filter(bad)


def test_add_months_clamps_the_day() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 1, 15), -1) == date(2025, 12, 15)


async def test_h_cycles_the_r_mfe_and_mae_distributions() -> None:
    app = fake_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await show(pilot, "analytics")
        chart = screen.query_one(DistributionChart)
        r_counts = [b.count for b in chart.buckets]
        await pilot.press("h")
        assert str(chart.border_title).startswith("MFE distribution") and [b.count for b in chart.buckets] != r_counts
        await pilot.press("h", "h")
        assert str(chart.border_title).startswith("R distribution")


async def test_the_footer_follows_the_focus() -> None:
    app = fake_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await show(pilot, "analytics")
        footer = screen.query_one(SteadyFooter)

        def descriptions() -> set[str]:
            return {str(key.description) for key in footer.query(FooterKey)}

        assert "Day's trades" in descriptions()  # the calendar's keys
        await pilot.press("slash")
        await eventually(lambda: "Day's trades" not in descriptions() and "Filter" in descriptions())
        await pilot.press("escape")
        await eventually(lambda: "Day's trades" in descriptions())


async def test_a_footer_left_behind_catches_up_when_its_screen_shows_again() -> None:
    # Every screen's footer is a SteadyFooter, which does not rebuild while its screen is not on show (leaving the
    # Market screen rebuilt its footer four times). Back on the Market screen its keys are the Market screen's: the
    # key of the screen on show is hidden, Journal's shows.
    app = fake_app()
    async with app.run_test(size=(120, 40)) as pilot:
        market = await show(pilot, "market")
        footer = market.query_one(SteadyFooter)

        def keys() -> set[str]:
            return {str(key.key) for key in footer.query(FooterKey)}

        await eventually(lambda: "J" in keys() and "m" not in keys())
        before = keys()
        await pilot.press("J")
        await eventually(lambda: isinstance(app.screen, AnalyticsScreen))
        await pilot.pause()
        await pilot.press("m")
        await eventually(lambda: app.screen is market)
        await eventually(lambda: keys() == before)
