"""UDF bar times: resolutions, session-aligned buckets, and daily bars stamped 00:00 UTC of the trade date."""

from __future__ import annotations

from datetime import date

import pytest

from clients.sdk import Timeframe
from clients.udf.bars import (
    bar_time_of_instant,
    bar_time_s,
    bucket_start_ns,
    first_start_from,
    parse_resolution,
    trading_day_of,
    trading_day_start_ns,
)
from clients.udf.errors import UdfRequestError
from tests.kit.time import ct, utc

S = 10**9


@pytest.mark.parametrize(
    ("text", "timeframe"),
    [
        ("1", Timeframe.M1),
        ("5", Timeframe.M5),
        ("15", Timeframe.M15),
        ("60", Timeframe.H1),
        ("240", Timeframe.H4),
        ("1D", Timeframe.D1),
        ("D", Timeframe.D1),
        ("1d", Timeframe.D1),
    ],
)
def test_parse_resolution_maps_udf_text_to_vigil_timeframes(text: str, timeframe: Timeframe) -> None:
    assert parse_resolution(text) is timeframe


@pytest.mark.parametrize("text", ["", None, "30", "1W", "M", "abc"])
def test_parse_resolution_refuses_what_is_not_served(text: str | None) -> None:
    with pytest.raises(UdfRequestError) as refused:
        parse_resolution(text)
    assert refused.value.parameter == "resolution" and refused.value.status == 400


def test_a_daily_bar_is_stamped_midnight_utc_of_its_trade_date_not_of_its_sunday_open() -> None:
    sunday_open = ct(2026, 11, 22, 17)  # opens Monday 2026-11-23's trading day
    assert trading_day_of(sunday_open) == date(2026, 11, 23)
    assert trading_day_start_ns(date(2026, 11, 23)) == sunday_open
    assert bar_time_s(Timeframe.D1, sunday_open) == utc(2026, 11, 23) // S
    assert bar_time_s(Timeframe.M1, sunday_open) == sunday_open // S


def test_first_start_from_turns_a_udf_time_range_into_a_bar_start_range() -> None:
    assert first_start_from(Timeframe.M5, utc(2026, 11, 20, 21, 55) // S) == utc(2026, 11, 20, 21, 55)
    # 00:00 UTC of Monday is that trade date's bar, which starts Sunday 17:00 CT.
    assert first_start_from(Timeframe.D1, utc(2026, 11, 23) // S) == ct(2026, 11, 22, 17)
    # One second later the first daily bar at or after it is Tuesday's.
    assert first_start_from(Timeframe.D1, utc(2026, 11, 23) // S + 1) == ct(2026, 11, 23, 17)


def test_buckets_count_from_the_1700_ct_day_start() -> None:
    at = ct(2026, 11, 20, 15, 58, 40)
    assert bucket_start_ns(Timeframe.M5, at) == ct(2026, 11, 20, 15, 55)
    assert bucket_start_ns(Timeframe.H4, at) == ct(2026, 11, 20, 13)  # 17, 21, 01, 05, 09, 13 CT
    assert bucket_start_ns(Timeframe.H1, ct(2026, 11, 22, 17, 30)) == ct(2026, 11, 22, 17)
    assert bar_time_of_instant(Timeframe.D1, at) == utc(2026, 11, 20) // S
