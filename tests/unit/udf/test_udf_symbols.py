"""UDF symbols and wire numbers: price format from the tick, symbol names, and exact JSON prices."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from clients.udf.app import udf_json
from clients.udf.symbols import Ticker, bare_symbol, continuous_root, price_format

ROOTS = {"NQ", "MNQ", "ES", "MES", "YM", "MYM", "RTY", "M2K"}


@pytest.mark.parametrize(
    ("tick", "expected"),
    [("0.25", (100, 25)), ("1", (1, 1)), ("0.1", (10, 1)), ("0.10", (10, 1)), ("0.0125", (10000, 125))],
)
def test_price_format_makes_minmov_over_pricescale_the_tick(tick: str, expected: tuple[int, int]) -> None:
    pricescale, minmov = price_format(Decimal(tick))
    assert (pricescale, minmov) == expected
    assert Decimal(minmov) / pricescale == Decimal(tick)


def test_symbol_forms_name_a_continuous_root_or_a_contract() -> None:
    assert bare_symbol(" cme:nq1! ") == "NQ1!"
    assert continuous_root("CME_MINI:NQ1!", ROOTS) == "NQ" and continuous_root("es", ROOTS) == "ES"
    assert continuous_root("NQZ2026", ROOTS) is None and continuous_root("XX1!", ROOTS) is None
    assert Ticker("NQ").text == "NQ1!" and Ticker("NQ", "NQZ2026").text == "NQZ2026"


def test_prices_go_out_as_json_numbers_with_the_exact_decimal_digits() -> None:
    prices = [Decimal("25341.25"), Decimal("0.1"), Decimal("19999.75"), Decimal("5712.30")]
    body = udf_json({"c": prices}).body

    assert body == b'{"c":[25341.25,0.1,19999.75,5712.30]}'
    assert json.loads(body, parse_float=Decimal)["c"] == prices
    # A binary float would not have survived: 0.1 + 0.2 style drift is impossible when the text is the decimal's.
    assert json.loads(body)["c"][0] == 25341.25
