from decimal import Decimal

import pytest

from core_server.model.errors import InvalidArgument
from core_server.model.instruments import INSTRUMENTS, instrument

SPEC_TABLE = [
    # root, point value, tick, tick value (SPEC §1)
    ("ES", "50", "0.25", "12.50"),
    ("MES", "5", "0.25", "1.25"),
    ("NQ", "20", "0.25", "5.00"),
    ("MNQ", "2", "0.25", "0.50"),
    ("YM", "5", "1", "5.00"),
    ("MYM", "0.50", "1", "0.50"),
    ("RTY", "50", "0.1", "5.00"),
    ("M2K", "5", "0.1", "0.50"),
]


@pytest.mark.parametrize(("root", "point_value", "tick", "tick_value"), SPEC_TABLE)
def test_instrument_specs_match_the_spec_table(root: str, point_value: str, tick: str, tick_value: str) -> None:
    spec = INSTRUMENTS[root]
    assert spec.point_value == Decimal(point_value)
    assert spec.tick_size == Decimal(tick)
    assert spec.tick_value == Decimal(tick_value)


def test_prices_convert_to_whole_ticks_and_back_exactly() -> None:
    nq = instrument("NQ")
    assert nq.ticks_from_price("25341.25") == 101365
    assert nq.price_from_ticks(101365) == Decimal("25341.25")
    assert nq.format_ticks(101364) == "25341.00"
    rty = instrument("RTY")
    assert rty.ticks_from_price(Decimal("2400.3")) == 24003
    assert rty.format_ticks(24003) == "2400.3"
    ym = instrument("YM")
    assert ym.format_ticks(47000) == "47000"


@pytest.mark.parametrize("price", ["25341.10", "25341.3", "abc", "NaN", "Infinity"])
def test_off_grid_or_non_numeric_prices_are_rejected_with_the_field(price: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        instrument("NQ").ticks_from_price(price, field="limit_price")
    assert caught.value.field == "limit_price"


def test_unknown_root_is_a_clear_error() -> None:
    with pytest.raises(InvalidArgument, match="unknown instrument root"):
        instrument("CL")


@pytest.mark.parametrize(
    ("root", "total", "quantity", "text"),
    [
        ("ES", "18002.75", 3, "6000.916667"),  # 6000.9166...: the instrument's 2 places + 4, half-even
        ("ES", "18004.00", 3, "6001.333333"),
        ("ES", "12002.50", 2, "6001.250000"),  # on the grid: still the fixed number of places
        ("YM", "90001", 2, "45000.5000"),
        ("YM", "135001", 3, "45000.3333"),
        ("RTY", "6001.1", 3, "2000.36667"),
        ("NQ", "0.50", 8, "0.062500"),  # 0.0625 exactly
        ("NQ", "0.25", 8, "0.031250"),  # 0.03125 exactly
        ("NQ", "0.25", 16, "0.015625"),  # 0.015625
        ("NQ", "0.25", 32, "0.007812"),  # 0.0078125: a half, rounded to even
        ("NQ", "0.75", 32, "0.023438"),  # 0.0234375: a half, rounded to even (up)
    ],
)
def test_an_average_price_is_exact_to_the_instrument_places_plus_four_rounded_half_even(
    root: str, total: str, quantity: int, text: str
) -> None:
    spec = INSTRUMENTS[root]
    average = spec.average_price(spec.ticks_from_price(total), quantity)
    assert average == Decimal(text)
    assert format(average, "f") == text


def test_an_average_of_nothing_is_refused() -> None:
    with pytest.raises(InvalidArgument):
        INSTRUMENTS["ES"].average_price(4, 0)
