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
