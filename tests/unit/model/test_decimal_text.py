"""The one decimal parser: exact, finite, bounded values or InvalidArgument naming the field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core_server.model.decimal_text import MAX_CHARS, bounded_decimal, parse_decimal
from core_server.model.errors import InvalidArgument


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("25341.25", Decimal("25341.25")),
        (" 0.0000001 ", Decimal("0.0000001")),
        ("-0", Decimal(0)),
        ("0E-50", Decimal(0)),
        ("5E+4", Decimal(50000)),
        ("1.50", Decimal("1.50")),
        ("1000000000000000", Decimal(10) ** 15),
    ],
)
def test_decimal_text_reads_exactly(text: str, value: Decimal) -> None:
    parsed = parse_decimal(text, "price")
    assert parsed == value
    assert str(parsed) == str(value)


@pytest.mark.parametrize("text", ["", "   ", "\t"])
def test_blank_text_means_not_given(text: str) -> None:
    assert parse_decimal(text, "price") is None


@pytest.mark.parametrize(
    "text",
    [
        "1e28",  # divides to more digits than Decimal's 28-digit context holds
        "1E+30",
        "-1e16",
        "NaN",
        "-Infinity",
        "sNaN",
        "abc",
        "1,000",
        "0x10",
        "1.00000000001",  # 11 places
        "1e-40",
        "1e9999999999999999999999999",  # beyond Decimal's own exponent range
        "0e9999999999999999999999",
        "1" * (MAX_CHARS + 1),
        "١٢٣",  # Arabic-Indic digits: Decimal reads them, and they have no place on a trading wire
    ],
)
def test_unrepresentable_or_malformed_text_is_an_invalid_argument_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidArgument) as raised:
        parse_decimal(text, "order.limit_price")
    assert raised.value.field == "order.limit_price"


def test_callers_narrow_the_range_and_the_places() -> None:
    assert parse_decimal("50000.25", "b", places=2, low=Decimal("0.01"), high=Decimal(10**8)) == Decimal("50000.25")
    for text, reason in [("0", "at least 0.01"), ("100000000.01", "at most 100000000"), ("1.001", "2 decimal")]:
        with pytest.raises(InvalidArgument, match=reason) as raised:
            parse_decimal(text, "starting_balance", places=2, low=Decimal("0.01"), high=Decimal(10**8))
        assert raised.value.field == "starting_balance"


def test_built_decimals_get_the_same_checks() -> None:
    assert bounded_decimal(Decimal("6000.25"), "price") == Decimal("6000.25")
    for value in (Decimal("1e28"), Decimal("NaN"), Decimal("1." + "0" * 30 + "1"), 6000.25):
        with pytest.raises(InvalidArgument):
            bounded_decimal(value, "price")  # type: ignore[arg-type]
