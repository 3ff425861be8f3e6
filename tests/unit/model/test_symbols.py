from datetime import date

import pytest

from core_server.model.errors import InvalidArgument
from core_server.model.instruments import Contract, front_contract, third_friday
from core_server.model.symbols import parse_symbol
from tests.kit.time import ct, et, utc

NOV_2025 = utc(2025, 11, 20, 15)


@pytest.mark.parametrize(
    ("symbol", "expected"),
    [
        ("NQZ5", "NQZ2025"),
        ("nqz5", "NQZ2025"),
        ("NQZ2025", "NQZ2025"),
        ("NQZ25", "NQZ2025"),
        ("NQ1!", "NQZ2025"),
        ("CME_MINI:NQ1!", "NQZ2025"),
        ("NQ", "NQZ2025"),
        ("CON.F.US.ENQ.Z25", "NQZ2025"),
        ("CON.F.US.MNQ.Z25", "MNQZ2025"),
        ("CON.F.US.EP.Z25", "ESZ2025"),
        ("CON.F.US.MES.Z25", "MESZ2025"),
        ("ESZ5", "ESZ2025"),
        ("ESZ2025", "ESZ2025"),
        ("MESZ5", "MESZ2025"),
        ("MNQZ5", "MNQZ2025"),
        ("YMZ5", "YMZ2025"),
        ("MYMZ5", "MYMZ2025"),
        ("RTYZ5", "RTYZ2025"),
        ("M2KZ5", "M2KZ2025"),
        ("M2K1!", "M2KZ2025"),
        ("NQH6", "NQH2026"),
    ],
)
def test_every_symbol_form_parses_to_the_canonical_contract(symbol: str, expected: str) -> None:
    assert parse_symbol(symbol, NOV_2025).id == expected


@pytest.mark.parametrize(
    ("symbol", "reason"),
    [
        ("", "required"),
        ("ZZZ", "unrecognised"),
        ("NQF5", "H, M, U, Z"),
        ("CON.F.US.XYZ.Z25", "unknown ProjectX product"),
        ("NQ" + "Z" * 60, "longer than"),
    ],
)
def test_bad_symbols_name_the_field_and_the_reason(symbol: str, reason: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_symbol(symbol, NOV_2025)
    assert caught.value.field == "symbol"
    assert reason in caught.value.reason


def test_single_digit_year_resolves_to_the_decade_nearest_now() -> None:
    assert parse_symbol("NQZ5", utc(2026, 11, 22)).year == 2025
    assert parse_symbol("NQZ6", utc(2026, 11, 22)).year == 2026
    assert parse_symbol("NQH0", utc(2029, 6, 1)).year == 2030


def test_contract_names_at_each_venue() -> None:
    contract = Contract("NQ", 2026, 12)
    assert (contract.id, contract.tradovate_symbol, contract.tradingview_symbol, contract.projectx_id) == (
        "NQZ2026",
        "NQZ6",
        "NQZ2026",
        "CON.F.US.ENQ.Z26",
    )


def test_expiry_is_0930_et_on_the_third_friday() -> None:
    assert third_friday(2025, 12) == date(2025, 12, 19)
    assert third_friday(2026, 3) == date(2026, 3, 20)
    assert Contract("ES", 2025, 12).expiry_ns == et(2025, 12, 19, 9, 30)


def test_roll_is_eight_days_before_expiry_at_the_1700_ct_open_of_the_roll_date() -> None:
    contract = Contract("NQ", 2025, 12)
    assert contract.roll_date == date(2025, 12, 11)
    assert contract.roll_ns == ct(2025, 12, 10, 17)


def test_front_month_switches_exactly_at_the_roll_instant() -> None:
    roll = Contract("NQ", 2025, 12).roll_ns
    assert front_contract("NQ", roll - 1).id == "NQZ2025"
    assert front_contract("NQ", roll).id == "NQH2026"
    # The CME example: expiry 2014-09-19 rolls 2014-09-11.
    assert front_contract("ES", ct(2014, 9, 10, 16, 59)).id == "ESU2014"
    assert front_contract("ES", ct(2014, 9, 10, 17, 0)).id == "ESZ2014"


def test_continuous_symbol_resolves_to_the_front_month_on_the_given_date() -> None:
    assert parse_symbol("NQ1!", ct(2026, 3, 11, 16)).id == "NQH2026"  # roll date 2026-03-12
    assert parse_symbol("NQ1!", ct(2026, 3, 11, 17)).id == "NQM2026"
    assert parse_symbol("ES1!", utc(2026, 11, 22)).id == "ESZ2026"
    assert parse_symbol("ES1!", ct(2026, 12, 10, 17)).id == "ESH2027"


def test_a_four_digit_year_names_the_same_contract_at_every_instant_and_bad_ones_still_say_why() -> None:
    early, late = 946_684_800 * 10**9, 4_070_908_800 * 10**9  # 2000-01-01 and 2099-01-01
    first = parse_symbol("NQZ2026", early)
    assert first == parse_symbol("nqz2026 ", late) == parse_symbol("CME_MINI:NQZ2026", late) == Contract("NQ", 2026, 12)
    with pytest.raises(InvalidArgument) as refused:
        parse_symbol("NQF2026", early, field="contract_id")  # not a quarterly month: not remembered, refused each time
    assert refused.value.field == "contract_id" and "NQF2026" in refused.value.reason
    with pytest.raises(InvalidArgument) as again:
        parse_symbol("NQF2026", late, field="symbol")
    assert again.value.field == "symbol"
