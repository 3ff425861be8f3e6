"""Detection matrix: separators, header or none, column roles and timestamp formats of common vendor layouts."""

from __future__ import annotations

import pytest

from core_server.imports.dialect import Pins, detect
from core_server.model.errors import InvalidArgument

NINJA = (
    "20251006 093000 0000000;6774.25;6774.00;6774.25;2\n"
    "20251006 093000 5000000;6774.50;6774.25;6774.50;1\n"
    "20251006 093001 0000000;6774.25;6774.00;6774.25;3\n"
)

CASES = {
    # name: (text, separator, header, roles, time format, zoned)
    "ninjatrader": (NINJA, ";", False, {"time": 0, "last": 1, "bid": 2, "ask": 3, "volume": 4}, "ymd", False),
    "iso_z_header": (
        "timestamp,price,size\n2025-10-06T13:30:00.123Z,6774.25,1\n2025-10-06T13:30:00.200Z,6774.50,2\n",
        ",", True, {"time": 0, "last": 1, "volume": 2}, "ymd", True,
    ),
    "iso_offset_tab": (
        "2025-10-06T09:30:00.5-04:00\t6774.25\t1\n2025-10-06T09:30:01-04:00\t6774.50\t3\n",
        "\t", False, {"time": 0, "last": 1, "volume": 2}, "ymd", True,
    ),
    "date_time_header_us": (
        "Date,Time,Price,Volume\n10/06/2025,09:30:00,6774.25,1\n10/06/2025,09:30:01,6774.50,2\n",
        ",", True, {"date": 0, "clock": 1, "last": 2, "volume": 3}, "mdy", False,
    ),
    "kibot_bid_ask": (
        "10/06/2025,09:30:00,6774.25,6774.00,6774.25,1\n10/06/2025,09:30:01,6774.50,6774.25,6774.50,2\n",
        ",", False, {"date": 0, "clock": 1, "last": 2, "bid": 3, "ask": 4, "volume": 5}, "mdy", False,
    ),
    "day_first": (
        "13/10/2025 09:30:00,6774.25,1\n13/10/2025 09:30:01,6774.50,2\n",
        ",", False, {"time": 0, "last": 1, "volume": 2}, "dmy", False,
    ),
    "epoch_ms_quotes_tab": (
        "1759757400123\t6774.25\t6774.50\t5\t7\n1759757400200\t6774.25\t6774.50\t5\t8\n",
        "\t", False, {"time": 0, "bid": 1, "ask": 2, "bid_size": 3, "ask_size": 4}, "epoch_ms", True,
    ),
    "epoch_s_fraction": ("1759757400.25,6774.25,1\n1759757401.5,6774.50,2\n", ",", False,
                         {"time": 0, "last": 1, "volume": 2}, "epoch_s", True),
    "epoch_ns_semicolon": ("1759757400123456789;6774.25;1\n1759757400123456999;6774.50;2\n", ";", False,
                           {"time": 0, "last": 1, "volume": 2}, "epoch_ns", True),
    "pipe_quotes_header": (
        "time|bid|ask\n2025-10-06 09:30:00|6774.25|6774.50\n2025-10-06 09:30:01|6774.25|6774.50\n",
        "|", True, {"time": 0, "bid": 1, "ask": 2}, "ymd", False,
    ),
    "space_compact": ("20251006 093000 6774.25 1\n20251006 093001 6774.50 2\n", " ", False,
                      {"date": 0, "clock": 1, "last": 2, "volume": 3}, "ymd", False),
    "databento_like": (
        "ts_event,rtype,publisher_id,instrument_id,action,side,depth,price,size\n"
        "2025-10-06T13:30:00.000000001Z,0,1,42,T,B,0,6774.25,1\n2025-10-06T13:30:00.5Z,0,1,42,T,A,0,6774.5,2\n",
        ",", True, {"time": 0, "last": 7, "volume": 8}, "ymd", True,
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", CASES)
def test_detects_the_layout(name: str) -> None:
    text, separator, header, roles, time_format, zoned = CASES[name]
    dialect = detect(text, Pins())
    assert dialect.separator == separator
    assert dialect.header is header
    assert dialect.roles == roles
    assert (dialect.time_format, dialect.zoned) == (time_format, zoned)


def test_an_ambiguous_day_month_order_is_reported_with_the_flag_that_pins_it() -> None:
    dialect = detect("06/10/2025,09:30:00,6774.25,1\n06/10/2025,09:30:01,6774.50,2\n", Pins())
    assert dialect.time_format == "mdy"
    assert any("--time-format" in doubt for doubt in dialect.unsure)
    assert detect("06/10/2025,09:30:00,6774.25,1\n", Pins(time_format="dmy")).time_format == "dmy"


def test_pins_override_detection() -> None:
    dialect = detect(NINJA, Pins(columns=("time", "skip", "bid", "ask", "skip")))
    assert dialect.roles == {"time": 0, "bid": 2, "ask": 3}
    preset = detect(NINJA, Pins(preset="ninjatrader"))
    assert preset.roles == {"time": 0, "last": 1, "bid": 2, "ask": 3, "volume": 4}


@pytest.mark.parametrize(
    ("text", "pins", "field"),
    [
        ("a,b;c\nd;e;f,g\nh|i\n", Pins(), "separator"),
        ("2025-10-06 09:30:00,hello\n2025-10-06 09:30:01,world\n", Pins(), "columns"),
        ("x,6774.25\ny,6774.50\n", Pins(), "columns"),
        (NINJA, Pins(columns=("time", "price")), "columns"),
        (NINJA, Pins(preset="tradestation"), "format"),
        ("", Pins(), "file"),
    ],
)
def test_what_cannot_be_detected_names_the_option(text: str, pins: Pins, field: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        detect(text, pins)
    assert caught.value.field == field
