from decimal import Decimal

import pytest

from core_server.model.errors import InvalidArgument
from core_server.model.instruments import INSTRUMENTS, Contract, instrument
from tests.kit.time import et

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


@pytest.mark.parametrize("price", ["1e28", "1E+30", Decimal("1e28"), Decimal("-1e40"), "10000000.25"])
def test_prices_too_large_to_represent_are_invalid_arguments_not_division_errors(price: object) -> None:
    # Decimal holds 28 digits: divmod(1e28, 0.25) used to raise DivisionImpossible (INTERNAL on the wire).
    with pytest.raises(InvalidArgument) as caught:
        instrument("NQ").ticks_from_price(price, field="stop_loss_price")  # type: ignore[arg-type]
    assert caught.value.field == "stop_loss_price"


def test_a_contract_trades_from_five_quarters_before_its_expiry_until_its_expiry() -> None:
    es = Contract("ES", 2026, 12)
    # Listed when ESU2025 expired (third Friday of September 2025, 09:30 ET): from then on Z25, H26, M26, U26
    # and Z26 are the five listed quarterlies.
    assert es.listed_ns == Contract("ES", 2025, 9).expiry_ns == et(2025, 9, 19, 9, 30)
    assert es.expiry_ns == et(2026, 12, 18, 9, 30)
    es.require_listed(es.listed_ns, "symbol")
    es.require_listed(es.expiry_ns - 1, "symbol")
    with pytest.raises(InvalidArgument, match="ESZ2026 is not listed until 2025-09-19") as early:
        es.require_listed(es.listed_ns - 1, "order.symbol")
    assert early.value.field == "order.symbol"
    with pytest.raises(InvalidArgument, match="ESZ2026 expired on 2026-12-18; the front month is ESH2027"):
        es.require_listed(es.expiry_ns, "order.symbol")


def test_five_quarterly_contracts_are_listed_at_any_moment() -> None:
    now = et(2026, 11, 18, 10, 0)
    listed = []
    for year in range(2025, 2029):
        for month in (3, 6, 9, 12):
            try:
                Contract("NQ", year, month).require_listed(now, "symbol")
            except InvalidArgument:
                continue
            listed.append(Contract("NQ", year, month).id)
    assert listed == ["NQZ2026", "NQH2027", "NQM2027", "NQU2027", "NQZ2027"]
    with pytest.raises(InvalidArgument, match="NQH2020 expired"):
        Contract("NQ", 2020, 3).require_listed(now, "symbol")
    Contract("NQ", 2000, 3).listed_ns  # noqa: B018 - computable before the first representable contract
